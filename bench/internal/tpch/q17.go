package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[17] = q17 }

// q17 is the small-quantity-order revenue query. The correlated subquery (the part's
// average quantity over all its line items) is decorrelated as Spark's optimizer does
// it: an aggregate by the correlation key joined back. Since the join with the chosen
// parts keeps every line item of those parts, the average is taken over the joined
// line items, not the whole table.
func q17(t Tables) *dataset.Dataset { return q17For(t, "Brand#23", "MED BOX") }

// q17For is q17 for the parts of one brand and container (the query's parameters).
func q17For(t Tables, brand, container string) *dataset.Dataset {
	part := t.Part.
		Filter(col("p_brand").Eq(lit(brand)).And(col("p_container").Eq(lit(container)))).
		SelectColumns("p_partkey")
	line := t.Lineitem.SelectColumns("l_partkey", "l_quantity", "l_extendedprice").
		Join(part, keys("l_partkey", "p_partkey"), inner)
	avgQty := line.GroupBy("l_partkey").
		Agg(dataset.Mean("l_quantity").As("avg_quantity")).
		Select(col("l_partkey").As("a_partkey"), col("avg_quantity"))
	return line.
		Join(avgQty, keys("l_partkey", "a_partkey"), inner).
		Filter(col("l_quantity").Lt(dec("0.2").Mul(col("avg_quantity")))).
		GroupBy().
		Agg(dataset.Sum("l_extendedprice").As("total")).
		Select(col("total").Div(dec("7.0")).As("avg_yearly"))
}
