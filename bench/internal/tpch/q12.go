package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[12] = q12 }

// q12 is the shipping modes and order priority query.
func q12(t Tables) *dataset.Dataset {
	line := t.Lineitem.
		Filter(col("l_shipmode").IsIn("MAIL", "SHIP").
			And(col("l_commitdate").Lt(col("l_receiptdate"))).
			And(col("l_shipdate").Lt(col("l_commitdate"))).
			And(col("l_receiptdate").Ge(date("1994-01-01"))).
			And(col("l_receiptdate").Lt(date("1995-01-01")))).
		SelectColumns("l_orderkey", "l_shipmode")
	high := col("o_orderpriority").IsIn("1-URGENT", "2-HIGH")
	one, zero := lit(int64(1)), lit(int64(0))
	return t.Orders.SelectColumns("o_orderkey", "o_orderpriority").
		Join(line, keys("o_orderkey", "l_orderkey"), inner).
		GroupBy("l_shipmode").
		Agg(sumE(dataset.If(high, one, zero)).As("high_line_count"),
			sumE(dataset.If(high, zero, one)).As("low_line_count")).
		OrderBy(asc("l_shipmode"))
}
