package exec

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// evDrain pulls every batch of op, checks none is empty when forbidEmpty, and returns
// the rows; it releases the batches.
func evDrain(t *testing.T, op Operator, forbidEmpty bool) ([]map[string]any, int) {
	t.Helper()
	var rows []map[string]any
	batches := 0
	for {
		rec, err := op.Next()
		if errors.Is(err, io.EOF) {
			return rows, batches
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if forbidEmpty && rec.NumRows() == 0 {
			t.Errorf("operator returned an empty batch")
		}
		batches++
		rows = append(rows, evRecordRows(t, rec)...)
		rec.Release()
	}
}

func evSameRows(t *testing.T, what string, got, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		for k, w := range want[i] {
			if g, ok := got[i][k]; !ok || !oEqual(g, w) {
				t.Fatalf("%s: row %d column %s: got %#v, want %#v", what, i, k, got[i][k], w)
			}
		}
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s: row %d has columns %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestFilterAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	conds := []plan.Expr{
		eBin(plan.OpGt, eCol("i"), eInt(0)),
		eBin(plan.OpOr, eBin(plan.OpGt, eCol("f"), eCol("g")), eCol("b")),
		eBin(plan.OpAnd, eCall("contains", eCol("s"), eStr("a")), eUn(plan.OpNot, eCol("b"))),
		eBin(plan.OpEq, eCol("d"), eStr("x")),
		eBin(plan.OpEq, eCol("f"), eCol("f")), // NaN = NaN is true
		eUn(plan.OpIsNull, eCol("i")),
		eCol("b"),
		eBool(true), eBool(false), eNull(arrow.FixedWidthTypes.Boolean),
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cond := range conds {
		var batches []arrow.RecordBatch
		var want []map[string]any
		for _, n := range []int{0, 1, 37, 0, 500, 1, 200} {
			rec := evMakeBatch(mem, rng, n, n == 200)
			if n == 500 {
				sl := rec.NewSlice(5, 450)
				rec.Release()
				rec = sl
			}
			for _, row := range evRecordRows(t, rec) {
				if oEval(cond, row) == true {
					want = append(want, row)
				}
			}
			batches = append(batches, rec)
		}
		src := &evTestSource{batches: batches}
		op := NewFilter(src, cond, mem)
		if err := op.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, _ := evDrain(t, op, true)
		evSameRows(t, cond.String(), got, want)
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
		if err := op.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
		if !src.closed {
			t.Errorf("%s: input not closed", cond)
		}
	}
}

// TestFilterPassThrough checks that a batch whose rows all pass is handed on as is.
func TestFilterPassThrough(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{1, 2, 3}, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, 3)
	col.Release()
	op := NewFilter(&evTestSource{batches: []arrow.RecordBatch{rec}}, eBin(plan.OpGt, eCol("i"), eInt(0)), mem)
	defer op.Close()
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := op.Next()
	if err != nil {
		t.Fatal(err)
	}
	if out != rec {
		t.Errorf("all-pass batch was copied")
	}
	out.Release()
	if _, err := op.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("want EOF, got %v", err)
	}
}

func TestFilterErrors(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, cond := range []plan.Expr{eCol("i"), eCol("missing")} {
		src := &evTestSource{batches: []arrow.RecordBatch{evMakeBatch(mem, rng, 10, false), evMakeBatch(mem, rng, 10, false)}}
		op := NewFilter(src, cond, mem)
		if err := op.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		out, err := op.Next()
		if err == nil {
			out.Release()
			t.Errorf("%s: no error", cond)
		} else if !strings.HasPrefix(err.Error(), "exec: ") {
			t.Errorf("%s: error %q lacks the package prefix", cond, err)
		}
		op.Close()
	}
}

// BenchmarkEvalFilter filters 64Ki-row batches by (i > 0 AND f < 50.0), about half
// of the rows passing, and reports rows per second.
func BenchmarkEvalFilter(b *testing.B) {
	mem := memory.NewGoAllocator()
	const rows = 1 << 16
	rng := rand.New(rand.NewPCG(11, 12))
	ib := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	sb := array.NewStringBuilder(mem)
	for i := 0; i < rows; i++ {
		ib.Append(rng.Int64N(200) - 50)
		fb.Append(rng.Float64() * 100)
		sb.Append(evPoolS[rng.IntN(len(evPoolS))])
	}
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64}, {Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, cols, rows)
	defer rec.Release()
	cond := eBin(plan.OpAnd, eBin(plan.OpGt, eCol("i"), eInt(0)), eBin(plan.OpLt, eCol("f"), eFlt(50)))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		rec.Retain()
		op := NewFilter(&evTestSource{batches: []arrow.RecordBatch{rec}}, cond, mem)
		if err := op.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		out, err := op.Next()
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
		op.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
