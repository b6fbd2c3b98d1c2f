package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[6] = q6 }

// q6 is the forecasting revenue change query.
func q6(t Tables) *dataset.Dataset {
	return t.Lineitem.
		Filter(col("l_shipdate").Ge(date("1994-01-01")).
			And(col("l_shipdate").Lt(date("1995-01-01"))).
			And(col("l_discount").Between(dec("0.05"), dec("0.07"))).
			And(col("l_quantity").Lt(dec("24")))).
		GroupBy().
		Agg(sumE(col("l_extendedprice").Mul(col("l_discount"))).As("revenue"))
}
