package exec

import (
	"context"
	"errors"
	"io"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
)

// ConcatOp yields the batches of several inputs one after another. It runs Coalesce
// (one output partition reads a range of input partitions) and unions of partitions.
// Inputs are opened lazily, one at a time, so at most one holds resources.
type ConcatOp struct {
	inputs []colop.Operator
	ctx    context.Context
	cur    int
	opened bool
}

var _ colop.Operator = (*ConcatOp)(nil)

// NewConcat returns an operator over the inputs in order.
func NewConcat(inputs []colop.Operator) *ConcatOp { return &ConcatOp{inputs: inputs} }

// Open remembers the context; each input is opened when it is reached.
func (c *ConcatOp) Open(ctx context.Context) error {
	c.ctx = ctx
	return nil
}

// Next returns the next batch of the current input, moving on at its end.
func (c *ConcatOp) Next() (arrow.RecordBatch, error) {
	for c.cur < len(c.inputs) {
		in := c.inputs[c.cur]
		if !c.opened {
			if err := in.Open(c.ctx); err != nil {
				return nil, err
			}
			c.opened = true
		}
		rec, err := in.Next()
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err := in.Close(); err != nil {
			return nil, err
		}
		c.cur++
		c.opened = false
	}
	return nil, io.EOF
}

// Close closes every input.
func (c *ConcatOp) Close() error {
	var errs []error
	for _, in := range c.inputs {
		errs = append(errs, in.Close())
	}
	c.cur = len(c.inputs)
	return errors.Join(errs...)
}
