package dataset_test

import (
	"github.com/kindling-data/kindling/dataset"
)

// byRegionInOrder is byRegion over the orders in one partition, where the order of the
// rows, and so of lists and of last, is the input's.
func byRegionInOrder(s *dataset.Session, aggs ...dataset.Agg) {
	printSorted(orders(s, 1).GroupBy("region").Agg(aggs...).OrderBy(dataset.Asc("region")))
}

func ExampleCollectList() {
	s := newSession()
	defer s.Close()
	// north's only amount is NULL: an empty list, not NULL.
	byRegionInOrder(s, dataset.CollectList("amount").As("amounts"), dataset.CollectList("qty").As("qtys"))
	// Output:
	// (null) [15.75] [1]
	// east [120.5,42.25,99.99] [2,3,4]
	// north [] [5]
	// west [80,310,80] [1,2]
}

func ExampleCollectListExpr() {
	s := newSession()
	defer s.Close()
	byRegionInOrder(s, dataset.CollectListExpr(dataset.Col("qty").Mul(dataset.Lit(10))).As("tens"))
	// Output:
	// (null) [10]
	// east [20,30,40]
	// north [50]
	// west [10,20]
}

func ExampleCollectSet() {
	s := newSession()
	defer s.Close()
	// west's two amounts of 80 are one value of the set.
	byRegionInOrder(s, dataset.CollectSet("amount").As("amounts"))
	// Output:
	// (null) [15.75]
	// east [120.5,42.25,99.99]
	// north []
	// west [80,310]
}

func ExampleCollectSetExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 1).GroupBy().Agg(dataset.CollectSetExpr(dataset.Upper(dataset.Col("region"))).As("regions")))
	// Output:
	// ["EAST","WEST","NORTH"]
}

func ExampleLast() {
	s := newSession()
	defer s.Close()
	// north's only amount is NULL: its last amount is that NULL, and none is known.
	byRegionInOrder(s, dataset.Last("amount", false).As("last_amount"), dataset.Last("amount", true).As("last_known"))
	// Output:
	// (null) 15.7500 15.7500
	// east 99.9900 99.9900
	// north (null) (null)
	// west 80.0000 80.0000
}

func ExampleLastExpr() {
	s := newSession()
	defer s.Close()
	// Amounts of 80 read as NULL: west's last row then has none, its last known is 310.
	unusual := dataset.NullIf(dataset.Col("amount"), dataset.Lit(80.0))
	byRegionInOrder(s, dataset.LastExpr(unusual, false), dataset.LastExpr(unusual, true))
	// Output:
	// (null) 15.7500 15.7500
	// east 99.9900 99.9900
	// north (null) (null)
	// west (null) 310.0000
}

func ExampleAnyValue() {
	s := newSession()
	defer s.Close()
	// One row per region: any of its days will do.
	byRegionInOrder(s, dataset.AnyValue("qty").As("some_qty"), dataset.Count())
	// Output:
	// (null) 1 1
	// east 2 3
	// north 5 1
	// west 1 3
}

func ExampleAnyValueExpr() {
	s := newSession()
	defer s.Close()
	byRegionInOrder(s, dataset.AnyValueExpr(dataset.Upper(dataset.Col("region"))).As("label"))
	// Output:
	// (null) (null)
	// east EAST
	// north NORTH
	// west WEST
}

func ExampleBoolAnd() {
	s := newSession()
	defer s.Close()
	big := orders(s, 2).WithColumn("big", dataset.Col("amount").Gt(dataset.Lit(50.0)))
	printSorted(big.GroupBy("region").Agg(dataset.BoolAnd("big").As("all_big")).OrderBy(dataset.Asc("region")))
	// Output:
	// (null) false
	// east false
	// north (null)
	// west true
}

func ExampleBoolAndExpr() {
	s := newSession()
	defer s.Close()
	// Whether every known quantity is positive.
	byRegion(s, dataset.BoolAndExpr(dataset.Col("qty").Gt(dataset.Lit(0))).As("all_positive"))
	// Output:
	// (null) true
	// east true
	// north true
	// west true
}

func ExampleBoolOr() {
	s := newSession()
	defer s.Close()
	big := orders(s, 2).WithColumn("big", dataset.Col("amount").Gt(dataset.Lit(100.0)))
	printSorted(big.GroupBy("region").Agg(dataset.BoolOr("big").As("any_big")).OrderBy(dataset.Asc("region")))
	// Output:
	// (null) false
	// east true
	// north (null)
	// west true
}

func ExampleBoolOrExpr() {
	s := newSession()
	defer s.Close()
	byRegion(s, dataset.BoolOrExpr(dataset.Col("qty").Ge(dataset.Lit(4))).As("any_bulk"))
	// Output:
	// (null) false
	// east true
	// north true
	// west false
}

func ExampleSumDistinct() {
	s := newSession()
	defer s.Close()
	// west's amounts are 80, 310 and 80: the distinct ones add to 390.
	byRegion(s, dataset.SumDistinct("amount").As("distinct_total"), dataset.Sum("amount").As("total"))
	// Output:
	// (null) 15.7500 15.7500
	// east 262.7400 262.7400
	// north (null) (null)
	// west 390.0000 470.0000
}

func ExampleSumDistinctExpr() {
	s := newSession()
	defer s.Close()
	printSorted(orders(s, 2).GroupBy().Agg(dataset.SumDistinctExpr(dataset.Col("qty").Mul(dataset.Lit(2))).As("twice_distinct_qty")))
	// Output:
	// 30
}
