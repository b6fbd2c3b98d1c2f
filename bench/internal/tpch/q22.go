package tpch

import "github.com/kindling-data/kindling/dataset"

func init() { DataFrame[22] = q22 }

// q22 is the global sales opportunity query: the scalar subquery (the mean positive
// balance in the seven country codes) as a one-row aggregate cross-joined, NOT EXISTS
// as a left anti join with the orders' customer keys.
func q22(t Tables) *dataset.Dataset {
	codes := []any{"13", "31", "23", "29", "30", "18", "17"}
	cust := t.Customer.
		Select(dataset.Substring(col("c_phone"), 1, 2).As("cntrycode"), col("c_acctbal"), col("c_custkey")).
		Filter(col("cntrycode").IsIn(codes...))
	avgBal := cust.Filter(col("c_acctbal").Gt(dec("0.00"))).
		GroupBy().
		Agg(dataset.Mean("c_acctbal").As("avg_acctbal"))
	return cust.
		CrossJoin(avgBal).
		Filter(col("c_acctbal").Gt(col("avg_acctbal"))).
		Join(t.Orders.SelectColumns("o_custkey"), keys("c_custkey", "o_custkey"), dataset.LeftAnti).
		GroupBy("cntrycode").
		Agg(dataset.Count().As("numcust"), dataset.Sum("c_acctbal").As("totacctbal")).
		OrderBy(asc("cntrycode"))
}
