package storage

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BlockBytes is the memory a block's batches hold: every distinct buffer counted once,
// across all the batches. Slices of one parent batch (a source cut into BatchRows
// pieces) share its buffers, so summing util.TotalRecordSize per batch would count the
// parent once per slice; the memory pinned is the parent's, once.
func BlockBytes(batches []arrow.RecordBatch) int64 {
	seen := make(BufferSet)
	var total int64
	for _, rec := range batches {
		total += seen.Add(rec)
	}
	return total
}

// BufferSet is the buffers counted so far of a block that is built a batch at a time,
// so that its bytes are BlockBytes' without recounting the batches already added.
type BufferSet map[*memory.Buffer]struct{}

// Add returns the bytes of rec's buffers (dictionaries included) that the set has not
// counted yet, and counts them. A nil rec adds nothing.
func (s BufferSet) Add(rec arrow.RecordBatch) int64 {
	if rec == nil {
		return 0
	}
	var total int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		if d == nil {
			return
		}
		for _, b := range d.Buffers() {
			if b == nil {
				continue
			}
			if _, ok := s[b]; ok {
				continue
			}
			s[b] = struct{}{}
			total += int64(b.Len())
		}
		for _, c := range d.Children() {
			walk(c)
		}
		if d.DataType().ID() == arrow.DICTIONARY {
			walk(d.Dictionary())
		}
	}
	for _, col := range rec.Columns() {
		walk(col.Data())
	}
	return total
}

// releaseAll releases every batch (nil entries are skipped).
func releaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		if b != nil {
			b.Release()
		}
	}
}
