package dataset_test

import (
	"github.com/kindling-data/kindling/dataset"
)

func ExampleApproxCountDistinct() {
	s := newSession()
	defer s.Close()
	// Small counts are exact in practice: the sketch has 512 registers at rsd 0.05.
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.ApproxCountDistinct("amount", 0).As("amounts"), dataset.ApproxCountDistinct("qty", 0.01).As("qtys")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 1 1
	// east 3 3
	// north 0 1
	// west 2 2
}

func ExampleApproxCountDistinctExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 3).
		GroupBy().
		Agg(dataset.ApproxCountDistinctExpr(dataset.Col("qty").Mod(dataset.Lit(2)), 0).As("parities")))
	// Output:
	// 2
}

func ExampleApproxPercentile() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.ApproxPercentile("amount", 0.5, 0).As("p50"), dataset.ApproxPercentile("qty", 0.9, 100).As("p90_qty"),
			dataset.ApproxPercentile("day", 0.5, 0).As("median_day")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 15.7500 1 2024-01-03
	// east 99.9900 4 2024-01-02
	// north (null) 5 2024-01-02
	// west 80.0000 2 2024-01-02
}

func ExampleApproxPercentiles() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy().
		Agg(dataset.ApproxPercentiles("qty", []float64{0.25, 0.5, 0.75}, 0).As("quartiles")))
	// Output:
	// [1,2,4]
}

func ExampleApproxPercentileExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy().
		Agg(dataset.ApproxPercentileExpr(dataset.Col("amount").Mul(dataset.Col("qty")), 0.5, 0).As("median_line")))
	// Output:
	// 126.7500
}

func ExampleApproxPercentilesExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy().
		Agg(dataset.ApproxPercentilesExpr(dataset.Col("qty").Mul(dataset.Lit(10)), []float64{0, 1}, 0).As("range")))
	// Output:
	// [10,50]
}

func ExamplePercentile() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Percentile("amount", 0.25).As("p25"), dataset.Percentile("qty", 0.5).As("median_qty")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 15.7500 1.0000
	// east 71.1200 3.0000
	// north (null) 5.0000
	// west 80.0000 1.5000
}

func ExamplePercentiles() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy().
		Agg(dataset.Percentiles("qty", []float64{0.25, 0.5, 0.75}).As("quartiles")))
	// Output:
	// [1.5,2,3.5]
}

func ExamplePercentileExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy().
		Agg(dataset.PercentileExpr(dataset.Col("amount").Mul(dataset.Col("qty")), 0.5).As("median_line")))
	// Output:
	// 143.3750
}

func ExamplePercentilesExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).
		GroupBy().
		Agg(dataset.PercentilesExpr(dataset.Col("qty").Mul(dataset.Lit(10)), []float64{0.1, 0.9}).As("deciles")))
	// Output:
	// [10,44]
}

func ExampleMode() {
	s := newSession()
	defer s.Close()
	// west has 80 twice; east's amounts (and every region's days) are all different, so
	// the smallest wins.
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Mode("amount").As("mode_amount"), dataset.Mode("qty").As("mode_qty"), dataset.Mode("day").As("mode_day")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 15.7500 1 2024-01-03
	// east 42.2500 2 2024-01-01
	// north (null) 5 2024-01-02
	// west 80.0000 1 2024-01-01
}

func ExampleModeExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 3).
		GroupBy().
		Agg(dataset.ModeExpr(dataset.Col("region")).As("busiest_region"), dataset.ModeExpr(dataset.Col("qty").Mod(dataset.Lit(2))).As("parity")))
	// Output:
	// east 1
}
