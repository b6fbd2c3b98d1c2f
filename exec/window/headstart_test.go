package window

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
)

// TestStackedWindowsShareOneHeadStart: windows stacked over one input keep a quarter of
// the task's share of the budget between them from Open, whatever their number, so that
// the operator below them keeps the rest (three windows keeping a quarter of the budget
// each held 3/4 of it and starved the sort below them once a second task ran). Each
// window's row numbers still equal the plain-Go count.
func TestStackedWindowsShareOneHeadStart(t *testing.T) {
	const budget = 256 << 20
	for _, c := range []struct{ stacked, tasks int }{{1, 1}, {2, 1}, {3, 1}, {5, 1}, {1, 2}, {3, 2}, {3, 8}} {
		stacked, tasks := c.stacked, c.tasks
		t.Run(fmt.Sprintf("windows=%d/tasks=%d", stacked, tasks), func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			m := kmemory.NewManager(kmemory.Config{Limit: budget})
			task := m.NewTask(t.Context(), "stacked windows")
			defer task.Close()
			rng := rand.New(rand.NewPCG(3, uint64(stacked)))
			in := genWinRows(rng, 200)
			slices.SortStableFunc(in, func(a, b []any) int {
				if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
					return c
				}
				return cmpKey(a[cO], b[cO], false, true)
			})
			var batches []arrow.RecordBatch
			for lo := 0; lo < len(in); lo += 9 {
				batches = append(batches, exectest.BuildBatch(t, mem, winSchema, in[lo:min(lo+9, len(in))]))
			}
			opts := colop.Options{Mem: mem, BatchRows: 16, Tasks: tasks, Reserve: func(name string, s kmemory.Spiller) colop.Reservation {
				return task.NewReservation(name, s)
			}}
			var op colop.Operator = &exectest.Source{Batches: batches}
			fields := slices.Clone(winSchema.Fields())
			for w := range stacked {
				e := wexpr(plan.WinRowNumber, fmt.Sprintf("rn%d", w), rangeF(unbP, 0))
				fields = append(fields, arrow.Field{Name: e.Name, Type: arrow.PrimitiveTypes.Int32, Nullable: true})
				op = NewWindow(op, &plan.PWindow{PartitionBy: []string{"p"}, OrderBy: []plan.SortKey{{Column: "o", NullsFirst: true}},
					Exprs: []plan.WindowExpr{e}, OutSchema: arrow.NewSchema(slices.Clone(fields), nil)}, opts)
			}
			if err := op.Open(t.Context()); err != nil {
				op.Close()
				t.Fatal(err)
			}
			headStart := int64(budget / tasks / windowShare)
			if used := task.Used(); used > headStart || used < headStart-int64(stacked) {
				op.Close()
				t.Fatalf("%d windows hold %d bytes after Open, want the one head start of %d", stacked, used, headStart)
			}
			out, err := exectest.Drain(t, op)
			op.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := exectest.RowsOf(t, out)
			if len(got) != len(in) {
				t.Fatalf("%d rows, want %d", len(got), len(in))
			}
			n := int32(0)
			for i, r := range got {
				if i > 0 && cmpKey(r[cP], got[i-1][cP], false, true) != 0 {
					n = 0
				}
				n++
				for w := range stacked {
					if rn := r[len(winSchema.Fields())+w]; rn != n {
						t.Fatalf("row %d: rn%d = %v, want %d", i, w, rn, n)
					}
				}
			}
			if used := task.Used(); used != 0 {
				t.Fatalf("task holds %d bytes after Close", used)
			}
		})
	}
}
