package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[18] = q18 }

// q18 is the large volume customer query: the IN subquery (orders whose line items
// add up to more than 300 units) as a semi join on the order key.
func q18(t Tables) *dataset.Dataset {
	large := t.Lineitem.
		GroupBy("l_orderkey").
		Agg(dataset.Sum("l_quantity").As("qty")).
		Filter(col("qty").Gt(lit(int64(300)))).
		SelectColumns("l_orderkey")
	ord := t.Orders.
		Filter(col("o_orderkey").IsInDataset(large)).
		SelectColumns("o_orderkey", "o_custkey", "o_orderdate", "o_totalprice")
	return t.Customer.SelectColumns("c_custkey", "c_name").
		Join(ord, keys("c_custkey", "o_custkey"), inner).
		Join(t.Lineitem.SelectColumns("l_orderkey", "l_quantity"), keys("o_orderkey", "l_orderkey"), inner).
		GroupBy("c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice").
		Agg(dataset.Sum("l_quantity").As("sum_qty")).
		OrderBy(desc("o_totalprice"), asc("o_orderdate")).
		Limit(100)
}
