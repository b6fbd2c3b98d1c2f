package sorting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

const (
	// sortScratchPerRow is the Go-heap bytes a full sort needs per row besides the rows.
	sortScratchPerRow = 32
)

// SortOp sorts its input partition by plan.PSort's keys, with kernel.RowComparator's order
// (the one the range partitioner uses, so a range-partitioned global sort is sorted across
// partitions): NULLs placed by NullsFirst whatever the direction, NaN above every number,
// -0 equal to 0, strings by bytes, dictionary strings by value. The sort is stable: rows
// with equal keys keep their input order.
//
// Without a limit it holds the whole input (every batch reserved before it is held), sorts
// row positions and gathers the output batch by batch. With Limit > 0 it is a top-N: each
// batch is cut to its best Limit rows with a bounded heap, rows that cannot beat the
// current Limit-th row are dropped, and the survivors are merged from time to time, so it
// holds O(Limit) rows and never sorts the whole input.
//
// With SpillManager set, a full sort whose reservation is refused becomes an external merge sort
// (see sort_external.go): the held rows are written as a sorted run and the input goes on;
// at the end the runs are merged. The output is the same as in memory, row for row.
type SortOp struct {
	// batchRows is the most rows an output batch holds (Options.BatchRows); 0 means 8192.
	batchRows int
	// spillManager (Options.Spill), when set, lets a full sort write sorted runs to disk when
	// its reservation is refused or another consumer of the task makes it spill (the Spill
	// method); nil keeps everything in memory and fails with the budget error.
	spillManager *storage.SpillManager

	input colop.Operator
	node  *plan.PSort
	mem   memory.Allocator
	res   colop.Reservation
	ctx   context.Context

	schema  *arrow.Schema
	keyCols []int
	orders  []kernel.SortOrder

	held     []arrow.RecordBatch // full sort: the input, until sorted
	top      topN                // top-N state
	out      arrow.RecordBatch   // the rows to emit: sorted by perm, or already in order
	perm     []int32             // order of out's rows; nil when out is in order
	pos      int                 // rows emitted so far
	reserved int64               // bytes held in res

	topMergeRows int // tests lower it to exercise top-N merges; 0 means a batch

	// External sort state (sort_external.go). spillMu guards held, runs and reserved
	// against Spill calls from other consumers of the task while the input is consumed.
	spillMu     sync.Mutex
	accepting   bool        // consuming a full sort's input: Spill may write a run
	runs        []sortRun   // spilled sorted runs, in input order
	merger      *sortMerger // the final merge, once the runs are being emitted
	mergePasses int         // intermediate merges of runs into one run
	// runRows bounds the rows of a merge's chunks (runs written and merged output),
	// set at the first spill from the budget (sortMergeRows); 0 until then.
	runRows      int
	spilledBytes atomic.Int64
	spillCount   atomic.Int64

	consumed, finished, opened bool
	closer                     colop.Closer
	stickyErr                  error
}

var _ colop.Operator = (*SortOp)(nil)

// NewSort returns the operator computing node over input. Output arrays are allocated
// from opts.Mem; its reservation (opts.Reserve; nil: untracked) is grown for the held rows
// and freed when the output is done or on Close; opts.Spill lets a full sort write sorted
// runs to disk.
func NewSort(input colop.Operator, node *plan.PSort, opts colop.Options) *SortOp {
	o := &SortOp{input: input, node: node, mem: opts.Mem, batchRows: opts.BatchRows, spillManager: opts.Spill}
	name := "sort"
	if node.Limit > 0 {
		name = "top-n"
	}
	o.res = opts.Reservation(name, o)
	return o
}

// Open checks the node and opens the input.
func (o *SortOp) Open(ctx context.Context) error {
	if o.opened {
		return nil
	}
	o.opened = true
	o.ctx = ctx
	if len(o.node.Keys) == 0 {
		return errors.New("exec: sort: no sort keys")
	}
	if o.node.Limit < 0 {
		return fmt.Errorf("exec: sort: negative limit %d", o.node.Limit)
	}
	o.orders = make([]kernel.SortOrder, len(o.node.Keys))
	for i, k := range o.node.Keys {
		o.orders[i] = kernel.SortOrder{Descending: k.Descending, NullsFirst: k.NullsFirst}
	}
	return o.input.Open(ctx)
}

// Next consumes and sorts the input on its first call, then returns the sorted rows
// batch by batch.
func (o *SortOp) Next() (arrow.RecordBatch, error) {
	if o.stickyErr != nil {
		return nil, o.stickyErr
	}
	if !o.opened || o.closer.Closed() {
		return nil, errors.New("exec: sort: Next without Open or after Close")
	}
	if o.finished {
		return nil, io.EOF
	}
	if !o.consumed {
		if err := o.consume(); err != nil {
			o.fail(err)
			return nil, err
		}
		o.consumed = true
	}
	if o.merger != nil {
		rec, err := o.merger.next()
		if errors.Is(err, io.EOF) {
			o.finished = true
			o.releaseState()
			return nil, io.EOF
		}
		if err != nil {
			o.fail(err)
			return nil, err
		}
		return rec, nil
	}
	if o.out == nil || o.pos >= int(o.out.NumRows()) {
		o.finished = true
		o.releaseState()
		return nil, io.EOF
	}
	rows := o.batchRows
	if rows <= 0 {
		rows = colop.DefaultBatchRows
	}
	lo, hi := o.pos, min(o.pos+rows, int(o.out.NumRows()))
	var rec arrow.RecordBatch
	if o.perm == nil {
		rec = o.out.NewSlice(int64(lo), int64(hi))
	} else {
		var err error
		rec, err = kernel.Gather(o.out, o.perm[lo:hi], o.mem)
		if err != nil {
			err = fmt.Errorf("exec: sort: gather output rows %d-%d: %w", lo, hi, err)
			o.fail(err)
			return nil, err
		}
	}
	o.pos = hi
	return rec, nil
}

func (o *SortOp) fail(err error) {
	o.stickyErr = err
	o.releaseState()
}

// Close releases everything held and closes the input.
func (o *SortOp) Close() error {
	return o.closer.CloseOnce(func() error {
		o.releaseState()
		return o.input.Close()
	})
}

// releaseState drops every held batch, removes the spill files and frees the reservation.
func (o *SortOp) releaseState() {
	o.spillMu.Lock()
	defer o.spillMu.Unlock()
	o.accepting = false
	o.releaseRuns()
	for _, r := range o.held {
		r.Release()
	}
	o.held = nil
	o.top.release()
	if o.out != nil {
		o.out.Release()
		o.out = nil
	}
	o.perm = nil
	if o.res != nil {
		o.res.Free()
	}
	o.reserved = 0
}

func (o *SortOp) reserve(n int64, what string) error {
	if o.res != nil {
		if err := o.res.TryGrow(n); err != nil {
			return fmt.Errorf("exec: sort by [%s]: reserving %d bytes for %s (holding %d): %w",
				o.keyNames(), n, what, o.reserved, err)
		}
	}
	o.reserved += n
	return nil
}

func (o *SortOp) unreserve(n int64) {
	if o.res != nil {
		o.res.Shrink(n)
	}
	o.reserved -= n
}

func (o *SortOp) keyNames() string {
	s := ""
	for i, k := range o.node.Keys {
		if i > 0 {
			s += ", "
		}
		s += k.String()
	}
	return s
}

// bind resolves the sort keys against the input schema on the first batch and checks that
// later batches keep it.
func (o *SortOp) bind(rec arrow.RecordBatch) error {
	if o.schema != nil {
		if !o.schema.Equal(rec.Schema()) {
			return fmt.Errorf("exec: sort: input batch schema %s differs from the first batch's %s", rec.Schema(), o.schema)
		}
		return nil
	}
	o.schema = rec.Schema()
	o.keyCols = make([]int, len(o.node.Keys))
	for i, k := range o.node.Keys {
		idx := o.schema.FieldIndices(k.Column)
		if len(idx) != 1 {
			return fmt.Errorf("exec: sort: key %q matches %d columns of the input %s", k.Column, len(idx), o.schema)
		}
		o.keyCols[i] = idx[0]
	}
	return nil
}

// comparator builds the row comparator over rec's key columns.
func (o *SortOp) comparator(rec arrow.RecordBatch) (*kernel.RowComparator, error) {
	cols := make([]arrow.Array, len(o.keyCols))
	for i, c := range o.keyCols {
		cols[i] = rec.Column(c)
	}
	c, err := kernel.NewRowComparator(cols, o.orders)
	if err != nil {
		return nil, fmt.Errorf("exec: sort by [%s]: %w", o.keyNames(), err)
	}
	return c, nil
}

// consume reads the whole input, then sorts it (or finishes the top-N).
func (o *SortOp) consume() error {
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		rec, err := o.input.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		if err := o.bind(rec); err != nil {
			rec.Release()
			return err
		}
		if o.node.Limit > 0 {
			err = o.topAdd(rec)
		} else {
			err = o.hold(rec)
		}
		if err != nil {
			return err
		}
	}
	if o.node.Limit > 0 {
		return o.topFinish()
	}
	o.spillMu.Lock()
	o.accepting = false
	spilled := len(o.runs) > 0
	o.spillMu.Unlock()
	if spilled {
		return o.startMerge()
	}
	return o.sortHeld()
}

// hold keeps rec for the full sort, reserving its bytes first. It takes ownership of rec.
// With SpillManager set it also reserves the sort's per-row scratch, and a refused reservation
// writes the held rows as a sorted run and retries.
func (o *SortOp) hold(rec arrow.RecordBatch) error {
	o.spillMu.Lock()
	defer o.spillMu.Unlock()
	size := int64(colop.HeldBytes(rec))
	if o.spillManager != nil {
		o.accepting = true
		size += sortScratchPerRow * rec.NumRows()
	}
	err := o.reserve(size, "an input batch")
	if err != nil && o.spillManager != nil && len(o.held) > 0 && errors.Is(err, kmemory.ErrBudgetExceeded) {
		if _, serr := o.spillHeld(); serr != nil {
			rec.Release()
			return serr
		}
		err = o.reserve(size, "an input batch")
	}
	if err != nil {
		rec.Release()
		return err
	}
	o.held = append(o.held, rec)
	return nil
}

// sortHeld concatenates the held batches and sorts their row positions.
func (o *SortOp) sortHeld() error {
	if len(o.held) == 0 {
		return nil
	}
	var n int64
	for _, r := range o.held {
		n += r.NumRows()
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("exec: sort: %d rows in one partition, at most %d can be sorted", n, math.MaxInt32)
	}
	// The positions and the sort's scratch (radix keys and buffers, dictionary ranks) live
	// on the Go heap: about 32 bytes a row at the peak. With SpillManager set, hold reserved it.
	if o.spillManager == nil {
		if err := o.reserve(sortScratchPerRow*n, "row positions and sort scratch"); err != nil {
			return err
		}
	}
	held := o.held
	o.held = nil
	all, err := concatRecords(o.schema, held, o.mem)
	if err != nil {
		return fmt.Errorf("exec: sort: %w", err)
	}
	o.out = all
	c, err := o.comparator(all)
	if err != nil {
		return err
	}
	o.perm = sortPositions(c)
	return nil
}

// concatRecords concatenates batches of one schema into one, taking ownership of them.
// Each input column is released as soon as it is concatenated, so the peak is the input
// plus one column rather than twice the input.
func concatRecords(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(recs) == 1 {
		return recs[0], nil
	}
	ncols := schema.NumFields()
	parts := make([][]arrow.Array, ncols)
	var rows int64
	for _, r := range recs {
		for c := range ncols {
			col := r.Column(c)
			col.Retain()
			parts[c] = append(parts[c], col)
		}
		rows += r.NumRows()
		r.Release()
	}
	cols := make([]arrow.Array, 0, ncols)
	release := func() {
		for _, p := range parts {
			for _, a := range p {
				a.Release()
			}
		}
		for _, a := range cols {
			a.Release()
		}
	}
	for c := range ncols {
		arr, err := kernel.Concatenate(parts[c], mem)
		if err != nil {
			release()
			return nil, fmt.Errorf("concatenate column %d (%s): %w", c, schema.Field(c).Name, err)
		}
		for _, a := range parts[c] {
			a.Release()
		}
		parts[c] = nil
		cols = append(cols, arr)
	}
	rec := array.NewRecordBatch(schema, cols, rows)
	for _, a := range cols {
		a.Release()
	}
	return rec, nil
}
