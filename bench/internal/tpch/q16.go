package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[16] = q16 }

// q16 is the parts/supplier relationship query: NOT IN over the suppliers with
// complaints is NotInDataset.
func q16(t Tables) *dataset.Dataset {
	part := t.Part.
		Filter(col("p_brand").NotEq(lit("Brand#45")).
			And(dataset.Like(col("p_type"), "MEDIUM POLISHED%").Not()).
			And(col("p_size").IsIn(int64(49), int64(14), int64(23), int64(45), int64(19), int64(3), int64(36), int64(9)))).
		SelectColumns("p_partkey", "p_brand", "p_type", "p_size")
	complaints := t.Supplier.Filter(dataset.Like(col("s_comment"), "%Customer%Complaints%")).SelectColumns("s_suppkey")
	ps := t.Partsupp.Filter(col("ps_suppkey").NotInDataset(complaints)).SelectColumns("ps_partkey", "ps_suppkey")
	return ps.
		Join(part, keys("ps_partkey", "p_partkey"), inner).
		GroupBy("p_brand", "p_type", "p_size").
		Agg(dataset.CountDistinct("ps_suppkey").As("supplier_cnt")).
		OrderBy(desc("supplier_cnt"), asc("p_brand"), asc("p_type"), asc("p_size"))
}
