package exectest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/memtest"
)

// Input is one input of an operator under RunTests: its rows, from which the harness cuts
// the batches of every run. Make one with Rows or Batches.
type Input struct {
	schema *arrow.Schema
	rows   [][]any             // built with BuildBatch, if batches is nil
	recs   []arrow.RecordBatch // the caller's, not owned
}

// Rows is an input of plain Go rows of schema, in the value types BuildBatch takes
// (int64, int32, uint32, float64, string, bool, arrow.Date32, nil for NULL; strings for a
// dictionary column).
func Rows(schema *arrow.Schema, rows [][]any) Input { return Input{schema: schema, rows: rows} }

// Batches is an input of ready batches, for column types BuildBatch cannot build (lists,
// timestamps); their rows in order make the input. RunTests copies them and does not
// take ownership: the caller releases them afterwards.
func Batches(schema *arrow.Schema, recs ...arrow.RecordBatch) Input {
	return Input{schema: schema, recs: recs}
}

// BuildFunc builds the operator under test over inputs (one Source per Input, in order),
// allocating from mem, the run's checked allocator. It is called once per run.
type BuildFunc func(mem memory.Allocator, inputs []colop.Operator) (colop.Operator, error)

// Option changes what RunTests runs or how it compares.
type Option func(*harnessConfig)

type harnessConfig struct {
	unordered bool
	emptyWant [][]any
	noEmpty   bool
	seed      uint64
}

// Unordered compares the output with the expectation as multisets of rows: for operators
// whose output order is not part of their contract (hash aggregation, hash join).
func Unordered() Option { return func(c *harnessConfig) { c.unordered = true } }

// EmptyWant is what the operator yields when every input is empty; by default no rows.
// An aggregate without grouping keys, for one, yields one row.
func EmptyWant(rows [][]any) Option { return func(c *harnessConfig) { c.emptyWant = rows } }

// NoEmptyInput skips the runs over empty inputs, for cases whose point is elsewhere.
func NoEmptyInput() Option { return func(c *harnessConfig) { c.noEmpty = true } }

// Seed changes the seed of the random batch sizes (each RunTests call is deterministic).
func Seed(s uint64) Option { return func(c *harnessConfig) { c.seed = s } }

// harnessRun is one way of feeding the inputs: how to cut each input into batches, and
// how far to drive the operator.
type harnessRun struct {
	name string
	// cut returns the batch sizes for an input of n rows; zeros are empty batches.
	cut func(n int, rng *rand.Rand) []int
	// sliced hands out slices of one batch holding the whole input (non-zero offsets)
	// instead of batches of their own.
	sliced bool
	empty  bool // every input has no rows
	stop   int  // close after this many Next calls; -1 drains
}

func fixedCut(size int) func(int, *rand.Rand) []int {
	return func(n int, _ *rand.Rand) []int {
		var out []int
		for n > 0 {
			k := min(size, n)
			out = append(out, k)
			n -= k
		}
		return out
	}
}

func wholeCut(n int, _ *rand.Rand) []int {
	if n == 0 {
		return nil
	}
	return []int{n}
}

func randomCut(n int, rng *rand.Rand) []int {
	var out []int
	for n > 0 {
		k := min(1+rng.IntN(max(8, n/3)), n)
		out = append(out, k)
		n -= k
	}
	return out
}

// withEmpties puts a zero-row batch first, last and between every two batches of cut.
func withEmpties(cut func(int, *rand.Rand) []int) func(int, *rand.Rand) []int {
	return func(n int, rng *rand.Rand) []int {
		out := []int{0}
		for _, k := range cut(n, rng) {
			out = append(out, k, 0)
		}
		return out
	}
}

// randomWithEmpties mixes zero-row batches among random sizes at random, and at both ends.
func randomWithEmpties(n int, rng *rand.Rand) []int {
	out := []int{0}
	for _, k := range randomCut(n, rng) {
		for rng.IntN(3) == 0 {
			out = append(out, 0)
		}
		out = append(out, k)
	}
	return append(out, 0, 0)
}

var harnessRuns = []harnessRun{
	{name: "whole", cut: wholeCut, stop: -1},
	{name: "batch=1", cut: fixedCut(1), stop: -1},
	{name: "batch=2", cut: fixedCut(2), stop: -1},
	{name: "batch=3", cut: fixedCut(3), stop: -1},
	{name: "batch=7", cut: fixedCut(7), stop: -1},
	{name: "random", cut: randomCut, stop: -1},
	{name: "random-2", cut: randomCut, stop: -1},
	{name: "empties", cut: withEmpties(fixedCut(3)), stop: -1},
	{name: "random-empties", cut: randomWithEmpties, stop: -1},
	{name: "sliced", cut: randomCut, sliced: true, stop: -1},
	{name: "sliced-empties", cut: randomWithEmpties, sliced: true, stop: -1},
	{name: "empty-input", cut: wholeCut, empty: true, stop: -1},
	{name: "empty-input-empty-batches", cut: func(int, *rand.Rand) []int { return []int{0, 0} }, empty: true, stop: -1},
	{name: "close-after-open", cut: fixedCut(2), stop: 0},
	{name: "close-after-first", cut: fixedCut(2), stop: 1},
	{name: "close-after-first-whole", cut: wholeCut, stop: 1},
}

// RunTests is the conformance harness of operators. It builds the operator over replayable
// Sources of inputs many ways and checks that every run yields want (plain Go rows, as
// GoValue reads them, computed by the caller without the operator), in order unless
// Unordered is given. The runs cut the inputs into batches of 1, 2, 3 and 7 rows, one
// batch, random sizes, with zero-row batches interleaved and at both ends, as slices of
// one larger batch (non-zero offsets), and feed empty inputs (expecting EmptyWant). Other
// runs close the operator right after Open and after its first batch. Every run checks
// each batch with colop.CheckBatch and against the first batch's schema, that Next after
// io.EOF returns io.EOF again, that a second Close succeeds, that every Source was closed
// with all its batches released, and that the run's checked allocator holds no byte at
// the end.
//
// Inputs should stay small (a few hundred rows): there are about fifteen runs, some of
// them one row per batch.
func RunTests(t *testing.T, inputs []Input, want [][]any, build BuildFunc, opts ...Option) {
	t.Helper()
	cfg := harnessConfig{seed: 1}
	for _, o := range opts {
		o(&cfg)
	}
	tmplMem := memtest.Checked()
	defer tmplMem.AssertSize(t, 0)
	tmpls := make([]arrow.RecordBatch, len(inputs))
	for i, in := range inputs {
		tmpls[i] = inputTemplate(t, tmplMem, in)
	}
	defer func() {
		for _, r := range tmpls {
			r.Release()
		}
	}()
	for ri, run := range harnessRuns {
		if run.empty && cfg.noEmpty {
			continue
		}
		t.Run(run.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(cfg.seed, uint64(ri)))
			exp := want
			if run.empty {
				exp = cfg.emptyWant
			}
			runOnce(t, cfg, run, rng, tmpls, exp, build)
		})
	}
}

// inputTemplate returns in as one batch allocated from mem.
func inputTemplate(t *testing.T, mem memory.Allocator, in Input) arrow.RecordBatch {
	t.Helper()
	if in.recs == nil {
		return BuildBatch(t, mem, in.schema, in.rows)
	}
	cols := make([]arrow.Array, in.schema.NumFields())
	var rows int64
	for _, r := range in.recs {
		rows += r.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, 0, len(in.recs)+1)
		for _, r := range in.recs {
			parts = append(parts, r.Column(c))
		}
		if len(parts) == 0 {
			parts = append(parts, array.MakeArrayOfNull(mem, in.schema.Field(c).Type, 0))
			defer parts[0].Release()
		}
		col, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatalf("input column %d: %v", c, err)
		}
		cols[c] = col
	}
	rec := array.NewRecordBatch(in.schema, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// copyRows returns rows [lo, hi) of rec in buffers of their own, allocated from mem, so
// that the run's allocator sees the source batches and their release.
func copyRows(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, lo, hi int64) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, rec.NumCols())
	for c, col := range rec.Columns() {
		s := array.NewSlice(col, lo, hi)
		cp, err := array.Concatenate([]arrow.Array{s}, mem)
		s.Release()
		if err != nil {
			t.Fatalf("copying column %d: %v", c, err)
		}
		cols[c] = cp
	}
	out := array.NewRecordBatch(rec.Schema(), cols, hi-lo)
	for _, c := range cols {
		c.Release()
	}
	return out
}

// sourceBatches cuts tmpl as run says, in batches allocated from mem.
func sourceBatches(t *testing.T, mem memory.Allocator, run harnessRun, rng *rand.Rand, tmpl arrow.RecordBatch) []arrow.RecordBatch {
	t.Helper()
	n := int(tmpl.NumRows())
	if run.empty {
		n = 0
	}
	sizes := run.cut(n, rng)
	var whole arrow.RecordBatch
	if run.sliced {
		whole = copyRows(t, mem, tmpl, 0, int64(n))
		defer whole.Release()
	}
	out := make([]arrow.RecordBatch, 0, len(sizes))
	lo := int64(0)
	for _, k := range sizes {
		hi := lo + int64(k)
		if whole != nil {
			out = append(out, whole.NewSlice(lo, hi))
		} else {
			out = append(out, copyRows(t, mem, tmpl, lo, hi))
		}
		lo = hi
	}
	return out
}

func runOnce(t *testing.T, cfg harnessConfig, run harnessRun, rng *rand.Rand, tmpls []arrow.RecordBatch, want [][]any, build BuildFunc) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	srcs := make([]*Source, len(tmpls))
	ops := make([]colop.Operator, len(tmpls))
	for i, tmpl := range tmpls {
		srcs[i] = &Source{Batches: sourceBatches(t, mem, run, rng, tmpl)}
		ops[i] = srcs[i]
	}
	defer func() { // on a failure too, so that the allocator check blames the operator
		for _, s := range srcs {
			s.Close()
		}
	}()
	op, err := build(mem, ops)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			op.Close()
		}
	}()
	if err := op.Open(context.Background()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	var got [][]any
	var schema *arrow.Schema
	for calls := 0; run.stop < 0 || calls < run.stop; calls++ {
		rec, err := op.Next()
		if errors.Is(err, io.EOF) {
			if rec != nil {
				t.Errorf("Next returned a batch with io.EOF")
			}
			if rec, err := op.Next(); !errors.Is(err, io.EOF) || rec != nil {
				t.Errorf("Next after io.EOF: %v, %v; want nil, io.EOF", rec, err)
				if rec != nil {
					rec.Release()
				}
			}
			if run.stop >= 0 {
				break
			}
			if err := compareRows(got, want, cfg.unordered); err != nil {
				t.Errorf("%v", err)
			}
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if err := colop.CheckBatch(rec, fmt.Sprintf("batch %d", calls)); err != nil {
			t.Errorf("%v", err)
		}
		if schema == nil {
			schema = rec.Schema()
		} else if !schema.Equal(rec.Schema()) {
			t.Errorf("batch %d has schema %s, the first had %s", calls, rec.Schema(), schema)
		}
		got = append(got, RowsOf(t, []arrow.RecordBatch{rec})...)
	}
	closed = true
	if err := op.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := op.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for i, s := range srcs {
		if !s.Closed {
			t.Errorf("input %d was not closed", i)
		}
	}
}

// compareRows checks got against want, cell by cell with SameValue (lists element-wise),
// after sorting both by their rendering when unordered.
func compareRows(got, want [][]any, unordered bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d\ngot:  %v\nwant: %v", len(got), len(want), clip(got), clip(want))
	}
	if unordered {
		got, want = sortedRows(got), sortedRows(want)
	}
	for i := range want {
		if !sameRow(got[i], want[i]) {
			return fmt.Errorf("row %d: got %v, want %v\ngot:  %v\nwant: %v", i, got[i], want[i], clip(got), clip(want))
		}
	}
	return nil
}

func clip(rows [][]any) [][]any {
	if len(rows) > 20 {
		return rows[:20]
	}
	return rows
}

func sameRow(got, want []any) bool {
	if len(got) != len(want) {
		return false
	}
	for c := range want {
		if !sameCell(got[c], want[c]) {
			return false
		}
	}
	return true
}

func sameCell(got, want any) bool {
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok || wok {
		return gok && wok && sameRow(gl, wl)
	}
	return SameValue(got, want)
}

func sortedRows(rows [][]any) [][]any {
	keyed := make([]struct {
		key string
		row []any
	}, len(rows))
	for i, r := range rows {
		keyed[i].key = rowKey(r)
		keyed[i].row = r
	}
	slices.SortStableFunc(keyed, func(a, b struct {
		key string
		row []any
	}) int {
		return strings.Compare(a.key, b.key)
	})
	out := make([][]any, len(rows))
	for i := range keyed {
		out[i] = keyed[i].row
	}
	return out
}

func rowKey(r []any) string {
	var sb strings.Builder
	for _, v := range r {
		if l, ok := v.([]any); ok {
			sb.WriteString("[" + rowKey(l) + "]")
		} else {
			sb.WriteString(NormKey(v))
		}
		sb.WriteByte('\x00')
	}
	return sb.String()
}
