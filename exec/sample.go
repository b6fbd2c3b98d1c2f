package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// buildPartitionOp builds the operators that need the partition's number: a sample
// (whose draws are seeded by it) and a user function over the partition's stream.
func (t *task) buildPartitionOp(n plan.PhysNode, p int) (colop.Operator, error) {
	in, err := t.build(n.Children()[0], p)
	if err != nil {
		return nil, err
	}
	switch n := n.(type) {
	case *plan.PSample:
		return NewSample(in, n, p, t.options()), nil
	case *plan.PMapPartitions:
		return NewMapPartitions(in, n, p, t.options()), nil
	}
	in.Close()
	return nil, fmt.Errorf("exec: no partition operator for %T", n)
}

// SampleOp keeps the rows whose uniform draw falls in the node's range. The draws come
// from a generator seeded by (seed, partition), one per input row in order, so they do
// not depend on how the rows are cut into batches.
type SampleOp struct {
	input        colop.Operator
	lower, upper float64
	rng          *rand.Rand
	mem          memory.Allocator
	idx          []int32
}

var _ colop.Operator = (*SampleOp)(nil)

// NewSample returns the sample of partition p of input.
func NewSample(input colop.Operator, n *plan.PSample, p int, opts colop.Options) *SampleOp {
	// Partition mixed in with a large odd constant: seeds of neighbouring partitions
	// give unrelated streams.
	rng := rand.New(rand.NewPCG(uint64(n.Seed), uint64(p)*0x9e3779b97f4a7c15+1))
	return &SampleOp{input: input, lower: n.Lower, upper: n.Upper, rng: rng, mem: opts.Mem}
}

// Open opens the input.
func (s *SampleOp) Open(ctx context.Context) error { return s.input.Open(ctx) }

// Next returns the kept rows of the next input batch that keeps any.
func (s *SampleOp) Next() (arrow.RecordBatch, error) {
	for {
		rec, err := s.input.Next()
		if err != nil {
			return nil, err
		}
		n := int(rec.NumRows())
		s.idx = s.idx[:0]
		for i := range n {
			if u := s.rng.Float64(); u >= s.lower && u < s.upper {
				s.idx = append(s.idx, int32(i))
			}
		}
		switch len(s.idx) {
		case n:
			return rec, nil
		case 0:
			rec.Release()
			continue
		}
		out, err := kernel.Gather(rec, s.idx, s.mem)
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("exec: sample: %w", err)
		}
		return out, nil
	}
}

// Close closes the input.
func (s *SampleOp) Close() error { return s.input.Close() }

// MapPartitionsOp runs a user function over its input's batch stream and returns what
// the function yields. The function runs as a coroutine (iter.Pull2): it computes a
// batch only when Next asks for one, and Close stops it, running its deferred calls.
type MapPartitionsOp struct {
	input     colop.Operator
	fn        plan.PartitionFunc
	name      string
	out       *arrow.Schema
	mem       memory.Allocator
	partition int
	next      func() (arrow.RecordBatch, error, bool)
	stop      func()
	inErr     error // the input's failure, returned as it is (not as the user's)
}

var _ colop.Operator = (*MapPartitionsOp)(nil)

// NewMapPartitions returns the operator applying node's function to partition p.
func NewMapPartitions(input colop.Operator, n *plan.PMapPartitions, p int, opts colop.Options) *MapPartitionsOp {
	return &MapPartitionsOp{input: input, fn: n.Fn, name: n.Name, out: n.OutSchema, mem: opts.Mem, partition: p}
}

// Open opens the input and starts the function.
func (m *MapPartitionsOp) Open(ctx context.Context) (err error) {
	if err := m.input.Open(ctx); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = UserError(fmt.Errorf("map-partitions %s: function panicked: %v", m.name, r))
		}
	}()
	seq := m.fn(ctx, m.partition, m.inputSeq, m.mem)
	if seq == nil {
		return Permanent(fmt.Errorf("map-partitions %s: function returned a nil sequence", m.name))
	}
	m.next, m.stop = iter.Pull2(seq)
	return nil
}

// inputSeq lends the input's batches to the function, each until its loop moves on.
func (m *MapPartitionsOp) inputSeq(yield func(arrow.RecordBatch, error) bool) {
	for {
		rec, err := m.input.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			m.inErr = err
			yield(nil, err)
			return
		}
		if !lend(rec, yield) {
			return
		}
	}
}

// lend yields rec and releases it afterwards, even when the loop body panics.
func lend(rec arrow.RecordBatch, yield func(arrow.RecordBatch, error) bool) bool {
	defer rec.Release()
	return yield(rec, nil)
}

// Next resumes the function until it yields a batch, checking its schema. Errors and
// panics of the function fail the task as user code's; the input's own failure keeps
// its cause.
func (m *MapPartitionsOp) Next() (out arrow.RecordBatch, err error) {
	if m.next == nil {
		return nil, io.EOF
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, UserError(fmt.Errorf("map-partitions %s: function panicked: %v", m.name, r))
		}
	}()
	out, err, ok := m.next()
	switch {
	case m.inErr != nil:
		if out != nil {
			out.Release()
		}
		return nil, m.inErr
	case !ok:
		return nil, io.EOF
	case err != nil:
		return nil, UserError(fmt.Errorf("map-partitions %s: %w", m.name, err))
	case out == nil:
		return nil, Permanent(fmt.Errorf("map-partitions %s: function yielded a nil batch", m.name))
	case m.out != nil && !out.Schema().Equal(m.out):
		got := out.Schema()
		out.Release()
		return nil, Permanent(fmt.Errorf("map-partitions %s: function yielded schema %s, declared %s", m.name, got, m.out))
	}
	return out, nil
}

// Close stops the function (its deferred calls run) and closes the input.
func (m *MapPartitionsOp) Close() (err error) {
	if m.stop != nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = UserError(fmt.Errorf("map-partitions %s: function panicked while stopping: %v", m.name, r))
				}
			}()
			m.stop()
		}()
		m.stop, m.next = nil, nil
	}
	if cerr := m.input.Close(); err == nil {
		err = cerr
	}
	return err
}
