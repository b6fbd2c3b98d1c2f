package storage

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BatchStream hands out a block's batches one at a time; the caller owns each batch it
// gets and must Close the stream (also after an error, and before io.EOF).
type BatchStream interface {
	Next() (arrow.RecordBatch, error)
	Close() error
	// Rows is the number of rows the stream hands out in all.
	Rows() int64
}

// OpenCache is GetCache as a stream. A disk hit that is not re-admitted to memory is read
// one batch at a time, as the caller asks for it, so that a task reading a cached
// partition larger than memory holds one batch of it, not the whole partition (as Spark
// iterates a disk block); the block stays pinned until Close. Every other outcome is
// GetCache's, handed out from its list. A read error names the block; a corrupt cache
// block is dropped as by GetCache, so that the next plan recomputes it.
//
// The batches have the columns cols of the block (indices, in that order; nil for every
// column): a block on disk in a columnar file reads and decompresses only those.
func (b *BlockManager) OpenCache(ctx context.Context, id BlockID, mem memory.Allocator, cols []int) (BatchStream, Location, error) {
	if mem == nil {
		mem = b.alloc
	}
	if e, ser := b.pinSerialized(id, cols); e != nil {
		// A serialized block in memory: decompress only the columns read.
		r, err := openEncoded(ctx, id.String(), ser, e.schema, mem, cols)
		if err != nil {
			b.unpin(e)
			return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
		}
		return &diskStream{ctx: ctx, b: b, e: e, r: r}, InMemory, nil
	}
	e, f := b.pinDiskOnly(id)
	if e == nil {
		recs, loc, err := b.GetCache(ctx, id, mem)
		if err != nil {
			return nil, loc, err
		}
		if cols != nil && len(recs) > 0 {
			for _, c := range cols {
				if c < 0 || c >= int(recs[0].NumCols()) {
					releaseAll(recs)
					return nil, NotStored, fmt.Errorf("storage: get %v: no column %d in a block of %d columns", id, c, recs[0].NumCols())
				}
			}
			schema := projectSchema(recs[0].Schema(), cols)
			for i, rec := range recs {
				recs[i] = projectBatch(rec, schema, cols)
			}
		}
		return newListStream(recs), loc, nil
	}
	r, err := f.OpenColumns(ctx, mem, cols)
	if err != nil {
		b.unpin(e)
		return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
	}
	b.diskReads.Add(1)
	b.diskRead.Add(f.ReadBytes(cols))
	return &diskStream{ctx: ctx, b: b, e: e, r: r}, OnDisk, nil
}

// pinSerialized pins and returns id's block and its serialized bytes when it is held in
// memory serialized in the columnar format and only some columns are read (cols not nil);
// otherwise it returns nil.
func (b *BlockManager) pinSerialized(id BlockID, cols []int) (*block, []byte) {
	if cols == nil {
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.blocks[id]
	if e == nil || b.closed || !e.inMem || !isColumnar(e.ser) {
		return nil, nil
	}
	b.lru.Get(id) // marks it recently used
	b.memoryHits.Add(1)
	e.pins++
	return e, e.ser
}

// pinDiskOnly pins and returns id's block and file when it is on disk only (unserialized,
// or serialized in the columnar format) and would not be re-admitted to memory (its level
// does not use memory, or free storage memory cannot hold it now); otherwise it returns
// nil and GetCache serves the read.
func (b *BlockManager) pinDiskOnly(id BlockID) (*block, *SpillFile) {
	b.mu.Lock()
	e := b.blocks[id]
	if e == nil || b.closed || e.inMem || e.file == nil || e.level.Serialized() && e.file.columns == nil {
		b.mu.Unlock()
		return nil, nil
	}
	size, readmit := e.size, id.Kind == CacheBlock && e.level.UseMemory()
	if e.level.Serialized() {
		size = e.file.Bytes() // re-admitted as its bytes
	}
	b.mu.Unlock()
	if readmit && b.mem.AcquireStorage(size) == nil {
		// Free storage memory holds it: GetCache reads it whole and re-admits it.
		b.mem.ReleaseStorage(size)
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.blocks[id] != e || b.closed || e.inMem || e.file == nil {
		return nil, nil
	}
	e.pins++
	b.diskHits.Add(1)
	return e, e.file
}

// listStream hands out batches already read.
type listStream struct {
	recs []arrow.RecordBatch
	rows int64
}

func newListStream(recs []arrow.RecordBatch) *listStream {
	s := &listStream{recs: recs}
	for _, rec := range recs {
		s.rows += rec.NumRows()
	}
	return s
}

func (s *listStream) Rows() int64 { return s.rows }

func (s *listStream) Next() (arrow.RecordBatch, error) {
	if len(s.recs) == 0 {
		return nil, io.EOF
	}
	r := s.recs[0]
	s.recs = s.recs[1:]
	return r, nil
}

func (s *listStream) Close() error {
	releaseAll(s.recs)
	s.recs = nil
	return nil
}

// diskStream reads a pinned block's spill file batch by batch.
type diskStream struct {
	ctx   context.Context
	b     *BlockManager
	e     *block
	r     *SpillReader
	close sync.Once
}

func (s *diskStream) Next() (arrow.RecordBatch, error) {
	rec, err := s.r.Next()
	if err == nil || err == io.EOF {
		return rec, err
	}
	return nil, s.b.lost(s.ctx, s.e, fmt.Errorf("storage: get %v: %w", s.e.id, err))
}

func (s *diskStream) Rows() int64 { return s.e.rows }

func (s *diskStream) Close() error {
	var err error
	s.close.Do(func() {
		err = s.r.Close()
		s.b.unpin(s.e)
	})
	return err
}
