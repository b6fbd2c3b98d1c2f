package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[11] = q11 }

// q11 is the important stock identification query: the HAVING clause's scalar subquery
// (the total stock value of GERMANY's suppliers times the fraction) is a one-row
// aggregate of the same stock cross-joined to the per-part sums.
func q11(t Tables) *dataset.Dataset {
	stock := t.Partsupp.SelectColumns("ps_partkey", "ps_suppkey", "ps_supplycost", "ps_availqty").
		Join(t.Supplier.SelectColumns("s_suppkey", "s_nationkey"), keys("ps_suppkey", "s_suppkey"), inner).
		Join(t.Nation.Filter(col("n_name").Eq(lit("GERMANY"))).SelectColumns("n_nationkey"),
			keys("s_nationkey", "n_nationkey"), inner)
	value := col("ps_supplycost").Mul(col("ps_availqty"))
	threshold := stock.GroupBy().Agg(sumE(value).As("total")).
		Select(col("total").Mul(dec("0.0001")).As("threshold"))
	return stock.
		GroupBy("ps_partkey").
		Agg(sumE(value).As("value")).
		CrossJoin(threshold).
		Filter(col("value").Gt(col("threshold"))).
		SelectColumns("ps_partkey", "value").
		OrderBy(desc("value"))
}
