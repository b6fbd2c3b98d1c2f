package storage

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// CacheWriter writes a cached partition to disk while it is being computed, a chunk at a
// time, so that a partition too large for the memory its task may hold never has to be
// in memory whole (Spark's MemoryStore gives up unrolling such a partition and its
// DiskStore takes the rest of the iterator). The file is the columnar format with one
// chunk per Write. Readers see no block until Commit.
type CacheWriter struct {
	b      *BlockManager
	id     BlockID
	level  Level
	schema *arrow.Schema
	file   *columnarFile
	size   int64 // the in-memory bytes of the batches written: the block's size
	rows   int64 // rows of the batches written
	done   bool
}

// CreateCache starts writing the cached partition id at level, which must keep its blocks
// on disk (MEMORY_AND_DISK, DISK_ONLY, MEMORY_AND_DISK_SER), with batches of schema (at
// least one column).
func (b *BlockManager) CreateCache(id BlockID, level Level, schema *arrow.Schema) (*CacheWriter, error) {
	switch {
	case id.Kind != CacheBlock:
		return nil, fmt.Errorf("storage: write %v a chunk at a time: not a cached partition", id)
	case !level.UseDisk():
		return nil, fmt.Errorf("storage: write %v a chunk at a time: level %v keeps nothing on disk", id, level)
	case schema == nil || schema.NumFields() == 0:
		return nil, fmt.Errorf("storage: write %v a chunk at a time: no columns", id)
	case b.spill == nil:
		return nil, fmt.Errorf("storage: write %v to disk: the block manager has no spill directory", id)
	}
	f, err := b.spill.createColumnar(id.String(), schema)
	if err != nil {
		return nil, fmt.Errorf("storage: write %v to disk: %w", id, err)
	}
	return &CacheWriter{b: b, id: id, level: level, schema: schema, file: f}, nil
}

// Write writes batches as the next chunk. It borrows them: the caller releases them, and
// may as soon as Write returns.
func (w *CacheWriter) Write(batches []arrow.RecordBatch) error {
	if w.done {
		return fmt.Errorf("storage: write %v: the writer is closed", w.id)
	}
	for i, rec := range batches {
		if rec == nil || !w.schema.Equal(rec.Schema()) {
			return fmt.Errorf("storage: write %v: batch %d does not have the block's schema %v", w.id, i, w.schema)
		}
	}
	if err := w.file.writeChunk(batches); err != nil {
		return fmt.Errorf("storage: write %v to disk: %w", w.id, err)
	}
	w.size += BlockBytes(batches)
	for _, rec := range batches {
		w.rows += rec.NumRows()
	}
	return nil
}

// Commit ends the file and stores the block on disk, replacing any block of its id. After
// an error nothing is stored and the file is gone.
func (w *CacheWriter) Commit() (Location, error) {
	if w.done {
		return NotStored, fmt.Errorf("storage: commit %v: the writer is closed", w.id)
	}
	w.done = true
	f, err := w.file.finish()
	if err != nil {
		return NotStored, fmt.Errorf("storage: write %v to disk: %w", w.id, err)
	}
	w.b.diskWrites.Add(1)
	w.b.diskWritten.Add(f.Bytes())
	return w.b.addDiskBlock(&block{id: w.id, level: w.level, schema: w.schema, size: w.size, rows: w.rows}, f)
}

// Abort removes what was written; it is a no-op after Commit.
func (w *CacheWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.file.abort()
}
