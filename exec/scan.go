package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
)

// inputCounter counts what a task's leaves read, for TaskMetrics.
type inputCounter struct {
	rows, bytes, batches, shuffleBytes int64
	malformed, rowGroupsPruned         int64
	sizer                              colop.BatchSizer
}

func (c *inputCounter) add(rec arrow.RecordBatch, fromShuffle bool) {
	if c == nil {
		return
	}
	n := c.sizer.Bytes(rec)
	c.rows += rec.NumRows()
	c.bytes += n
	c.batches++
	if fromShuffle {
		c.shuffleBytes += n
	}
}

// ScanOp reads one partition of a source.
type ScanOp struct {
	part    plan.ScanPartition
	mem     memory.Allocator
	counter *inputCounter
	ctx     context.Context
	it      plan.BatchIterator
	closer  colop.Closer
}

var _ colop.Operator = (*ScanOp)(nil)

func newScan(part plan.ScanPartition, mem memory.Allocator, c *inputCounter) *ScanOp {
	return &ScanOp{part: part, mem: mem, counter: c}
}

// Open remembers the context; the source is opened by the first Next so that a task that
// never pulls (a satisfied limit) does no I/O.
func (s *ScanOp) Open(ctx context.Context) error {
	s.ctx = ctx
	return nil
}

// Next returns the next batch of the partition.
func (s *ScanOp) Next() (arrow.RecordBatch, error) {
	if s.closer.Closed() {
		return nil, io.EOF
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	if s.it == nil {
		it, err := s.part.Open(s.ctx, s.mem)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", s.part, err)
		}
		s.it = it
	}
	rec, err := s.it.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	s.counter.add(rec, false)
	return rec, nil
}

// Close closes the source.
func (s *ScanOp) Close() error { return s.closer.CloseOnce(s.teardown) }

func (s *ScanOp) teardown() error {
	if s.it == nil {
		return nil
	}
	// Sources that tolerate bad rows (CSV in permissive or drop-malformed mode) count them.
	if m, ok := s.it.(interface{ Malformed() int64 }); ok && s.counter != nil {
		s.counter.malformed += m.Malformed()
	}
	// Parquet scans skip row groups whose statistics rule out the pushed filters.
	if p, ok := s.it.(interface{ RowGroupsPruned() int }); ok && s.counter != nil {
		s.counter.rowGroupsPruned += int64(p.RowGroupsPruned())
	}
	return s.it.Close()
}

// ShuffleReadOp reads one reduce partition of a shuffle, or the range of them (and map
// outputs) an adaptive plan gave its task.
type ShuffleReadOp struct {
	svc       *shuffle.Service
	shuffleID int
	rng       shuffle.Range
	counter   *inputCounter
	ctx       context.Context
	r         *shuffle.Reader
}

var _ colop.Operator = (*ShuffleReadOp)(nil)

// Open starts the read.
func (s *ShuffleReadOp) Open(ctx context.Context) error {
	s.ctx = ctx
	s.r = s.svc.RangeReader(s.shuffleID, s.rng)
	return nil
}

// EstimatedRows returns the rows of the partition, known once the operator is open (0
// before): see RowEstimator.
func (s *ShuffleReadOp) EstimatedRows() int64 {
	if s.r == nil {
		return 0
	}
	return s.r.Rows()
}

// Next returns the next block batch.
func (s *ShuffleReadOp) Next() (arrow.RecordBatch, error) {
	if s.r == nil {
		return nil, io.EOF
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	shared, err := s.r.Next()
	if err != nil {
		return nil, err
	}
	// Blocks are shared between the tasks reading them (every task of a broadcast join
	// reads the same build blocks): this task gets array objects of its own.
	rec := kernel.Rewrap(shared)
	shared.Release()
	s.counter.add(rec, true)
	return rec, nil
}

// Close ends the read.
func (s *ShuffleReadOp) Close() error {
	if s.r == nil {
		return nil
	}
	r := s.r
	s.r = nil
	return r.Close()
}
