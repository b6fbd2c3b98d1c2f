package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[1] = q1 }

// q1 is the pricing summary report.
func q1(t Tables) *dataset.Dataset {
	disc := col("l_extendedprice").Mul(dec("1").Sub(col("l_discount")))
	return t.Lineitem.
		Filter(col("l_shipdate").Le(date("1998-09-02"))).
		GroupBy("l_returnflag", "l_linestatus").
		Agg(
			dataset.Sum("l_quantity").As("sum_qty"),
			dataset.Sum("l_extendedprice").As("sum_base_price"),
			sumE(disc).As("sum_disc_price"),
			sumE(disc.Mul(dec("1").Add(col("l_tax")))).As("sum_charge"),
			dataset.Mean("l_quantity").As("avg_qty"),
			dataset.Mean("l_extendedprice").As("avg_price"),
			dataset.Mean("l_discount").As("avg_disc"),
			dataset.Count().As("count_order"),
		).
		OrderBy(asc("l_returnflag"), asc("l_linestatus"))
}
