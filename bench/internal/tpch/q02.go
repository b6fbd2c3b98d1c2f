package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[2] = q2 }

// q2 is the minimum cost supplier query. The correlated subquery (the least supply
// cost of the part among European suppliers) is decorrelated as Spark's optimizer
// does it: the least cost per part, joined back on the part key and the cost.
func q2(t Tables) *dataset.Dataset {
	europe := t.Nation.
		Join(t.Region.Filter(col("r_name").Eq(lit("EUROPE"))), keys("n_regionkey", "r_regionkey"), inner).
		SelectColumns("n_nationkey", "n_name")
	supp := t.Supplier.
		Join(europe, keys("s_nationkey", "n_nationkey"), inner).
		SelectColumns("s_suppkey", "s_name", "s_address", "s_phone", "s_acctbal", "s_comment", "n_name")
	// Supply costs of European suppliers, the outer query's and the subquery's rows.
	europeCost := t.Partsupp.SelectColumns("ps_partkey", "ps_suppkey", "ps_supplycost").
		Join(supp, keys("ps_suppkey", "s_suppkey"), inner)
	minCost := europeCost.
		GroupBy("ps_partkey").
		Agg(dataset.Min("ps_supplycost").As("min_supplycost")).
		Rename("ps_partkey", "min_partkey")
	part := t.Part.
		Filter(col("p_size").Eq(lit(int64(15))).And(dataset.Like(col("p_type"), "%BRASS"))).
		SelectColumns("p_partkey", "p_mfgr")
	return part.
		Join(europeCost, keys("p_partkey", "ps_partkey"), inner).
		Join(minCost, dataset.OnKeys([]string{"p_partkey", "ps_supplycost"}, []string{"min_partkey", "min_supplycost"}), inner).
		Select(col("s_acctbal"), col("s_name"), col("n_name"), col("p_partkey"), col("p_mfgr"),
			col("s_address"), col("s_phone"), col("s_comment")).
		OrderBy(desc("s_acctbal"), asc("n_name"), asc("s_name"), asc("p_partkey")).
		Limit(100)
}
