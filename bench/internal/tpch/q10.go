package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[10] = q10 }

// q10 is the returned item reporting query.
func q10(t Tables) *dataset.Dataset {
	ord := t.Orders.
		Filter(col("o_orderdate").Ge(date("1993-10-01")).And(col("o_orderdate").Lt(date("1994-01-01")))).
		SelectColumns("o_orderkey", "o_custkey")
	line := t.Lineitem.Filter(col("l_returnflag").Eq(lit("R"))).
		SelectColumns("l_orderkey", "l_extendedprice", "l_discount")
	return t.Customer.
		Join(ord, keys("c_custkey", "o_custkey"), inner).
		Join(line, keys("o_orderkey", "l_orderkey"), inner).
		Join(t.Nation.SelectColumns("n_nationkey", "n_name"), keys("c_nationkey", "n_nationkey"), inner).
		GroupBy("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment").
		Agg(sumE(discounted()).As("revenue")).
		Select(col("c_custkey"), col("c_name"), col("revenue"), col("c_acctbal"), col("n_name"),
			col("c_address"), col("c_phone"), col("c_comment")).
		OrderBy(desc("revenue")).
		Limit(20)
}
