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
	seen := make(map[*memory.Buffer]struct{})
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
			if _, ok := seen[b]; ok {
				continue
			}
			seen[b] = struct{}{}
			total += int64(b.Len())
		}
		for _, c := range d.Children() {
			walk(c)
		}
		if d.DataType().ID() == arrow.DICTIONARY {
			walk(d.Dictionary())
		}
	}
	for _, rec := range batches {
		if rec == nil {
			continue
		}
		for _, col := range rec.Columns() {
			walk(col.Data())
		}
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
