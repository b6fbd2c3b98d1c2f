package eval

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

func TestFilterAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	conds := []plan.Expr{
		exectest.Bin(plan.OpGt, exectest.Col("i"), exectest.Int(0)),
		exectest.Bin(plan.OpOr, exectest.Bin(plan.OpGt, exectest.Col("f"), exectest.Col("g")), exectest.Col("b")),
		exectest.Bin(plan.OpAnd, exectest.Call("contains", exectest.Col("s"), exectest.Str("a")), exectest.Un(plan.OpNot, exectest.Col("b"))),
		exectest.Bin(plan.OpEq, exectest.Col("d"), exectest.Str("x")),
		exectest.Bin(plan.OpEq, exectest.Col("s"), exectest.Str("abc")), // not "abcabc" nor "ABC"
		exectest.Bin(plan.OpEq, exectest.Col("s"), exectest.Str("")),
		exectest.Bin(plan.OpNotEq, exectest.Col("s"), exectest.Str("héllo")),
		exectest.Bin(plan.OpEq, exectest.Col("f"), exectest.Col("f")), // NaN = NaN is true
		exectest.Un(plan.OpIsNull, exectest.Col("i")),
		exectest.Col("b"),
		exectest.Bool(true), exectest.Bool(false), exectest.Null(arrow.FixedWidthTypes.Boolean),
	}
	conds = append(conds, filterConjunctConds()...)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, cond := range conds {
		var batches []arrow.RecordBatch
		var want []map[string]any
		for _, n := range []int{0, 1, 37, 0, 500, 1, 200} {
			rec := exectest.MakeExprBatch(mem, rng, n, n == 200)
			if n == 500 {
				sl := rec.NewSlice(5, 450)
				rec.Release()
				rec = sl
			}
			for _, row := range exectest.RecordRows(t, rec) {
				if exectest.OracleEval(cond, row) == true {
					want = append(want, row)
				}
			}
			batches = append(batches, rec)
		}
		src := &exectest.Source{Batches: batches}
		op := NewFilter(src, cond, colop.Options{Mem: mem})
		if err := op.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, _ := exectest.DrainRows(t, op, true)
		exectest.SameRows(t, cond.String(), got, want)
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
		if err := op.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
		if !src.Closed {
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
	op := NewFilter(&exectest.Source{Batches: []arrow.RecordBatch{rec}}, exectest.Bin(plan.OpGt, exectest.Col("i"), exectest.Int(0)), colop.Options{Mem: mem})
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
	for _, cond := range []plan.Expr{exectest.Col("i"), exectest.Col("missing")} {
		src := &exectest.Source{Batches: []arrow.RecordBatch{exectest.MakeExprBatch(mem, rng, 10, false), exectest.MakeExprBatch(mem, rng, 10, false)}}
		op := NewFilter(src, cond, colop.Options{Mem: mem})
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
		sb.Append(exectest.EvPoolS[rng.IntN(len(exectest.EvPoolS))])
	}
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64}, {Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, cols, rows)
	defer rec.Release()
	cond := exectest.Bin(plan.OpAnd, exectest.Bin(plan.OpGt, exectest.Col("i"), exectest.Int(0)), exectest.Bin(plan.OpLt, exectest.Col("f"), exectest.Float(50)))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		rec.Retain()
		op := NewFilter(&exectest.Source{Batches: []arrow.RecordBatch{rec}}, cond, colop.Options{Mem: mem})
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

// filterConjunctConds are conditions of several ANDed conjuncts for the oracle tests: a
// selective first one (rows are gathered before the rest), unselective ones (bitmaps
// ANDed), NULL conjuncts, a dictionary string, dates and one that no row passes.
func filterConjunctConds() []plan.Expr {
	and := func(es ...plan.Expr) plan.Expr {
		out := es[0]
		for _, e := range es[1:] {
			out = exectest.Bin(plan.OpAnd, out, e)
		}
		return out
	}
	gt := func(c string, v int64) plan.Expr { return exectest.Bin(plan.OpGt, exectest.Col(c), exectest.Int(v)) }
	lt := func(c string, v int64) plan.Expr { return exectest.Bin(plan.OpLt, exectest.Col(c), exectest.Int(v)) }
	return []plan.Expr{
		and(lt("i", -30), exectest.Bin(plan.OpEq, exectest.Col("d"), exectest.Str("x")), exectest.Un(plan.OpNot, exectest.Col("b"))),
		and(gt("j", -3), gt("i", -40), lt("i", 40), exectest.Bin(plan.OpLt, exectest.Col("f"), exectest.Col("g"))),
		and(gt("i", -50), exectest.Bin(plan.OpEq, exectest.Col("f"), exectest.Col("f")), exectest.Call("contains", exectest.Col("s"), exectest.Str("a"))),
		and(exectest.Col("b"), exectest.Null(arrow.FixedWidthTypes.Boolean), gt("i", 0)),
		and(gt("j", 0), exectest.Bin(plan.OpAnd, exectest.Un(plan.OpIsNotNull, exectest.Col("dt")), exectest.Bin(plan.OpNotEq, exectest.Col("s"), exectest.Str("abc")))),
		and(lt("j", -2), gt("j", 2), exectest.Col("b")),
		and(exectest.Bool(true), exectest.Bool(true), exectest.Un(plan.OpIsNull, exectest.Col("i"))),
	}
}
