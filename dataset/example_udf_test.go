package dataset_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleUDF1() {
	s := newSession()
	defer s.Close()
	// The engine calls the function row by row, a batch at a time; the NULL amount gives
	// NULL without a call.
	withTax := dataset.UDF1("with_tax", func(amount float64) float64 {
		return math.Round(amount*1.2*100) / 100
	})
	printCells(orders(s, 2).Select(dataset.Col("amount"), withTax.Call(dataset.Col("amount")).As("gross")),
		func(arrow.Array, int) (string, bool) { return "", false })
	// Output:
	// 120.5 144.6
	// 80 96
	// 42.25 50.7
	// (null) (null)
	// 310 372
	// 15.75 18.9
	// 99.99 119.99
	// 80 96
}

func ExampleUDF2() {
	s := newSession()
	defer s.Close()
	// qty is int64 and amount float64: the Go parameter types. A row with a NULL region
	// or qty is NULL.
	label := dataset.UDF2("label", func(region string, qty int64) string {
		return strings.ToUpper(region[:1]) + strings.Repeat("*", int(qty))
	})
	printCells(orders(s, 1).Select(label.Call(dataset.Col("region"), dataset.Col("qty")).As("label")),
		func(arrow.Array, int) (string, bool) { return "", false })
	// Output:
	// E**
	// W*
	// E***
	// N*****
	// (null)
	// (null)
	// E****
	// W**
}

func ExampleUDF3() {
	s := newSession()
	defer s.Close()
	// A UDF in a filter: the literal 100.0 and the columns are its three arguments; the
	// int64 qty is widened to the float64 parameter, as Spark's implicit casts do.
	over := dataset.UDF3("over", func(amount, qty, limit float64) bool { return amount*qty > limit })
	printCells(orders(s, 2).
		Filter(over.Call(dataset.Col("amount"), dataset.Col("qty"), dataset.Lit(100.0))).
		SelectColumns("region", "amount", "qty"),
		func(arrow.Array, int) (string, bool) { return "", false })
	// Output:
	// east 120.5 2
	// east 42.25 3
	// east 99.99 4
	// west 80 2
}

func ExampleVectorUDF() {
	s := newSession()
	defer s.Close()
	// A vectorized UDF sees whole arrays, NULLs included, and builds its result from mem.
	cents := dataset.VectorUDF("cents", arrow.PrimitiveTypes.Int64, func(args []arrow.Array, mem memory.Allocator) (arrow.Array, error) {
		in := args[0].(*array.Float64)
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Reserve(in.Len())
		for i, v := range in.Float64Values() {
			if in.IsNull(i) {
				b.AppendNull()
				continue
			}
			b.Append(int64(math.Round(v * 100)))
		}
		return b.NewArray(), nil
	})
	rows, err := orders(s, 2).
		GroupBy("day").
		Agg(dataset.SumExpr(cents.Call(dataset.Col("amount"))).As("cents")).
		OrderBy(dataset.Asc("day")).
		Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(rows)
	for _, r := range rows {
		for i := 0; i < int(r.NumRows()); i++ {
			fmt.Println(r.Column(0).ValueStr(i), r.Column(1).ValueStr(i))
		}
	}
	// Output:
	// 2024-01-01 20050
	// 2024-01-02 35225
	// 2024-01-03 19574
}

func ExampleSession_RegisterUDF() {
	s := newSession()
	defer s.Close()
	if err := s.RegisterUDF(dataset.UDF1("initial", func(s string) string { return s[:1] })); err != nil {
		log.Fatal(err)
	}
	// A second function of the same name (in any case) is refused.
	err := s.RegisterUDF(dataset.UDF1("INITIAL", func(s string) string { return s }))
	fmt.Println(err)
	// Output:
	// dataset: RegisterUDF: a function named "INITIAL" is already registered
}

func ExampleSession_UDF() {
	s := newSession()
	defer s.Close()
	if err := s.RegisterUDF(dataset.UDF1("initial", func(s string) string { return s[:1] })); err != nil {
		log.Fatal(err)
	}
	initial, ok := s.UDF("Initial")
	fmt.Println(ok, initial.Name(), initial.ReturnType())
	ds := orders(s, 1).Select(dataset.Col("region"), initial.Call(dataset.Col("region")).As("i")).Limit(3)
	printCells(ds, func(arrow.Array, int) (string, bool) { return "", false })
	_, ok = s.UDF("missing")
	fmt.Println(ok)
	// Output:
	// true initial utf8
	// east e
	// west w
	// east e
	// false
}

func ExampleUDF_Call() {
	s := newSession()
	defer s.Close()
	double := dataset.UDF1("double", func(x int64) int64 { return 2 * x })
	// A UDF call prints by its name in plans, and a wrong argument type is an analysis
	// error naming the UDF and the argument.
	ds := orders(s, 1).WithColumn("twice", double.Call(dataset.Col("qty")))
	fmt.Println(strings.Contains(ds.Explain(), "double(qty) AS twice"))
	_, err := orders(s, 1).Select(double.Call(dataset.Col("region"))).Count(context.Background())
	msg := err.Error()
	fmt.Println(msg[strings.Index(msg, "double(region)"):]) // after the call site
	// Output:
	// true
	// double(region): user function double argument 1 takes int64, got string
}
