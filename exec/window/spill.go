package window

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// Spilling. A window partition that does not fit the budget is written, whole rows, to a
// spill file as it is read, and only its narrow projection is held: the partition keys,
// the order keys and the functions' arguments. When the partition ends the functions are
// computed over the narrow rows, exactly as in memory, and the spilled rows are read back
// batch by batch and emitted with their slice of the window columns. So a partition costs
// the memory of its key and argument columns (plus the results), not of its rows.

// binding says where the columns the functions read are in a batch.
type binding struct {
	part, order []int
	args        [][2]int // per function: value (or aggregate argument) and default, -1 if none
}

// spillState is the spilled partition being written, or read back.
type spillState struct {
	w          *storage.SpillWriter
	narrow     []arrow.RecordBatch // the narrow projection of the rows written
	narrowSize int64
	replay     *storage.SpillReader
	file       *storage.SpillFile
	cols       []arrow.Array // the window columns of the partition being read back
	pos        int
	pendingIn  arrow.RecordBatch // input rows after the partition, added once it is emitted

	bytes, count atomic.Int64
}

// SpilledBytes returns the bytes the operator wrote to spill files.
func (o *Op) SpilledBytes() int64 { return o.spilled.bytes.Load() }

// SpillCount returns how many window partitions went to spill files.
func (o *Op) SpillCount() int64 { return o.spilled.count.Load() }

// bindNarrow lays out the narrow projection: the key and argument columns, in input order.
func (o *Op) bindNarrow() {
	var idx []int
	idx = append(idx, o.full.part...)
	idx = append(idx, o.full.order...)
	for _, a := range o.full.args {
		for _, c := range a {
			if c >= 0 {
				idx = append(idx, c)
			}
		}
	}
	slices.Sort(idx)
	o.narrowIdx = slices.Compact(idx)
	pos := func(c int) int {
		if c < 0 {
			return -1
		}
		i, _ := slices.BinarySearch(o.narrowIdx, c)
		return i
	}
	fields := make([]arrow.Field, len(o.narrowIdx))
	for i, c := range o.narrowIdx {
		fields[i] = o.inSchema.Field(c)
	}
	o.narrowSch = arrow.NewSchema(fields, nil)
	o.narrow = binding{part: make([]int, len(o.full.part)), order: make([]int, len(o.full.order)), args: make([][2]int, len(o.full.args))}
	for i, c := range o.full.part {
		o.narrow.part[i] = pos(c)
	}
	for i, c := range o.full.order {
		o.narrow.order[i] = pos(c)
	}
	for i, a := range o.full.args {
		o.narrow.args[i] = [2]int{pos(a[0]), pos(a[1])}
	}
}

// canSpill reports whether a refused reservation can be met by spilling.
func (o *Op) canSpill(err error) bool {
	return o.spill != nil && errors.Is(err, kmemory.ErrBudgetExceeded)
}

// startSpill opens the spill file of the partition being read and moves the held rows
// into it.
func (o *Op) startSpill() error {
	w, err := o.spill.Create("window-partition", o.inSchema)
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	o.spilled.w = w
	held := o.held
	o.held, o.heldBytes = nil, 0
	for i, r := range held {
		held[i] = nil
		if err := o.spillRows(r); err != nil {
			releaseAll(held)
			return err
		}
	}
	o.shrinkTo(o.spilled.narrowSize + o.outBytes)
	return nil
}

// spillRows writes rec to the spill file and keeps its narrow projection, taking
// ownership of rec.
func (o *Op) spillRows(rec arrow.RecordBatch) error {
	defer rec.Release()
	if err := o.spilled.w.Append(rec); err != nil {
		return fmt.Errorf("exec: window %s: spilling a partition: %w", o.describe(), err)
	}
	cols := make([]arrow.Array, len(o.narrowIdx))
	for i, c := range o.narrowIdx {
		cols[i] = rec.Column(c)
	}
	narrow := array.NewRecordBatch(o.narrowSch, cols, rec.NumRows())
	size := int64(colop.HeldBytes(narrow))
	if err := o.reserve(o.spilled.narrowSize+size+o.outBytes, "the keys of a spilled partition"); err != nil {
		narrow.Release()
		return err
	}
	o.spilled.narrow = append(o.spilled.narrow, narrow)
	o.spilled.narrowSize += size
	return nil
}

// addSpilled adds rec while a partition is being spilled: its rows up to the partition's
// end go to the spill file; at the end the partition is computed and read back, and the
// rows after it wait until it is emitted.
func (o *Op) addSpilled(rec arrow.RecordBatch, cmp *kernel.RowComparator) error {
	end := int(rec.NumRows())
	if o.tailCmp != nil && len(o.full.part) > 0 && o.tailCmp.CompareWith(o.tailCmp.Len()-1, cmp, 0) != 0 {
		end = 0
	} else if len(o.full.part) > 0 {
		for i := 1; i < end; i++ {
			if cmp.Compare(i, i-1) != 0 {
				end = i
				break
			}
		}
	}
	if end == int(rec.NumRows()) {
		o.tailCmp = cmp
		return o.spillRows(rec)
	}
	if end > 0 {
		if err := o.spillRows(rec.NewSlice(0, int64(end))); err != nil {
			rec.Release()
			return err
		}
	}
	o.spilled.pendingIn = rec.NewSlice(int64(end), rec.NumRows())
	rec.Release()
	o.tailCmp = nil
	return o.finishSpill()
}

// spillBatches spills complete partitions whose computation did not fit, taking
// ownership of batches, and starts reading them back.
func (o *Op) spillBatches(batches []arrow.RecordBatch) error {
	held, heldBytes := o.held, o.heldBytes
	o.held = batches
	err := o.startSpill()
	o.held, o.heldBytes = held, heldBytes
	if err != nil {
		return err
	}
	return o.finishSpill()
}

// finishSpill closes the spill file, computes the window columns over the narrow rows and
// starts reading the spilled rows back.
func (o *Op) finishSpill() error {
	s := &o.spilled
	f, err := s.w.Finish()
	s.w = nil
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	s.file = f
	s.bytes.Add(f.Bytes())
	s.count.Add(1)
	narrow := s.narrow
	s.narrow = nil
	var rows int64
	for _, r := range narrow {
		rows += r.NumRows()
	}
	o.outBytes = s.narrowSize + 16*rows*int64(len(o.node.Exprs))
	if err := o.reserve(o.heldBytes+s.narrowSize+o.outBytes, "the window columns of a spilled partition"); err != nil {
		releaseAll(narrow)
		return err
	}
	all, err := concatRecords(o.narrowSch, narrow, o.mem)
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	defer all.Release()
	o.cur = &o.narrow
	cols, err := o.columns(all)
	o.cur = &o.full
	if err != nil {
		return err
	}
	s.cols = cols
	s.narrowSize = 0
	s.pos = 0
	if s.replay, err = f.Open(o.ctx, o.mem); err != nil {
		return fmt.Errorf("exec: window %s: reading a spilled partition back: %w", o.describe(), err)
	}
	return nil
}

// nextSpilled returns the next batch of the spilled partition being read back, or nil
// once it is done (the spill state then released).
func (o *Op) nextSpilled() (arrow.RecordBatch, error) {
	s := &o.spilled
	rec, err := s.replay.Next()
	if errors.Is(err, io.EOF) {
		o.releaseSpill()
		o.outBytes = 0
		o.shrinkTo(o.heldBytes)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exec: window %s: reading a spilled partition back: %w", o.describe(), err)
	}
	defer rec.Release()
	n := int(rec.NumRows())
	if len(s.cols) > 0 && s.pos+n > s.cols[0].Len() {
		return nil, fmt.Errorf("exec: window %s: the spilled partition has more rows than its keys", o.describe())
	}
	cols := append([]arrow.Array(nil), rec.Columns()...)
	var slices []arrow.Array
	for _, c := range s.cols {
		sl := array.NewSlice(c, int64(s.pos), int64(s.pos+n))
		slices = append(slices, sl)
		cols = append(cols, sl)
	}
	s.pos += n
	out := array.NewRecordBatch(o.node.OutSchema, cols, int64(n))
	releaseArrays(slices)
	return out, nil
}

// releaseSpill drops the spill state: the writer, the file and the columns.
func (o *Op) releaseSpill() {
	s := &o.spilled
	if s.w != nil {
		s.w.Abort()
		s.w = nil
	}
	releaseAll(s.narrow)
	s.narrow, s.narrowSize = nil, 0
	if s.replay != nil {
		_ = s.replay.Close()
		s.replay = nil
	}
	if s.file != nil {
		_ = s.file.Remove()
		s.file = nil
	}
	releaseArrays(s.cols)
	s.cols = nil
}
