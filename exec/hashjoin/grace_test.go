package hashjoin

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/internal/memtest"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
)

// graceInput is one side of a grace join test: its rows cut into batches of about 250
// (100 under the race detector, whose tests are smaller).
type graceInput struct {
	schema *arrow.Schema
	parts  [][][]any
}

func graceSplit(rows [][]any) [][][]any {
	parts := [][][]any{{}} // an empty batch first
	for len(rows) > 0 {
		n := min(len(rows), 250)
		if exectest.RaceDetector {
			n = min(len(rows), 100)
		}
		if len(parts) == 3 {
			n = 1 // and a one-row batch
		}
		parts = append(parts, rows[:n])
		rows = rows[n:]
	}
	return parts
}

func (in graceInput) batches(t testing.TB, mem memory.Allocator) ([]arrow.RecordBatch, int64) {
	bs := hjBatches(t, mem, in.schema, in.parts)
	var size int64
	for _, b := range bs {
		size += int64(util.TotalRecordSize(b))
	}
	return bs, size
}

func sizeOf(t testing.TB, in graceInput) int64 {
	mem := memory.NewGoAllocator()
	bs, size := in.batches(t, mem)
	for _, b := range bs {
		b.Release()
	}
	return size
}

// graceRun runs the join with res and the spill manager (nil: in memory) and returns its
// rows as sorted strings.
func graceRun(t *testing.T, mem memory.Allocator, left, right graceInput, node *plan.PHashJoin, res colop.Reservation, spill bool) ([]string, *HashJoinOp, error) {
	t.Helper()
	lb, _ := left.batches(t, mem)
	rb, _ := right.batches(t, mem)
	op := NewHashJoin(&exectest.Source{Batches: lb}, &exectest.Source{Batches: rb}, node, colop.Options{Mem: mem}.WithReservation(res))
	op.batchRows = 3000
	if spill {
		op.spillManager = exectest.NewTestSpill(t)
	}
	out, err := exectest.Drain(t, op)
	if cerr := op.Close(); cerr != nil {
		t.Errorf("Close: %v", cerr)
	}
	if op.spillManager != nil {
		exectest.AssertSpillDirEmpty(t, op.spillManager)
	}
	if err != nil {
		for _, b := range out {
			b.Release()
		}
		return nil, op, err
	}
	for _, b := range out {
		if b.NumRows() > 3000 {
			t.Errorf("batch of %d rows", b.NumRows())
		}
	}
	return hjRowKeys(exectest.RowsOf(t, out)), op, nil
}

// graceData makes inputs with duplicate keys, NULL keys and keys missing on either side.
func graceData(seed uint64, c hjCase, nl, nr int, lr, rr [2]int) (graceInput, graceInput) {
	rng := rand.New(rand.NewPCG(seed, 99))
	l := hjGenRows(rng, c.left, c.lkeys, nl, lr[0], lr[1], "l")
	r := hjGenRows(rng, c.right, c.rkeys, nr, rr[0], rr[1], "r")
	return graceInput{c.left, graceSplit(l)}, graceInput{c.right, graceSplit(r)}
}

func TestHashJoinGraceMatchesInMemory(t *testing.T) {
	cases := hjCases()
	type dataset struct {
		c      hjCase
		nl, nr int
		lr, rr [2]int
	}
	sets := []dataset{
		{cases[0], 4000, 6000, [2]int{0, 900}, [2]int{450, 1350}}, // int64 keys
		{cases[5], 4000, 4000, [2]int{0, 36}, [2]int{18, 54}},     // int64+string / int32+dict keys
	}
	for si, ds := range sets {
		if exectest.RaceDetector {
			ds.nl, ds.nr = ds.nl/2, ds.nr/2
		}
		left, right := graceData(uint64(si), ds.c, ds.nl, ds.nr, ds.lr, ds.rr)
		for _, kind := range hjAllKinds {
			for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
				if si > 0 && build == plan.BuildLeft && kind != plan.InnerJoin && kind != plan.RightJoin {
					continue
				}
				if exectest.RaceDetector && si > 0 && kind != plan.InnerJoin && kind != plan.FullJoin {
					continue // the race detector makes the many partition files slow
				}
				name := fmt.Sprintf("%s/%s/build=%s", ds.c.name, kind, map[plan.BuildSide]string{plan.BuildRight: "right", plan.BuildLeft: "left"}[build])
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					mem := memtest.Checked()
					defer mem.AssertSize(t, 0)
					node := &plan.PHashJoin{LeftKeys: ds.c.lkeys, RightKeys: ds.c.rkeys, Kind: kind, Build: build,
						OutSchema: hjOutSchema(ds.c.left, ds.c.right, kind)}
					want, _, err := graceRun(t, mem, left, right, node, nil, false)
					if err != nil {
						t.Fatal(err)
					}
					buildSize := sizeOf(t, right)
					if build == plan.BuildLeft {
						buildSize = sizeOf(t, left)
					}
					res := &exectest.LimitReservation{Limit: buildSize / 10}
					got, op, err := graceRun(t, mem, left, right, node, res, true)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("grace join: %d rows, in memory %d rows; they differ", len(got), len(want))
					}
					if op.SpillCount() == 0 || op.SpilledBytes() == 0 {
						t.Errorf("no spill: count %d, bytes %d", op.SpillCount(), op.SpilledBytes())
					}
					if res.Peak > res.Limit || res.Held != 0 {
						t.Errorf("peak %d, limit %d, held after Close %d", res.Peak, res.Limit, res.Held)
					}
					t.Logf("%d rows, build %d bytes, limit %d: %d spills, %d bytes spilled", len(got), buildSize, res.Limit,
						op.SpillCount(), op.SpilledBytes())
				})
			}
		}
	}
}

// TestHashJoinGraceRealManager runs a grace join under the memory manager.
func TestHashJoinGraceRealManager(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	c := hjCases()[0]
	left, right := graceData(7, c, 3000, 5000, [2]int{0, 700}, [2]int{350, 1050})
	node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: plan.FullJoin, Build: plan.BuildRight,
		OutSchema: hjOutSchema(c.left, c.right, plan.FullJoin)}
	want, _, err := graceRun(t, mem, left, right, node, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	limit := sizeOf(t, right) / 10
	mgr := kmemory.NewManager(kmemory.Config{Limit: limit})
	got, op, err := graceRun(t, mem, left, right, node, mgr.NewReservation("join"), true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("grace join: %d rows, in memory %d rows; they differ", len(got), len(want))
	}
	st := mgr.Stats()
	if op.SpillCount() == 0 || st.PeakExecution > limit || st.ExecutionUsed != 0 {
		t.Errorf("spills %d, peak %d of %d, %d still held", op.SpillCount(), st.PeakExecution, limit, st.ExecutionUsed)
	}
}

// TestHashJoinSpillCalledByAnotherConsumer makes the join spill through memory.Spiller while
// it drains its build side.
func TestHashJoinSpillCalledByAnotherConsumer(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	c := hjCases()[0]
	left, right := graceData(3, c, 3000, 4000, [2]int{0, 500}, [2]int{200, 700})
	for _, kind := range []plan.JoinKind{plan.LeftAntiJoin, plan.RightJoin} {
		node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: plan.BuildRight,
			OutSchema: hjOutSchema(c.left, c.right, kind)}
		want, _, err := graceRun(t, mem, left, right, node, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		lb, _ := left.batches(t, mem)
		rb, _ := right.batches(t, mem)
		res := &exectest.LimitReservation{Limit: 1 << 40}
		src := &exectest.Source{Batches: rb, At: 3}
		op := NewHashJoin(&exectest.Source{Batches: lb}, src, node, colop.Options{Mem: mem}.WithReservation(res))
		op.spillManager = exectest.NewTestSpill(t)
		if freed, err := op.Spill(1); freed != 0 || err != nil {
			t.Errorf("Spill before Open: %d, %v", freed, err)
		}
		var freed []int64
		src.Hook = func() {
			n, err := op.Spill(1)
			if err != nil {
				t.Errorf("Spill: %v", err)
			}
			freed = append(freed, n)
			if res.Held != 0 {
				t.Errorf("after Spill the reservation holds %d", res.Held)
			}
		}
		out, err := exectest.Drain(t, op)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := op.Spill(1); n != 0 || err != nil {
			t.Errorf("Spill after the build side: %d, %v", n, err)
		}
		got := hjRowKeys(exectest.RowsOf(t, out))
		op.Close()
		exectest.AssertSpillDirEmpty(t, op.spillManager)
		if len(freed) != 1 || freed[0] <= 0 || op.SpillCount() < 1 {
			t.Errorf("Spill freed %v, SpillCount %d", freed, op.SpillCount())
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: %d rows, in memory %d rows; they differ", kind, len(got), len(want))
		}
	}
}

func TestHashJoinGraceBudgetErrors(t *testing.T) {
	c := hjCases()[0]
	t.Run("one-batch-too-big", func(t *testing.T) {
		mem := memtest.Checked()
		defer mem.AssertSize(t, 0)
		left, right := graceData(4, c, 2000, 5000, [2]int{0, 100}, [2]int{0, 100})
		node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: plan.InnerJoin, Build: plan.BuildRight,
			OutSchema: hjOutSchema(c.left, c.right, plan.InnerJoin)}
		res := &exectest.LimitReservation{Limit: 1000}
		_, _, err := graceRun(t, mem, left, right, node, res, true)
		if !errors.Is(err, kmemory.ErrBudgetExceeded) {
			t.Fatalf("err = %v, want one wrapping memory.ErrBudgetExceeded", err)
		}
		if res.Held != 0 {
			t.Errorf("reservation holds %d", res.Held)
		}
	})
	t.Run("one-key-too-big", func(t *testing.T) {
		// Every build row has one key: no level of partitioning can split it.
		mem := memtest.Checked()
		defer mem.AssertSize(t, 0)
		left, right := graceData(5, c, 100, 8000, [2]int{0, 2}, [2]int{1, 2})
		node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: plan.LeftJoin, Build: plan.BuildRight,
			OutSchema: hjOutSchema(c.left, c.right, plan.LeftJoin)}
		res := &exectest.LimitReservation{Limit: sizeOf(t, right) / 10}
		_, op, err := graceRun(t, mem, left, right, node, res, true)
		if !errors.Is(err, kmemory.ErrBudgetExceeded) || !strings.Contains(err.Error(), "repartitioning") {
			t.Fatalf("err = %v, want a repartitioning error wrapping memory.ErrBudgetExceeded", err)
		}
		if op.SpillCount() != hjGraceMaxLevel {
			t.Errorf("SpillCount %d, want %d", op.SpillCount(), hjGraceMaxLevel)
		}
		if res.Held != 0 {
			t.Errorf("reservation holds %d", res.Held)
		}
	})
}

// TestHashJoinGraceCloseEarly closes a grace join in the middle of its output.
func TestHashJoinGraceCloseEarly(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	c := hjCases()[0]
	left, right := graceData(6, c, 5000, 8000, [2]int{0, 1000}, [2]int{0, 1000})
	node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: plan.InnerJoin, Build: plan.BuildRight,
		OutSchema: hjOutSchema(c.left, c.right, plan.InnerJoin)}
	lb, _ := left.batches(t, mem)
	rb, size := right.batches(t, mem)
	res := &exectest.LimitReservation{Limit: size / 10}
	op := NewHashJoin(&exectest.Source{Batches: lb}, &exectest.Source{Batches: rb}, node, colop.Options{Mem: mem}.WithReservation(res))
	op.spillManager = exectest.NewTestSpill(t)
	defer op.Close()
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec, err := op.Next()
	if err != nil {
		t.Fatal(err)
	}
	rec.Release()
	if op.SpillCount() == 0 {
		t.Error("no spill")
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Held != 0 {
		t.Errorf("reservation holds %d", res.Held)
	}
	exectest.AssertSpillDirEmpty(t, op.spillManager)
}
