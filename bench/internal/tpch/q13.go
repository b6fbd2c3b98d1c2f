package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[13] = q13 }

// q13 is the customer distribution query: the outer join's extra condition on orders
// is checked inside the join, so that a customer whose orders all fail it keeps a row
// with no order (a count of 0).
func q13(t Tables) *dataset.Dataset {
	ord := t.Orders.SelectColumns("o_orderkey", "o_custkey", "o_comment")
	plain := dataset.Like(col("o_comment"), "%special%requests%").Not()
	return t.Customer.SelectColumns("c_custkey").
		Join(ord, keys("c_custkey", "o_custkey").And(plain), dataset.LeftOuter).
		GroupBy("c_custkey").
		Agg(dataset.CountOf("o_orderkey").As("c_count")).
		GroupBy("c_count").
		Agg(dataset.Count().As("custdist")).
		OrderBy(desc("custdist"), desc("c_count"))
}
