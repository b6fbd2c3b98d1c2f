package hashagg

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// aggMostlyUniqueRows is aggTestRows with the keys k and kd nearly unique (every 7th key
// repeats an earlier one, every 11th is NULL), so that partial aggregation reduces little.
func aggMostlyUniqueRows(n int) [][]any {
	rows := aggTestRows(n, 9)
	for i, r := range rows {
		k := int64(i)
		if i%7 == 6 {
			k = int64(i / 2)
		}
		r[0] = k
		r[3] = fmt.Sprintf("key-%d", k)
		if i%11 == 10 {
			r[0], r[3] = nil, nil
		}
	}
	return rows
}

// TestHashAggSkippedPartialConvertsRows runs Partial over mostly unique keys: after the
// probe it must stop hashing and convert rows straight to states (one output row per
// input row, a dictionary key passing through as it is), and Final must still get every
// aggregate right.
func TestHashAggSkippedPartialConvertsRows(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	const n = 3 * aggSkipProbeRows / 2
	rows := aggMostlyUniqueRows(n)
	tbl := aggTable{schema: aggTestSchema, rows: rows}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	rowWise := []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggSum, Arg: col("f"), Name: "sum_f"},
		{Func: plan.AggSum, Arg: col("u"), Name: "sum_u"},
		{Func: plan.AggCount, Arg: col("s"), Name: "count_s"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggMean, Arg: col("i"), Name: "mean_i"},
		{Func: plan.AggMean, Arg: col("f"), Name: "mean_f"},
		{Func: plan.AggMin, Arg: col("f"), Name: "min_f"},
		{Func: plan.AggMax, Arg: col("u"), Name: "max_u"},
		{Func: plan.AggMin, Arg: col("s"), Name: "min_s"},
		{Func: plan.AggMax, Arg: col("kb"), Name: "max_kb"},
		{Func: plan.AggMax, Arg: col("kdate"), Name: "max_kdate"},
	}
	withDistinct := append(append([]plan.AggExpr(nil), rowWise...),
		plan.AggExpr{Func: plan.AggCountDistinct, Arg: col("s"), Name: "cd_s"})
	cases := []struct {
		name     string
		keys     []string
		aggs     []plan.AggExpr
		wantPass bool
	}{
		{"int key", []string{"k"}, rowWise, true},
		{"dictionary key with int", []string{"kd", "k32"}, rowWise, true},
		{"count distinct keeps hashing", []string{"k"}, withDistinct, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			partial, final, _ := aggNodes(t, aggTestSchema, c.keys, c.aggs)
			var batches [][][]any
			for lo := 0; lo < n; lo += 4096 {
				batches = append(batches, rows[lo:min(lo+4096, n)])
			}
			op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, batches)}, partial, colop.Options{Mem: mem})
			if err := op.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			states, err := exectest.Drain(t, op)
			op.Close()
			if err != nil {
				t.Fatal(err)
			}
			if op.passing != c.wantPass {
				t.Errorf("partial converted rows to states: %v, want %v", op.passing, c.wantPass)
			}
			var stateRows int64
			for _, b := range states {
				stateRows += b.NumRows()
				if !b.Schema().Equal(partial.OutSchema) {
					t.Errorf("partial schema %s, want %s", b.Schema(), partial.OutSchema)
				}
			}
			// The probe's rows were hashed; every row after it (the probe ends within a
			// batch of aggSkipProbeRows) must come out as its own state row.
			if c.wantPass && stateRows < n-aggSkipProbeRows {
				t.Errorf("partial emitted %d rows for %d input rows; after the probe it should keep one per row", stateRows, n)
			}
			fin := NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
			defer fin.Close()
			out, err := exectest.Drain(t, fin)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, c.keys, c.aggs, exectest.RowsOf(t, out))
		})
	}
}

// aggRefusingReservation refuses its first `refusals` requests of more than `above`
// bytes and grants everything else: the presizing request for a whole table (and its
// retry of the exact amount) is refused, the growth that follows is not.
type aggRefusingReservation struct {
	above    int64
	refusals int
}

func (r *aggRefusingReservation) TryGrow(n int64) error {
	if n > r.above && r.refusals > 0 {
		r.refusals--
		return fmt.Errorf("reservation test: %d bytes refused: %w", n, exectest.ErrFakeBudget)
	}
	return nil
}
func (r *aggRefusingReservation) Shrink(int64) {}
func (r *aggRefusingReservation) Free()        {}

// aggSizedSource is a test source that knows its rows, as a shuffle read does.
type aggSizedSource struct {
	exectest.Source
	rows int64
}

func (s *aggSizedSource) EstimatedRows() int64 { return s.rows }

// aggPartialStates runs a Partial aggregate over rows (batches of 4096) and returns its
// state batches and their rows: a Final aggregate's input that knows its size.
func aggPartialStates(t *testing.T, mem memory.Allocator, rows [][]any, partial *plan.PHashAggregate) ([]arrow.RecordBatch, int64) {
	t.Helper()
	var batches [][][]any
	for lo := 0; lo < len(rows); lo += 4096 {
		batches = append(batches, rows[lo:min(lo+4096, len(rows))])
	}
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, batches)}, partial, colop.Options{Mem: mem})
	states, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	var stateRows int64
	for _, b := range states {
		stateRows += b.NumRows()
	}
	return states, stateRows
}

// TestHashAggFinalPresized feeds a Final aggregate from an input that knows its rows: the
// tables are sized once when it opens (the tuple table does not grow while the groups come
// in), unless the reservation refuses the room, and the results are right either way.
func TestHashAggFinalPresized(t *testing.T) {
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	const n = 3 * aggSkipProbeRows / 2
	rows := aggMostlyUniqueRows(n)
	tbl := aggTable{schema: aggTestSchema, rows: rows}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggMean, Arg: col("f"), Name: "mean_f"},
		{Func: plan.AggMax, Arg: col("s"), Name: "max_s"},
	}
	keys := []string{"kd", "k32"}
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refused=%v", refuse), func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			partial, final, _ := aggNodes(t, aggTestSchema, keys, aggs)
			states, stateRows := aggPartialStates(t, mem, rows, partial)
			var res colop.Reservation
			if refuse {
				res = &aggRefusingReservation{above: 4 << 20, refusals: 2}
			}
			fin := NewHashAggregate(&aggSizedSource{Source: exectest.Source{Batches: states}, rows: stateRows}, final, colop.Options{Mem: mem}.WithReservation(res))
			defer fin.Close()
			if err := fin.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			slots := len(fin.keys.slots)
			if presized := slots > aggTupleSlots; presized == refuse {
				t.Fatalf("%d tuple slots after Open for %d input rows (reservation refused: %v)", slots, stateRows, refuse)
			}
			// The first batch comes after all the input is folded in, before the table is
			// dropped at the end.
			first, err := fin.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !refuse && len(fin.keys.slots) != slots {
				t.Errorf("presized tuple table grew from %d to %d slots", slots, len(fin.keys.slots))
			}
			rest, err := exectest.Drain(t, fin)
			if err != nil {
				first.Release()
				t.Fatal(err)
			}
			aggCheck(t, tbl, keys, aggs, exectest.RowsOf(t, append([]arrow.RecordBatch{first}, rest...)))
		})
	}
}

// TestHashAggPresizedFinalGivesRoomBack gives a Final aggregate a budget that its presized
// tables fill exactly: the room taken at Open must be given back when the first batch is
// refused (an empty presized table can neither spill nor grow), and the aggregate then
// spills its way through like any other, with the unbounded result.
func TestHashAggPresizedFinalGivesRoomBack(t *testing.T) {
	const n = 30_000 // several output batches: Final presizes
	rows := aggMostlyUniqueRows(n)
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggMean, Arg: col("f"), Name: "mean_f"},
		{Func: plan.AggMax, Arg: col("s"), Name: "max_s"},
	}
	keys := []string{"kd", "k32"}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	partial, final, _ := aggNodes(t, aggTestSchema, keys, aggs)
	var batches [][][]any
	for lo := 0; lo < n; lo += 4096 {
		batches = append(batches, rows[lo:min(lo+4096, n)])
	}
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, batches)}, partial, colop.Options{Mem: mem})
	states, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer aggReleaseAll(states)
	var stateRows int64
	for _, b := range states {
		stateRows += b.NumRows()
	}
	sized := func() colop.Operator {
		return &aggSizedSource{Source: exectest.Source{Batches: aggShared(states)}, rows: stateRows}
	}

	// Unbounded: what presizing holds after Open, and the answer.
	free := newAggSpillRun(t, sized(), final, mem, 0)
	if err := free.op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	presized := free.res.held
	if !free.op.presized {
		t.Fatalf("the unbounded run did not presize (%d bytes held after Open)", presized)
	}
	out, err := exectest.Drain(t, free.op)
	if err != nil {
		t.Fatal(err)
	}
	want := aggSpillRowsOf(t, out)
	free.finish(t)

	// Room for the presized tables but not for them and a batch's growth besides; one
	// batch's growth alone (about 2.4 MiB here) fits.
	limit := presized + 3<<19
	tight := newAggSpillRun(t, sized(), final, mem, limit)
	if err := tight.op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !tight.op.presized || tight.res.held != presized {
		t.Fatalf("presized %v, %d bytes held after Open, want %d", tight.op.presized, tight.res.held, presized)
	}
	out, err = exectest.Drain(t, tight.op)
	if err != nil {
		t.Fatalf("under a budget the presized tables filled: %v", err)
	}
	aggSameGroups(t, aggSpillRowsOf(t, out), want, len(keys))
	if tight.op.SpillCount() == 0 || tight.res.peak > limit {
		t.Errorf("spills %d, peak %d of %d", tight.op.SpillCount(), tight.res.peak, limit)
	}
	tight.finish(t)
}

// TestHashAggSkipBooleanAndAnyValue groups mostly unique keys by any_value, bool_and and
// bool_or: Partial must convert rows to states once the probe sees little reduction, and
// Partial then Final (skipping on) must give what Complete (never skips) gives, each group
// checked against a plain Go computation too.
func TestHashAggSkipBooleanAndAnyValue(t *testing.T) {
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	const n = 3 * aggSkipProbeRows / 2
	rows := aggMostlyUniqueRows(n)
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{
		{Func: plan.AggAnyValue, Arg: col("s"), Name: "any_s"},
		{Func: plan.AggAnyValue, Arg: col("i"), Name: "any_i"},
		{Func: plan.AggBoolAnd, Arg: col("kb"), Name: "every_kb"},
		{Func: plan.AggBoolOr, Arg: col("kb"), Name: "some_kb"},
		{Func: plan.AggMin, Arg: col("f"), Name: "min_f"},
	}
	keys := []string{"k"}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	partial, final, complete := aggNodes(t, aggTestSchema, keys, aggs)
	var batches [][][]any
	for lo := 0; lo < n; lo += 4096 {
		batches = append(batches, rows[lo:min(lo+4096, n)])
	}
	run := func(node *plan.PHashAggregate, src colop.Operator) (*HashAggOp, []arrow.RecordBatch) {
		t.Helper()
		op := NewHashAggregate(src, node, colop.Options{Mem: mem})
		out, err := exectest.Drain(t, op)
		op.Close()
		if err != nil {
			t.Fatal(err)
		}
		return op, out
	}

	pop, states := run(partial, &exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, batches)})
	if !pop.passing {
		t.Fatal("partial kept hashing mostly unique keys: any_value, bool_and and bool_or should let it convert rows to states")
	}
	_, skipped := run(final, &exectest.Source{Batches: states})
	_, whole := run(complete, &exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, batches)})
	on, off := exectest.RowsOf(t, skipped), exectest.RowsOf(t, whole)

	byKey := func(rs [][]any) map[string][]any {
		m := make(map[string][]any, len(rs))
		for _, r := range rs {
			m[fmt.Sprint(r[0])] = r
		}
		return m
	}
	onBy, offBy := byKey(on), byKey(off)
	if len(on) != len(onBy) || len(onBy) != len(offBy) {
		t.Fatalf("skipping on: %d rows (%d keys), off: %d keys", len(on), len(onBy), len(offBy))
	}
	for k, r := range onBy {
		if w, ok := offBy[k]; !ok || fmt.Sprint(r) != fmt.Sprint(w) {
			t.Errorf("key %s: skipping on %v, off %v", k, r, w)
		}
	}

	// The plain Go answer: any_value some non-NULL value of the group (the test takes
	// the first met in input order, as both modes do), bool_and true unless some
	// non-NULL value is false, bool_or true if some is true, NULL where all are NULL.
	type want struct {
		anyS, anyI, every, some any
	}
	oracle := map[string]*want{}
	ki, si, ii, bi := 0, aggTestSchema.FieldIndices("s")[0], aggTestSchema.FieldIndices("i")[0], aggTestSchema.FieldIndices("kb")[0]
	for _, r := range rows {
		k := fmt.Sprint(r[ki])
		w := oracle[k]
		if w == nil {
			w = &want{}
			oracle[k] = w
		}
		if w.anyS == nil {
			w.anyS = r[si]
		}
		if w.anyI == nil {
			w.anyI = r[ii]
		}
		if b, ok := r[bi].(bool); ok {
			if w.every == nil {
				w.every, w.some = b, b
			} else {
				w.every, w.some = w.every.(bool) && b, w.some.(bool) || b
			}
		}
	}
	if len(oracle) != len(onBy) {
		t.Fatalf("%d groups, want %d", len(onBy), len(oracle))
	}
	for k, w := range oracle {
		r := onBy[k]
		got := fmt.Sprint(r[1:5])
		if exp := fmt.Sprint([]any{w.anyS, w.anyI, w.every, w.some}); got != exp {
			t.Errorf("key %s: any_s, any_i, every_kb, some_kb = %s, want %s", k, got, exp)
		}
	}
}

// TestHashAggFinalPresizedIntKey is TestHashAggFinalPresized for one integer key spread
// too widely for the direct window (TPC-H Q18's order keys after a hash shuffle): the key
// map is sized once when the Final aggregate opens and does not double while the groups
// come in, and the results are right.
func TestHashAggFinalPresizedIntKey(t *testing.T) {
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	const n = 3 * aggSkipProbeRows / 2
	rows := aggMostlyUniqueRows(n)
	for _, r := range rows {
		if k, ok := r[0].(int64); ok {
			r[0] = k * 1_000_003
		}
	}
	tbl := aggTable{schema: aggTestSchema, rows: rows}
	aggs := []plan.AggExpr{
		{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "i"}, Name: "sum_i"},
		{Func: plan.AggCountAll, Name: "count_all"},
	}
	keys := []string{"k"}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	partial, final, _ := aggNodes(t, aggTestSchema, keys, aggs)
	states, stateRows := aggPartialStates(t, mem, rows, partial)
	fin := NewHashAggregate(&aggSizedSource{Source: exectest.Source{Batches: states}, rows: stateRows}, final, colop.Options{Mem: mem})
	defer fin.Close()
	if err := fin.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ik, ok := fin.keys.cols[0].(*aggIntKeys)
	if !ok {
		t.Fatalf("key table %T, want *aggIntKeys", fin.keys.cols[0])
	}
	slots := len(ik.m.keys)
	if slots < 2*int(stateRows) {
		t.Fatalf("%d key map slots after Open for %d input rows: not presized", slots, stateRows)
	}
	first, err := fin.Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(fin.keys.cols[0].(*aggIntKeys).m.keys); got != slots {
		t.Errorf("presized key map grew from %d to %d slots", slots, got)
	}
	rest, err := exectest.Drain(t, fin)
	if err != nil {
		first.Release()
		t.Fatal(err)
	}
	aggCheck(t, tbl, keys, aggs, exectest.RowsOf(t, append([]arrow.RecordBatch{first}, rest...)))
}

// TestAggSkipPaysExtrapolates checks the probe's decision against what aggregating would
// really leave: keys drawn uniformly from domains of 1e4 to 1e8 keys, the first 100 000
// draws probed, and the distinct keys of all the task's rows counted. Partial aggregation
// is skipped exactly when the whole input's groups exceed aggSkipRatio of its rows, away
// from the threshold where a sample cannot tell; with the input's length unknown the
// probed rows alone decide, as before.
func TestAggSkipPaysExtrapolates(t *testing.T) {
	const probe = 100_000
	for _, tc := range []struct {
		domain, total int
	}{
		{10_000, 2_500_000}, {1_000_000, 2_500_000}, {1_000_000, 10_000_000},
		{100_000_000, 2_500_000}, {20_000_000, 4_000_000}, {1_000_000, 200_000},
	} {
		r := rand.New(rand.NewPCG(uint64(tc.domain), uint64(tc.total)))
		seen := make([]uint64, (tc.domain+63)/64)
		distinct, probedDistinct := 0, 0
		for i := 0; i < tc.total; i++ {
			k := r.IntN(tc.domain)
			if seen[k/64]&(1<<(k%64)) == 0 {
				seen[k/64] |= 1 << (k % 64)
				distinct++
			}
			if i == probe-1 {
				probedDistinct = distinct
			}
		}
		share := float64(distinct) / float64(tc.total)
		if math.Abs(share-aggSkipRatio) < 0.1 {
			t.Fatalf("domain %d over %d rows: share %.3f too near the threshold to test", tc.domain, tc.total, share)
		}
		got := aggSkipPays(probedDistinct, probe, int64(tc.total))
		if want := share > aggSkipRatio; got != want {
			t.Errorf("domain %d, %d rows: %d of the first %d distinct, %.3f of all: skip = %v, want %v",
				tc.domain, tc.total, probedDistinct, probe, share, got, want)
		}
		if got, want := aggSkipPays(probedDistinct, probe, 0), float64(probedDistinct) > aggSkipRatio*probe; got != want {
			t.Errorf("domain %d with the input's rows unknown: skip = %v, want %v", tc.domain, got, want)
		}
	}
	if aggSkipPays(0, probe, 1e6) || aggSkipPays(10, 0, 1e6) {
		t.Error("skip with no groups or no rows probed")
	}
}

// aggEstSource is a source that says how many rows its whole input has.
type aggEstSource struct {
	exectest.Source
	rows int64
}

func (s *aggEstSource) EstimatedRows() int64 { return s.rows }

// TestHashAggProbeReadsTheInputsEstimate: the same first rows (keys from a domain of a
// million, 94% new over the probe) make Partial skip when the input's length is unknown,
// and keep aggregating (each key emitted once) when the input says it has 25 million
// rows, which would leave one group per 25 rows.
func TestHashAggProbeReadsTheInputsEstimate(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	r := rand.New(rand.NewPCG(5, 6))
	var parts [][][]any
	distinct, n := map[int64]bool{}, 0
	for n < aggSkipProbeRows+aggSkipProbeRows/4 {
		var part [][]any
		for range 8192 {
			k := int64(r.IntN(1_000_000))
			distinct[k] = true
			part = append(part, []any{k, int64(1)})
		}
		parts = append(parts, part)
		n += len(part)
	}
	partial, _, _ := aggNodes(t, schema, []string{"k"}, []plan.AggExpr{{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "v"}, Name: "s"}})
	for _, tc := range []struct {
		estimate int64
		skips    bool
	}{{0, true}, {25_000_000, false}} {
		src := &aggEstSource{Source: exectest.Source{Batches: aggNewBatches(t, mem, schema, parts)}, rows: tc.estimate}
		op := NewHashAggregate(src, partial, colop.Options{Mem: mem})
		out, err := exectest.Drain(t, op)
		if err != nil {
			t.Fatal(err)
		}
		emitted := 0
		for _, b := range out {
			emitted += int(b.NumRows())
			b.Release()
		}
		op.Close()
		if skipped := emitted > len(distinct); skipped != tc.skips {
			t.Errorf("input estimate %d: %d state rows for %d keys (%d rows): skipped %v, want %v",
				tc.estimate, emitted, len(distinct), n, skipped, tc.skips)
		}
	}
}

// TestHashAggProbeCountsFlushedGroups: Partial over mostly unique keys under a budget that
// makes it flush its table many times before the probe ends must still see that it
// reduces nothing and convert rows to states; the groups it flushed count as groups
// (counting only the table's, the last flush left few, and it kept hashing a million
// keys into small tables, the out-of-core group-by's map side at 4× its in-memory time).
func TestHashAggProbeCountsFlushedGroups(t *testing.T) {
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	const n = 3 * aggSkipProbeRows / 2
	rows := aggMostlyUniqueRows(n)
	aggs := []plan.AggExpr{{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "i"}, Name: "sum_i"},
		{Func: plan.AggMean, Arg: &plan.ColumnRef{Name: "f"}, Name: "mean_f"}}
	partial, final, _ := aggNodes(t, aggTestSchema, []string{"k"}, aggs)
	var batches [][][]any
	for lo := 0; lo < n; lo += 4096 {
		batches = append(batches, rows[lo:min(lo+4096, n)])
	}
	res := &exectest.LimitReservation{Limit: 2 << 20}
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, batches)}, partial, colop.Options{Mem: mem}.WithReservation(res))
	states, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	if op.flushedGroups == 0 {
		for _, b := range states {
			b.Release()
		}
		t.Fatalf("the budget never made the table flush (passing %v after %d rows, peak %d): the test tests nothing", op.passing, op.probeRows, res.Peak)
	}
	if !op.passing {
		t.Errorf("after flushing %d groups from %d rows, partial still hashes", op.flushedGroups, op.probeRows)
	}
	if res.Peak > res.Limit {
		t.Errorf("reservation peaked at %d of %d", res.Peak, res.Limit)
	}
	fin := NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
	defer fin.Close()
	out, err := exectest.Drain(t, fin)
	if err != nil {
		t.Fatal(err)
	}
	aggCheck(t, aggTable{schema: aggTestSchema, rows: rows}, []string{"k"}, aggs, exectest.RowsOf(t, out))
}
