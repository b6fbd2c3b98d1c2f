package hashagg

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
)

// Folding input batches into the group table, keeping the reservation ahead of the
// table's growth while doing so. The operator's lifecycle (Open, Next, Close, emitting
// the table) is in hashagg.go; spilling the table is in spill.go.

// addBatchLocked folds rec in under mu. The deferred unlock matters: a panic in a kernel
// must reach the task's recover (and become the task's error) with mu released, or the
// deferred setAccepting would wait on mu forever.
func (o *HashAggOp) addBatchLocked(rec arrow.RecordBatch) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.addBatch(rec)
}

// setAccepting sets, under mu, whether Spill may write the table out: only while the
// operator consumes its input.
func (o *HashAggOp) setAccepting(v bool) {
	o.mu.Lock()
	o.accepting = v
	o.mu.Unlock()
}

// aggColumn finds a named input column.
func aggColumn(rec arrow.RecordBatch, name, role string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("exec: hash aggregate: input has no %s column %q (schema %s)", role, name, rec.Schema())
	}
	return rec.Column(idx[0]), nil
}

// addBatch folds rec into the table, relieving memory pressure on the way (see
// relieve). folded is false when Partial mode must flush the table before rec can be
// folded; rec is then untouched. o.mu must be held.
func (o *HashAggOp) addBatch(rec arrow.RecordBatch) (folded bool, err error) {
	rows := int(rec.NumRows())
	if rows == 0 {
		return true, nil
	}
	defer func() {
		clear(o.keyArrs)
		for i := range o.aggArrs {
			clear(o.aggArrs[i])
		}
	}()
	growth, err := o.bindBatch(rec, rows)
	if err != nil {
		return false, err
	}
	if fold, err := o.makeRoom(rows, growth); !fold || err != nil {
		return false, err
	}
	if err := o.fold(rows); err != nil {
		return false, err
	}
	return true, o.settle()
}

// makeRoom reserves the growth that folding rows input rows can add, relieving memory
// pressure if the reservation is refused. fold is false (with a nil error) when Partial
// mode must flush the table first.
func (o *HashAggOp) makeRoom(rows int, growth int64) (fold bool, err error) {
	err = o.reserve(o.used + growth)
	if err != nil && errors.Is(err, kmemory.ErrBudgetExceeded) {
		freed, uerr := o.unpresize()
		if uerr != nil {
			return false, uerr
		}
		if freed {
			err = o.reserve(o.used + growth)
		}
	}
	if err == nil {
		return true, nil
	}
	if !o.canRelieve(err) {
		if o.tableRows == 0 && (rows > 1 || o.flushes() && o.rowWise) && errors.Is(err, kmemory.ErrBudgetExceeded) {
			return false, errAggSplit
		}
		// One row into an empty table is the minimum working set: nothing is left
		// to spill, so wait for other tasks rather than fail while it fits the budget.
		if o.tableRows > 0 || rows > 1 || !errors.Is(err, kmemory.ErrBudgetExceeded) {
			return false, err
		}
		if err := o.reserveSpilled(o.used + growth); err != nil {
			return false, err
		}
		return true, nil
	}
	if o.flushes() {
		o.spillCount.Add(1)
		return false, nil
	}
	if o.spill.level >= aggSpillMaxLevels {
		if rows > 1 {
			// No deeper level to spill to: fold fewer rows at once instead.
			return false, errAggSplit
		}
		// One row, and a table that cannot spill deeper (its groups share every
		// level's partition, e.g. one group with a large state): it must grow.
		if serr := o.reserveSpilled(o.used + growth); serr != nil {
			return false, o.spillTable(serr)
		}
		return true, nil
	}
	if err := o.spillTable(err); err != nil {
		return false, err
	}
	if err := o.reserve(o.used + growth); err != nil {
		if rows > 1 {
			return false, errAggSplit
		}
		if err := o.reserveSpilled(o.used + growth); err != nil {
			return false, fmt.Errorf("exec: hash aggregate keys=%v: no room for one batch of %d rows even with empty tables (the minimum working set does not fit): %w",
				o.node.Keys, rows, err)
		}
	}
	return true, nil
}

// fold assigns the bound batch's rows to groups and folds the aggregate inputs into
// their states.
func (o *HashAggOp) fold(rows int) error {
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
		case o.merging || o.node.Mode == plan.AggFinal:
			err = acc.merge(o.aggArrs[i], gids)
		case len(o.aggArrs[i]) == 0:
			err = acc.update(nil, gids)
		case len(o.aggArrs[i]) == 2:
			pa, ok := acc.(aggPairAccumulator)
			if !ok {
				return fmt.Errorf("exec: hash aggregate: %s takes one argument", o.node.Aggs[i])
			}
			err = pa.updatePair(o.aggArrs[i][0], o.aggArrs[i][1], gids)
		default:
			err = acc.update(o.aggArrs[i][0], gids)
		}
		if err != nil {
			return fmt.Errorf("%w (aggregate %s)", err, o.node.Aggs[i])
		}
	}
	o.tableRows += int64(rows)
	o.presized = false // a partly filled table spills instead
	return nil
}

// settle reserves what the folded batch really added. The batch is in the table whatever
// it returns.
func (o *HashAggOp) settle() error {
	o.used = o.stateBytes()
	if err := o.reserve(o.used); err != nil {
		// The estimate fell short of what the batch added, which is already folded in.
		if !o.canRelieve(err) {
			return err
		}
		if o.flushes() {
			o.spillCount.Add(1)
			o.phase, o.emitted = aggFlushing, 0
			return nil
		}
		if o.spill.level >= aggSpillMaxLevels {
			if serr := o.reserveSpilled(o.used); serr != nil {
				return o.spillTable(serr)
			}
			return nil
		}
		return o.spillTable(err)
	}
	return nil
}

// errAggSplit tells consume that even empty tables have no room for the batch's worst-case
// growth. Partial mode with row-wise states converts the batch to states without a table
// (its minimum working set is nothing); otherwise the batch is folded in halves, and a
// single row that does not fit fails with the budget error: the minimum working set is an
// empty table and one input row's groups and states.
var errAggSplit = errors.New("exec: hash aggregate: batch too large for the memory left")

// bindBatch finds rec's key and aggregate input columns and bounds the bytes folding
// them can add to the table.
func (o *HashAggOp) bindBatch(rec arrow.RecordBatch, rows int) (int64, error) {
	o.keyArrs = o.keyArrs[:0]
	for _, name := range o.node.Keys {
		arr, err := aggColumn(rec, name, "key")
		if err != nil {
			return 0, err
		}
		o.keyArrs = append(o.keyArrs, arr)
	}
	growth := o.keys.growthBound(o.keyArrs, rows) + int64(max(rows-cap(o.gids), 0))*4
	names := o.inNames
	if o.merging {
		names = o.stateNames
	}
	for i, cols := range names {
		o.aggArrs[i] = o.aggArrs[i][:0]
		for _, name := range cols {
			arr, err := aggColumn(rec, name, "aggregate input")
			if err != nil {
				return 0, err
			}
			o.aggArrs[i] = append(o.aggArrs[i], arr)
		}
		growth += o.accs[i].growthBound(rows, o.aggArrs[i])
	}
	return growth, nil
}

// canRelieve reports whether a refused reservation can be answered by flushing or
// spilling the table rather than failing: the refusal is the memory manager's and the
// table holds something to give back.
func (o *HashAggOp) canRelieve(err error) bool {
	if !errors.Is(err, kmemory.ErrBudgetExceeded) || o.tableRows == 0 {
		return false
	}
	return o.flushes() || o.spillManager != nil
}

// flushes reports whether memory pressure flushes the table to the output (Partial
// mode) rather than to disk.
func (o *HashAggOp) flushes() bool { return o.node.Mode == plan.AggPartial && !o.merging }

// stateBytes estimates the memory the tables and states hold.
func (o *HashAggOp) stateBytes() int64 {
	b := o.keys.bytes() + int64(cap(o.gids)+cap(o.identity))*4
	for _, a := range o.accs {
		b += a.bytes()
	}
	return b
}

// reserve makes the reservation cover need bytes, growing it ahead of need by a chunk.
func (o *HashAggOp) reserve(need int64) error {
	if missing, err := o.budget.Reserve(need); err != nil {
		return fmt.Errorf("exec: hash aggregate keys=%v: reserving %d bytes more than the %d held for %d groups: %w",
			o.node.Keys, missing, o.budget.Held, o.keys.n, err)
	}
	return nil
}

// reserveSpilled is reserve for a table that has nothing left to spill: it asks for
// exactly the missing bytes, and a *memory.Reservation then waits for other tasks to
// release rather than refuse a request that fits the budget (TryGrowSpilled).
func (o *HashAggOp) reserveSpilled(need int64) error {
	if o.budget.Res == nil || need <= o.budget.Held {
		return nil
	}
	missing := need - o.budget.Held
	grow := o.budget.Res.TryGrow
	if s, ok := o.budget.Res.(interface{ TryGrowSpilled(int64) error }); ok {
		grow = s.TryGrowSpilled
	}
	if err := grow(missing); err != nil {
		return fmt.Errorf("exec: hash aggregate keys=%v: reserving %d bytes more than the %d held for %d groups: %w",
			o.node.Keys, missing, o.budget.Held, o.keys.n, err)
	}
	o.budget.Held += missing
	return nil
}
