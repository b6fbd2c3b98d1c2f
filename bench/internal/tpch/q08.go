package tpch

import (
	"github.com/kindling-data/kindling/dataset"
)

func init() { DataFrame[8] = q8 }

// q8 is the national market share query: the customer's nation (n1) must be in
// America, the supplier's (n2) names the volume's nation.
func q8(t Tables) *dataset.Dataset { return q8Share(t, "BRAZIL") }

// q8Share is q8 with the nation whose share it computes as a parameter (the
// specification's NATION substitution parameter).
func q8Share(t Tables, nation string) *dataset.Dataset {
	america := t.Nation.
		Join(t.Region.Filter(col("r_name").Eq(lit("AMERICA"))), keys("n_regionkey", "r_regionkey"), inner).
		SelectColumns("n_nationkey")
	cust := t.Customer.SelectColumns("c_custkey", "c_nationkey").
		Join(america, keys("c_nationkey", "n_nationkey"), inner).
		SelectColumns("c_custkey")
	ord := t.Orders.
		Filter(col("o_orderdate").Between(date("1995-01-01"), date("1996-12-31"))).
		SelectColumns("o_orderkey", "o_custkey", "o_orderdate")
	supp := t.Supplier.SelectColumns("s_suppkey", "s_nationkey").
		Join(t.Nation.Select(col("n_nationkey"), col("n_name").As("nation")), keys("s_nationkey", "n_nationkey"), inner).
		SelectColumns("s_suppkey", "nation")
	part := t.Part.Filter(col("p_type").Eq(lit("ECONOMY ANODIZED STEEL"))).SelectColumns("p_partkey")
	volume := col("volume")
	// CASE WHEN nation = 'BRAZIL' THEN volume ELSE 0 END
	nationVolume := dataset.When(col("nation").Eq(lit(nation)), volume).Otherwise(dec("0"))
	return t.Lineitem.SelectColumns("l_orderkey", "l_partkey", "l_suppkey", "l_extendedprice", "l_discount").
		Join(part, keys("l_partkey", "p_partkey"), inner).
		Join(ord, keys("l_orderkey", "o_orderkey"), inner).
		Join(cust, keys("o_custkey", "c_custkey"), inner).
		Join(supp, keys("l_suppkey", "s_suppkey"), inner).
		Select(dataset.Year(col("o_orderdate")).As("o_year"), discounted().As("volume"), col("nation")).
		GroupBy("o_year").
		Agg(sumE(nationVolume).As("brazil"), sumE(volume).As("total")).
		Select(col("o_year"), col("brazil").Div(col("total")).As("mkt_share")).
		OrderBy(asc("o_year"))
}
