package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Reservation is the memory budget a buffering operator grows before it holds more.
// *memory.Reservation satisfies it. TryGrow's error wraps memory.ErrBudgetExceeded when
// the budget is spent.
type Reservation interface {
	TryGrow(n int64) error
	Shrink(n int64)
	Free()
}

const (
	// defaultAggBatchRows is the most rows an output batch of the aggregate holds.
	defaultAggBatchRows = 8192
	// aggReserveChunk is the least the aggregate grows its reservation by, so that it
	// asks the memory manager rarely.
	aggReserveChunk = 1 << 20
)

// HashAggOp groups its input by key columns and computes aggregates per group (see
// plan.PHashAggregate for the three modes). It consumes its whole input on the first
// call to Next, then emits one row per group in batches of at most BatchRows rows, keys
// first, in order of first appearance. With no aggregates it computes distinct keys; with
// no keys it emits exactly one row (the global aggregate), even over no input: in Partial
// mode that row holds empty state (counts 0, other states NULL), which Final merges as a
// no-op, and Final over no rows at all also emits the one row.
//
// The group tables and accumulator states are estimated in bytes and reserved before
// they grow; a refused reservation fails Next with an error wrapping the reservation's.
type HashAggOp struct {
	// BatchRows is the most rows an output batch holds; 0 means 8192. Set it before Open.
	BatchRows int

	input Operator
	node  *plan.PHashAggregate
	mem   memory.Allocator
	res   Reservation
	ctx   context.Context

	keys      *aggGroupKeys
	accs      []aggAccumulator
	keyTypes  []arrow.DataType   // output (and input) type of each key
	outTypes  [][]arrow.DataType // output column types of each aggregate
	inNames   [][]string         // input columns of each aggregate (none for count(*))
	gids      []int32
	identity  []int32
	keyArrs   []arrow.Array
	aggArrs   [][]arrow.Array
	reserved  int64 // bytes held in res
	used      int64 // estimated bytes of the state
	consumed  bool  // the input is exhausted
	emitted   int   // groups emitted so far
	finished  bool
	opened    bool
	closed    bool
	stickyErr error
}

var _ Operator = (*HashAggOp)(nil)

// NewHashAggregate returns the operator computing node over input. Output arrays are
// allocated from mem; res (nil: untracked) is grown for the group tables and states and
// freed on Close.
func NewHashAggregate(input Operator, node *plan.PHashAggregate, mem memory.Allocator, res Reservation) *HashAggOp {
	return &HashAggOp{input: input, node: node, mem: mem, res: res}
}

// Open validates the node against its output schema, sets up the tables and opens the
// input.
func (o *HashAggOp) Open(ctx context.Context) error {
	if o.opened {
		return nil
	}
	o.opened = true
	o.ctx = ctx
	if err := o.setup(); err != nil {
		return err
	}
	return o.input.Open(ctx)
}

func (o *HashAggOp) setup() error {
	n := o.node
	if n.OutSchema == nil {
		return errors.New("exec: hash aggregate: no output schema")
	}
	if len(n.ArgTypes) != len(n.Aggs) {
		return fmt.Errorf("exec: hash aggregate: %d argument types for %d aggregates", len(n.ArgTypes), len(n.Aggs))
	}
	fields := n.OutSchema.Fields()
	if len(fields) < len(n.Keys) {
		return fmt.Errorf("exec: hash aggregate: output schema has %d columns for %d keys", len(fields), len(n.Keys))
	}
	for k, name := range n.Keys {
		o.keyTypes = append(o.keyTypes, fields[k].Type)
		if fields[k].Name != name {
			return fmt.Errorf("exec: hash aggregate: output column %d is %q, want key %q", k, fields[k].Name, name)
		}
	}
	keys, err := newAggGroupKeys(o.keyTypes)
	if err != nil {
		return err
	}
	o.keys = keys
	col := len(n.Keys)
	for i, a := range n.Aggs {
		acc, err := newAggAccumulator(a, n.ArgTypes[i])
		if err != nil {
			return err
		}
		o.accs = append(o.accs, acc)
		stateFields := plan.AggStateFields(a, n.ArgTypes[i])
		width := 1
		if n.Mode == plan.AggPartial {
			width = len(stateFields)
		}
		if col+width > len(fields) {
			return fmt.Errorf("exec: hash aggregate: output schema has too few columns for %s", a)
		}
		var types []arrow.DataType
		for _, f := range fields[col : col+width] {
			types = append(types, f.Type)
		}
		o.outTypes = append(o.outTypes, types)
		col += width
		var names []string
		switch {
		case n.Mode == plan.AggFinal:
			for _, f := range stateFields {
				names = append(names, f.Name)
			}
		case a.Func == plan.AggCountAll:
		default:
			ref, ok := a.Arg.(*plan.ColumnRef)
			if !ok {
				return fmt.Errorf("exec: hash aggregate: argument of %s is not a column", a)
			}
			names = []string{ref.Name}
		}
		o.inNames = append(o.inNames, names)
	}
	if col != len(fields) {
		return fmt.Errorf("exec: hash aggregate: output schema has %d columns, the aggregation makes %d", len(fields), col)
	}
	o.aggArrs = make([][]arrow.Array, len(n.Aggs))
	o.grow()
	return o.reserve(o.stateBytes())
}

// grow sizes every accumulator to the current number of groups.
func (o *HashAggOp) grow() {
	for _, a := range o.accs {
		a.grow(o.keys.n)
	}
}

// Next consumes the input on its first call, then returns the groups batch by batch.
func (o *HashAggOp) Next() (arrow.RecordBatch, error) {
	if o.stickyErr != nil {
		return nil, o.stickyErr
	}
	if !o.opened || o.closed {
		return nil, errors.New("exec: hash aggregate: Next without Open or after Close")
	}
	if o.finished {
		return nil, io.EOF
	}
	if !o.consumed {
		if err := o.consume(); err != nil {
			o.stickyErr = err
			o.releaseState()
			return nil, err
		}
		o.consumed = true
	}
	if o.emitted >= o.keys.n {
		o.finished = true
		o.releaseState()
		return nil, io.EOF
	}
	rows := o.BatchRows
	if rows <= 0 {
		rows = defaultAggBatchRows
	}
	lo, hi := o.emitted, min(o.emitted+rows, o.keys.n)
	rec, err := o.emit(lo, hi)
	if err != nil {
		o.stickyErr = err
		o.releaseState()
		return nil, err
	}
	o.emitted = hi
	return rec, nil
}

func (o *HashAggOp) consume() error {
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		rec, err := o.input.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		err = o.consumeBatch(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
}

// aggColumn finds a named input column.
func aggColumn(rec arrow.RecordBatch, name, role string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("exec: hash aggregate: input has no %s column %q (schema %s)", role, name, rec.Schema())
	}
	return rec.Column(idx[0]), nil
}

func (o *HashAggOp) consumeBatch(rec arrow.RecordBatch) error {
	rows := int(rec.NumRows())
	if rows == 0 {
		return nil
	}
	o.keyArrs = o.keyArrs[:0]
	for _, name := range o.node.Keys {
		arr, err := aggColumn(rec, name, "key")
		if err != nil {
			return err
		}
		o.keyArrs = append(o.keyArrs, arr)
	}
	bound := o.used + o.keys.growthBound(o.keyArrs, rows) + int64(max(rows-cap(o.gids), 0))*4
	for i, names := range o.inNames {
		o.aggArrs[i] = o.aggArrs[i][:0]
		for _, name := range names {
			arr, err := aggColumn(rec, name, "aggregate input")
			if err != nil {
				return err
			}
			o.aggArrs[i] = append(o.aggArrs[i], arr)
		}
		bound += o.accs[i].growthBound(rows, o.aggArrs[i])
	}
	if err := o.reserve(bound); err != nil {
		return err
	}

	if cap(o.gids) < rows {
		o.gids = make([]int32, rows)
	}
	gids := o.gids[:rows]
	if err := o.keys.assign(o.keyArrs, gids); err != nil {
		return err
	}
	o.grow()
	for i, acc := range o.accs {
		var err error
		switch {
		case o.node.Mode == plan.AggFinal:
			err = acc.merge(o.aggArrs[i], gids)
		case len(o.aggArrs[i]) == 0:
			err = acc.update(nil, gids)
		default:
			err = acc.update(o.aggArrs[i][0], gids)
		}
		if err != nil {
			return fmt.Errorf("%w (aggregate %s)", err, o.node.Aggs[i])
		}
	}
	clear(o.keyArrs)
	for i := range o.aggArrs {
		clear(o.aggArrs[i])
	}
	o.used = o.stateBytes()
	return o.reserve(o.used)
}

// stateBytes estimates the memory the tables and states hold.
func (o *HashAggOp) stateBytes() int64 {
	b := o.keys.bytes() + int64(cap(o.gids)+cap(o.identity))*4
	for _, a := range o.accs {
		b += a.bytes()
	}
	return b
}

// reserve makes the reservation cover need bytes, growing it by at least a chunk (and
// at least doubling it) so that the memory manager is asked rarely; if the chunk is
// refused, exactly the missing bytes are asked for before giving up.
func (o *HashAggOp) reserve(need int64) error {
	if o.res == nil || need <= o.reserved {
		return nil
	}
	missing := need - o.reserved
	grow := max(missing, aggReserveChunk, o.reserved)
	if err := o.res.TryGrow(grow); err != nil {
		if err := o.res.TryGrow(missing); err != nil {
			return fmt.Errorf("exec: hash aggregate keys=%v: reserving %d bytes more than the %d held for %d groups: %w",
				o.node.Keys, missing, o.reserved, o.keys.n, err)
		}
		grow = missing
	}
	o.reserved += grow
	return nil
}

func (o *HashAggOp) emit(lo, hi int) (arrow.RecordBatch, error) {
	n := hi - lo
	if cap(o.identity) < n {
		o.identity = make([]int32, n)
	}
	identity := o.identity[:n]
	for i := range identity {
		identity[i] = int32(lo + i)
	}
	cols := make([]arrow.Array, 0, len(o.node.OutSchema.Fields()))
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	for k, dt := range o.keyTypes {
		arr, err := o.keys.build(o.mem, k, dt, lo, hi, identity)
		if err != nil {
			release()
			return nil, fmt.Errorf("exec: hash aggregate: key %q: %w", o.node.Keys[k], err)
		}
		cols = append(cols, arr)
	}
	for i, acc := range o.accs {
		if o.node.Mode == plan.AggPartial {
			arrs, err := acc.states(o.mem, o.outTypes[i], lo, hi)
			if err != nil {
				release()
				return nil, fmt.Errorf("exec: hash aggregate: state of %s: %w", o.node.Aggs[i], err)
			}
			cols = append(cols, arrs...)
			continue
		}
		arr, err := acc.result(o.mem, o.outTypes[i][0], lo, hi)
		if err != nil {
			release()
			return nil, fmt.Errorf("exec: hash aggregate: result of %s: %w", o.node.Aggs[i], err)
		}
		cols = append(cols, arr)
	}
	rec := array.NewRecordBatch(o.node.OutSchema, cols, int64(n))
	release()
	return rec, nil
}

// releaseState drops the tables and states and returns their reservation.
func (o *HashAggOp) releaseState() {
	o.keys, o.accs = nil, nil
	o.gids, o.identity = nil, nil
	o.used = 0
	if o.res != nil && o.reserved > 0 {
		o.res.Shrink(o.reserved)
	}
	o.reserved = 0
}

// Close releases the state, frees the reservation and closes the input.
func (o *HashAggOp) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	o.releaseState()
	if o.res != nil {
		o.res.Free()
	}
	return o.input.Close()
}
