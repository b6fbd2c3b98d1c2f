package dataset_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

// TestConditionalDecimals picks decimal values of different precisions and scales with
// When and If: the result has Spark's widened type (the most integer digits and the most
// fractional digits of the branches) and each row the chosen branch's exact value,
// checked against math/big, NULLs included.
func TestConditionalDecimals(t *testing.T) {
	s := newSession()
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 500
	cents := make([]any, n)
	qty := make([]int64, n)
	for i := range cents {
		if rng.IntN(7) > 0 {
			cents[i] = rng.IntN(2_000_000) - 1_000_000
		}
		qty[i] = rng.Int64N(10)
	}
	d := prices(s, cents, qty).Select(
		dataset.When(dataset.Col("qty").Gt(dataset.Lit(int64(5))), dataset.Col("price")).
			When(dataset.Col("qty").Gt(dataset.Lit(int64(2))), dataset.LitDecimal("1.5")).
			Otherwise(dataset.LitDecimal("-0.125")).As("w"),
		dataset.If(dataset.Col("price").IsNull(), dataset.LitDecimal("0"), dataset.Col("price")).As("f"),
		dataset.Coalesce(dataset.Col("price"), dataset.LitDecimal("0")).As("c"),
	)
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	wantW := &arrow.Decimal128Type{Precision: 13, Scale: 3}
	wantF := &arrow.Decimal128Type{Precision: 12, Scale: 2}
	row := 0
	for _, r := range recs {
		if !arrow.TypeEqual(r.Column(0).DataType(), wantW) || !arrow.TypeEqual(r.Column(1).DataType(), wantF) {
			t.Fatalf("types %v, %v; want %v, %v", r.Column(0).DataType(), r.Column(1).DataType(), wantW, wantF)
		}
		w, f := r.Column(0).(*array.Decimal128), r.Column(1).(*array.Decimal128)
		for i := 0; i < int(r.NumRows()); i, row = i+1, row+1 {
			price, valid := cents[row].(int)
			var ww, wf string
			switch {
			case qty[row] > 5 && valid:
				ww = big.NewRat(int64(price), 100).FloatString(3)
			case qty[row] > 5:
				ww = "NULL"
			case qty[row] > 2:
				ww = "1.500"
			default:
				ww = "-0.125"
			}
			if valid {
				wf = big.NewRat(int64(price), 100).FloatString(2)
			} else {
				wf = "0.00"
			}
			if got := decimalCell(w, i, 3); got != ww {
				t.Fatalf("row %d (qty %d, price %v): when gives %s, want %s", row, qty[row], cents[row], got, ww)
			}
			if got := decimalCell(r.Column(2).(*array.Decimal128), i, 2); got != wf {
				t.Fatalf("row %d (price %v): coalesce gives %s, want %s", row, cents[row], got, wf)
			}
			if got := decimalCell(f, i, 2); got != wf {
				t.Fatalf("row %d (price %v): if gives %s, want %s", row, cents[row], got, wf)
			}
		}
	}
	if row != n {
		t.Fatalf("%d rows, want %d", row, n)
	}
}

func decimalCell(a *array.Decimal128, i int, scale int32) string {
	if a.IsNull(i) {
		return "NULL"
	}
	return fmt.Sprint(a.Value(i).ToString(scale))
}

// TestFilteredDecimalAggregate: Agg.Filter turns the argument into a conditional with a
// NULL branch, which must keep the decimal type (TPC-H Q8's sum(...) FILTER (WHERE ...)).
func TestFilteredDecimalAggregate(t *testing.T) {
	s := newSession()
	defer s.Close()
	big := dataset.Col("qty").Gt(dataset.Lit(int64(2)))
	d := prices(s, []any{150, nil, 275, 1000, 5}, []int64{1, 2, 3, 4, 5}).GroupBy().Agg(
		dataset.SumExpr(dataset.Col("price")).Filter(big).As("s"),
		dataset.MinExpr(dataset.Col("price")).Filter(big).As("m"))
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	sum, low := recs[0].Column(0).(*array.Decimal128), recs[0].Column(1).(*array.Decimal128)
	// qty > 2: 2.75, 10.00 and 0.05.
	if got := decimalCell(sum, 0, 2); got != "12.80" {
		t.Errorf("filtered sum %s, want 12.80", got)
	}
	if got := decimalCell(low, 0, 2); got != "0.05" {
		t.Errorf("filtered min %s, want 0.05", got)
	}
}
