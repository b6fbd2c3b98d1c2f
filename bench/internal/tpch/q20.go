package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[20] = q20 }

// q20 is the potential part promotion query. The correlated scalar subquery (half
// the 1994 quantity shipped of each part and supplier) is decorrelated into an
// aggregate by (part, supplier) joined back on both keys: a pair without shipments
// has a NULL threshold in SQL, which no row passes, so an inner join is exact.
func q20(t Tables) *dataset.Dataset {
	forest := t.Part.Filter(dataset.Like(col("p_name"), "forest%")).SelectColumns("p_partkey")
	shipped := t.Lineitem.
		Filter(col("l_shipdate").Ge(date("1994-01-01")).And(col("l_shipdate").Lt(date("1995-01-01")))).
		GroupBy("l_partkey", "l_suppkey").
		Agg(dataset.Sum("l_quantity").As("qty"))
	excess := t.Partsupp.
		Filter(col("ps_partkey").IsInDataset(forest)).
		SelectColumns("ps_partkey", "ps_suppkey", "ps_availqty").
		Join(shipped, dataset.OnKeys([]string{"ps_partkey", "ps_suppkey"}, []string{"l_partkey", "l_suppkey"}), inner).
		Filter(col("ps_availqty").Gt(dec("0.5").Mul(col("qty")))).
		SelectColumns("ps_suppkey")
	canada := t.Nation.Filter(col("n_name").Eq(lit("CANADA"))).SelectColumns("n_nationkey")
	return t.Supplier.
		Filter(col("s_suppkey").IsInDataset(excess)).
		Join(canada, keys("s_nationkey", "n_nationkey"), inner).
		SelectColumns("s_name", "s_address").
		OrderBy(asc("s_name"))
}
