package hashagg

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// Spilling the hash aggregate (Final and Complete modes).
//
// When the reservation is refused, the table's groups are written as state (keys, then
// the plan.AggStateFields columns of every aggregate; Complete mode's raw accumulators
// turned into state) to aggSpillFanout files, one per partition of a hash of the keys,
// and the table starts empty. Every spill of the table is one spill event, adding at
// most one file to each partition, so a partition's files are in input order (which
// keeps first() the first value seen). Once the input ends the table spills what it
// holds too, and the partitions are merged one at a time as Final merges shuffled state:
// a group lives in exactly one partition, so each partition's merged table is final and
// is emitted before the next is read. A partition whose merge is refused memory spills
// again, hashed at the next level into sub-partitions that are merged in turn; after
// aggSpillMaxLevels levels (16^4 partitions) the operator gives up with the budget error.
//
// Dictionary-encoded keys and state values are written decoded: the tables accept both,
// and plain columns keep the spill files free of per-batch dictionaries.
//
// Spill files are removed as soon as they are merged, and on error and Close.
const (
	aggSpillFanout    = 16 // partitions per spill level (a power of two)
	aggSpillMaxLevels = 4
	// aggSpillChunkRows is how many groups are built into one batch before it is split
	// by partition: enough for batches of about a thousand rows in each file.
	aggSpillChunkRows = 16384
)

// aggSpillPartition is one partition's spill files, in the order they were written.
type aggSpillPartition struct {
	level int // the hash level that made the partition
	files []*storage.SpillFile
}

// aggSpillState is the hash aggregate's spill bookkeeping.
type aggSpillState struct {
	keyTypes   []arrow.DataType   // key columns as written: dictionaries decoded
	stateTypes [][]arrow.DataType // each aggregate's state columns as written
	schema     *arrow.Schema      // the spill files' schema

	level   int                                   // the hash level the table spills at
	target  *[aggSpillFanout][]*storage.SpillFile // the table's spills; nil until it spills
	pending []aggSpillPartition                   // partitions left to merge, the next one last
	cur     []*storage.SpillFile                  // the merging partition's files not yet read
	reader  *storage.SpillReader                  // the file being read
	partial []*storage.SpillFile                  // Partial mode: state spilled at others' request
	deepest int                                   // the deepest level spilled at (for tests)
}

var _ kmemory.Spiller = (*HashAggOp)(nil)

// SpilledBytes returns the bytes the operator has written to spill files (on disk,
// compressed).
func (o *HashAggOp) SpilledBytes() int64 { return o.spilledBytes.Load() }

// SpillCount returns how many times memory pressure made the operator give its table
// up: written to disk, or, in Partial mode under its own refused reservation, emitted
// early (which writes nothing, so SpilledBytes does not grow).
func (o *HashAggOp) SpillCount() int64 { return o.spillCount.Load() }

// Spill implements memory.Spiller: another consumer of the task asks the operator to give
// memory back. Reserved room its tables do not use yet goes first, and if that covers
// need nothing more is done. While the operator consumes its input and SpillManager is set, it writes
// its whole table to disk (Partial mode: as output state it replays at the end), shrinks
// its reservation and returns the bytes freed. At any other time, or while the operator
// is busy, it returns (0, nil). It never grows the reservation.
func (o *HashAggOp) Spill(need int64) (int64, error) {
	if !o.mu.TryLock() {
		return 0, nil
	}
	defer o.mu.Unlock()
	before := o.budget.Held
	if o.budget.Held > o.used {
		// Room reserved ahead of need goes first: giving it back costs nothing, and a
		// consumer of the task with nothing to spill may need it to go on at all.
		o.budget.ShrinkTo(o.used)
		if before-o.budget.Held >= need {
			return before - o.budget.Held, nil
		}
	}
	if o.accepting && o.tableRows == 0 {
		// An empty table presized at Open gives its room back; that needs no disk.
		if _, err := o.unpresize(); err != nil {
			return 0, err
		}
		return before - o.budget.Held, nil
	}
	if !o.accepting || o.merging || o.spillManager == nil || o.tableRows == 0 {
		return 0, nil
	}
	var err error
	if o.node.Mode == plan.AggPartial {
		err = o.spillPartial()
	} else {
		err = o.spillTable(nil)
	}
	if err != nil {
		return 0, err
	}
	return before - o.budget.Held, nil
}

// setupSpill derives the spill files' schema: the keys, then every aggregate's state.
func (o *HashAggOp) setupSpill() {
	var fields []arrow.Field
	for k, dt := range o.keyTypes {
		t := aggSpillType(dt)
		o.spill.keyTypes = append(o.spill.keyTypes, t)
		fields = append(fields, arrow.Field{Name: o.node.Keys[k], Type: t, Nullable: true})
	}
	for i, a := range o.node.Aggs {
		var types []arrow.DataType
		for _, f := range plan.AggStateFields(a, o.node.ArgTypes[i]) {
			t := aggSpillType(f.Type)
			types = append(types, t)
			fields = append(fields, arrow.Field{Name: f.Name, Type: t, Nullable: true})
		}
		o.spill.stateTypes = append(o.spill.stateTypes, types)
	}
	o.spill.schema = arrow.NewSchema(fields, nil)
}

// aggSpillType is dt with dictionaries decoded, also inside lists.
func aggSpillType(dt arrow.DataType) arrow.DataType {
	switch t := dt.(type) {
	case *arrow.DictionaryType:
		return t.ValueType
	case *arrow.ListType:
		return arrow.ListOf(aggSpillType(t.Elem()))
	}
	return dt
}

// aggSpillPartitionOf maps a row hash to its partition at level. The shuffle partitions
// by the hash's high bits, so every row of a reducer shares them; remixing with a
// per-level offset makes the partitions of each level independent of the shuffle's and
// of the other levels'.
func aggSpillPartitionOf(h uint64, level int) int {
	x := h + uint64(level+1)*0x9e3779b97f4a7c15
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return int(x & (aggSpillFanout - 1))
}

// inputDone picks what follows the input: emitting the table, or, when the table has
// spilled, spilling the rest and merging the partitions.
func (o *HashAggOp) inputDone() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accepting = false
	o.emitted = 0
	if o.spill.target == nil {
		// Spilled Partial state goes first, keeping the input's order for first().
		o.phase = aggEmitting
		if len(o.spill.partial) > 0 {
			o.phase = aggReplaying
		}
		return nil
	}
	if o.tableRows > 0 {
		if err := o.spillTable(nil); err != nil {
			return err
		}
	}
	o.dropTable()
	o.pushPartitions()
	o.merging = true
	o.phase = aggMerging
	return nil
}

// pushPartitions queues the partitions the table spilled to, partition 0 to be merged
// first.
func (o *HashAggOp) pushPartitions() {
	t := o.spill.target
	o.spill.target = nil
	if t == nil {
		return
	}
	for p := aggSpillFanout - 1; p >= 0; p-- {
		if len(t[p]) > 0 {
			o.spill.pending = append(o.spill.pending, aggSpillPartition{level: o.spill.level, files: t[p]})
		}
	}
}

// spillTable writes the table to the partitions of the current level, empties it and
// gives its reservation back. cause is the refusal that made it spill (nil: asked to).
// Either every file of the event is written or none is, and the table is kept.
func (o *HashAggOp) spillTable(cause error) error {
	level := o.spill.level
	if level >= aggSpillMaxLevels {
		if cause == nil {
			cause = kmemory.ErrBudgetExceeded
		}
		return fmt.Errorf("exec: hash aggregate keys=%v: a spill partition of %d groups (%d bytes) does not fit in memory after %d levels of repartitioning: %w",
			o.node.Keys, o.keys.n, o.used, aggSpillMaxLevels, cause)
	}
	files, err := o.writePartitions(level)
	if err != nil {
		return err
	}
	if o.spill.target == nil {
		o.spill.target = new([aggSpillFanout][]*storage.SpillFile)
	}
	for p, fs := range files {
		for _, f := range fs {
			o.spill.target[p] = append(o.spill.target[p], f)
			o.spilledBytes.Add(f.Bytes())
		}
	}
	o.spillCount.Add(1)
	o.spill.deepest = max(o.spill.deepest, level)
	if err := o.newTable(); err != nil {
		return err
	}
	o.budget.ShrinkTo(0)
	return nil
}

// writePartitions writes the table's groups as state, split by partition at level, to
// one file: each chunk of groups adds a section per partition that gets rows (see
// storage.SectionWriter), so that a spill creates one file, not one per partition or
// per chunk (at a tight budget, file creation was much of the spilling's cost).
func (o *HashAggOp) writePartitions(level int) (files [aggSpillFanout][]*storage.SpillFile, err error) {
	var w *storage.SectionWriter
	defer func() {
		if err == nil {
			return
		}
		if w != nil {
			w.Abort()
		}
		for p, fs := range files {
			for _, f := range fs {
				f.Remove()
			}
			files[p] = nil
		}
	}()
	n := o.keys.n
	hashes := make([]uint64, min(n, aggSpillChunkRows))
	var rows [aggSpillFanout][]int32
	ctx := colop.ComputeCtx(o.ctx, o.mem)
	nk := len(o.keyTypes)
	for lo := 0; lo < n; lo += aggSpillChunkRows {
		hi := min(lo+aggSpillChunkRows, n)
		rec, err := o.buildBatch(lo, hi, o.spill.schema, o.spill.keyTypes, o.spill.stateTypes, true)
		if err != nil {
			return files, err
		}
		h := hashes[:hi-lo]
		if err := kernel.HashColumns(rec.Columns()[:nk], h); err != nil {
			rec.Release()
			return files, fmt.Errorf("exec: hash aggregate: spill: %w", err)
		}
		for p := range rows {
			rows[p] = rows[p][:0]
		}
		for i, x := range h {
			p := aggSpillPartitionOf(x, level)
			rows[p] = append(rows[p], int32(i))
		}
		if w == nil {
			w, err = o.spillManager.CreateSections(fmt.Sprintf("hashagg-l%d", level), o.spill.schema)
			if err != nil {
				rec.Release()
				return files, fmt.Errorf("exec: hash aggregate: spill: %w", err)
			}
		}
		var sections [aggSpillFanout]*storage.SpillFile
		err = o.writeSections(ctx, w, rec, &rows, &sections)
		rec.Release()
		if err != nil {
			return files, err
		}
		for p, f := range sections {
			if f != nil {
				files[p] = append(files[p], f)
			}
		}
	}
	if w != nil {
		err = w.Finish()
		if err != nil {
			return files, fmt.Errorf("exec: hash aggregate: spill: %w", err)
		}
		w = nil
	}
	return files, nil
}

// writeSections writes the rows of rec of each partition as a section of w.
func (o *HashAggOp) writeSections(ctx context.Context, w *storage.SectionWriter, rec arrow.RecordBatch,
	rows *[aggSpillFanout][]int32, sections *[aggSpillFanout]*storage.SpillFile) error {
	for p, idx := range rows {
		if len(idx) == 0 {
			continue
		}
		part, err := o.takeRows(ctx, rec, idx)
		if err == nil {
			err = w.Append(part)
			part.Release()
		}
		if err == nil {
			sections[p], err = w.EndSection()
		}
		if err != nil {
			w.Abort()
			return fmt.Errorf("exec: hash aggregate: spill partition %d: %w", p, err)
		}
	}
	return nil
}

// takeRows returns the rows idx (ascending) of rec as a new batch.
func (o *HashAggOp) takeRows(ctx context.Context, rec arrow.RecordBatch, idx []int32) (arrow.RecordBatch, error) {
	if len(idx) == int(rec.NumRows()) {
		rec.Retain()
		return rec, nil
	}
	indices := kernel.BuildFixed(o.mem, arrow.PrimitiveTypes.Int32, len(idx), func(i int) int32 { return idx[i] }, kernel.AllValid)
	defer indices.Release()
	out, err := compute.Take(ctx, *compute.DefaultTakeOptions(), compute.NewDatumWithoutOwning(rec), compute.NewDatumWithoutOwning(indices))
	if err != nil {
		return nil, err
	}
	defer out.Release()
	rd, ok := out.(*compute.RecordDatum)
	if !ok {
		return nil, fmt.Errorf("take returned %s, not a record batch", out)
	}
	rd.Value.Retain()
	return rd.Value, nil
}

// spillPartial writes a Partial table's state, as output batches, to one file that is
// replayed once the table has been emitted, then empties the table.
func (o *HashAggOp) spillPartial() (err error) {
	w, err := o.spillManager.Create("hashagg-partial", o.node.OutSchema)
	if err != nil {
		return fmt.Errorf("exec: hash aggregate: spill: %w", err)
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	for lo := 0; lo < o.keys.n; lo += aggSpillChunkRows {
		hi := min(lo+aggSpillChunkRows, o.keys.n)
		rec, err := o.emit(lo, hi)
		if err != nil {
			return err
		}
		err = w.Append(rec)
		rec.Release()
		if err != nil {
			return fmt.Errorf("exec: hash aggregate: spill: %w", err)
		}
	}
	f, err := w.Finish()
	if err != nil {
		return fmt.Errorf("exec: hash aggregate: spill: %w", err)
	}
	o.spill.partial = append(o.spill.partial, f)
	o.spilledBytes.Add(f.Bytes())
	o.spillCount.Add(1)
	if err := o.newTable(); err != nil {
		return err
	}
	o.budget.ShrinkTo(0)
	return nil
}

// replayNext returns the next batch of Partial state spilled at others' request, or
// (nil, nil) after the last, when the table is to be emitted.
func (o *HashAggOp) replayNext() (arrow.RecordBatch, error) {
	for {
		if err := o.ctx.Err(); err != nil {
			return nil, err
		}
		if len(o.spill.partial) == 0 {
			o.phase = aggEmitting
			return nil, nil
		}
		f := o.spill.partial[0]
		if o.spill.reader == nil {
			r, err := f.Open(o.ctx, o.mem)
			if err != nil {
				return nil, fmt.Errorf("exec: hash aggregate: read spill: %w", err)
			}
			o.spill.reader = r
		}
		rec, err := o.spill.reader.Next()
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("exec: hash aggregate: read spill: %w", err)
		}
		o.spill.reader.Close()
		o.spill.reader = nil
		o.spill.partial = o.spill.partial[1:]
		if err := f.Remove(); err != nil {
			return nil, fmt.Errorf("exec: hash aggregate: %w", err)
		}
	}
}

// mergeNextPartition merges the next spilled partition into an empty table and sets the
// table to be emitted; a partition that spills again is split into sub-partitions that
// are merged first. It returns io.EOF when no partition is left.
func (o *HashAggOp) mergeNextPartition() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		n := len(o.spill.pending)
		if n == 0 {
			return io.EOF
		}
		p := o.spill.pending[n-1]
		o.spill.pending = o.spill.pending[:n-1]
		if err := o.newTable(); err != nil {
			return err
		}
		o.spill.level = p.level + 1
		o.spill.cur = p.files
		for len(o.spill.cur) > 0 {
			f := o.spill.cur[0]
			if err := o.mergeFile(f); err != nil {
				return err
			}
			o.spill.cur = o.spill.cur[1:]
			if err := f.Remove(); err != nil {
				return fmt.Errorf("exec: hash aggregate: %w", err)
			}
		}
		if o.spill.target == nil {
			o.phase = aggEmitting
			o.emitted = 0
			return nil
		}
		if o.tableRows > 0 {
			if err := o.spillTable(nil); err != nil {
				return err
			}
		}
		o.dropTable()
		o.pushPartitions()
	}
}

// mergeFile folds one spill file's state batches into the table.
func (o *HashAggOp) mergeFile(f *storage.SpillFile) error {
	r, err := f.Open(o.ctx, o.mem)
	if err != nil {
		return fmt.Errorf("exec: hash aggregate: read spill: %w", err)
	}
	o.spill.reader = r
	defer func() {
		r.Close()
		o.spill.reader = nil
	}()
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("exec: hash aggregate: read spill: %w", err)
		}
		err = o.addBatchParts(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
}

// addBatchParts folds rec into the merging table, in halves (recursively, first half
// first, so first() still sees rows in order) while even a spilled table has no room for
// rec's worst case (errAggSplit). It borrows rec.
func (o *HashAggOp) addBatchParts(rec arrow.RecordBatch) error {
	_, err := o.addBatch(rec)
	if !errors.Is(err, errAggSplit) {
		return err
	}
	h := rec.NumRows() / 2
	for _, part := range []arrow.RecordBatch{rec.NewSlice(0, h), rec.NewSlice(h, rec.NumRows())} {
		err := o.addBatchParts(part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// dropSpills closes the open spill file and removes every spill file left. o.mu must be
// held.
func (o *HashAggOp) dropSpills() {
	s := &o.spill
	if s.reader != nil {
		s.reader.Close()
		s.reader = nil
	}
	var files []*storage.SpillFile
	if s.target != nil {
		for _, fs := range s.target {
			files = append(files, fs...)
		}
		s.target = nil
	}
	for _, p := range s.pending {
		files = append(files, p.files...)
	}
	files = append(files, s.cur...)
	files = append(files, s.partial...)
	s.pending, s.cur, s.partial = nil, nil, nil
	for _, f := range files {
		f.Remove() // best effort: SpillManager.Close removes the directory anyway
	}
}
