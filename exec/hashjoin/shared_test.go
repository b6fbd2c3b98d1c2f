package hashjoin

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// sharedTask is one task of a stage with a broadcast join: its own probe partition and
// its own (identical) read of the build side.
type sharedTask struct {
	lrows [][]any
	build *exectest.Source
	res   *exectest.FakeReservation
	got   [][]any
	err   error
}

// TestHashJoinSharedBuild runs the tasks of a stage concurrently over one SharedBuild:
// each task's rows are its own partition's join, the build input is read by one task
// only, its memory is held once by the shared reservation until Release, and the tasks'
// reservations hold none of it. Every kind that does not track build rows, with and
// without a residual, and an empty build side.
func TestHashJoinSharedBuild(t *testing.T) {
	c := hjCases()[0]
	kinds := []plan.JoinKind{plan.InnerJoin, plan.LeftJoin, plan.LeftSemiJoin, plan.LeftAntiJoin}
	for _, kind := range kinds {
		for _, residual := range []bool{false, true} {
			for _, empty := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/residual=%v/empty=%v", kind, residual, empty), func(t *testing.T) {
					mem := memtest.Checked()
					defer mem.AssertSize(t, 0)
					rng := rand.New(rand.NewPCG(3, uint64(kind)))
					rrows := hjGenRows(rng, c.right, c.rkeys, 300, 0, 150, "r")
					if empty {
						rrows = nil
					}
					node := sharedNode(c, kind, residual)
					shared := &exectest.FakeReservation{Limit: 1 << 40}
					sb := NewSharedBuild(shared)
					tasks := make([]*sharedTask, 5)
					for i := range tasks {
						lrows := hjGenRows(rng, c.left, c.lkeys, 200+i*50, 0, 200, fmt.Sprintf("l%d-", i))
						tasks[i] = &sharedTask{lrows: lrows, res: &exectest.FakeReservation{Limit: 1 << 40},
							build: &exectest.Source{Batches: hjBatches(t, mem, c.right, hjHalves(rrows))}}
					}
					var wg sync.WaitGroup
					for _, tk := range tasks {
						wg.Go(func() { tk.got, tk.err = runSharedTask(t, mem, tk, node, sb, c) })
					}
					wg.Wait()
					drained := 0
					for i, tk := range tasks {
						if tk.err != nil {
							t.Fatalf("task %d: %v", i, tk.err)
						}
						want := sharedWant(c, kind, residual, tk.lrows, rrows)
						if g, w := hjRowKeys(tk.got), hjRowKeys(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
							t.Fatalf("task %d: got %d rows, want %d", i, len(g), len(w))
						}
						if tk.build.Pos > 0 {
							drained++
						}
						if tk.res.Held != 0 {
							t.Errorf("task %d holds %d bytes after Close", i, tk.res.Held)
						}
					}
					if drained != 1 && !empty {
						t.Errorf("the build input was read by %d tasks, want 1", drained)
					}
					if shared.Held == 0 && !empty {
						t.Error("the shared reservation holds nothing")
					}
					sb.Release()
					sb.Release()
					if shared.Held != 0 || !shared.Freed {
						t.Errorf("after Release the shared reservation holds %d, freed %v", shared.Held, shared.Freed)
					}
				})
			}
		}
	}
}

// TestHashJoinSharedBuildFallbacks: a builder that fails hands the turn to the next
// task; a shared reservation that refuses the bytes leaves every task its own build.
func TestHashJoinSharedBuildFallbacks(t *testing.T) {
	c := hjCases()[0]
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	rrows := hjGenRows(rng, c.right, c.rkeys, 300, 0, 150, "r")
	lrows := hjGenRows(rng, c.left, c.lkeys, 300, 0, 200, "l")
	node := sharedNode(c, plan.InnerJoin, false)
	want := sharedWant(c, plan.InnerJoin, false, lrows, rrows)
	for _, limit := range []int64{1 << 40, 0} {
		shared := &exectest.FakeReservation{Limit: limit}
		sb := NewSharedBuild(shared)
		broken := errors.New("build input failed")
		failing := &sharedTask{lrows: lrows, res: &exectest.FakeReservation{Limit: 1 << 40},
			build: &exectest.Source{Batches: hjBatches(t, mem, c.right, hjHalves(rrows)), Err: broken}}
		failing.build.Batches[1].Release()
		failing.build.Batches = failing.build.Batches[:1]
		if _, err := runSharedTask(t, mem, failing, node, sb, c); !errors.Is(err, broken) {
			t.Fatalf("limit %d: failing builder: %v", limit, err)
		}
		drained := 0
		for i := range 3 {
			tk := &sharedTask{lrows: lrows, res: &exectest.FakeReservation{Limit: 1 << 40},
				build: &exectest.Source{Batches: hjBatches(t, mem, c.right, hjHalves(rrows))}}
			got, err := runSharedTask(t, mem, tk, node, sb, c)
			if err != nil {
				t.Fatalf("limit %d task %d: %v", limit, i, err)
			}
			if g, w := hjRowKeys(got), hjRowKeys(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Fatalf("limit %d task %d: got %d rows, want %d", limit, i, len(g), len(w))
			}
			if tk.build.Pos > 0 {
				drained++
			}
		}
		if wantDrained := map[bool]int{true: 1, false: 3}[limit > 0]; drained != wantDrained {
			t.Errorf("limit %d: the build input was read by %d tasks, want %d", limit, drained, wantDrained)
		}
		sb.Release()
		if shared.Held != 0 {
			t.Errorf("limit %d: shared reservation holds %d after Release", limit, shared.Held)
		}
	}
}

func sharedNode(c hjCase, kind plan.JoinKind, residual bool) *plan.PHashJoin {
	node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: plan.BuildRight, Broadcast: true,
		OutSchema: hjOutSchema(c.left, c.right, kind)}
	if residual {
		node.PairSchema = pairSchemaOf(c.left, c.right)
		node.Residual = &plan.Binary{Op: plan.OpLt, Left: &plan.ColumnRef{Name: "lv"}, Right: &plan.ColumnRef{Name: "rv"}}
	}
	return node
}

func sharedWant(c hjCase, kind plan.JoinKind, residual bool, lrows, rrows [][]any) [][]any {
	lk, rk := []int{0}, []int{0}
	if residual {
		return hjOracleCond(lrows, rrows, lk, rk, 1, 1, c.left.NumFields(), c.right.NumFields(), kind)
	}
	return hjOracle(lrows, rrows, lk, rk, c.left.NumFields(), c.right.NumFields(), kind)
}

// runSharedTask runs one task's join over the shared build side to its end.
func runSharedTask(t *testing.T, mem memory.Allocator, tk *sharedTask, node *plan.PHashJoin, sb *SharedBuild, c hjCase) ([][]any, error) {
	probe := &exectest.Source{Batches: hjBatches(t, mem, c.left, hjHalves(tk.lrows))}
	op := NewHashJoin(probe, tk.build, node, colop.Options{Mem: mem}.WithReservation(tk.res))
	op.SetEval(residualEval)
	op.SetShared(sb)
	out, err := exectest.Drain(t, op)
	if cerr := op.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return exectest.RowsOf(t, out), nil
}
