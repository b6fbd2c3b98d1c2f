package eval

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestFilterKeepingAgainstOracle: a filter that keeps some columns evaluates its
// condition on columns it does not keep, and passes on only the kept ones, for batches
// where no row, some rows (NULL conditions among them) and every row pass.
func TestFilterKeepingAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	kept := []string{"s", "d", "f"} // a string, a dictionary string, a float with NULLs
	conds := []plan.Expr{
		exectest.Bin(plan.OpOr, exectest.Bin(plan.OpGt, exectest.Col("i"), exectest.Int(0)), exectest.Col("b")),
		exectest.Bool(true),
		exectest.Un(plan.OpIsNull, exectest.Col("j")),
	}
	conds = append(conds, filterConjunctConds()...)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cond := range conds {
		var batches []arrow.RecordBatch
		var want []map[string]any
		var keep []int
		for _, n := range []int{0, 1, 37, 300, 200} {
			rec := exectest.MakeExprBatch(mem, rng, n, n == 200)
			if keep == nil {
				for _, name := range kept {
					keep = append(keep, rec.Schema().FieldIndices(name)[0])
				}
			}
			for _, row := range exectest.RecordRows(t, rec) {
				if exectest.OracleEval(cond, row) == true {
					out := map[string]any{}
					for _, name := range kept {
						out[name] = row[name]
					}
					want = append(want, out)
				}
			}
			batches = append(batches, rec)
		}
		op := NewFilterKeeping(&exectest.Source{Batches: batches}, cond, keep, colop.Options{Mem: mem})
		if err := op.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, _ := exectest.DrainRows(t, op, true)
		for _, row := range got {
			if len(row) != len(kept) {
				t.Fatalf("%s: row has columns %v, want %v", cond, row, kept)
			}
		}
		exectest.SameRows(t, cond.String(), got, want)
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
