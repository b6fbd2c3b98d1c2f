package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[15] = q15 }

// q15 is the top supplier query: the view revenue0 is a Dataset used twice, and the
// scalar subquery (its largest revenue) a one-row aggregate joined on equal revenue.
func q15(t Tables) *dataset.Dataset {
	revenue0 := t.Lineitem.
		Filter(col("l_shipdate").Ge(date("1996-01-01")).And(col("l_shipdate").Lt(date("1996-04-01")))).
		GroupBy("l_suppkey").
		Agg(sumE(discounted()).As("total_revenue")).
		Select(col("l_suppkey").As("supplier_no"), col("total_revenue"))
	top := revenue0.GroupBy().Agg(dataset.Max("total_revenue").As("max_revenue"))
	return t.Supplier.SelectColumns("s_suppkey", "s_name", "s_address", "s_phone").
		Join(revenue0, keys("s_suppkey", "supplier_no"), inner).
		Join(top, keys("total_revenue", "max_revenue"), inner).
		SelectColumns("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue").
		OrderBy(asc("s_suppkey"))
}
