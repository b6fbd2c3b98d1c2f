package exec

import (
	"context"
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// MapBatchesOp applies a user function to every batch.
type MapBatchesOp struct {
	input colop.Operator
	fn    plan.BatchFunc
	name  string
	out   *arrow.Schema
	mem   memory.Allocator
	ctx   context.Context
}

var _ colop.Operator = (*MapBatchesOp)(nil)

// NewMapBatches returns an operator applying node's function to input's batches; the
// function allocates from opts.Mem.
func NewMapBatches(input colop.Operator, node *plan.PMapBatches, opts colop.Options) *MapBatchesOp {
	return &MapBatchesOp{input: input, fn: node.Fn, name: node.Name, out: node.OutSchema, mem: opts.Mem}
}

// Open opens the input.
func (m *MapBatchesOp) Open(ctx context.Context) error {
	m.ctx = ctx
	return m.input.Open(ctx)
}

// Next calls the function on the next input batch and checks its result's schema. An
// error or a panic in user code becomes a retryable error of the task (UserError); a batch
// of the wrong schema or none is a deterministic one (Permanent).
func (m *MapBatchesOp) Next() (out arrow.RecordBatch, err error) {
	in, err := m.input.Next()
	if err != nil {
		return nil, err
	}
	defer in.Release()
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, UserError(fmt.Errorf("map-batches %s: function panicked: %v", m.name, r))
		}
	}()
	out, err = m.fn(m.ctx, in, m.mem)
	if err != nil {
		return nil, UserError(fmt.Errorf("map-batches %s: %w", m.name, err))
	}
	if out == nil {
		return nil, Permanent(fmt.Errorf("map-batches %s: function returned a nil batch", m.name))
	}
	if m.out != nil && !out.Schema().Equal(m.out) {
		got := out.Schema()
		out.Release()
		return nil, Permanent(fmt.Errorf("map-batches %s: function returned schema %s, declared %s", m.name, got, m.out))
	}
	return out, nil
}

// Close closes the input.
func (m *MapBatchesOp) Close() error { return m.input.Close() }
