package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[5] = q5 }

// q5 is the local supplier volume query.
func q5(t Tables) *dataset.Dataset {
	nation := t.Nation.
		Join(t.Region.Filter(col("r_name").Eq(lit("ASIA"))), keys("n_regionkey", "r_regionkey"), inner).
		SelectColumns("n_nationkey", "n_name")
	cust := t.Customer.SelectColumns("c_custkey", "c_nationkey").
		Join(nation, keys("c_nationkey", "n_nationkey"), inner)
	ord := t.Orders.
		Filter(col("o_orderdate").Ge(date("1994-01-01")).And(col("o_orderdate").Lt(date("1995-01-01")))).
		SelectColumns("o_orderkey", "o_custkey").
		Join(cust, keys("o_custkey", "c_custkey"), inner)
	return t.Lineitem.SelectColumns("l_orderkey", "l_suppkey", "l_extendedprice", "l_discount").
		Join(ord, keys("l_orderkey", "o_orderkey"), inner).
		Join(t.Supplier.SelectColumns("s_suppkey", "s_nationkey"),
			dataset.OnKeys([]string{"l_suppkey", "c_nationkey"}, []string{"s_suppkey", "s_nationkey"}), inner).
		GroupBy("n_name").
		Agg(sumE(discounted()).As("revenue")).
		OrderBy(desc("revenue"))
}
