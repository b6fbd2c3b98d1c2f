package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[19] = q19 }

// q19 is the discounted revenue query: the three brands' conditions after the join,
// the conditions they share on line items before it.
func q19(t Tables) *dataset.Dataset {
	line := t.Lineitem.
		Filter(col("l_shipmode").IsIn("AIR", "AIR REG").And(col("l_shipinstruct").Eq(lit("DELIVER IN PERSON")))).
		SelectColumns("l_partkey", "l_quantity", "l_extendedprice", "l_discount")
	brand := func(b string, containers []any, qty int, size int64) dataset.Expr {
		return col("p_brand").Eq(lit(b)).
			And(col("p_container").IsIn(containers...)).
			And(col("l_quantity").Ge(lit(int64(qty)))).
			And(col("l_quantity").Le(lit(int64(qty + 10)))).
			And(col("p_size").Between(lit(int64(1)), lit(size)))
	}
	return line.
		Join(t.Part.SelectColumns("p_partkey", "p_brand", "p_container", "p_size"), keys("l_partkey", "p_partkey"), inner).
		Filter(brand("Brand#12", []any{"SM CASE", "SM BOX", "SM PACK", "SM PKG"}, 1, 5).
			Or(brand("Brand#23", []any{"MED BAG", "MED BOX", "MED PKG", "MED PACK"}, 10, 10)).
			Or(brand("Brand#34", []any{"LG CASE", "LG BOX", "LG PACK", "LG PKG"}, 20, 15))).
		GroupBy().
		Agg(sumE(discounted()).As("revenue"))
}
