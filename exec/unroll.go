package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// unroll is a cached partition being computed at a level that may use disk: the batches
// it holds are reserved as the task's execution memory, so that they count against the
// budget as any operator's buffer does. When the reservation is refused, what is held is
// written to disk as a chunk of the block (storage.CacheWriter), as is each later chunk,
// so the task never holds more of the partition than it may; the partition is then read
// back from disk and passed on (Spark's DiskStore takes the rest of the iterator a
// MemoryStore could not unroll).
type unroll struct {
	c     *CacheOp
	level storage.Level
	res   *kmemory.Reservation
	w     *storage.CacheWriter // nil until the first chunk goes to disk
	held  []arrow.RecordBatch
	total int64 // the bytes of every batch computed
}

func (c *CacheOp) computeSpillable(ctx context.Context, in colop.Operator, level storage.Level) error {
	u := &unroll{c: c, level: level, res: c.reserve("cache unroll")}
	defer u.res.Free()
	for {
		rec, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			u.abort()
			return err
		}
		if err := u.add(rec); err != nil {
			if errors.Is(err, errUnrollDisk) {
				return c.streamUncached(ctx, err)
			}
			u.abort()
			return err
		}
	}
	if u.w == nil {
		// It fits: the block manager charges it to storage memory from here on.
		u.res.Free()
		return c.store(level, u.held, u.total)
	}
	if err := u.flush(); err != nil {
		return c.streamUncached(ctx, err)
	}
	if _, err := u.w.Commit(); err != nil {
		return c.streamUncached(ctx, fmt.Errorf("%w: %v", errUnrollDisk, err))
	}
	if err := c.closeInput(); err != nil {
		return err
	}
	stream, loc, err := c.blocks.OpenCache(ctx, c.blockID(), c.alloc, c.cols)
	if err == nil && loc == storage.NotStored {
		if stream != nil {
			stream.Close()
		}
		err = errors.New("not found after it was written")
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Unreadable (the block manager dropped it): as a failed store.
		return c.streamUncached(ctx, fmt.Errorf("%w: reading it back: %v", errUnrollDisk, err))
	}
	c.cached()
	c.recordComputed()
	c.stream = stream
	return nil
}

// errUnrollDisk marks a failure to write the partition to disk: the task then recomputes
// it and streams it on uncached, as for any failed store.
var errUnrollDisk = errors.New("writing the cached partition to disk")

// add holds rec, reserved; if the reservation is refused, it writes what is held to disk.
func (u *unroll) add(rec arrow.RecordBatch) error {
	u.held = append(u.held, rec)
	n := int64(colop.HeldBytes(rec))
	u.total += n
	err := u.res.TryGrowNow(n)
	if err == nil || !errors.Is(err, kmemory.ErrBudgetExceeded) {
		return err
	}
	return u.flush()
}

// flush writes the held batches to disk as the next chunk and releases them.
func (u *unroll) flush() error {
	if len(u.held) == 0 {
		return nil
	}
	var err error
	if u.w == nil {
		u.w, err = u.c.blocks.CreateCache(u.c.blockID(), u.level, u.held[0].Schema())
	}
	if err == nil {
		err = u.w.Write(u.held)
	}
	releaseBatches(u.held)
	u.held = nil
	u.res.Free()
	if err != nil {
		u.abort()
		return fmt.Errorf("%w: %v", errUnrollDisk, err)
	}
	return nil
}

func (u *unroll) abort() {
	releaseBatches(u.held)
	u.held = nil
	if u.w != nil {
		u.w.Abort()
	}
}

// streamUncached gives up caching the partition after its rows were written away and
// released: it computes the partition again from its lineage and passes it on uncached.
func (c *CacheOp) streamUncached(ctx context.Context, cause error) error {
	c.notCached(notStoredReason(0, cause))
	c.recordComputed()
	if err := c.closeInput(); err != nil {
		return err
	}
	in, err := c.newInput()
	if err != nil {
		return err
	}
	c.input = in
	return in.Open(ctx)
}
