package dataset

import (
	"context"
	"iter"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec"
)

// Batches runs the job and returns its result's record batches for a range loop, in
// partition order, as Collect would return them (empty batches left out):
//
//	for rec, err := range d.Batches(ctx) {
//		if err != nil { ... }
//		... use rec ...
//	}
//
// It streams by partition: the loop gets partition 0's batches as soon as the task that
// computed it has committed, while later partitions are still computed, so at most the
// partitions finished ahead of the loop are held in memory, not the whole result.
//
// The loop body borrows each batch: it is released when the body returns (Retain it to
// keep it, and copy strings or slices that must outlive it). A failed job ends the loop
// with one (nil, error) pair. Breaking out of the loop early cancels the job, waits for
// its tasks to stop and releases every batch not yet seen, so nothing leaks. Each range
// over the returned sequence runs the job again.
func (d *Dataset) Batches(ctx context.Context) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		if d.err != nil {
			yield(nil, d.err)
			return
		}
		jctx, cancel := context.WithCancel(ctx)
		sink := &streamSink{notify: make(chan struct{}, 1), parts: map[int][]arrow.RecordBatch{}, seen: map[int]bool{}}
		done := make(chan error, 1)
		go func() {
			_, err := d.run(jctx, "batches", sink)
			done <- err
		}()
		defer func() {
			cancel()
			<-done // the job's tasks have stopped: no commit comes after this
			sink.release()
		}()
		sink.stream(jctx, done, yield)
	}
}

// streamSink keeps each committed partition's batches until the loop takes them.
type streamSink struct {
	mu     sync.Mutex
	parts  map[int][]arrow.RecordBatch // committed, not yet handed to the loop
	seen   map[int]bool                // handed to the loop: a rerun's copy is dropped
	notify chan struct{}               // a commit happened (capacity one, coalescing)
}

// stream yields the partitions in order as they are committed, until the job ends and
// the rest is yielded, or the loop stops.
func (s *streamSink) stream(ctx context.Context, done chan error, yield func(arrow.RecordBatch, error) bool) {
	next := 0
	for {
		if bs, ok := s.take(next); ok {
			next++
			if !yieldAll(bs, yield) {
				return
			}
			continue
		}
		select {
		case <-s.notify:
		case err := <-done:
			done <- err // for the deferred wait
			if err != nil {
				yield(nil, err)
				return
			}
			// Every partition is committed: the rest in order (missing ones were empty).
			for _, p := range s.remaining() {
				bs, _ := s.take(p)
				if !yieldAll(bs, yield) {
					return
				}
			}
			return
		}
	}
}

// yieldAll hands bs to the loop one by one, releasing each after its turn and the rest
// when the loop stops.
func yieldAll(bs []arrow.RecordBatch, yield func(arrow.RecordBatch, error) bool) bool {
	for i, b := range bs {
		ok := yield(b, nil)
		b.Release()
		if !ok {
			releaseAll(bs[i+1:])
			return false
		}
	}
	return true
}

// take removes and returns partition p's batches if it is committed.
func (s *streamSink) take(p int) ([]arrow.RecordBatch, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs, ok := s.parts[p]
	if ok {
		delete(s.parts, p)
		s.seen[p] = true
	}
	return bs, ok
}

func (s *streamSink) remaining() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := make([]int, 0, len(s.parts))
	for p := range s.parts {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	return ps
}

// reset drops what a job that is about to be rerun committed; partitions the loop has
// seen stay seen.
func (s *streamSink) reset() { s.release() }

func (s *streamSink) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, bs := range s.parts {
		releaseAll(bs)
		delete(s.parts, p)
	}
}

func (s *streamSink) NewTask(partition, attempt int, mem memory.Allocator) (exec.TaskSink, error) {
	return &streamTask{sink: s, partition: partition}, nil
}

type streamTask struct {
	sink      *streamSink
	partition int
	batches   []arrow.RecordBatch
}

func (t *streamTask) Consume(ctx context.Context, rec arrow.RecordBatch) error {
	if rec.NumRows() == 0 {
		rec.Release()
		return nil
	}
	t.batches = append(t.batches, rec)
	return nil
}

func (t *streamTask) Commit() error {
	s := t.sink
	s.mu.Lock()
	if _, dup := s.parts[t.partition]; dup || s.seen[t.partition] {
		releaseAll(t.batches) // a rerun's copy of a partition already had
	} else {
		s.parts[t.partition] = t.batches
		if s.parts[t.partition] == nil {
			s.parts[t.partition] = []arrow.RecordBatch{} // committed, empty
		}
	}
	t.batches = nil
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return nil
}

func (t *streamTask) Abort() {
	releaseAll(t.batches)
	t.batches = nil
}
