// Package asofjoin is kindling's as-of join (plan.PAsOfJoin): a merge of two inputs that
// are partitioned alike by the join's By keys and sorted by (By..., On). Each task holds
// its right partition (reserved in the task's memory) and streams its left partition,
// matching every left row with one right row through a cursor that only moves forward.
//
// An engine internal with no compatibility promise: users join through
// dataset.JoinAsOf.
package asofjoin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// Op is the as-of merge join of one partition. Its output batches are the left input's
// batches (same rows, same order) extended with the kept right columns of each row's
// match, NULL where there is none.
type Op struct {
	left, right colop.Operator
	node        *plan.PAsOfJoin
	mem         memory.Allocator
	budget      colop.ChunkedReservation
	ctx         context.Context

	loaded    bool
	rightCols []arrow.Array // the right partition, one concatenated array per column
	rightRows int
	rFull     *kernel.RowComparator // right rows by (By..., On)
	rBy       *kernel.RowComparator // right rows by By
	rOn       func(int) float64
	rOnValid  func(int) bool
	cur       int // the right cursor: rows before it sort at or before the last left row

	opened    bool
	closer    colop.Closer
	stickyErr error
}

var _ colop.Operator = (*Op)(nil)

// New returns the operator merging left and right as node says. Arrays come from
// opts.Mem; the right partition is reserved in opts' reservation ("as-of join").
func New(left, right colop.Operator, node *plan.PAsOfJoin, opts colop.Options) *Op {
	o := &Op{left: left, right: right, node: node, mem: opts.Mem}
	o.budget = colop.ChunkedReservation{Res: opts.Reservation("as-of join", nil)}
	return o
}

func (o *Op) describe() string {
	return fmt.Sprintf("exec: as-of join on %s by %v", o.node.On, o.node.By)
}

// Open opens both inputs.
func (o *Op) Open(ctx context.Context) error {
	if o.opened {
		return nil
	}
	o.opened, o.ctx = true, ctx
	if o.node.OutSchema == nil {
		return fmt.Errorf("%s: no output schema", o.describe())
	}
	if err := o.left.Open(ctx); err != nil {
		return err
	}
	return o.right.Open(ctx)
}

// Next loads the right partition on its first call, then returns each left batch joined.
func (o *Op) Next() (arrow.RecordBatch, error) {
	if o.stickyErr != nil {
		return nil, o.stickyErr
	}
	if !o.opened || o.closer.Closed() {
		return nil, errors.New("exec: as-of join: Next without Open or after Close")
	}
	rec, err := o.next()
	if err != nil && !errors.Is(err, io.EOF) {
		o.stickyErr = err
		o.releaseState()
	}
	return rec, err
}

func (o *Op) next() (arrow.RecordBatch, error) {
	if !o.loaded {
		if err := o.loadRight(); err != nil {
			return nil, err
		}
		o.loaded = true
	}
	for {
		if err := o.ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := o.left.Next()
		if err != nil {
			return nil, err
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		out, err := o.join(rec)
		rec.Release()
		return out, err
	}
}

// keyColumns returns the (By..., On) columns of a batch's schema and arrays.
func (o *Op) keyColumns(s *arrow.Schema, cols []arrow.Array, side string) ([]arrow.Array, error) {
	names := append(append([]string(nil), o.node.By...), o.node.On)
	out := make([]arrow.Array, len(names))
	for i, n := range names {
		idx := s.FieldIndices(n)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%s: %s input has no column %q (schema %s)", o.describe(), side, n, s)
		}
		out[i] = cols[idx[0]]
	}
	return out, nil
}

func ascending(n int) []kernel.SortOrder {
	orders := make([]kernel.SortOrder, n)
	for i := range orders {
		orders[i].NullsFirst = true
	}
	return orders
}

// loadRight drains the right input, reserving its batches, and concatenates it.
func (o *Op) loadRight() error {
	var batches []arrow.RecordBatch
	var held int64
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var schema *arrow.Schema
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		rec, err := o.right.Next()
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
		schema = rec.Schema()
		held += int64(colop.HeldBytes(rec))
		batches = append(batches, rec)
		if err := o.reserve(held, "holding the right side"); err != nil {
			return err
		}
	}
	if len(batches) == 0 {
		return nil
	}
	if len(batches) > 1 {
		if err := o.reserve(2*held, "concatenating the right side"); err != nil {
			return err
		}
	}
	o.rightCols = make([]arrow.Array, schema.NumFields())
	for c := range o.rightCols {
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		if len(parts) == 1 {
			parts[0].Retain()
			o.rightCols[c] = parts[0]
			continue
		}
		arr, err := kernel.Concatenate(parts, o.mem)
		if err != nil {
			return fmt.Errorf("%s: concatenating right column %q: %w", o.describe(), schema.Field(c).Name, err)
		}
		o.rightCols[c] = arr
	}
	o.budget.ShrinkTo(held)
	o.rightRows = o.rightCols[0].Len()
	keys, err := o.keyColumns(schema, o.rightCols, "right")
	if err != nil {
		return err
	}
	if o.rFull, o.rBy, err = comparators(keys); err != nil {
		return fmt.Errorf("%s: right keys: %w", o.describe(), err)
	}
	on := keys[len(keys)-1]
	if o.rOn, err = numbers(on); err != nil {
		return fmt.Errorf("%s: right %q: %w", o.describe(), o.node.On, err)
	}
	o.rOnValid = on.IsValid
	if o.node.RightCols == nil || len(o.node.RightCols) > len(o.rightCols) {
		return fmt.Errorf("%s: %d right columns to keep of %d", o.describe(), len(o.node.RightCols), len(o.rightCols))
	}
	return nil
}

// comparators orders rows by all keys, and by all but the last (the By keys).
func comparators(keys []arrow.Array) (full, by *kernel.RowComparator, err error) {
	if full, err = kernel.NewRowComparator(keys, ascending(len(keys))); err != nil {
		return nil, nil, err
	}
	by, err = kernel.NewRowComparator(keys[:len(keys)-1], ascending(len(keys)-1))
	return full, by, err
}

// numbers reads a time column's values as float64 (dates in days, timestamps in their
// unit), for the tolerance.
func numbers(a arrow.Array) (func(int) float64, error) {
	switch a := a.(type) {
	case *array.Int8:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Int16:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Int32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Int64:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint8:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint16:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Uint64:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Float64:
		return a.Value, nil
	case *array.Date32:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	case *array.Timestamp:
		return func(i int) float64 { return float64(a.Value(i)) }, nil
	}
	return nil, fmt.Errorf("as-of time column of type %s", a.DataType())
}

// match finds the right row of each left row (-1: none), moving the cursor.
func (o *Op) match(keys []arrow.Array, n int) ([]int32, error) {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = -1
	}
	if o.rightRows == 0 {
		return idx, nil
	}
	full, by, err := comparators(keys)
	if err == nil {
		err = full.Compatible(o.rFull)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: left keys: %w", o.describe(), err)
	}
	on := keys[len(keys)-1]
	onVal, err := numbers(on)
	if err != nil {
		return nil, fmt.Errorf("%s: left %q: %w", o.describe(), o.node.On, err)
	}
	tol := o.node.Tolerance
	for i := range n {
		var cand int
		if o.node.Forward {
			for o.cur < o.rightRows && full.CompareWith(i, o.rFull, o.cur) > 0 {
				o.cur++
			}
			cand = o.cur
		} else {
			for o.cur < o.rightRows && full.CompareWith(i, o.rFull, o.cur) >= 0 {
				o.cur++
			}
			cand = o.cur - 1
		}
		if cand < 0 || cand >= o.rightRows || !o.usable(keys, i, cand, by) {
			continue
		}
		if !math.IsInf(tol, 1) && math.Abs(onVal(i)-o.rOn(cand)) > tol {
			continue
		}
		idx[i] = int32(cand)
	}
	return idx, nil
}

// usable reports whether right row j can match left row i: no NULL key or time on
// either side, and equal By keys.
func (o *Op) usable(keys []arrow.Array, i, j int, by *kernel.RowComparator) bool {
	for _, k := range keys {
		if k.IsNull(i) {
			return false
		}
	}
	return o.rOnValid(j) && by.CompareWith(i, o.rBy, j) == 0
}

// join extends a left batch with its matches' right columns.
func (o *Op) join(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	keys, err := o.keyColumns(rec.Schema(), rec.Columns(), "left")
	if err != nil {
		return nil, err
	}
	idx, err := o.match(keys, n)
	if err != nil {
		return nil, err
	}
	out := o.node.OutSchema
	nLeft := int(rec.NumCols())
	if nLeft+len(o.node.RightCols) != out.NumFields() {
		return nil, fmt.Errorf("%s: %d left and %d right columns for the output schema %s", o.describe(), nLeft, len(o.node.RightCols), out)
	}
	cols := make([]arrow.Array, 0, out.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range rec.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	for k, c := range o.node.RightCols {
		if o.rightCols == nil {
			cols = append(cols, array.MakeArrayOfNull(o.mem, out.Field(nLeft+k).Type, n))
			continue
		}
		arr, err := kernel.GatherArrayOrNull(o.rightCols[c], idx, o.mem)
		if err != nil {
			return nil, fmt.Errorf("%s: right column %q: %w", o.describe(), out.Field(nLeft+k).Name, err)
		}
		cols = append(cols, arr)
	}
	for i, c := range cols {
		if !arrow.TypeEqual(c.DataType(), out.Field(i).Type) {
			return nil, fmt.Errorf("%s: column %q is %s, the output column is %s", o.describe(), out.Field(i).Name, c.DataType(), out.Field(i).Type)
		}
	}
	return array.NewRecordBatch(out, cols, int64(n)), nil
}

// reserve makes the reservation cover need bytes.
func (o *Op) reserve(need int64, what string) error {
	if missing, err := o.budget.Reserve(need); err != nil {
		return fmt.Errorf("%s: %s: reserving %d bytes more than the %d held: %w", o.describe(), what, missing, o.budget.Held, err)
	}
	return nil
}

func (o *Op) releaseState() {
	for _, c := range o.rightCols {
		if c != nil {
			c.Release()
		}
	}
	o.rightCols, o.rFull, o.rBy, o.rOn, o.rOnValid = nil, nil, nil, nil, nil
	o.rightRows = 0
	o.budget.ShrinkTo(0)
}

// Close releases the right partition, frees the reservation and closes both inputs.
func (o *Op) Close() error {
	return o.closer.CloseOnce(func() error {
		o.releaseState()
		if o.budget.Res != nil {
			o.budget.Res.Free()
		}
		return errors.Join(o.left.Close(), o.right.Close())
	})
}
