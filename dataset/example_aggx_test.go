package dataset_test

import (
	"github.com/kindling-data/kindling/dataset"
)

// byRegion runs aggs per region of the orders (two partitions) and prints the groups in
// region order.
func byRegion(s *dataset.Session, aggs ...dataset.Agg) {
	printSorted(orders(s, 2).GroupBy("region").Agg(aggs...).OrderBy(dataset.Asc("region")))
}

func ExampleSumExpr() {
	s := newSession()
	defer s.Close()
	// Revenue per region: amount × qty, skipping rows where either is NULL.
	byRegion(s, dataset.SumExpr(dataset.Col("amount").Mul(dataset.Col("qty"))).As("revenue"))
	// Output:
	// (null) 15.7500
	// east 767.7100
	// north (null)
	// west 240.0000
}

func ExampleCountExpr() {
	s := newSession()
	defer s.Close()
	// Rows where both amount and qty are known.
	byRegion(s, dataset.CountExpr(dataset.Col("amount").Add(dataset.Col("qty"))).As("complete"))
	// Output:
	// (null) 1
	// east 3
	// north 0
	// west 2
}

func ExampleCountDistinctExpr() {
	s := newSession()
	defer s.Close()
	// Distinct amounts rounded down to tens.
	byRegion(s, dataset.CountDistinctExpr(dataset.Floor(dataset.Col("amount").Div(dataset.Lit(10)))).As("tens"))
	// Output:
	// (null) 1
	// east 3
	// north 0
	// west 2
}

func ExampleMeanExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.MeanExpr(dataset.Col("amount").Div(dataset.Col("qty"))).As("unit_price"))
	// Output:
	// (null) 15.7500
	// east 33.1103
	// north (null)
	// west 60.0000
}

func ExampleMinExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.MinExpr(dataset.Col("amount").Mul(dataset.Col("qty"))).As("smallest_line"))
	// Output:
	// (null) 15.7500
	// east 126.7500
	// north (null)
	// west 80.0000
}

func ExampleMaxExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.MaxExpr(dataset.Upper(dataset.Col("region"))).As("upper"))
	// Output:
	// (null) (null)
	// east EAST
	// north NORTH
	// west WEST
}

func ExampleFirstExpr() {
	s := newSession()
	defer s.Close()
	// One partition, so the first value met is the first row's.
	printSorted(orders(s, 1).GroupBy("region").
		Agg(dataset.FirstExpr(dataset.Col("qty").Mul(dataset.Lit(10))).As("first_qty10")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 10
	// east 20
	// north 50
	// west 10
}

func ExampleMedianExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.MedianExpr(dataset.Col("amount").Mul(dataset.Col("qty"))).As("median_line"))
	// Output:
	// (null) 15.7500
	// east 241.0000
	// north (null)
	// west 120.0000
}

func ExampleStddevExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.StddevExpr(dataset.Col("amount").Div(dataset.Col("qty"))).As("sd_unit_price"))
	// Output:
	// (null) (null)
	// east 24.1289
	// north (null)
	// west 28.2843
}

func ExampleVarianceExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.VarianceExpr(dataset.Col("qty").Mul(dataset.Lit(2))).As("var_2qty"))
	// Output:
	// (null) (null)
	// east 4.0000
	// north (null)
	// west 2.0000
}

func ExampleCorrExpr() {
	s := newSession()
	defer s.Close()
	// Over all orders: does the unit price fall as the quantity grows?
	printSorted(orders(s, 2).GroupBy().
		Agg(dataset.CorrExpr(dataset.Col("qty"), dataset.Col("amount").Div(dataset.Col("qty"))).As("r")))
	// Output:
	// -0.4587
}

func ExampleCountIf() {
	s := newSession()
	defer s.Close()
	// Orders over 50 per region; the NULL amount counts as not over 50.
	byRegion(s, dataset.CountIf(dataset.Col("amount").Gt(dataset.Lit(50))).As("big"), dataset.Count().As("n"))
	// Output:
	// (null) 0 1
	// east 2 3
	// north 0 1
	// west 3 3
}

func ExampleAgg_Filter() {
	s := newSession()
	defer s.Close()
	// Spark's sum(amount) FILTER (WHERE qty > 1) and count(*) FILTER (WHERE qty > 1): a
	// region with no such order sums to NULL and counts 0.
	big := dataset.Col("qty").Gt(dataset.Lit(1))
	byRegion(s,
		dataset.Sum("amount").Filter(big).As("bulk_amount"),
		dataset.Count().Filter(big).As("bulk_orders"),
		dataset.Mean("amount").As("mean_amount"))
	// Output:
	// (null) (null) 0 15.7500
	// east 262.7400 3 87.5800
	// north (null) 1 (null)
	// west 80.0000 1 156.6667
}
