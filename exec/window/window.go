package window

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// Op computes plan.PWindow over its input partition, which must be sorted by the
// partition keys (ascending, NULLs first) then the order keys.
//
// It holds the rows of the window partition being read (reserved before they are held)
// and, once a partition is complete, computes the functions over the complete rows and
// emits them in batches of at most BatchRows rows; when every function streams (see
// stream.go) it emits each batch's complete rows instead, holding only a few rows.
type Op struct {
	input     colop.Operator
	node      *plan.PWindow
	mem       memory.Allocator
	res       colop.ChunkedReservation
	batchRows int
	ctx       context.Context

	inSchema  *arrow.Schema
	full      binding  // the input's columns
	cur       *binding // the columns of the batch being computed: full, or narrow
	narrow    binding  // the columns of a spilled partition's narrow projection
	narrowIdx []int    // the input columns the narrow projection keeps
	narrowSch *arrow.Schema
	spill     *storage.SpillManager
	spilled   spillState
	stream    streamState

	held      []arrow.RecordBatch // rows of the incomplete partition, in order
	heldBytes int64
	tailCmp   *kernel.RowComparator // partition keys of the last held batch
	out       arrow.RecordBatch     // computed rows being emitted
	outBytes  int64
	outPos    int
	eof       bool
	floor     int64 // bytes reserved at Open and kept until Close
	taskShare int64 // the task's share of a known budget (0: unknown)

	opened, bound bool
	closer        colop.Closer
	stickyErr     error
}

var _ colop.Operator = (*Op)(nil)

// NewWindow returns the operator computing node over input, allocating from opts.Mem and
// reserving what it holds from opts.Reserve.
func NewWindow(input colop.Operator, node *plan.PWindow, opts colop.Options) *Op {
	o := &Op{input: input, node: node, mem: opts.Mem, batchRows: opts.BatchRows, spill: opts.Spill}
	if o.batchRows <= 0 {
		o.batchRows = colop.DefaultBatchRows
	}
	o.res.Res = opts.Reservation("window", nil)
	o.taskShare = opts.TaskShare(colop.BudgetOf(o.res.Res))
	return o
}

// Open opens the input.
func (o *Op) Open(ctx context.Context) error {
	if o.opened {
		return nil
	}
	o.opened = true
	o.ctx = ctx
	if err := o.input.Open(ctx); err != nil {
		return err
	}
	o.takeHeadStart()
	return nil
}

// windowShare is the part of the task's share of a known budget that the windows stacked
// over one input keep from Open, together (1/windowShare).
const windowShare = 4

// takeHeadStart reserves the window's part of the head start. The operator below (a sort)
// reads its whole input before a window sees a row and may take the whole budget by then;
// memory kept now leaves the windows room to compute a partition's columns. The windows
// stacked directly over one another share one head start, since the sort must keep the
// rest: three windows each keeping a quarter held 3/4 of the budget, more than a task's
// cap once a second task ran, and the sort, holding nothing it could spill, was refused.
// The head start is a part of the task's share, not of the budget, because the memory
// manager caps each task at its share once the others run. Opened bottom-up, each window
// shrinks the ones below it to its part. Refused, it is only a smaller head start.
func (o *Op) takeHeadStart() {
	if o.taskShare <= 0 {
		return
	}
	stacked := 1
	for w := o.below(); w != nil; w = w.below() {
		stacked++
	}
	part := o.taskShare / windowShare / int64(stacked)
	for w := o.below(); w != nil; w = w.below() {
		if w.floor > part {
			w.floor = part
			w.shrinkTo(w.heldBytes + w.stream.ctxBytes)
		}
	}
	if _, err := o.res.Reserve(part); err == nil {
		o.floor = part
	}
}

// below returns the window operator this one reads from directly, or nil.
func (o *Op) below() *Op {
	w, _ := o.input.(*Op)
	return w
}

// shrinkTo gives back what the reservation holds above n bytes, keeping the share
// reserved at Open.
func (o *Op) shrinkTo(n int64) { o.res.ShrinkTo(max(n, o.floor)) }

// Next returns the next batch of input rows with their window columns.
func (o *Op) Next() (arrow.RecordBatch, error) {
	if o.stickyErr != nil {
		return nil, o.stickyErr
	}
	if o.closer.Closed() {
		return nil, errors.New("exec: window: Next after Close")
	}
	rec, err := o.next()
	if err != nil && !errors.Is(err, io.EOF) {
		o.stickyErr = err
		o.releaseState()
	}
	return rec, err
}

func (o *Op) next() (arrow.RecordBatch, error) {
	for {
		if o.out != nil {
			if n := int(o.out.NumRows()); o.outPos < n {
				hi := min(n, o.outPos+o.batchRows)
				rec := o.out.NewSlice(int64(o.outPos), int64(hi))
				o.outPos = hi
				return rec, nil
			}
			o.out.Release()
			o.out, o.outBytes = nil, 0
			o.shrinkTo(o.heldBytes + o.stream.ctxBytes)
		}
		if o.spilled.replay != nil {
			rec, err := o.nextSpilled()
			if err != nil || rec != nil {
				return rec, err
			}
			continue
		}
		if rec := o.spilled.pendingIn; rec != nil {
			o.spilled.pendingIn = nil
			if err := o.add(rec); err != nil {
				return nil, err
			}
			continue
		}
		if o.eof {
			return nil, io.EOF
		}
		if err := o.ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := o.input.Next()
		if errors.Is(err, io.EOF) {
			o.eof = true
			if o.spilled.w != nil {
				if err := o.finishSpill(); err != nil {
					return nil, err
				}
			} else if len(o.held) > 0 {
				held := o.held
				o.held, o.heldBytes, o.tailCmp = nil, 0, nil
				emit := o.compute
				if o.stream.on {
					emit = o.emitStream
				}
				if err := emit(held); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		if err := o.add(rec); err != nil {
			return nil, err
		}
	}
}

// add takes rec: it holds it, and when a window partition ends in it, computes the
// complete rows (held batches and rec's rows before its last partition start).
func (o *Op) add(rec arrow.RecordBatch) error {
	if err := o.bind(rec); err != nil {
		rec.Release()
		return err
	}
	if o.stream.on {
		return o.addStream(rec)
	}
	cmp, err := o.partComparator(rec, &o.full)
	if err != nil {
		rec.Release()
		return err
	}
	if o.spilled.w != nil {
		return o.addSpilled(rec, cmp)
	}
	b := lastStart(cmp)
	if b < 0 && o.tailCmp != nil && o.tailCmp.CompareWith(o.tailCmp.Len()-1, cmp, 0) != 0 {
		b = 0
	}
	size := int64(colop.HeldBytes(rec))
	if err := o.reserve(o.heldBytes+size+o.outBytes, "an input batch"); err != nil {
		if !o.canSpill(err) {
			rec.Release()
			return err
		}
		// The partition being read does not fit: its rows go to a spill file.
		if err := o.startSpill(); err != nil {
			rec.Release()
			return err
		}
		return o.addSpilled(rec, cmp)
	}
	if b <= 0 || len(o.full.part) == 0 {
		if b == 0 && len(o.held) > 0 {
			held := o.held
			o.held, o.heldBytes = nil, 0
			if err := o.compute(held); err != nil {
				rec.Release()
				return err
			}
		}
		o.held = append(o.held, rec)
		o.heldBytes += size
		o.tailCmp = cmp
		return nil
	}
	held := append(o.held, rec.NewSlice(0, int64(b)))
	rest := rec.NewSlice(int64(b), rec.NumRows())
	rec.Release()
	o.held, o.heldBytes = []arrow.RecordBatch{rest}, size
	if o.tailCmp, err = o.partComparator(rest, &o.full); err != nil {
		releaseAll(held)
		return err
	}
	return o.compute(held)
}

// lastStart returns the first row of the last window partition starting inside the
// comparator's rows after row 0, or -1 when every row has row 0's partition keys.
func lastStart(c *kernel.RowComparator) int {
	for i := c.Len() - 1; i > 0; i-- {
		if c.Compare(i, i-1) != 0 {
			return i
		}
	}
	return -1
}

// reserve makes the reservation cover need bytes.
func (o *Op) reserve(need int64, what string) error {
	if _, err := o.res.Reserve(need); err != nil {
		return fmt.Errorf("exec: window %s: reserving %d bytes for %s (holding %d): %w", o.describe(), need, what, o.res.Held, err)
	}
	return nil
}

// describe names the operator's window for errors.
func (o *Op) describe() string {
	s := "PARTITION BY [" + strings.Join(o.node.PartitionBy, ", ") + "]"
	if len(o.node.OrderBy) > 0 {
		keys := make([]string, len(o.node.OrderBy))
		for i, k := range o.node.OrderBy {
			keys[i] = k.String()
		}
		s += " ORDER BY [" + strings.Join(keys, ", ") + "]"
	}
	var sites []string
	for _, e := range o.node.Exprs {
		if e.Fn.Site != "" && !slices.Contains(sites, e.Fn.Site) {
			sites = append(sites, e.Fn.Site)
		}
	}
	if len(sites) > 0 {
		s += " (" + strings.Join(sites, ", ") + ")"
	}
	return s
}

// bind resolves the key and argument columns on the first batch.
func (o *Op) bind(rec arrow.RecordBatch) error {
	if o.bound {
		if !o.inSchema.Equal(rec.Schema()) {
			return fmt.Errorf("exec: window %s: input batch schema %s differs from the first batch's %s", o.describe(), rec.Schema(), o.inSchema)
		}
		return nil
	}
	o.bound = true
	o.inSchema = rec.Schema()
	col := func(name string) (int, error) {
		idx := o.inSchema.FieldIndices(name)
		if len(idx) != 1 {
			return -1, fmt.Errorf("exec: window %s: column %q matches %d columns of the input %s", o.describe(), name, len(idx), o.inSchema)
		}
		return idx[0], nil
	}
	var err error
	o.cur = &o.full
	o.full.part = make([]int, len(o.node.PartitionBy))
	for i, k := range o.node.PartitionBy {
		if o.full.part[i], err = col(k); err != nil {
			return err
		}
	}
	o.full.order = make([]int, len(o.node.OrderBy))
	for i, k := range o.node.OrderBy {
		if o.full.order[i], err = col(k.Column); err != nil {
			return err
		}
	}
	o.full.args = make([][2]int, len(o.node.Exprs))
	for i, e := range o.node.Exprs {
		o.full.args[i] = [2]int{-1, -1}
		args := e.Fn.Args
		if e.Fn.Func == plan.WinAgg && e.Fn.Agg.Arg != nil {
			args = []plan.Expr{e.Fn.Agg.Arg}
		}
		for j, a := range args {
			c, ok := a.(*plan.ColumnRef)
			if !ok || j > 1 {
				return fmt.Errorf("exec: window: argument %s of %s is not a column", a, e.Fn)
			}
			if o.full.args[i][j], err = col(c.Name); err != nil {
				return err
			}
		}
	}
	o.bindNarrow()
	o.planStream()
	return nil
}

// partComparator compares rows of rec, whose columns b describes, by the partition keys.
func (o *Op) partComparator(rec arrow.RecordBatch, b *binding) (*kernel.RowComparator, error) {
	cols := make([]arrow.Array, len(b.part))
	orders := make([]kernel.SortOrder, len(b.part))
	for i, c := range b.part {
		cols[i] = rec.Column(c)
		orders[i] = kernel.SortOrder{NullsFirst: true}
	}
	c, err := kernel.NewRowComparator(cols, orders)
	if err != nil {
		return nil, fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	return c, nil
}

// compute concatenates batches (taking ownership), computes the window columns over the
// complete partitions they hold and makes the result the batch to emit.
func (o *Op) compute(batches []arrow.RecordBatch) error {
	var size int64
	for _, b := range batches {
		size += int64(colop.HeldBytes(b))
	}
	// The concatenation and the window columns: about the rows again, plus 16 bytes a row
	// a function.
	rows := int64(0)
	for _, b := range batches {
		rows += b.NumRows()
	}
	o.outBytes = size + 16*rows*int64(len(o.node.Exprs))
	if err := o.reserve(o.heldBytes+size+o.outBytes, "a window partition"); err != nil {
		o.outBytes = 0
		if o.canSpill(err) {
			return o.spillBatches(batches)
		}
		releaseAll(batches)
		return err
	}
	all, err := concatRecords(o.inSchema, batches, o.mem)
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	defer all.Release()
	cols, err := o.columns(all)
	if err != nil {
		return err
	}
	out := append(append([]arrow.Array(nil), all.Columns()...), cols...)
	o.out = array.NewRecordBatch(o.node.OutSchema, out, all.NumRows())
	for _, c := range cols {
		c.Release()
	}
	o.outPos = 0
	return nil
}

// Close releases everything held and closes the input.
func (o *Op) Close() error {
	return o.closer.CloseOnce(func() error {
		o.releaseState()
		return o.input.Close()
	})
}

func (o *Op) releaseState() {
	o.releaseSpill()
	if o.spilled.pendingIn != nil {
		o.spilled.pendingIn.Release()
		o.spilled.pendingIn = nil
	}
	releaseAll(o.held)
	o.held, o.heldBytes, o.tailCmp = nil, 0, nil
	o.releaseContext()
	if o.out != nil {
		o.out.Release()
		o.out = nil
	}
	if o.res.Res != nil {
		o.res.Res.Free()
	}
	o.res.Held = 0
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		if r != nil {
			r.Release()
		}
	}
}

// concatRecords concatenates batches of one schema into one, taking ownership of them.
func concatRecords(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	defer releaseAll(recs)
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(recs))
	for c := range cols {
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		arr, err := kernel.Concatenate(parts, mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate column %d (%s): %w", c, schema.Field(c).Name, err)
		}
		cols[c] = arr
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
