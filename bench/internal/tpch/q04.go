package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[4] = q4 }

// q4 is the order priority checking query: EXISTS as a left semi join.
func q4(t Tables) *dataset.Dataset {
	start := date("1993-07-01")
	late := t.Lineitem.Filter(col("l_commitdate").Lt(col("l_receiptdate"))).SelectColumns("l_orderkey")
	return t.Orders.
		Filter(col("o_orderdate").Ge(start).And(col("o_orderdate").Lt(start.Add(dataset.LitInterval(3, 0, 0))))).
		SelectColumns("o_orderkey", "o_orderpriority").
		Join(late, keys("o_orderkey", "l_orderkey"), dataset.LeftSemi).
		GroupBy("o_orderpriority").
		Agg(dataset.Count().As("order_count")).
		OrderBy(asc("o_orderpriority"))
}
