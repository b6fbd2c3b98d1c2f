package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kindling-data/kindling/exec/colop"
	kmemory "github.com/kindling-data/kindling/memory"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// ErrCacheLost reports that a cached partition the plan relied on was evicted before the
// job read it. The caller plans the job again: the dataset is then no longer
// materialized, and its lineage recomputes the partition.
var ErrCacheLost = errors.New("exec: cached partition lost")

// CacheLevel is implemented by a plan.CacheStatus that knows its storage level.
type CacheLevel interface {
	StorageLevel() storage.Level
}

// CacheRecorder is implemented by a plan.CacheStatus that wants to hear which partitions
// were computed, and how many the dataset has.
type CacheRecorder interface {
	// Computed records that a job computed the partition (stored or not).
	Computed(partition, partitions int)
	// WasComputed reports whether an earlier job computed the partition: a miss on it is a
	// recomputation from lineage (the partition was evicted, or never fit).
	WasComputed(partition int) bool
}

// CacheReadRecorder is implemented by a plan.CacheStatus that wants to hear each time a
// task read a stored partition instead of computing it.
type CacheReadRecorder interface {
	ReadFromCache(partition int)
}

// recordCacheRead tells status, if it listens, that partition was read from the cache.
func recordCacheRead(status plan.CacheStatus, partition int) {
	if r, ok := status.(CacheReadRecorder); ok {
		r.ReadFromCache(partition)
	}
}

// cacheCounter counts a task's cache traffic for TaskMetrics.
type cacheCounter struct {
	hits, diskHits, misses, recomputed, putFailed int64
}

// CacheOp serves one partition of a persisted dataset: from the block manager on a hit,
// otherwise by computing the input partition, storing it, and passing it on. A failed
// store never fails the task: the rows stream on uncached.
type CacheOp struct {
	node      *plan.PCache
	partition int
	newInput  func() (colop.Operator, error)
	// The block store and what the operator needs of the task: the operator depends on
	// these, not on the job that runs it.
	blocks    *storage.BlockManager
	mem       *kmemory.Manager // execution memory in use bounds a MEMORY_ONLY put
	lockBlock func(storage.BlockID) (unlock func())
	alloc     memory.Allocator
	counter   *cacheCounter
	// reserve opens a reservation of the task (for the unroll buffer of a level that
	// may use disk); nil holds the partition unreserved.
	reserve func(op string) *kmemory.Reservation

	ctx  context.Context
	cols []int // the stored columns passed on; nil for all
	// stream serves a hit: the stored block's columns cols, read from disk a batch at a time
	// (only those columns' segments) or handed out from memory.
	stream  storage.BatchStream
	pending []arrow.RecordBatch
	input   colop.Operator
	closer  colop.Closer
}

var _ colop.Operator = (*CacheOp)(nil)

func (c *CacheOp) blockID() storage.BlockID {
	return storage.CacheBlockID(c.node.DatasetID, c.partition)
}

func (c *CacheOp) level() storage.Level {
	if l, ok := c.node.Status.(CacheLevel); ok {
		return l.StorageLevel()
	}
	return storage.MemoryAndDisk
}

// Open looks the partition up; on a miss it computes and stores it. Concurrent jobs that
// miss the same partition compute it once (singleflight) and share the stored result.
func (c *CacheOp) Open(ctx context.Context) error {
	c.ctx = ctx
	cols, err := plan.ColumnIndices(c.node.Input.Schema(), c.node.Columns)
	if err != nil {
		return fmt.Errorf("exec: read cached %s: %w", c.blockID(), err)
	}
	c.cols = cols
	return c.open(ctx)
}

func (c *CacheOp) open(ctx context.Context) error {
	blocks := c.blocks
	id := c.blockID()
	stream, loc, err := blocks.OpenCache(ctx, id, c.alloc, c.cols)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("exec: read cached %s: %w", id, err)
		}
		// The block could not be read back (a corrupt or unreadable file); the block
		// manager dropped it, so it is a miss: recompute it from lineage below.
		loc = storage.NotStored
	}
	if loc != storage.NotStored {
		c.counter.hits++
		if loc == storage.OnDisk {
			c.counter.diskHits++
		}
		recordCacheRead(c.node.Status, c.partition)
		c.stream = stream
		return nil
	}
	if stream != nil {
		stream.Close()
	}
	// One computation per missing block: a concurrent job that misses the same partition
	// waits here, then finds it stored (Spark's block write lock).
	unlock := c.lockBlock(id)
	defer unlock()
	if stream, loc, err := blocks.OpenCache(ctx, id, c.alloc, c.cols); err == nil && loc != storage.NotStored {
		c.counter.hits++
		recordCacheRead(c.node.Status, c.partition)
		c.stream = stream
		return nil
	} else if stream != nil {
		stream.Close()
	}
	c.counter.misses++
	if rec, ok := c.node.Status.(CacheRecorder); ok && rec.WasComputed(c.partition) {
		c.counter.recomputed++
	}
	return c.compute(ctx)
}

// compute runs the input partition to its end, keeping its batches, then hands them to
// the block manager, which charges them to storage memory or writes them to disk, by
// level. Unrolling stops as soon as the partition could not fit even in all the memory
// execution leaves (Spark's fail-fast rule for a put larger than limit − execution used):
// the rows then stream on uncached, and the task never fails for a cache put. A level
// that may use disk reserves the batches it holds as the task's execution memory
// ("cache unroll"); past what the task may hold, the partition goes to disk a chunk at a
// time as it is computed (unroll.go) and is then read back from there.
func (c *CacheOp) compute(ctx context.Context) error {
	in, err := c.newInput()
	if err != nil {
		return err
	}
	c.input = in
	if err := in.Open(ctx); err != nil {
		return err
	}
	level := c.level()
	if level.UseDisk() && c.node.Input.Schema().NumFields() > 0 && c.reserve != nil {
		return c.computeSpillable(ctx, in, level)
	}
	mem := c.mem
	var held []arrow.RecordBatch
	var bytes int64
	for {
		rec, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			releaseBatches(held)
			return err
		}
		held = append(held, rec)
		bytes += int64(colop.HeldBytes(rec))
		if free := mem.Limit() - mem.Stats().ExecutionUsed; level.UseMemory() && !level.UseDisk() && bytes > free {
			// Cannot fit in memory and may not go to disk: stream on uncached
			// (Spark's PartiallyUnrolledIterator).
			c.notCached(tooLargeReason(bytes, free))
			projectBatches(held, c.cols)
			c.pending = held
			c.recordComputed()
			return nil // the input keeps streaming from Next
		}
	}
	return c.store(level, held, bytes)
}

// store hands the whole partition held to the block manager and passes it on.
func (c *CacheOp) store(level storage.Level, held []arrow.RecordBatch, bytes int64) error {
	// The block manager takes its own references; ours go downstream.
	retained := make([]arrow.RecordBatch, len(held))
	for i, r := range held {
		r.Retain()
		retained[i] = r
	}
	loc, err := c.blocks.PutCache(c.blockID(), level, retained)
	if err != nil || loc == storage.NotStored {
		c.notCached(notStoredReason(bytes, err))
	} else {
		c.cached()
	}
	c.recordComputed()
	projectBatches(held, c.cols)
	c.pending = held
	return c.closeInput()
}

func (c *CacheOp) closeInput() error {
	in := c.input
	c.input = nil
	if in == nil {
		return nil
	}
	return in.Close()
}

func (c *CacheOp) recordComputed() {
	if rec, ok := c.node.Status.(CacheRecorder); ok {
		rec.Computed(c.partition, c.node.NumPartitions())
	}
}

// EstimatedRows is the stored partition's rows on a hit, else the input's estimate
// (colop.RowEstimator).
func (c *CacheOp) EstimatedRows() int64 {
	if c.stream != nil {
		return c.stream.Rows()
	}
	return colop.EstimatedRows(c.input)
}

// Next returns the stored or computed batches, then the rest of an uncached input.
func (c *CacheOp) Next() (arrow.RecordBatch, error) {
	if c.closer.Closed() {
		return nil, io.EOF
	}
	if c.stream != nil {
		rec, err := c.stream.Next()
		if err != nil && err != io.EOF && c.ctx.Err() == nil {
			// The block manager dropped the unreadable block: a replanned job recomputes it.
			err = fmt.Errorf("%w: %s: %v", ErrCacheLost, c.blockID(), err)
		}
		return rec, err
	}
	if len(c.pending) > 0 {
		rec := c.pending[0]
		c.pending = c.pending[1:]
		return rec, nil
	}
	if c.input != nil {
		rec, err := c.input.Next()
		if err != nil {
			return nil, err
		}
		one := []arrow.RecordBatch{rec}
		projectBatches(one, c.cols)
		return one[0], nil
	}
	return nil, io.EOF
}

// Close releases what was not passed on.
func (c *CacheOp) Close() error { return c.closer.CloseOnce(c.teardown) }

func (c *CacheOp) teardown() error {
	releaseBatches(c.pending)
	c.pending = nil
	if c.stream != nil {
		err := c.stream.Close()
		c.stream = nil
		if err != nil {
			return err
		}
	}
	if c.input != nil {
		return c.input.Close()
	}
	return nil
}

// CacheReadOp reads one partition of a fully materialized dataset.
type CacheReadOp struct {
	node    *plan.PCacheRead
	p       int
	blocks  *storage.BlockManager
	alloc   memory.Allocator
	counter *cacheCounter
	inputs  *inputCounter
	ctx     context.Context
	id      storage.BlockID
	cols    []int
	// stream yields the partition's batches: from memory, or read from its spill file a
	// batch at a time, so that a partition larger than memory is never held whole.
	stream storage.BatchStream
}

var _ colop.Operator = (*CacheReadOp)(nil)

// Open looks the partition up; a partition evicted since planning is ErrCacheLost.
func (c *CacheReadOp) Open(ctx context.Context) error {
	c.ctx, c.id = ctx, storage.CacheBlockID(c.node.DatasetID, c.p)
	cols, err := plan.ColumnIndices(c.node.Stored, c.node.Columns)
	if err != nil {
		return fmt.Errorf("exec: read cached %s: %w", c.id, err)
	}
	c.cols = cols
	stream, loc, err := c.blocks.OpenCache(ctx, c.id, c.alloc, c.cols)
	if err != nil {
		return c.lostErr(ctx, err)
	}
	if loc == storage.NotStored {
		stream.Close()
		return fmt.Errorf("%w: %s", ErrCacheLost, c.id)
	}
	c.counter.hits++
	if loc == storage.OnDisk {
		c.counter.diskHits++
	}
	recordCacheRead(c.node.Status, c.p)
	c.stream = stream
	return nil
}

// lostErr reports a block that could not be read back (corrupt or unreadable): the block
// manager dropped it, and the job is planned again and recomputes the partition from
// lineage.
func (c *CacheReadOp) lostErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("exec: read cached %s: %w", c.id, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrCacheLost, c.id, err)
}

// EstimatedRows is the cached partition's rows once open (colop.RowEstimator).
func (c *CacheReadOp) EstimatedRows() int64 {
	if c.stream == nil {
		return 0
	}
	return c.stream.Rows()
}

// Next returns the partition's next batch, with the columns the plan reads.
func (c *CacheReadOp) Next() (arrow.RecordBatch, error) {
	rec, err := c.stream.Next()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, c.lostErr(c.ctx, err)
	}
	c.inputs.add(rec, false)
	return rec, nil
}

// Close releases what was not passed on and unpins the block.
func (c *CacheReadOp) Close() error {
	if c.stream == nil {
		return nil
	}
	err := c.stream.Close()
	c.stream = nil
	return err
}

// projectBatches replaces each batch of recs with the columns cols of it (indices, in
// order), without copying: the new batches share the arrays, and the old ones are
// released. A nil cols keeps every column.
func projectBatches(recs []arrow.RecordBatch, cols []int) {
	if cols == nil || len(recs) == 0 {
		return
	}
	fields := make([]arrow.Field, len(cols))
	for j, c := range cols {
		fields[j] = recs[0].Schema().Field(c)
	}
	md := recs[0].Schema().Metadata()
	schema := arrow.NewSchema(fields, &md)
	arrs := make([]arrow.Array, len(cols))
	for i, r := range recs {
		for j, c := range cols {
			arrs[j] = r.Column(c)
		}
		recs[i] = array.NewRecordBatch(schema, arrs, r.NumRows())
		r.Release()
	}
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
