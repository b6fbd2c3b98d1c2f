package sorting

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/internal/memtest"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
)

// bigSortInput builds n rows in batches of varied sizes (empty and one-row ones too).
func bigSortInput(t testing.TB, mem memory.Allocator, rng *rand.Rand, n int) ([]sortRow, []arrow.RecordBatch, int64) {
	var rows []sortRow
	var batches []arrow.RecordBatch
	var size int64
	for len(rows) < n {
		sizes := []int{0, 1, 700, 2000, 4096}
		if exectest.RaceDetector {
			sizes = []int{0, 1, 300, 800, 1500}
		}
		k := min(n-len(rows), sizes[rng.IntN(len(sizes))])
		part := genSortRows(rng, len(rows), k)
		rows = append(rows, part...)
		b := buildSortBatch(t, mem, part)
		size += int64(util.TotalRecordSize(b))
		batches = append(batches, b)
	}
	return rows, batches, size
}

// retained returns batches with one more reference each, for another run over them.
func retained(batches []arrow.RecordBatch) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		b.Retain()
		out[i] = b
	}
	return out
}

// runSort sorts batches (taking them) and returns the output ids, checking the other
// columns of every 61st row against its input row; it closes the operator.
func runSort(t *testing.T, op *SortOp, byID map[int64]sortRow, batchRows int) []int64 {
	t.Helper()
	op.batchRows = batchRows
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for {
		rec, err := op.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if batchRows > 0 && rec.NumRows() > int64(batchRows) {
			t.Errorf("batch of %d rows, at most %d allowed", rec.NumRows(), batchRows)
		}
		if !rec.Schema().Equal(sortSchema) {
			t.Fatalf("output schema %s", rec.Schema())
		}
		idc := rec.Column(0).(*array.Int64)
		for r := range int(rec.NumRows()) {
			id := idc.Value(r)
			ids = append(ids, id)
			if id%61 == 0 {
				checkSortCell(t, rec, r, byID[id])
			}
		}
		rec.Release()
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSortExternalMatchesInMemory(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 11))
	n, tenthRows, passRows := 300_000, 1000, 4096
	if exectest.RaceDetector {
		n, tenthRows, passRows = 100_000, 300, 1000
	}
	rows, batches, size := bigSortInput(t, mem, rng, n)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	byID := make(map[int64]sortRow, len(rows))
	for _, r := range rows {
		byID[r.id] = r
	}
	keys := []plan.SortKey{
		{Column: "u"}, // few values: long runs of ties test stability
		{Column: "f", Descending: true, NullsFirst: true},
		{Column: "s", NullsFirst: false},
	}
	node := &plan.PSort{Keys: keys}
	want := runSort(t, NewSort(&exectest.Source{Batches: retained(batches)}, node, colop.Options{Mem: mem}), byID, 0)
	if len(want) != len(rows) {
		t.Fatalf("in-memory sort returned %d rows of %d", len(want), len(rows))
	}
	// The in-memory sort is itself checked against a plain-Go stable sort.
	oracle := slices.Clone(rows)
	slices.SortStableFunc(oracle, func(a, b sortRow) int { return sortRowCmp(a, b, keys) })
	for i := range oracle {
		if oracle[i].id != want[i] {
			t.Fatalf("in-memory sort row %d: id %d, oracle %d", i, want[i], oracle[i].id)
		}
	}

	cases := []struct {
		name       string
		limit      int64
		batchRows  int
		wantPasses bool
	}{
		// A tenth of the input (with the sort's scratch about 20 runs).
		{"tenth", size / 10, tenthRows, false},
		// Big output batches make each run's merge buffers large, so the runs cannot all
		// be merged at once and intermediate passes happen.
		{"passes", size / 10, passRows, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sm := exectest.NewTestSpill(t)
			mgr := kmemory.NewManager(kmemory.Config{Limit: c.limit})
			res := mgr.NewReservation("sort")
			op := NewSort(&exectest.Source{Batches: retained(batches)}, node, colop.Options{Mem: mem}.WithReservation(res))
			op.spillManager = sm
			if c.wantPasses {
				// Runs written in big batches, as a sort that sized its merge chunks by
				// BatchRows alone did: their merge buffers do not all fit at once.
				op.runRows = c.batchRows
			}
			got := runSort(t, op, byID, c.batchRows)
			if !slices.Equal(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("row %d: id %d, in-memory run has %d (%d rows, want %d)", i, got[i], want[i], len(got), len(want))
					}
				}
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			if op.SpillCount() == 0 || op.SpilledBytes() == 0 {
				t.Errorf("no spill: count %d bytes %d", op.SpillCount(), op.SpilledBytes())
			}
			st := mgr.Stats()
			if st.PeakExecution > c.limit || st.ExecutionUsed != 0 {
				t.Errorf("peak %d over limit %d, or %d still held", st.PeakExecution, c.limit, st.ExecutionUsed)
			}
			if c.wantPasses && op.mergePasses == 0 {
				t.Errorf("%d merge passes (want passes: %v)", op.mergePasses, c.wantPasses)
			}
			t.Logf("input %d bytes, limit %d: %d spills, %d bytes spilled, %d merge passes, peak %d",
				size, c.limit, op.SpillCount(), op.SpilledBytes(), op.mergePasses, st.PeakExecution)
			exectest.AssertSpillDirEmpty(t, sm)
		})
	}
}

// TestSortSpillCalledByAnotherConsumer makes the sort spill through memory.Spiller while it
// consumes, as the memory manager does for another consumer of the task.
func TestSortSpillCalledByAnotherConsumer(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	rows, batches := sortCase(t, mem, rng, 6000)
	byID := make(map[int64]sortRow, len(rows))
	for _, r := range rows {
		byID[r.id] = r
	}
	keys := []plan.SortKey{{Column: "d", NullsFirst: true}, {Column: "i", Descending: true}}
	oracle := slices.Clone(rows)
	slices.SortStableFunc(oracle, func(a, b sortRow) int { return sortRowCmp(a, b, keys) })

	sm := exectest.NewTestSpill(t)
	res := &exectest.LimitReservation{Limit: 1 << 40}
	src := &exectest.Source{Batches: batches}
	op := NewSort(src, &plan.PSort{Keys: keys}, colop.Options{Mem: mem}.WithReservation(res))
	op.spillManager = sm
	var spilled []int64
	src.Hook = func() {
		freed, err := op.Spill(1)
		if err != nil {
			t.Errorf("Spill: %v", err)
		}
		spilled = append(spilled, freed)
		if res.Held != 0 {
			t.Errorf("after Spill the reservation holds %d", res.Held)
		}
	}
	src.At = len(batches) / 2
	if freed, err := op.Spill(100); freed != 0 || err != nil {
		t.Errorf("Spill before Open: %d, %v", freed, err)
	}
	ids, err := drainSort(t, op, byID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(spilled) != 1 || spilled[0] <= 0 {
		t.Errorf("Spill freed %v", spilled)
	}
	if freed, err := op.Spill(100); freed != 0 || err != nil {
		t.Errorf("Spill after the input: %d, %v", freed, err)
	}
	if op.SpillCount() != 1 {
		t.Errorf("SpillCount %d, want 1", op.SpillCount())
	}
	for i := range oracle {
		if i >= len(ids) || ids[i] != oracle[i].id {
			t.Fatalf("row %d differs from the stable oracle", i)
		}
	}
	op.Close()
	if res.Held != 0 {
		t.Errorf("reservation holds %d after Close", res.Held)
	}
	exectest.AssertSpillDirEmpty(t, sm)
}

func TestSortExternalBudgetTooSmall(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	_, batches, _ := bigSortInput(t, mem, rng, 20_000)
	sm := exectest.NewTestSpill(t)
	res := &exectest.LimitReservation{Limit: 2000}
	op := NewSort(&exectest.Source{Batches: batches}, &plan.PSort{Keys: []plan.SortKey{{Column: "s"}}}, colop.Options{Mem: mem}.WithReservation(res))
	op.spillManager = sm
	_, err := drainSort(t, op, nil, 0)
	if !errors.Is(err, kmemory.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want one wrapping memory.ErrBudgetExceeded", err)
	}
	op.Close()
	if res.Held != 0 {
		t.Errorf("reservation holds %d after Close", res.Held)
	}
	exectest.AssertSpillDirEmpty(t, sm)
}

var errSortInput = errors.New("input broke")

// TestSortExternalCleanup checks that runs are removed when the input fails and when the
// operator is closed in the middle of the merge.
func TestSortExternalCleanup(t *testing.T) {
	for _, mode := range []string{"input-error", "close-mid-merge"} {
		t.Run(mode, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(8, 9))
			_, batches, size := bigSortInput(t, mem, rng, 40_000)
			sm := exectest.NewTestSpill(t)
			res := &exectest.LimitReservation{Limit: size / 5}
			var in colop.Operator = &exectest.Source{Batches: batches}
			if mode == "input-error" {
				in = &exectest.Source{Batches: batches, Err: errSortInput}
			}
			op := NewSort(in, &plan.PSort{Keys: []plan.SortKey{{Column: "i"}, {Column: "s"}}}, colop.Options{Mem: mem}.WithReservation(res))
			op.spillManager = sm
			op.batchRows = 500
			if err := op.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			rec, err := op.Next()
			if mode == "input-error" {
				if !errors.Is(err, errSortInput) {
					t.Fatalf("err = %v", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				rec.Release()
				if op.SpillCount() == 0 {
					t.Fatal("no spill")
				}
			}
			op.Close()
			if res.Held != 0 {
				t.Errorf("reservation holds %d after Close", res.Held)
			}
			exectest.AssertSpillDirEmpty(t, sm)
		})
	}
}

// TestSortMergeChunksFollowTheBudget sorts under a budget smaller than one default output
// batch of these rows. Runs written and merged in BatchRows batches could not be merged
// even two at a time, so whether the sort finished depended on BatchRows; the merge
// chunks must follow the budget instead, and the output be the in-memory sort's.
func TestSortMergeChunksFollowTheBudget(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 5))
	rows, batches, size := bigSortInput(t, mem, rng, 60_000)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	byID := make(map[int64]sortRow, len(rows))
	for _, r := range rows {
		byID[r.id] = r
	}
	node := &plan.PSort{Keys: []plan.SortKey{{Column: "s"}, {Column: "u", Descending: true}}}
	want := runSort(t, NewSort(&exectest.Source{Batches: retained(batches)}, node, colop.Options{Mem: mem}), byID, 0)
	// Room for two input batches (the sort holds each batch it takes in whole), not for
	// merging two runs written in batches of the default 8192 rows.
	var maxBatch int64
	for _, b := range batches {
		maxBatch = max(maxBatch, int64(util.TotalRecordSize(b)))
	}
	limit := 2*maxBatch + 64<<10
	if perRow := size / int64(len(rows)); limit > 5*perRow*colop.DefaultBatchRows/2 {
		t.Fatalf("limit %d could merge two default batches of %d-byte rows: the test needs a smaller one", limit, perRow)
	}
	sm := exectest.NewTestSpill(t)
	mgr := kmemory.NewManager(kmemory.Config{Limit: limit})
	op := NewSort(&exectest.Source{Batches: retained(batches)}, node, colop.Options{Mem: mem}.WithReservation(mgr.NewReservation("sort")))
	op.spillManager = sm
	got := runSort(t, op, byID, 0)
	if !slices.Equal(got, want) {
		t.Fatalf("%d rows differ from the in-memory sort's %d", len(got), len(want))
	}
	if st := mgr.Stats(); op.SpillCount() == 0 || st.PeakExecution > limit || st.ExecutionUsed != 0 {
		t.Errorf("spills %d, peak %d of %d, %d still held", op.SpillCount(), st.PeakExecution, limit, st.ExecutionUsed)
	}
	exectest.AssertSpillDirEmpty(t, sm)
}
