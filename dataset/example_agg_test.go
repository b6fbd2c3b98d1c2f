package dataset_test

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

// printSorted runs d (already ordered) and prints its rows, floats to four decimals.
func printSorted(d *dataset.Dataset) {
	printCells(d, func(col arrow.Array, i int) (string, bool) {
		if f, ok := col.(*array.Float64); ok && f.IsValid(i) {
			return fmt.Sprintf("%.4f", f.Value(i)), true
		}
		return "", false
	})
}

func ExampleMedian() {
	s := newSession()
	defer s.Close()
	// east has three amounts, west three (two equal), north only a NULL amount.
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Median("amount").As("median_amount"), dataset.Median("qty").As("median_qty")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) 15.7500 1.0000
	// east 99.9900 3.0000
	// north (null) 5.0000
	// west 80.0000 1.5000
}

func ExampleStddev() {
	s := newSession()
	defer s.Close()
	// A group of one value (the NULL region's) has no sample deviation.
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Stddev("amount").As("sd"), dataset.Count().As("n")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) (null) 1
	// east 40.5743 3
	// north (null) 1
	// west 132.7906 3
}

func ExampleVariance() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 3).
		GroupBy().
		Agg(dataset.Variance("qty").As("var_qty"), dataset.Variance("amount").As("var_amount")))
	// Output:
	// 2.2857 9236.2463
}

func ExampleCorr() {
	s := newSession()
	defer s.Close()
	// west's priced orders with a qty both have amount 80: a constant has no correlation.
	printSorted(orders(s, 2).
		GroupBy("region").
		Agg(dataset.Corr("amount", "qty").As("r")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// (null) (null)
	// east -0.2527
	// north (null)
	// west (null)
}

func ExampleGrouped_TopK() {
	s := newSession()
	defer s.Close()
	// The two largest amounts per region; north's only amount is NULL, so it has no row.
	printSorted(orders(s, 2).
		GroupBy("region").
		TopK("amount", 2).
		OrderBy(dataset.Asc("region"), dataset.Desc("amount")))
	// Output:
	// (null) 15.7500
	// east 120.5000
	// east 99.9900
	// west 310.0000
	// west 80.0000
}
