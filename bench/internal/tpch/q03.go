package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[3] = q3 }

// q3 is the shipping priority query.
func q3(t Tables) *dataset.Dataset {
	cust := t.Customer.Filter(col("c_mktsegment").Eq(lit("BUILDING"))).SelectColumns("c_custkey")
	ord := t.Orders.Filter(col("o_orderdate").Lt(date("1995-03-15"))).
		SelectColumns("o_orderkey", "o_custkey", "o_orderdate", "o_shippriority")
	line := t.Lineitem.Filter(col("l_shipdate").Gt(date("1995-03-15"))).
		SelectColumns("l_orderkey", "l_extendedprice", "l_discount")
	return cust.
		Join(ord, keys("c_custkey", "o_custkey"), inner).
		Join(line, keys("o_orderkey", "l_orderkey"), inner).
		GroupBy("l_orderkey", "o_orderdate", "o_shippriority").
		Agg(sumE(discounted()).As("revenue")).
		Select(col("l_orderkey"), col("revenue"), col("o_orderdate"), col("o_shippriority")).
		OrderBy(desc("revenue"), asc("o_orderdate")).
		Limit(10)
}
