package dataset_test

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// TestLiteralCastsFoldLikeColumns runs each cast on a literal (folded by the optimizer)
// and on a column holding the same value (computed by the evaluator) and requires the
// same result: floats to strings (Java's Double.toString format), out-of-range floats,
// NaN and infinities to integer types (saturating, NaN → 0), integers to narrower
// integer types (wrapping).
func TestLiteralCastsFoldLikeColumns(t *testing.T) {
	s := newSession()
	defer s.Close()
	floats := []float64{1.5, 0.1, 1e7, 1.0e-4, 123456789.125, math.Copysign(0, -1), 0, 3e9, -3e9, 1e19, -1e19,
		math.NaN(), math.Inf(1), math.Inf(-1), 2.5, -2.5, 1e300, 100, 1234567.0, 0.001}
	ints := []int64{300, -129, 1 << 40, -(1 << 33), 65536, 255, -1, 0, math.MaxInt64, math.MinInt64}
	targets := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int8,
	}
	run := func(name string, colType arrow.DataType, n int, fill func(b array.Builder), lit func(k int) dataset.Expr) {
		t.Helper()
		schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: colType}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		fill(b.Field(0))
		rec := b.NewRecordBatch()
		defer rec.Release()
		for _, to := range targets {
			var exprs []dataset.Expr
			exprs = append(exprs, dataset.Col("x").Cast(to).As("col"))
			for k := 0; k < n; k++ {
				exprs = append(exprs, lit(k).Cast(to).As("lit"+string(rune('a'+k))))
			}
			recs, err := s.FromRecords(rec).Select(exprs...).Collect(context.Background())
			if err != nil {
				t.Fatalf("%s to %s: %v", name, to, err)
			}
			row := 0
			for _, r := range recs {
				for i := 0; i < int(r.NumRows()); i++ {
					got, want := r.Column(1+row).ValueStr(i), r.Column(0).ValueStr(i)
					if r.Column(1+row).IsNull(i) != r.Column(0).IsNull(i) || got != want {
						t.Errorf("cast(%s row %d as %s): literal gives %q, column %q", name, row, to, got, want)
					}
					row++
				}
				r.Release()
			}
		}
	}
	run("float64", arrow.PrimitiveTypes.Float64, len(floats),
		func(b array.Builder) { b.(*array.Float64Builder).AppendValues(floats, nil) },
		func(k int) dataset.Expr { return dataset.Lit(floats[k]) })
	run("int64", arrow.PrimitiveTypes.Int64, len(ints),
		func(b array.Builder) { b.(*array.Int64Builder).AppendValues(ints, nil) },
		func(k int) dataset.Expr { return dataset.Lit(ints[k]) })
}
