package hashjoin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestHashJoinResidualColumnCompare checks the residuals decided straight from the
// columns (a comparison of an integer column of each side, either way round) against
// a nested-loop oracle, every kind and build side, with NULL keys and values, and that
// the evaluator is never called for them.
func TestHashJoinResidualColumnCompare(t *testing.T) {
	f := func(name string, dt arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: true}
	}
	for _, dt := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32} {
		left := arrow.NewSchema([]arrow.Field{f("k", arrow.PrimitiveTypes.Int64), f("lv", dt)}, nil)
		right := arrow.NewSchema([]arrow.Field{f("rv", dt), f("k", arrow.PrimitiveTypes.Int64)}, nil)
		rng := rand.New(rand.NewPCG(9, uint64(dt.ID())))
		gen := func(n int, keyCol, valCol int) [][]any {
			rows := make([][]any, n)
			for i := range rows {
				row := make([]any, 2)
				if rng.IntN(10) > 0 {
					row[keyCol] = int64(rng.IntN(30))
				}
				if rng.IntN(10) > 0 {
					row[valCol] = hjValue(dt, rng.IntN(5)-2)
				}
				rows[i] = row
			}
			return rows
		}
		lrows, rrows := gen(150, 0, 1), gen(120, 1, 0)
		for op, name := range map[plan.BinaryOp]string{plan.OpEq: "=", plan.OpNotEq: "!=", plan.OpLt: "<", plan.OpLtEq: "<=", plan.OpGt: ">", plan.OpGtEq: ">="} {
			for _, flipped := range []bool{false, true} {
				holds := func(l, r []any) bool {
					if l[0] == nil || r[1] == nil || l[0] != r[1] || l[1] == nil || r[0] == nil {
						return false
					}
					a, b := exectest.ToInt64(l[1]), exectest.ToInt64(r[0])
					if flipped {
						a, b = b, a
					}
					return map[plan.BinaryOp]bool{plan.OpEq: a == b, plan.OpNotEq: a != b, plan.OpLt: a < b,
						plan.OpLtEq: a <= b, plan.OpGt: a > b, plan.OpGtEq: a >= b}[op]
				}
				cond := &plan.Binary{Op: op, Left: &plan.ColumnRef{Name: "lv"}, Right: &plan.ColumnRef{Name: "rv"}}
				if flipped {
					cond = &plan.Binary{Op: op, Left: &plan.ColumnRef{Name: "rv"}, Right: &plan.ColumnRef{Name: "lv"}}
				}
				for _, kind := range hjAllKinds {
					for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
						t.Run(fmt.Sprintf("%s/%s/flipped=%v/%s/build=%d", dt, name, flipped, kind, build), func(t *testing.T) {
							mem := memtest.Checked()
							defer mem.AssertSize(t, 0)
							node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: kind, Build: build,
								OutSchema: hjOutSchema(left, right, kind), PairSchema: pairSchemaOf(left, right), Residual: cond}
							want := rangeOracle(lrows, rrows, 2, 2, kind, holds)
							got := hjRunNoEval(t, mem, hjBatches(t, mem, left, hjHalves(lrows)), hjBatches(t, mem, right, hjHalves(rrows)), node)
							if g, w := hjRowKeys(got), hjRowKeys(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
								t.Fatalf("got %d rows, want %d\ngot:\n%s\nwant:\n%s", len(g), len(w), strings.Join(g, "\n"), strings.Join(w, "\n"))
							}
						})
					}
				}
			}
		}
	}
}

// hjRunNoEval runs a join whose residual must be decided without the evaluator.
func hjRunNoEval(t *testing.T, mem memory.Allocator, left, right []arrow.RecordBatch, node *plan.PHashJoin) [][]any {
	t.Helper()
	op := NewHashJoin(&exectest.Source{Batches: left}, &exectest.Source{Batches: right}, node, colop.Options{Mem: mem})
	op.batchRows = 16 // a probe row's candidates span several decisions
	op.SetEval(func(context.Context, plan.Expr, arrow.RecordBatch, memory.Allocator) (arrow.Array, error) {
		return nil, fmt.Errorf("the evaluator was called for %s", node.Residual)
	})
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		t.Fatal(err)
	}
	return exectest.RowsOf(t, out)
}
