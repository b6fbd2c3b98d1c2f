package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[7] = q7 }

// q7 is the volume shipping query. Each side's nation is narrowed to the two before
// the joins; the pairing of the two (France to Germany or back) is checked after.
func q7(t Tables) *dataset.Dataset {
	nations := func(as string) *dataset.Dataset {
		return t.Nation.Filter(col("n_name").IsIn("FRANCE", "GERMANY")).
			Select(col("n_nationkey").As(as+"_nationkey"), col("n_name").As(as))
	}
	supp := t.Supplier.SelectColumns("s_suppkey", "s_nationkey").
		Join(nations("supp_nation"), keys("s_nationkey", "supp_nation_nationkey"), inner)
	cust := t.Customer.SelectColumns("c_custkey", "c_nationkey").
		Join(nations("cust_nation"), keys("c_nationkey", "cust_nation_nationkey"), inner)
	line := t.Lineitem.
		Filter(col("l_shipdate").Between(date("1995-01-01"), date("1996-12-31"))).
		SelectColumns("l_orderkey", "l_suppkey", "l_shipdate", "l_extendedprice", "l_discount")
	pair := func(a, b string) dataset.Expr {
		return col("supp_nation").Eq(lit(a)).And(col("cust_nation").Eq(lit(b)))
	}
	return line.
		Join(supp, keys("l_suppkey", "s_suppkey"), inner).
		Join(t.Orders.SelectColumns("o_orderkey", "o_custkey"), keys("l_orderkey", "o_orderkey"), inner).
		Join(cust, keys("o_custkey", "c_custkey"), inner).
		Filter(pair("FRANCE", "GERMANY").Or(pair("GERMANY", "FRANCE"))).
		Select(col("supp_nation"), col("cust_nation"), dataset.Year(col("l_shipdate")).As("l_year"),
			discounted().As("volume")).
		GroupBy("supp_nation", "cust_nation", "l_year").
		Agg(dataset.Sum("volume").As("revenue")).
		OrderBy(asc("supp_nation"), asc("cust_nation"), asc("l_year"))
}
