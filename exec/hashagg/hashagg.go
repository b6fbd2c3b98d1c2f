package hashagg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// HashAggOp groups its input by key columns and computes aggregates per group (see
// plan.PHashAggregate for the three modes). It consumes its whole input on the first
// call to Next, then emits one row per group in batches of at most BatchRows rows, keys
// first, in order of first appearance (unless memory pressure flushed or spilled the
// groups, see below). With no aggregates it computes distinct keys; with
// no keys it emits exactly one row (the global aggregate), even over no input: in Partial
// mode that row holds empty state (counts 0, other states NULL), which Final merges as a
// no-op, and Final over no rows at all also emits the one row.
//
// The group tables and accumulator states are estimated in bytes and reserved before
// they grow. When the reservation is refused with memory.ErrBudgetExceeded:
//   - Partial mode emits its groups early as partial state (the shuffle's Final merges
//     them), empties its tables and goes on; no disk is needed.
//   - Final and Complete modes with SpillManager set write their groups as state (keys
//     and plan.AggStateFields columns) to spill files partitioned by a hash of the keys,
//     empty their tables and go on; at the end each partition is merged on its own and
//     emitted (see hashagg_spill.go). Groups then come out partition by partition, not in
//     order of first appearance.
//   - Tables presized at Open (Final mode) give that room back before the first group.
//   - When even empty tables cannot reserve room for a batch's worst case, Partial mode
//     with row-wise states emits the batch as one state row per input row, and otherwise
//     the batch is folded in halves (errAggSplit).
//   - Otherwise (no SpillManager, or a single row that does not fit: the minimum working
//     set), Next fails with an error wrapping the reservation's.
type HashAggOp struct {
	// outRows is the most rows an output batch holds (Options.BatchRows); 0 means 8192.
	outRows int

	// Partial mode's probe of how much aggregation reduces (partialReducesLittle):
	// probeRows rows folded gave flushedGroups groups in tables already emitted.
	probeRows, flushedGroups int64
	skipPartial, probeDone   bool
	// rowWise says every aggregate has a row-wise state (aggRowStatesSupported), so a
	// skipped partial aggregation converts input rows to states instead of hashing them;
	// passing is set once it does.
	rowWise, passing bool
	// spillManager (Options.Spill), when set, lets Final and Complete modes write their state
	// to disk instead of failing when the reservation is refused, and lets other consumers
	// of the task make the operator spill (the Spill method). nil keeps everything in memory.
	spillManager *storage.SpillManager

	input colop.Operator
	node  *plan.PHashAggregate
	mem   memory.Allocator
	ctx   context.Context

	keys     *aggGroupKeys
	accs     []aggAccumulator
	keyTypes []arrow.DataType   // output (and input) type of each key
	outTypes [][]arrow.DataType // output column types of each aggregate
	inNames  [][]string         // input columns of each aggregate (none for count(*))
	gids     []int32
	identity []int32
	keyArrs  []arrow.Array
	aggArrs  [][]arrow.Array
	budget   colop.ChunkedReservation // grown for the tables and states
	used     int64                    // estimated bytes of the state
	emitted  int                      // groups of the table emitted so far
	// presized says the tables were sized for more groups than they hold (at Open, or
	// after a spill for as many as the spilled table held); until the first group
	// arrives that room is given back under memory pressure (unpresize).
	presized  bool
	finished  bool
	opened    bool
	closer    colop.Closer
	stickyErr error

	phase      aggPhase
	stateNames [][]string // state columns of each aggregate (what Final and merges read)
	tableRows  int64      // rows folded into the table since it was last emptied
	// merging is set while the table folds spilled state, whatever the node's mode.
	merging bool
	// pending are input batches (or slices of one) not folded yet, the next one last:
	// Partial mode flushes first, or a batch too large for the memory left is folded in
	// halves (see errAggSplit).
	pending []arrow.RecordBatch
	// direct is an input batch converted to states, to emit next (aggDirect).
	direct arrow.RecordBatch

	// mu guards the table and the spill state against Spill calls by other consumers of
	// the task; accepting says the operator is consuming input and may spill.
	mu        sync.Mutex
	accepting bool
	spill     aggSpillState

	spilledBytes atomic.Int64
	spillCount   atomic.Int64
}

// aggPhase is where the operator is in its run.
type aggPhase uint8

const (
	aggConsuming aggPhase = iota // folding input into the table
	aggFlushing                  // Partial mode: emitting the table early, then consuming again
	aggEmitting                  // emitting the table's groups
	aggReplaying                 // Partial mode: emitting state spilled at others' request, then the table
	aggMerging                   // merging spilled partitions one at a time
	aggPassing                   // Partial mode, skipped: converting input rows straight to states
	aggDirect                    // Partial mode: emitting a batch converted to states for lack of memory
)

var _ colop.Operator = (*HashAggOp)(nil)

// NewHashAggregate returns the operator computing node over input. Output arrays are
// allocated from opts.Mem; its reservation (opts.Reserve; nil: untracked) is grown for the
// group tables and states and freed on Close; opts.Spill lets it spill.
func NewHashAggregate(input colop.Operator, node *plan.PHashAggregate, opts colop.Options) *HashAggOp {
	o := &HashAggOp{input: input, node: node, mem: opts.Mem, outRows: opts.BatchRows, spillManager: opts.Spill}
	o.budget = colop.ChunkedReservation{Res: opts.Reservation(fmt.Sprintf("hash-aggregate(%s)", node.Mode), o)}
	return o
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
	if err := o.input.Open(ctx); err != nil {
		return err
	}
	o.presize()
	return nil
}

// presize sizes a Final aggregate's tables (tuple slots, group key ids, states) for as
// many groups as its input has rows, when the input knows its rows and the reservation
// allows. Every input row is one map task's state of one group, so the rows bound the
// groups; where map tasks share groups the bound overshoots, but the tables cost about
// what the rows themselves already hold in the shuffle. Sized once, a table of millions
// of groups neither doubles its way there (copying and touching twice the memory) nor
// keeps up to twice its groups' worth of slack at the end.
func (o *HashAggOp) presize() {
	est, ok := o.input.(colop.RowEstimator)
	if !ok || o.node.Mode != plan.AggFinal || len(o.node.Keys) == 0 {
		return
	}
	rows := est.EstimatedRows()
	if rows <= int64(o.batchRows()) || rows > math.MaxInt32 {
		return // small inputs grow cheaply
	}
	n := int(rows)
	extra := o.keys.presizeBytes(n)
	for _, a := range o.accs {
		extra += a.growthBound(n, nil)
	}
	if o.reserve(o.used+extra) != nil {
		return // no room: grow as the groups come
	}
	o.keys.presize(n)
	for _, a := range o.accs {
		a.grow(n) // n empty groups: emission only reads the first keys.n
	}
	o.used = o.stateBytes()
	o.presized = true
}

// unpresize gives back the room presize took while the table holds no group yet: that
// room is an optimisation, and keeping it when memory is short would leave an empty
// table that can neither spill nor grow. It reports whether it freed anything. o.mu must
// be held (or no Spill call possible).
func (o *HashAggOp) unpresize() (bool, error) {
	if !o.presized || o.tableRows != 0 {
		return false, nil
	}
	o.presized = false
	if err := o.newTable(); err != nil {
		return false, err
	}
	o.budget.ShrinkTo(o.used)
	return true, nil
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
	col := len(n.Keys)
	for i, a := range n.Aggs {
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
		var states []string
		for _, f := range stateFields {
			states = append(states, f.Name)
		}
		o.stateNames = append(o.stateNames, states)
		var names []string
		switch {
		case n.Mode == plan.AggFinal:
			names = states
		case a.Func == plan.AggCountAll:
		default:
			ref, ok := a.Arg.(*plan.ColumnRef)
			if !ok {
				return fmt.Errorf("exec: hash aggregate: argument of %s is not a column", a)
			}
			names = []string{ref.Name}
			if a.Arg2 != nil {
				ref2, ok := a.Arg2.(*plan.ColumnRef)
				if !ok {
					return fmt.Errorf("exec: hash aggregate: second argument of %s is not a column", a)
				}
				names = append(names, ref2.Name)
			}
		}
		o.inNames = append(o.inNames, names)
	}
	if col != len(fields) {
		return fmt.Errorf("exec: hash aggregate: output schema has %d columns, the aggregation makes %d", len(fields), col)
	}
	o.aggArrs = make([][]arrow.Array, len(n.Aggs))
	o.rowWise = aggRowStatesSupported(n)
	if err := o.newTable(); err != nil {
		return err
	}
	o.setupSpill()
	return o.reserve(o.stateBytes())
}

// newTable replaces the group tables and states with empty ones, their key maps sized
// for as many values as the tables they replace held: a table spilled or flushed once
// is likely to fill again. That room is marked presized, since the budget that forced
// the spill may not hold it.
func (o *HashAggOp) newTable() error {
	hinted := o.keys != nil && len(o.keys.cols) > 0 && o.keys.n > 0
	keys, err := newAggGroupKeys(o.keyTypes, o.keys)
	if err != nil {
		return err
	}
	accs := make([]aggAccumulator, len(o.node.Aggs))
	for i, a := range o.node.Aggs {
		if accs[i], err = newAggAccumulator(a, o.node.ArgTypes[i]); err != nil {
			return err
		}
	}
	if o.keys != nil {
		o.keys.release()
	}
	aggReleaseAccs(o.accs)
	o.keys, o.accs = keys, accs
	o.gids, o.identity = nil, nil
	o.tableRows, o.emitted = 0, 0
	o.grow()
	o.used = o.stateBytes()
	o.presized = hinted
	return nil
}

// grow sizes every accumulator to the current number of groups (a presized one is
// already larger: grow never shrinks).
func (o *HashAggOp) grow() {
	for _, a := range o.accs {
		a.grow(o.keys.n)
	}
}

// Next consumes the input on its first call (in Partial mode, until the table must be
// flushed), then returns the groups batch by batch.
func (o *HashAggOp) Next() (arrow.RecordBatch, error) {
	if o.stickyErr != nil {
		return nil, o.stickyErr
	}
	if !o.opened || o.closer.Closed() {
		return nil, errors.New("exec: hash aggregate: Next without Open or after Close")
	}
	if o.finished {
		return nil, io.EOF
	}
	rec, err := o.step()
	if errors.Is(err, io.EOF) {
		o.finished = true
		o.releaseState()
		return nil, io.EOF
	}
	if err != nil {
		o.stickyErr = err
		o.releaseState()
		return nil, err
	}
	return rec, nil
}

// step advances the phases until it has a batch to return, or io.EOF.
func (o *HashAggOp) step() (arrow.RecordBatch, error) {
	for {
		switch o.phase {
		case aggConsuming:
			if err := o.consume(); err != nil {
				return nil, err
			}
		case aggFlushing:
			if o.emitted < o.keys.n {
				return o.emitNext()
			}
			o.flushedGroups += int64(o.keys.n)
			o.mu.Lock()
			err := o.newTable()
			o.budget.ShrinkTo(0)
			o.mu.Unlock()
			if err != nil {
				return nil, err
			}
			o.phase = aggConsuming
			if o.passing && len(o.pending) == 0 {
				o.phase = aggPassing
			}
		case aggPassing:
			if rec, err := o.passNext(); rec != nil || err != nil {
				return rec, err
			}
		case aggDirect:
			rec := o.direct
			o.direct = nil
			o.phase = aggConsuming
			return rec, nil
		case aggEmitting:
			if o.emitted < o.keys.n {
				return o.emitNext()
			}
			if !o.merging {
				return nil, io.EOF
			}
			o.phase = aggMerging
			o.mu.Lock()
			o.dropTable()
			o.mu.Unlock()
		case aggReplaying:
			if rec, err := o.replayNext(); rec != nil || err != nil {
				return rec, err
			}
		case aggMerging:
			if err := o.mergeNextPartition(); err != nil {
				return nil, err
			}
		}
	}
}

// batchRows is the most rows of an output batch.
func (o *HashAggOp) batchRows() int {
	if o.outRows > 0 {
		return o.outRows
	}
	return colop.DefaultBatchRows
}

// emitNext returns the table's next batch of groups.
func (o *HashAggOp) emitNext() (arrow.RecordBatch, error) {
	rows := o.batchRows()
	lo, hi := o.emitted, min(o.emitted+rows, o.keys.n)
	rec, err := o.emit(lo, hi)
	if err != nil {
		return nil, err
	}
	o.emitted = hi
	return rec, nil
}

// consume folds input batches into the table until the input ends (then it picks the
// next phase) or Partial mode must flush the table first.
func (o *HashAggOp) consume() error {
	o.setAccepting(true)
	defer o.setAccepting(false)
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		var rec arrow.RecordBatch
		if n := len(o.pending); n > 0 {
			rec = o.pending[n-1]
			o.pending = o.pending[:n-1]
		} else {
			var err error
			rec, err = o.input.Next()
			if errors.Is(err, io.EOF) {
				return o.inputDone()
			}
			if err != nil {
				return err
			}
		}
		folded, err := o.addBatchLocked(rec)
		if err == nil && !folded {
			// Partial mode under pressure: emit the groups, then fold rec into empty tables.
			o.pending = append(o.pending, rec)
			o.phase = aggFlushing
			o.emitted = 0
			return nil
		}
		if errors.Is(err, errAggSplit) && o.rowWise {
			// Partial aggregation is an optimisation: with no room for even an empty
			// table's growth, the batch goes on as one state row per input row (as when
			// partial aggregation is skipped), which needs no table at all.
			out, err := o.rowStates(rec)
			rec.Release()
			if err != nil {
				return err
			}
			o.direct, o.phase = out, aggDirect
			return nil
		}
		if errors.Is(err, errAggSplit) {
			// Even empty tables have no room for this batch's worst case: fold it in
			// halves, so that the budget bounds the rows folded at once rather than the
			// input's batch size deciding whether the job can run at all.
			h := rec.NumRows() / 2
			o.pending = append(o.pending, rec.NewSlice(h, rec.NumRows()), rec.NewSlice(0, h))
			rec.Release()
			continue
		}
		rows := rec.NumRows()
		rec.Release()
		if err != nil {
			return err
		}
		if o.phase == aggFlushing {
			return nil
		}
		if o.partialReducesLittle(rows) {
			// Nearly every row is its own group: hashing them into a growing table only
			// to ship them all across the shuffle costs more than it saves. Keep the
			// table about one batch large and pass the groups on, or, where every
			// aggregate allows, convert rows to states without hashing from now on
			// (DataFusion's skip of partial aggregation; see hashagg_skip.go).
			o.phase, o.emitted = aggFlushing, 0
			o.passing = o.rowWise
			return nil
		}
	}
}

// Partial aggregation probe: after aggSkipProbeRows rows, if the groups that the whole
// input is expected to leave exceed aggSkipRatio of its rows (aggSkipPays), the partial
// aggregate flushes whenever its table holds a batch of groups (DataFusion's
// skip_partial_aggregation_probe_* defaults, there applied to the rows probed alone).
const (
	aggSkipProbeRows = 100_000
	aggSkipRatio     = 0.8
)

// partialReducesLittle counts rows folded in Partial mode and reports whether the table
// should be flushed now because partial aggregation is not reducing the rows.
func (o *HashAggOp) partialReducesLittle(rows int64) bool {
	if o.node.Mode != plan.AggPartial || len(o.node.Keys) == 0 {
		return false
	}
	o.probeRows += rows
	if !o.skipPartial && o.probeRows >= aggSkipProbeRows {
		// Groups flushed under memory pressure count: the rows they became are shipped
		// as they would be without a table, and a table emptied by flushes would
		// otherwise look as if it reduced the rows it no longer shows.
		o.skipPartial = aggSkipPays(int(o.flushedGroups)+o.keys.n, o.probeRows, colop.EstimatedRows(o.input))
		o.probeDone = true
	}
	return o.skipPartial && (o.rowWise || o.keys.n >= o.batchRows())
}

func (o *HashAggOp) emit(lo, hi int) (arrow.RecordBatch, error) {
	return o.buildBatch(lo, hi, o.node.OutSchema, o.keyTypes, o.outTypes, o.node.Mode == plan.AggPartial)
}

// buildBatch returns groups [lo, hi) as a batch of schema: the keys as keyTypes, then
// each aggregate's state (states) or result as aggTypes.
func (o *HashAggOp) buildBatch(lo, hi int, schema *arrow.Schema, keyTypes []arrow.DataType, aggTypes [][]arrow.DataType, states bool) (arrow.RecordBatch, error) {
	n := hi - lo
	if cap(o.identity) < n {
		o.identity = make([]int32, n)
	}
	identity := o.identity[:n]
	for i := range identity {
		identity[i] = int32(lo + i)
	}
	cols := make([]arrow.Array, 0, len(schema.Fields()))
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	for k, dt := range keyTypes {
		arr, err := o.keys.build(o.mem, k, dt, lo, hi, identity)
		if err != nil {
			release()
			return nil, fmt.Errorf("exec: hash aggregate: key %q: %w", o.node.Keys[k], err)
		}
		cols = append(cols, arr)
	}
	for i, acc := range o.accs {
		if states {
			arrs, err := acc.states(o.mem, aggTypes[i], lo, hi)
			if err != nil {
				release()
				return nil, fmt.Errorf("exec: hash aggregate: state of %s: %w", o.node.Aggs[i], err)
			}
			cols = append(cols, arrs...)
			continue
		}
		arr, err := acc.result(o.mem, aggTypes[i][0], lo, hi)
		if err != nil {
			release()
			return nil, fmt.Errorf("exec: hash aggregate: result of %s: %w", o.node.Aggs[i], err)
		}
		cols = append(cols, arr)
	}
	rec := array.NewRecordBatch(schema, cols, int64(n))
	release()
	return rec, nil
}

// dropTable drops the tables and states and returns their reservation. o.mu must be
// held (or no Spill call possible).
func (o *HashAggOp) dropTable() {
	if o.keys != nil {
		o.keys.release()
	}
	aggReleaseAccs(o.accs)
	o.keys, o.accs = nil, nil
	o.gids, o.identity = nil, nil
	o.used, o.tableRows, o.emitted = 0, 0, 0
	o.budget.ShrinkTo(0)
}

// aggReleaseAccs gives back what accumulators hold in pools (aggReleaser); they must not
// be used after.
func aggReleaseAccs(accs []aggAccumulator) {
	for _, a := range accs {
		if r, ok := a.(aggReleaser); ok {
			r.release()
		}
	}
}

// releaseState drops the tables, states, pending input and spill files and returns the
// reservation.
func (o *HashAggOp) releaseState() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accepting = false
	o.dropTable()
	for _, rec := range o.pending {
		rec.Release()
	}
	o.pending = nil
	if o.direct != nil {
		o.direct.Release()
		o.direct = nil
	}
	o.dropSpills()
}

// Close releases the state, removes the spill files, frees the reservation and closes
// the input.
func (o *HashAggOp) Close() error {
	return o.closer.CloseOnce(func() error {
		o.releaseState()
		if o.budget.Res != nil {
			o.budget.Res.Free()
		}
		return o.input.Close()
	})
}
