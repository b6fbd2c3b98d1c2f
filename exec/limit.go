package exec

import (
	"context"
	"io"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
)

// LimitOp passes on the first n rows of its input and then stops pulling, so that the
// operators below it (a scan) do no more work.
type LimitOp struct {
	input  colop.Operator
	remain int64
}

var _ colop.Operator = (*LimitOp)(nil)

// NewLimit returns an operator that yields the first n rows of input.
func NewLimit(input colop.Operator, n int64) *LimitOp { return &LimitOp{input: input, remain: n} }

// Open opens the input.
func (l *LimitOp) Open(ctx context.Context) error { return l.input.Open(ctx) }

// Next returns the next batch, sliced at the limit.
func (l *LimitOp) Next() (arrow.RecordBatch, error) {
	if l.remain <= 0 {
		return nil, io.EOF
	}
	rec, err := l.input.Next()
	if err != nil {
		return nil, err
	}
	if rec.NumRows() <= l.remain {
		l.remain -= rec.NumRows()
		return rec, nil
	}
	out := rec.NewSlice(0, l.remain)
	rec.Release()
	l.remain = 0
	return out, nil
}

// Close closes the input.
func (l *LimitOp) Close() error { return l.input.Close() }
