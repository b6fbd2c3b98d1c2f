package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[9] = q9 }

// q9 is the product type profit measure query.
func q9(t Tables) *dataset.Dataset {
	part := t.Part.Filter(dataset.Like(col("p_name"), "%green%")).SelectColumns("p_partkey")
	amount := discounted().Sub(col("ps_supplycost").Mul(col("l_quantity")))
	return t.Lineitem.
		SelectColumns("l_orderkey", "l_partkey", "l_suppkey", "l_quantity", "l_extendedprice", "l_discount").
		Join(part, keys("l_partkey", "p_partkey"), inner).
		Join(t.Partsupp.SelectColumns("ps_partkey", "ps_suppkey", "ps_supplycost"),
			dataset.OnKeys([]string{"l_partkey", "l_suppkey"}, []string{"ps_partkey", "ps_suppkey"}), inner).
		Join(t.Supplier.SelectColumns("s_suppkey", "s_nationkey"), keys("l_suppkey", "s_suppkey"), inner).
		Join(t.Nation.SelectColumns("n_nationkey", "n_name"), keys("s_nationkey", "n_nationkey"), inner).
		Join(t.Orders.SelectColumns("o_orderkey", "o_orderdate"), keys("l_orderkey", "o_orderkey"), inner).
		Select(col("n_name").As("nation"), dataset.Year(col("o_orderdate")).As("o_year"), amount.As("amount")).
		GroupBy("nation", "o_year").
		Agg(dataset.Sum("amount").As("sum_profit")).
		OrderBy(asc("nation"), desc("o_year"))
}
