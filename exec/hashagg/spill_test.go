package hashagg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// aggLimitRes is a reservation with a byte limit that refuses like the memory manager
// (a *memory.BudgetError) and records its peak.
type aggLimitRes struct {
	limit, held, peak int64
	freed             bool
}

func (r *aggLimitRes) TryGrow(n int64) error {
	if r.limit > 0 && r.held+n > r.limit {
		return &kmemory.BudgetError{Name: "hashagg-test", Requested: n, Held: r.held, Limit: r.limit}
	}
	r.held += n
	r.peak = max(r.peak, r.held)
	return nil
}
func (r *aggLimitRes) Shrink(n int64) {
	if n > r.held {
		panic(fmt.Sprintf("shrink %d of %d held", n, r.held))
	}
	r.held -= n
}
func (r *aggLimitRes) Free() { r.held = 0; r.freed = true }

// aggExactRes is an unlimited aggLimitRes whose growth steps are the missing bytes.
type aggExactRes struct{ aggLimitRes }

func (*aggExactRes) Limit() int64 { return 1 }

var aggSpillSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ks", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
}, nil)

// aggSpillRows makes n rows over about groups keys (k and ks name the same group; a few
// keys are NULL), in batches of batch rows.
func aggSpillRows(n, groups, batch int) [][][]any {
	r := rand.New(rand.NewPCG(uint64(n), uint64(groups)))
	floats := []float64{1.5, -2.25, 0, math.Copysign(0, -1), math.NaN(), 3.75, 100.125}
	var parts [][][]any
	var cur [][]any
	for j := 0; j < n; j++ {
		g := r.IntN(groups)
		var k, ks, i, f, s, d any = int64(g), fmt.Sprintf("g%06d", g), int64(r.IntN(2000) - 1000), floats[r.IntN(len(floats))], fmt.Sprintf("s%03d", r.IntN(300)), fmt.Sprintf("d%02d", r.IntN(40))
		if g%5003 == 0 {
			k, ks = nil, nil
		}
		if r.IntN(10) == 0 {
			i = nil
		}
		if r.IntN(10) == 0 {
			s = nil
		}
		if r.IntN(12) == 0 {
			f = nil
		}
		cur = append(cur, []any{k, ks, i, f, s, d})
		if len(cur) == batch {
			parts = append(parts, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	// An empty and a one-row batch as well.
	return append(parts, nil, [][]any{{int64(7), "g000007", nil, nil, nil, nil}})
}

func aggSpillAggs() []plan.AggExpr {
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	return []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggSum, Arg: col("f"), Name: "sum_f"},
		{Func: plan.AggCount, Arg: col("s"), Name: "count_s"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggCountDistinct, Arg: col("i"), Name: "cd_i"},
		{Func: plan.AggCountDistinct, Arg: col("f"), Name: "cd_f"},
		{Func: plan.AggCountDistinct, Arg: col("s"), Name: "cd_s"},
		{Func: plan.AggCountDistinct, Arg: col("d"), Name: "cd_d"},
		{Func: plan.AggMean, Arg: col("i"), Name: "mean_i"},
		{Func: plan.AggMean, Arg: col("f"), Name: "mean_f"},
		{Func: plan.AggMin, Arg: col("i"), Name: "min_i"},
		{Func: plan.AggMax, Arg: col("f"), Name: "max_f"},
		{Func: plan.AggMin, Arg: col("s"), Name: "min_s"},
		{Func: plan.AggMax, Arg: col("s"), Name: "max_s"},
		{Func: plan.AggMax, Arg: col("d"), Name: "max_d"},
		{Func: plan.AggFirst, Arg: col("i"), Name: "first_i"},
	}
}

// aggSpillRun runs one operator over batches and returns its output batches.
type aggSpillRun struct {
	op  *HashAggOp
	res *aggLimitRes
	sm  *storage.SpillManager
}

func newAggSpillRun(t *testing.T, src colop.Operator, node *plan.PHashAggregate, mem memory.Allocator, limit int64) *aggSpillRun {
	t.Helper()
	sm, err := storage.NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	res := &aggLimitRes{limit: limit}
	op := NewHashAggregate(src, node, colop.Options{Mem: mem}.WithReservation(res))
	op.spillManager = sm
	t.Cleanup(func() { op.Close() }) // after a failure too (Close is idempotent)
	return &aggSpillRun{op: op, res: res, sm: sm}
}

// finish closes the operator and checks that nothing is left: reservation, spill files.
func (r *aggSpillRun) finish(t *testing.T) {
	t.Helper()
	if err := r.op.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if r.res.held != 0 || !r.res.freed {
		t.Errorf("reservation holds %d after Close (freed %v)", r.res.held, r.res.freed)
	}
	ents, err := os.ReadDir(r.sm.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%d spill files left after Close, first %s", len(ents), ents[0].Name())
	}
}

// aggSpillRowsOf is RowsOf for result columns (int64, float64, string, dictionary),
// without a t.Helper call per value; it releases the batches.
func aggSpillRowsOf(t *testing.T, batches []arrow.RecordBatch) [][]any {
	var rows [][]any
	for _, b := range batches {
		cols := b.Columns()
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, len(cols))
			for c, col := range cols {
				if col.IsNull(i) {
					continue
				}
				switch a := col.(type) {
				case *array.Int64:
					row[c] = a.Value(i)
				case *array.Float64:
					row[c] = a.Value(i)
				case *array.String:
					row[c] = strings.Clone(a.Value(i)) // outlives the batch's buffers
				default:
					row[c] = exectest.GoValue(t, col, i)
				}
			}
			rows = append(rows, row)
		}
		b.Release()
	}
	return rows
}

// aggSameGroups compares two results as multisets of rows keyed by the first nkeys
// columns (floats to a relative 1e-9).
func aggSameGroups(t *testing.T, got, want [][]any, nkeys int) {
	t.Helper()
	index := func(rows [][]any, what string) map[string][]any {
		m := make(map[string][]any, len(rows))
		for _, r := range rows {
			k := aggGroupKeyOf(r[:nkeys])
			if _, dup := m[k]; dup {
				t.Fatalf("%s: group %s twice", what, k)
			}
			m[k] = r
		}
		return m
	}
	g, w := index(got, "got"), index(want, "want")
	if len(g) != len(w) {
		t.Fatalf("%d groups, want %d", len(g), len(w))
	}
	bad := 0
	for k, wr := range w {
		gr, ok := g[k]
		if !ok {
			t.Fatalf("group %s missing", k)
		}
		for c := range wr {
			if !exectest.SameValue(gr[c], wr[c]) {
				if bad++; bad <= 10 {
					t.Errorf("group %s column %d: %#v, want %#v", k, c, gr[c], wr[c])
				}
			}
		}
	}
}

// aggUnlimited runs node over parts with no limit and returns the rows and the peak
// reservation.
func aggUnlimited(t *testing.T, mem memory.Allocator, schema *arrow.Schema, parts [][][]any, node *plan.PHashAggregate) ([][]any, int64) {
	t.Helper()
	return aggUnlimitedBatches(t, mem, aggNewBatches(t, mem, schema, parts), node)
}

// aggUnlimitedBatches runs node over batches (taking them) with no limit.
func aggUnlimitedBatches(t *testing.T, mem memory.Allocator, batches []arrow.RecordBatch, node *plan.PHashAggregate) ([][]any, int64) {
	t.Helper()
	res := &aggLimitRes{}
	op := NewHashAggregate(&exectest.Source{Batches: batches}, node, colop.Options{Mem: mem}.WithReservation(res))
	out, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	return aggSpillRowsOf(t, out), res.peak
}

// aggShared hands out the same immutable batches to several runs, each its own references.
func aggShared(batches []arrow.RecordBatch) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		b.Retain()
		out[i] = b
	}
	return out
}

func aggReleaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}

func TestHashAggSpillCompleteAndFinal(t *testing.T) {
	mem := memtest.Checked()
	// Cleanups, not defers: they run after the parallel subtests.
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	parts := aggSpillRows(200000/aggSpillTestScale, 50000/aggSpillTestScale, 4096/aggSpillTestScale)
	for _, keys := range [][]string{{"k"}, {"ks"}} {
		t.Run(strings.Join(keys, ","), func(t *testing.T) {
			t.Parallel()
			// Each subtest its own batches: arrays compute their null counts lazily, so
			// sharing them between goroutines is a (benign) race.
			input := aggNewBatches(t, mem, aggSpillSchema, parts)
			defer aggReleaseAll(input)
			partial, final, complete := aggNodes(t, aggSpillSchema, keys, aggSpillAggs())
			want, peak := aggUnlimitedBatches(t, mem, aggShared(input), complete)
			limit := peak / 10
			t.Logf("unlimited peak %d, limit %d, %d groups", peak, limit, len(want))

			t.Run("complete", func(t *testing.T) {
				run := newAggSpillRun(t, &exectest.Source{Batches: aggShared(input)}, complete, mem, limit)
				out, err := exectest.Drain(t, run.op)
				if err != nil {
					t.Fatal(err)
				}
				aggSameGroups(t, aggSpillRowsOf(t, out), want, len(keys))
				aggCheckSpilled(t, run, limit)
				run.finish(t)
			})

			t.Run("final", func(t *testing.T) {
				// Three map tasks' partial states, unlimited, shuffled to one Final; first()
				// depends on the shuffle's order, so the reference is an unlimited Final
				// over the same states.
				var states []arrow.RecordBatch
				defer func() { aggReleaseAll(states) }()
				for task := 0; task < 3; task++ {
					var mine []arrow.RecordBatch
					for i := task; i < len(input); i += 3 {
						mine = append(mine, input[i])
					}
					op := NewHashAggregate(&exectest.Source{Batches: aggShared(mine)}, partial, colop.Options{Mem: mem})
					op.outRows = 2048 / aggSpillTestScale
					out, err := exectest.Drain(t, op)
					op.Close()
					if err != nil {
						t.Fatal(err)
					}
					states = append(states, out...)
				}
				ref := NewHashAggregate(&exectest.Source{Batches: aggShared(states)}, final, colop.Options{Mem: mem})
				refOut, err := exectest.Drain(t, ref)
				ref.Close()
				if err != nil {
					t.Fatal(err)
				}
				wantFinal := aggSpillRowsOf(t, refOut)
				aggSameGroups(t, aggDropFirst(wantFinal), aggDropFirst(want), len(keys))
				run := newAggSpillRun(t, &exectest.Source{Batches: aggShared(states)}, final, mem, limit)
				out, err := exectest.Drain(t, run.op)
				if err != nil {
					t.Fatal(err)
				}
				aggSameGroups(t, aggSpillRowsOf(t, out), wantFinal, len(keys))
				aggCheckSpilled(t, run, limit)
				run.finish(t)
			})

			t.Run("partial", func(t *testing.T) {
				// Partial emits early under pressure, without disk; Final (unlimited) merges.
				res := &aggLimitRes{limit: limit}
				op := NewHashAggregate(&exectest.Source{Batches: aggShared(input)}, partial, colop.Options{Mem: mem}.WithReservation(res))
				op.outRows = 3000
				states, err := exectest.Drain(t, op)
				if err != nil {
					t.Fatal(err)
				}
				var rows int64
				for _, b := range states {
					rows += b.NumRows()
					if !b.Schema().Equal(partial.OutSchema) {
						t.Fatalf("partial schema %s", b.Schema())
					}
				}
				if op.SpillCount() == 0 || rows <= int64(len(want)) {
					t.Errorf("spill count %d, %d state rows for %d groups: no early emission", op.SpillCount(), rows, len(want))
				}
				if op.SpilledBytes() != 0 {
					t.Errorf("partial mode wrote %d bytes to disk", op.SpilledBytes())
				}
				if res.peak > limit || res.peak == 0 {
					t.Errorf("peak reservation %d, limit %d", res.peak, limit)
				}
				op.Close()
				fop := NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
				out, err := exectest.Drain(t, fop)
				fop.Close()
				if err != nil {
					t.Fatal(err)
				}
				aggSameGroups(t, aggSpillRowsOf(t, out), want, len(keys))
			})
		})
	}
}

// aggDropFirst drops the last column (first_i, which depends on the input's order).
func aggDropFirst(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r[:len(r)-1]
	}
	return out
}

func aggCheckSpilled(t *testing.T, run *aggSpillRun, limit int64) {
	t.Helper()
	if run.op.SpillCount() == 0 || run.op.SpilledBytes() == 0 {
		t.Errorf("spill count %d, %d bytes: nothing spilled", run.op.SpillCount(), run.op.SpilledBytes())
	}
	if st := run.sm.Stats(); st.Bytes != run.op.SpilledBytes() {
		t.Errorf("operator counts %d spilled bytes, the spill manager %d", run.op.SpilledBytes(), st.Bytes)
	}
	if run.res.peak > limit || run.res.peak == 0 {
		t.Errorf("peak reservation %d, limit %d", run.res.peak, limit)
	}
}

// TestHashAggSpillRepartitions gives so little memory that merging a first-level
// partition spills again, one level deeper.
func TestHashAggSpillRepartitions(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(16000, 8000, 256)
	aggs := []plan.AggExpr{
		{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "i"}, Name: "sum_i"},
		{Func: plan.AggCountDistinct, Arg: &plan.ColumnRef{Name: "i"}, Name: "cd_i"},
		{Func: plan.AggMin, Arg: &plan.ColumnRef{Name: "i"}, Name: "min_i"},
		{Func: plan.AggMean, Arg: &plan.ColumnRef{Name: "f"}, Name: "mean_f"},
	}
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"k"}, aggs)
	want, _ := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
	// 128 KiB: room for a 256-row batch, not for a first-level partition (about 500 groups).
	const limit = 128 << 10
	run := newAggSpillRun(t, &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, complete, mem, limit)
	out, err := exectest.Drain(t, run.op)
	if err != nil {
		t.Fatal(err)
	}
	aggSameGroups(t, aggSpillRowsOf(t, out), want, 1)
	aggCheckSpilled(t, run, limit)
	t.Logf("spills %d, deepest level %d", run.op.SpillCount(), run.op.spill.deepest)
	if run.op.spill.deepest < 1 {
		t.Errorf("deepest spill level %d; want a repartitioned partition", run.op.spill.deepest)
	}
	run.finish(t)
}

// TestHashAggSpillOneHugeGroup: one group's state outgrows the budget; repartitioning
// cannot split it, so the operator fails with the budget error after bounded depth.
func TestHashAggSpillOneHugeGroup(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var parts [][][]any
	for b := 0; b < 40; b++ {
		rows := make([][]any, 1000)
		for i := range rows {
			rows[i] = []any{int64(1), "one", int64(b*1000 + i), nil, nil, nil}
		}
		parts = append(parts, rows)
	}
	aggs := []plan.AggExpr{{Func: plan.AggCountDistinct, Arg: &plan.ColumnRef{Name: "i"}, Name: "cd_i"}}
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"k"}, aggs)
	run := newAggSpillRun(t, &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, complete, mem, 1<<20)
	_, err := exectest.Drain(t, run.op)
	if !errors.Is(err, kmemory.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want the budget error", err)
	}
	t.Logf("error: %v", err)
	if _, err2 := run.op.Next(); !errors.Is(err2, kmemory.ErrBudgetExceeded) {
		t.Errorf("Next after failure: %v", err2)
	}
	run.finish(t)
}

// TestHashAggSpillBudgetTooSmall: not even one batch fits in an empty operator.
func TestHashAggSpillBudgetTooSmall(t *testing.T) {
	for _, mode := range []string{"partial", "final", "complete"} {
		t.Run(mode, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			parts := aggSpillRows(20000, 5000, 4096)
			partial, final, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggSpillAggs())
			node := map[string]*plan.PHashAggregate{"partial": partial, "final": final, "complete": complete}[mode]
			var src colop.Operator = &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}
			if mode == "final" {
				op := NewHashAggregate(src, partial, colop.Options{Mem: mem})
				states, err := exectest.Drain(t, op)
				op.Close()
				if err != nil {
					t.Fatal(err)
				}
				src = &exectest.Source{Batches: states}
			}
			const limit = 8 << 10
			run := newAggSpillRun(t, src, node, mem, limit)
			out, err := exectest.Drain(t, run.op)
			for _, b := range out {
				b.Release()
			}
			var be *kmemory.BudgetError
			if !errors.Is(err, kmemory.ErrBudgetExceeded) || !errors.As(err, &be) || be.Limit != limit {
				t.Fatalf("err = %v, want a budget error naming the limit", err)
			}
			if !strings.Contains(err.Error(), "asked for") {
				t.Errorf("error does not name the request: %v", err)
			}
			if run.res.peak > limit {
				t.Errorf("peak %d above the limit %d", run.res.peak, limit)
			}
			run.finish(t)
		})
	}
}

// aggSpillingSource calls spill after every few batches, as another consumer of the task
// would while the aggregate pulls its input.
type aggSpillingSource struct {
	exectest.Source
	every  int
	spill  func() (int64, error)
	freed  int64
	calls  int
	served int
}

func (s *aggSpillingSource) Next() (arrow.RecordBatch, error) {
	if s.served > 0 && s.served%s.every == 0 {
		n, err := s.spill()
		if err != nil {
			return nil, err
		}
		s.freed += n
		s.calls++
	}
	s.served++
	return s.Source.Next()
}

// TestHashAggSpillRequested: Spill called by another consumer while the operator consumes
// writes the table to disk (Partial: replayed as output) and returns the bytes freed;
// outside that phase it does nothing.
func TestHashAggSpillRequested(t *testing.T) {
	parts := aggSpillRows(60000/aggSpillTestScale, 8000/aggSpillTestScale, 2048/aggSpillTestScale)
	for _, mode := range []string{"partial", "complete"} {
		t.Run(mode, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			partial, final, complete := aggNodes(t, aggSpillSchema, []string{"k"}, aggSpillAggs())
			want, _ := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
			node := complete
			if mode == "partial" {
				node = partial
			}
			src := &aggSpillingSource{Source: exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, every: 7}
			run := newAggSpillRun(t, src, node, mem, 0)
			// Asked for more than any slack in its reservation, it must write its table.
			src.spill = func() (int64, error) { return run.op.Spill(1 << 40) }
			if n, err := run.op.Spill(1); n != 0 || err != nil {
				t.Errorf("Spill before Open = %d, %v", n, err)
			}
			out, err := exectest.Drain(t, run.op)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := run.op.Spill(1); n != 0 || err != nil {
				t.Errorf("Spill while emitting = %d, %v", n, err)
			}
			if src.calls == 0 || src.freed <= 0 || run.op.SpillCount() == 0 || run.op.SpilledBytes() == 0 {
				t.Errorf("%d Spill calls freed %d; spill count %d, %d bytes", src.calls, src.freed, run.op.SpillCount(), run.op.SpilledBytes())
			}
			if mode == "partial" {
				fop := NewHashAggregate(&exectest.Source{Batches: out}, final, colop.Options{Mem: mem})
				out, err = exectest.Drain(t, fop)
				fop.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			aggSameGroups(t, aggSpillRowsOf(t, out), want, 1)
			run.finish(t)
		})
	}
}

// TestHashAggSpillCloseEarly: closing mid-merge removes every spill file and frees all.
func TestHashAggSpillCloseEarly(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(50000/aggSpillTestScale, 20000/aggSpillTestScale, 2048/aggSpillTestScale)
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggSpillAggs())
	_, peak := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
	run := newAggSpillRun(t, &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, complete, mem, peak/8)
	run.op.outRows = 100
	if err := run.op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := run.op.Next()
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	if run.op.SpillCount() == 0 {
		t.Fatal("nothing spilled")
	}
	run.finish(t)
	if _, err := run.op.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestHashAggSpillNilManager keeps today's behaviour: a refused reservation fails.
func TestHashAggSpillNilManager(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(20000, 8000, 2048)
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggSpillAggs())
	res := &aggLimitRes{limit: 1 << 20}
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, complete, colop.Options{Mem: mem}.WithReservation(res))
	_, err := exectest.Drain(t, op)
	if !errors.Is(err, kmemory.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want the budget error", err)
	}
	if op.SpillCount() != 0 {
		t.Errorf("spill count %d without a spill manager", op.SpillCount())
	}
	if n, err := op.Spill(1); n != 0 || err != nil {
		t.Errorf("Spill = %d, %v", n, err)
	}
	op.Close()
}

// aggLateSpiller lets the reservation name the operator before it exists.
type aggLateSpiller struct{ op *HashAggOp }

func (l *aggLateSpiller) Spill(need int64) (int64, error) { return l.op.Spill(need) }

// aggPressureSource grows another reservation of the task every few batches, so that the
// memory manager makes the aggregate spill for it (Spiller protocol).
type aggPressureSource struct {
	exectest.Source
	other  *kmemory.Reservation
	grow   int64
	served int
	errs   int
}

func (s *aggPressureSource) Next() (arrow.RecordBatch, error) {
	if s.served > 0 && s.served%5 == 0 {
		if err := s.other.TryGrow(s.grow); err != nil {
			s.errs++
		} else {
			s.other.Shrink(s.grow)
		}
	}
	s.served++
	return s.Source.Next()
}

// TestHashAggSpillWithMemoryManager runs Complete mode under the real memory manager, with
// a second consumer of the task taking memory now and then: results are unchanged, the
// peak stays within the limit and the aggregate spilled both for itself and when asked.
func TestHashAggSpillWithMemoryManager(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(20000, 5000, 512)
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggSpillAggs())
	want, peak := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
	limit := peak / 8

	// A short TaskWait: when the aggregate has nothing to give, the other consumer gives up
	// quickly instead of waiting for other tasks (there are none).
	m := kmemory.NewManager(kmemory.Config{Limit: limit, TaskWait: time.Millisecond})
	task := m.NewTask(context.Background(), "task")
	late := &aggLateSpiller{}
	res := task.NewReservation("hash-aggregate", late)
	other := task.NewReservation("other", nil)
	src := &aggPressureSource{Source: exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, other: other, grow: limit / 2}
	sm, err := storage.NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	op := NewHashAggregate(src, complete, colop.Options{Mem: mem}.WithReservation(res))
	op.spillManager = sm
	late.op = op
	out, err := exectest.Drain(t, op)
	if err != nil {
		op.Close()
		t.Fatal(err)
	}
	aggSameGroups(t, aggSpillRowsOf(t, out), want, 1)
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	task.Close()
	st := m.Stats()
	t.Logf("limit %d: %d spills (deepest level %d, %d asked by the manager), %d bytes", limit, op.SpillCount(), op.spill.deepest, st.Spills, op.SpilledBytes())
	if op.SpillCount() == 0 || st.Spills == 0 {
		t.Errorf("spill count %d, manager-requested spills %d", op.SpillCount(), st.Spills)
	}
	if st.PeakExecution > limit {
		t.Errorf("peak execution %d above the limit %d", st.PeakExecution, limit)
	}
	if err := m.Close(); err != nil {
		t.Errorf("manager: %v", err)
	}
	if ents, _ := os.ReadDir(sm.Dir()); len(ents) != 0 {
		t.Errorf("%d spill files left", len(ents))
	}
}

// TestHashAggFoldsBatchesTooLargeForTheBudget: input batches whose worst-case growth does
// not fit the budget even with empty tables are folded in parts, so that whether the
// aggregate finishes depends on its minimum working set (an empty table and one row), not
// on the input's batch size. Complete mode spills as well; Partial mode with row-wise
// states converts such a batch to states without a table.
func TestHashAggFoldsBatchesTooLargeForTheBudget(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(20000/aggSpillTestScale, 5000/aggSpillTestScale, 8192/aggSpillTestScale)
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	rowWise := []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggMax, Arg: col("s"), Name: "max_s"},
	}
	for _, tc := range []struct {
		name string
		aggs []plan.AggExpr
		mode plan.AggMode
	}{
		{"complete", aggSpillAggs(), plan.AggComplete},
		{"partial-rowwise", rowWise, plan.AggPartial},
	} {
		t.Run(tc.name, func(t *testing.T) {
			partial, final, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, tc.aggs)
			want, _ := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
			node := complete
			if tc.mode == plan.AggPartial {
				node = partial
			}
			const limit = 768 << 10
			run := newAggSpillRun(t, &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, node, mem, limit)
			out, err := exectest.Drain(t, run.op)
			if err != nil {
				t.Fatalf("under %d bytes: %v", limit, err)
			}
			if tc.mode == plan.AggPartial {
				fop := NewHashAggregate(&exectest.Source{Batches: out}, final, colop.Options{Mem: mem})
				out, err = exectest.Drain(t, fop)
				fop.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			aggSameGroups(t, aggSpillRowsOf(t, out), want, 1)
			if run.res.peak > limit {
				t.Errorf("peak %d above the limit %d", run.res.peak, limit)
			}
			run.finish(t)
		})
	}
}

// TestHashAggOneLargeGroupWaitsForOtherTasks: one group whose state is larger than the
// task's cap (half the budget with two tasks) but fits the budget cannot be spilled any
// smaller; the aggregate waits for the other task to end instead of failing, so the
// outcome follows the budget, not how many tasks run beside it.
func TestHashAggOneLargeGroupWaitsForOtherTasks(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	const n = 6000
	var parts [][][]any
	for lo := 0; lo < n; lo += 500 {
		var part [][]any
		for j := lo; j < lo+500; j++ {
			part = append(part, []any{int64(1), "g", int64(j), float64(j), nil, nil})
		}
		parts = append(parts, part)
	}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{
		{Func: plan.AggCountDistinct, Arg: col("i"), Name: "cd_i"},
		{Func: plan.AggMedian, Arg: col("f"), Name: "median_f"},
	}
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggs)
	// The group's own size: a reservation that grants exactly what is asked (a budget of
	// one byte makes the growth steps the missing bytes), not the 1 MiB steps of an
	// unknown budget.
	exact := &aggExactRes{}
	op0 := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, complete, colop.Options{Mem: mem}.WithReservation(exact))
	out0, err := exectest.Drain(t, op0)
	aggReleaseAll(out0)
	op0.Close()
	if err != nil {
		t.Fatal(err)
	}
	peak := exact.peak
	limit := peak * 3 / 2 // the cap with two tasks, 3/4 peak, is too small for the group

	m := kmemory.NewManager(kmemory.Config{Limit: limit})
	other := m.NewTask(context.Background(), "other")
	if err := other.NewReservation("held", nil).TryGrow(limit / 4); err != nil {
		t.Fatal(err)
	}
	task := m.NewTask(context.Background(), "agg")
	sm := exectest.NewTestSpill(t)
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, complete, colop.Options{Mem: mem}.WithReservation(task.NewReservation("hash-aggregate", nil)))
	op.spillManager = sm
	type result struct {
		out []arrow.RecordBatch
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := exectest.Drain(t, op)
		done <- result{out, err}
	}()
	var res result
	closed := false
	for res.out == nil && res.err == nil {
		select {
		case res = <-done:
		case <-time.After(time.Millisecond):
			if !closed && m.Stats().WaitCount > 0 {
				other.Close()
				closed = true
			}
		}
	}
	other.Close()
	if res.err != nil {
		op.Close()
		t.Fatalf("under %d bytes with another task holding %d: %v", limit, limit/4, res.err)
	}
	rows := aggSpillRowsOf(t, res.out)
	if len(rows) != 1 || rows[0][0] != "g" || rows[0][1] != int64(n) || rows[0][2] != float64(n-1)/2 {
		t.Errorf("result %v, want [g %d %v]", rows, n, float64(n-1)/2)
	}
	if !closed {
		t.Errorf("the aggregate never waited (peak %d, limit %d)", peak, limit)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	task.Close()
	if err := m.Close(); err != nil {
		t.Errorf("manager: %v", err)
	}
	exectest.AssertSpillDirEmpty(t, sm)
}

// TestHashAggSpillAfterCancelFreesEverything: a spill asked for after the job's context
// was cancelled (another task failed, say) writes the table out or fails, but frees every
// buffer: arrow's compute functions drop a result they computed when their context ends,
// so the operators call them with a context that is not cancelled.
func TestHashAggSpillAfterCancelFreesEverything(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(4000, 1000, 256)
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggSpillAggs())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts), At: 10}
	sm := exectest.NewTestSpill(t)
	op := NewHashAggregate(src, complete, colop.Options{Mem: mem}.WithReservation(&aggLimitRes{}))
	op.spillManager = sm
	src.Hook = func() {
		cancel()
		if _, err := op.Spill(1 << 40); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Spill after cancel: %v", err)
		}
	}
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := op.Next()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Next after cancel: %v, want context.Canceled", err)
			}
			break
		}
		rec.Release()
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	if op.SpillCount() == 0 {
		t.Error("the aggregate did not spill")
	}
	exectest.AssertSpillDirEmpty(t, sm)
}

// TestHashAggPartialOneRowBatchesWithoutRoom: a Partial aggregate with row-wise states and
// no room for even one row's groups passes one-row batches on as states (it needs no
// table for them), and the final aggregate's result is unchanged.
func TestHashAggPartialOneRowBatchesWithoutRoom(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var parts [][][]any
	for _, p := range aggSpillRows(300, 40, 1) {
		if len(p) > 0 {
			parts = append(parts, p)
		}
	}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggMax, Arg: col("s"), Name: "max_s"},
	}
	partial, final, complete := aggNodes(t, aggSpillSchema, []string{"ks"}, aggs)
	want, _ := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
	run := newAggSpillRun(t, &exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, partial, mem, 1)
	states, err := exectest.Drain(t, run.op)
	if err != nil {
		t.Fatalf("partial under a 1-byte budget: %v", err)
	}
	fop := NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
	out, err := exectest.Drain(t, fop)
	fop.Close()
	if err != nil {
		t.Fatal(err)
	}
	aggSameGroups(t, aggSpillRowsOf(t, out), want, 1)
	run.finish(t)
}

// TestHashAggTableAfterSpillFitsTheBudget: the table that replaces a spilled one is sized
// for as many keys as the spilled one held, which can be more than the budget left once
// the spill was asked for (here the budget shrinks to a fraction of the spilled table);
// that room is given back before the next batch fails for want of it.
func TestHashAggTableAfterSpillFitsTheBudget(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSpillRows(20000, 20000, 256)
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"}}
	_, _, complete := aggNodes(t, aggSpillSchema, []string{"k"}, aggs)
	want, _ := aggUnlimited(t, mem, aggSpillSchema, parts, complete)
	src := &aggSpillingSource{Source: exectest.Source{Batches: aggNewBatches(t, mem, aggSpillSchema, parts)}, every: 40}
	run := newAggSpillRun(t, src, complete, mem, 0)
	src.spill = func() (int64, error) {
		freed, err := run.op.Spill(1 << 40)
		run.res.limit = 96 << 10
		return freed, err
	}
	out, err := exectest.Drain(t, run.op)
	if err != nil {
		t.Fatal(err)
	}
	aggSameGroups(t, aggSpillRowsOf(t, out), want, 1)
	if run.op.SpillCount() < 2 {
		t.Errorf("%d spills, want the asked one and more under the smaller budget", run.op.SpillCount())
	}
	run.finish(t)
}
