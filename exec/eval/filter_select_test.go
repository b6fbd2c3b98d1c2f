package eval

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// drainSelected reads sel through NextSelected to its end and returns the selected rows
// (every row of a batch without a selection), checking that each selection is ascending,
// within its batch and not empty.
func drainSelected(t *testing.T, sel colop.Selector) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for {
		rec, idx, err := sel.NextSelected()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		all := exectest.RecordRows(t, rec)
		if idx == nil {
			if len(all) == 0 {
				t.Error("a batch with no rows")
			}
			rows = append(rows, all...)
		}
		if idx != nil && len(idx) == 0 {
			t.Error("an empty selection")
		}
		for k, i := range idx {
			if int(i) >= len(all) || (k > 0 && idx[k-1] >= i) {
				t.Fatalf("selection %v over %d rows", idx, len(all))
			}
			rows = append(rows, all[i])
		}
		rec.Release()
	}
}

// TestFilterNextSelectedAgainstOracle checks that the rows a filter selects (its batch
// uncopied and a selection vector) are the rows its condition keeps, for single and
// ANDed conditions, also through a projection of columns, which passes the selection on.
func TestFilterNextSelectedAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	conds := append([]plan.Expr{
		exectest.Bin(plan.OpGt, exectest.Col("i"), exectest.Int(0)),
		exectest.Bin(plan.OpEq, exectest.Col("d"), exectest.Str("x")),
		exectest.Col("b"),
		exectest.Bool(true), exectest.Bool(false),
	}, filterConjunctConds()...)
	rng := rand.New(rand.NewPCG(11, 12))
	for _, cond := range conds {
		for _, project := range []bool{false, true} {
			var batches []arrow.RecordBatch
			var want []map[string]any
			for _, n := range []int{0, 1, 37, 500, 200} {
				rec := exectest.MakeExprBatch(mem, rng, n, n == 200)
				for _, row := range exectest.RecordRows(t, rec) {
					if exectest.OracleEval(cond, row) == true {
						if project {
							row = map[string]any{"i": row["i"], "s_alias": row["s"]}
						}
						want = append(want, row)
					}
				}
				batches = append(batches, rec)
			}
			src := &exectest.Source{Batches: batches}
			var op colop.Operator = NewFilter(src, cond, colop.Options{Mem: mem})
			if project {
				op = columnProjection(op, mem)
			}
			s := op.(colop.Selector)
			if err := op.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !s.Selects() {
				t.Fatalf("%s: Selects is false", cond)
			}
			exectest.SameRows(t, cond.String(), drainSelected(t, s), want)
			if err := op.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// columnProjection projects in to i and s AS s_alias.
func columnProjection(in colop.Operator, mem memory.Allocator) *ProjectOp {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s_alias", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	exprs := []plan.Expr{exectest.Col("i"), &plan.Alias{Child: exectest.Col("s"), Name: "s_alias"}}
	return NewProject(in, exprs, schema, colop.Options{Mem: mem})
}

// TestProjectSelectsOnlyColumns checks that a projection passes a selection on only when
// it shares its input's columns: a computed column would be computed for every row.
func TestProjectSelectsOnlyColumns(t *testing.T) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	filter := NewFilter(&exectest.Source{}, exectest.Bool(true), colop.Options{Mem: mem})
	computed := NewProject(filter, []plan.Expr{exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Int(1))}, schema, colop.Options{Mem: mem})
	if computed.Selects() {
		t.Error("a computed projection selects")
	}
	if !columnProjection(filter, mem).Selects() {
		t.Error("a projection of columns over a filter does not select")
	}
	plain := NewProject(&exectest.Source{}, []plan.Expr{exectest.Col("x")}, schema, colop.Options{Mem: mem})
	if plain.Selects() {
		t.Error("a projection over a source that does not select selects")
	}
}
