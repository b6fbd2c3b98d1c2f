package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[21] = q21 }

// q21 is the suppliers who kept orders waiting query: EXISTS as a left semi join and
// NOT EXISTS as a left anti join on the order key, each with the other-supplier
// condition checked inside the join.
func q21(t Tables) *dataset.Dataset {
	late := col("l_receiptdate").Gt(col("l_commitdate"))
	otherSupplier := dataset.On("l_orderkey").And(dataset.LeftCol("l_suppkey").NotEq(dataset.RightCol("l_suppkey")))
	l1 := t.Lineitem.Filter(late).SelectColumns("l_orderkey", "l_suppkey")
	l2 := t.Lineitem.SelectColumns("l_orderkey", "l_suppkey")
	l3 := t.Lineitem.Filter(late).SelectColumns("l_orderkey", "l_suppkey")
	saudi := t.Supplier.SelectColumns("s_suppkey", "s_name", "s_nationkey").
		Join(t.Nation.Filter(col("n_name").Eq(lit("SAUDI ARABIA"))).SelectColumns("n_nationkey"),
			keys("s_nationkey", "n_nationkey"), inner)
	failed := t.Orders.Filter(col("o_orderstatus").Eq(lit("F"))).SelectColumns("o_orderkey")
	return l1.
		Join(saudi, keys("l_suppkey", "s_suppkey"), inner).
		Join(failed, keys("l_orderkey", "o_orderkey"), inner).
		Join(l2, otherSupplier, dataset.LeftSemi).
		Join(l3, otherSupplier, dataset.LeftAnti).
		GroupBy("s_name").
		Agg(dataset.Count().As("numwait")).
		OrderBy(desc("numwait"), asc("s_name")).
		Limit(100)
}
