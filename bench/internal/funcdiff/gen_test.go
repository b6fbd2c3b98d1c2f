package funcdiff

import (
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestEqual(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		a, b any
		want bool
	}{
		{nil, nil, true}, {nil, int64(0), false}, {"", nil, false},
		{nan, nan, true}, {nan, 1.0, false}, {int64(3), 3.0, true},
		{1.0, 1.0 + 1e-12, true}, {1.0, 1.0 + 1e-6, false},
		{int64(1) << 60, int64(1)<<60 + 1, false}, {0.0, math.Copysign(0, -1), true},
		{math.Inf(1), math.Inf(1), true}, {math.Inf(1), math.MaxFloat64, false},
		{"é", "é", true}, {"e\u0301", "é", false}, {true, true, true}, {true, int64(1), false},
	} {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestGenerate checks the table is the same for a seed and covers what the brief of
// each column promises: NULLs, NaN, leap days, both ends of the date range.
func TestGenerate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a, b := Generate(mem, rows, seed), Generate(mem, rows, seed)
	defer a.Release()
	defer b.Release()
	if !array.RecordApproxEqual(a, b, array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
		t.Fatal("same seed, different tables")
	}
	d, err := DictStrings(mem, a)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if _, ok := d.Column(5).(*array.Dictionary); !ok || d.NumCols() != a.NumCols() {
		t.Errorf("DictStrings: s is %s", d.Column(5).DataType())
	}
	var nans, leap, minYear, maxYear int
	minYear, maxYear = 9999, 0
	xs := a.Column(3).(*array.Float64)
	ds := a.Column(7).(*array.Date32)
	for r := range rows {
		if xs.IsValid(r) && math.IsNaN(xs.Value(r)) {
			nans++
		}
		if ds.IsValid(r) {
			tm := ds.Value(r).ToTime()
			if tm.Month() == time.February && tm.Day() == 29 {
				leap++
			}
			minYear, maxYear = min(minYear, tm.Year()), max(maxYear, tm.Year())
		}
	}
	if nans == 0 || leap == 0 || a.Column(5).NullN() == 0 || minYear != 1900 || maxYear != 2100 {
		t.Errorf("NaNs %d, leap days %d, string NULLs %d, years %d–%d", nans, leap, a.Column(5).NullN(), minYear, maxYear)
	}
}
