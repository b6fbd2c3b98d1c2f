package dataset_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// numbers returns a dataset of one batch with a float64 column "x" and an int64 column
// "n", given row by row (nil for NULL).
func numbers(s *dataset.Session, xs []any, ns []any) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range xs {
		if v, ok := xs[i].(float64); ok {
			b.Field(0).(*array.Float64Builder).Append(v)
		} else {
			b.Field(0).AppendNull()
		}
		if v, ok := ns[i].(int); ok {
			b.Field(1).(*array.Int64Builder).Append(int64(v))
		} else if v, ok := ns[i].(int64); ok {
			b.Field(1).(*array.Int64Builder).Append(v)
		} else {
			b.Field(1).AppendNull()
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// printRows runs d and prints each row, floats in Go's shortest form.
func printRows(d *dataset.Dataset) {
	printCells(d, func(col arrow.Array, i int) (string, bool) {
		if f, ok := col.(*array.Float64); ok && f.IsValid(i) {
			return strconv.FormatFloat(f.Value(i), 'g', -1, 64), true
		}
		return "", false
	})
}

func ExampleExpr_IntDiv() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{7.9, -7.0, 7.0, nil}, []any{2, 2, 0, 3})
	printRows(ds.Select(
		dataset.Col("n"),
		dataset.Lit(7).IntDiv(dataset.Col("n")).As("7 div n"),
		dataset.Lit(-7).IntDiv(dataset.Col("n")).As("-7 div n"),
		dataset.Col("x").IntDiv(dataset.Lit(2)).As("x div 2"), // x is cast to int64 first
	))
	// Output:
	// 2 3 -3 3
	// 2 3 -3 -3
	// 0 (null) (null) 3
	// 3 2 -2 (null)
}

func ExampleAbs() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{-1.5, math.Copysign(0, -1), nil}, []any{-3, int64(math.MinInt64), nil})
	printRows(ds.Select(dataset.Abs(dataset.Col("x")), dataset.Abs(dataset.Col("n"))))
	// Output:
	// 1.5 3
	// 0 -9223372036854775808
	// (null) (null)
}

func ExampleSignum() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{-2.5, 0.0, math.NaN(), nil}, []any{7, 0, -7, nil})
	printRows(ds.Select(dataset.Signum(dataset.Col("x")), dataset.Signum(dataset.Col("n"))))
	// Output:
	// -1 1
	// 0 0
	// NaN -1
	// (null) (null)
}

func ExampleSign() {
	s := newSession()
	defer s.Close()
	printRows(numbers(s, []any{-0.25}, []any{3}).Select(dataset.Sign(dataset.Col("x")), dataset.Sign(dataset.Col("n"))))
	// Output:
	// -1 1
}

func ExampleSqrt() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{2.25, -1.0, nil}, []any{16, 2, nil})
	printRows(ds.Select(dataset.Sqrt(dataset.Col("x")), dataset.Sqrt(dataset.Col("n"))))
	// Output:
	// 1.5 4
	// NaN 1.4142135623730951
	// (null) (null)
}

func ExampleExp() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{0.0, 1.0, math.Inf(-1)}, []any{nil, nil, nil})
	printRows(ds.Select(dataset.Col("x"), dataset.Exp(dataset.Col("x"))))
	// Output:
	// 0 1
	// 1 2.718281828459045
	// -Inf 0
}

func ExampleLog() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{math.E, 1.0, 0.0, -1.0}, []any{nil, nil, nil, nil})
	printRows(ds.Select(dataset.Col("x"), dataset.Log(dataset.Col("x")))) // NULL for x <= 0
	// Output:
	// 2.718281828459045 1
	// 1 0
	// 0 (null)
	// -1 (null)
}

func ExampleLog10() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{nil, nil, nil}, []any{1000, 1, 0})
	printRows(ds.Select(dataset.Col("n"), dataset.Log10(dataset.Col("n"))))
	// Output:
	// 1000 3
	// 1 0
	// 0 (null)
}

func ExamplePow() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{0.5, math.NaN(), math.Inf(1)}, []any{2, 0, 1})
	printRows(ds.Select(
		dataset.Pow(dataset.Col("n"), dataset.Lit(10)),
		dataset.Pow(dataset.Lit(1), dataset.Col("x")),
		dataset.Pow(dataset.Col("x"), dataset.Col("n")),
	))
	// Output:
	// 1024 1 0.25
	// 0 NaN 1
	// 1 NaN +Inf
}

func ExampleFloor() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{2.7, -2.2, math.NaN(), 1e300}, []any{5, 5, 5, 5})
	printRows(ds.Select(dataset.Col("x"), dataset.Floor(dataset.Col("x")), dataset.Floor(dataset.Col("n"))))
	// Output:
	// 2.7 2 5
	// -2.2 -3 5
	// NaN 0 5
	// 1e+300 9223372036854775807 5
}

func ExampleCeil() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{2.2, -2.7, nil}, []any{nil, nil, nil})
	printRows(ds.Select(dataset.Col("x"), dataset.Ceil(dataset.Col("x"))))
	// Output:
	// 2.2 3
	// -2.7 -2
	// (null) (null)
}

func ExampleRound() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{2.5, -2.5, 2.675, 1234.5678}, []any{150, -250, 1249, 7})
	printRows(ds.Select(
		dataset.Col("x"),
		dataset.Round(dataset.Col("x"), 0),
		dataset.Round(dataset.Col("x"), 2),
		dataset.Round(dataset.Col("x"), -2),
		dataset.Col("n"),
		dataset.Round(dataset.Col("n"), -2),
	))
	// Output:
	// 2.5 3 2.5 0 150 200
	// -2.5 -3 -2.5 0 -250 -300
	// 2.675 3 2.68 0 1249 1200
	// 1234.5678 1235 1234.57 1200 7 0
}

func ExampleBRound() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{2.5, 3.5, -2.5, 0.125}, []any{150, 250, -250, 350})
	printRows(ds.Select(
		dataset.Col("x"),
		dataset.BRound(dataset.Col("x"), 0),
		dataset.BRound(dataset.Col("x"), 2),
		dataset.Col("n"),
		dataset.BRound(dataset.Col("n"), -2),
	))
	// Output:
	// 2.5 2 2.5 150 200
	// 3.5 4 3.5 250 200
	// -2.5 -2 -2.5 -250 -200
	// 0.125 0 0.12 350 400
}

// Integer arithmetic wraps around on overflow, as Spark's does with ANSI mode off.
func Example_int64Overflow() {
	s := newSession()
	defer s.Close()
	ds := numbers(s, []any{nil}, []any{int64(math.MaxInt64)})
	printRows(ds.Select(
		dataset.Col("n").Add(dataset.Lit(1)),
		dataset.Col("n").Mul(dataset.Lit(2)),
		dataset.Col("n").Add(dataset.Lit(1)).Neg(),
	))
	// Output:
	// -9223372036854775808 -2 -9223372036854775808
}

// The analyzer rejects arguments of the wrong type, naming the call.
func ExampleSqrt_wrongType() {
	s := newSession()
	defer s.Close()
	_, err := numbers(s, []any{1.0}, []any{1}).Select(dataset.Sqrt(dataset.Lit("nine"))).Collect(context.Background())
	// The message starts with where the Select was written; print the rest.
	fmt.Println(strings.SplitN(err.Error(), ": ", 3)[2])
	// Output:
	// sqrt("nine"): sqrt takes one number, got (string)
}
