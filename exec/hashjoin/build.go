package hashjoin

// Loading the build side: draining the build input, deciding between the in-memory
// join and the grace join, concatenating the held batches and indexing their keys.

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	kmemory "github.com/kindling-data/kindling/memory"
)

// loadBuild loads the build side: the stage's shared one when the join has it (see
// SetShared), else its own.
func (o *HashJoinOp) loadBuild() error {
	if o.shareable() {
		if done, err := o.loadShared(); done {
			return err
		}
	}
	return o.loadOwn()
}

// loadOwn drains the build input, concatenates it into one array per column and
// indexes its keys.
func (o *HashJoinOp) loadOwn() error {
	o.spillMu.Lock()
	o.loading = o.spillManager != nil
	o.spillMu.Unlock()
	defer func() {
		o.spillMu.Lock()
		o.loading = false
		o.spillMu.Unlock()
	}()
	if err := o.drainBuild(); err != nil {
		return err
	}
	if o.buildSchema == nil {
		return nil
	}
	if err := o.checkColumns(o.buildSchema, false); err != nil {
		return err
	}
	grace, batches, held, err := o.takePending()
	if err != nil {
		return err
	}
	if grace {
		return o.grace.finishBuild()
	}
	if len(batches) == 0 {
		return nil
	}
	if err := o.concatBuild(batches, held); err != nil {
		return err
	}
	if err := o.indexBuild(held); err != nil {
		return err
	}
	if o.node.Range != nil && o.node.Residual != nil && len(o.node.LeftKeys) == 0 {
		return o.buildRange()
	}
	return nil
}

// drainBuild reads the build input to its end, holding (or partitioning) its batches.
func (o *HashJoinOp) drainBuild() error {
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		rec, err := o.build.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if o.buildSchema == nil {
			o.buildSchema = rec.Schema()
		} else if !o.buildSchema.Equal(rec.Schema()) {
			rec.Release()
			return fmt.Errorf("%s: %s input batches change schema from %s to %s", o.describe(), o.side(false), o.buildSchema, rec.Schema())
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		if err := o.holdBuild(rec); err != nil {
			return err
		}
	}
}

// takePending takes the held build batches and their bytes, first turning the join into
// a grace join if the in-memory build does not fit; grace reports that it did.
//
// It runs under spillMu with a deferred unlock: a panic in here must not leave the mutex
// held (Close takes it), or the task could not turn the panic into its error.
func (o *HashJoinOp) takePending() (grace bool, batches []arrow.RecordBatch, held int64, err error) {
	o.spillMu.Lock()
	defer o.spillMu.Unlock()
	if o.grace == nil && len(o.pending) > 0 && o.spillManager != nil {
		// Reserve the peak of the in-memory build (the concatenation, or the columns
		// with the table) while the batches can still be partitioned instead.
		if err := o.reserve(o.buildPeak(), "indexing the build side"); err != nil {
			if !errors.Is(err, kmemory.ErrBudgetExceeded) {
				return false, nil, 0, err
			}
			if err := o.startGrace(); err != nil {
				return false, nil, 0, err
			}
		}
	}
	batches, held = o.pending, o.pendingBytes
	o.pending, o.pendingBytes = nil, 0
	return o.grace != nil, batches, held, nil
}

// concatBuild makes buildCols, one array per column of the build batches (held bytes),
// and releases the batches.
func (o *HashJoinOp) concatBuild(batches []arrow.RecordBatch, held int64) error {
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, b := range batches {
		o.buildRows += int(b.NumRows())
	}
	if o.buildRows > math.MaxInt32 {
		return fmt.Errorf("%s: %d build rows exceed the table's limit", o.describe(), o.buildRows)
	}
	// Concatenating copies every column once; the batches go as soon as it is done.
	if len(batches) > 1 {
		if err := o.reserve(2*held, "concatenating the build side"); err != nil {
			return err
		}
	}
	ncols := o.buildSchema.NumFields()
	o.buildCols = make([]arrow.Array, ncols)
	for c := range ncols {
		if len(batches) == 1 {
			o.buildCols[c] = batches[0].Column(c)
			o.buildCols[c].Retain()
			continue
		}
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		arr, err := kernel.Concatenate(parts, o.mem)
		if err != nil {
			return fmt.Errorf("%s: concatenating build column %q: %w", o.describe(), o.buildSchema.Field(c).Name, err)
		}
		o.buildCols[c] = arr
	}
	return nil
}

// indexBuild builds the hash table over the build columns' keys, keeping the
// reservation at the build's held bytes plus the table.
func (o *HashJoinOp) indexBuild(held int64) error {
	var keyArrs []arrow.Array
	for _, name := range o.buildKeys {
		idx := o.buildSchema.FieldIndices(name)
		if len(idx) == 0 {
			return fmt.Errorf("%s: %s input has no key column %q (schema %s)", o.describe(), o.side(false), name, o.buildSchema)
		}
		keyArrs = append(keyArrs, o.buildCols[idx[0]])
	}
	if err := o.setClasses(keyArrs, false); err != nil {
		return err
	}
	need := held + hjTableBytes(o.buildRows, o.classes)
	if o.track {
		need += int64(bitutil.BytesForBits(int64(o.buildRows)))
	}
	if err := o.reserve(need, "indexing the build side"); err != nil {
		return err
	}
	o.table.release() // a grace partition's table before this one
	o.table.build = newHJKeys(o.classes)
	o.table.build.slab = true
	if err := o.table.build.load(keyArrs, o.buildRows); err != nil {
		return fmt.Errorf("%s: build keys: %w", o.describe(), err)
	}
	o.table.index(o.buildRows)
	need = o.indexDomain(need)
	if o.track {
		o.matched = make([]byte, bitutil.BytesForBits(int64(o.buildRows)))
	}
	// Return what concatenation needed transiently.
	o.budget.ShrinkTo(need)
	return nil
}
