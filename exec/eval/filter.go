package eval

import (
	"context"
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// FilterOp keeps the rows whose condition is true; a NULL condition drops the row.
//
// A batch whose rows all pass is handed on as it is (no copy), and a batch where none
// pass is dropped and the next one pulled, so FilterOp never returns an empty batch.
type FilterOp struct {
	input  colop.Operator
	cond   plan.Expr
	keep   []int // the input columns passed on; nil for all
	mem    memory.Allocator
	ctx    context.Context
	closer colop.Closer
}

var _ colop.Operator = (*FilterOp)(nil)

// NewFilter returns an operator that keeps the rows of input for which cond (a
// boolean expression) is true. Buffers are allocated from opts.Mem.
func NewFilter(input colop.Operator, cond plan.Expr, opts colop.Options) *FilterOp {
	return &FilterOp{input: input, cond: cond, mem: opts.Mem}
}

// NewFilterKeeping is NewFilter passing on only the input columns keep (indices, in
// order): the condition may read any column, and only the kept ones are gathered.
func NewFilterKeeping(input colop.Operator, cond plan.Expr, keep []int, opts colop.Options) *FilterOp {
	return &FilterOp{input: input, cond: cond, keep: keep, mem: opts.Mem}
}

// Open opens the input.
func (f *FilterOp) Open(ctx context.Context) error {
	f.ctx = ctx
	return f.input.Open(ctx)
}

// Next returns the next batch with at least one row passing the condition.
func (f *FilterOp) Next() (arrow.RecordBatch, error) {
	if f.ctx == nil {
		f.ctx = context.Background()
	}
	for {
		rec, err := f.input.Next()
		if err != nil {
			return nil, err
		}
		out, err := f.apply(rec)
		if err != nil || out != nil {
			return out, err
		}
	}
}

// apply filters one batch, taking ownership of rec. It returns nil when no row passes.
func (f *FilterOp) apply(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	if n == 0 {
		rec.Release()
		return nil, nil
	}
	mask, err := Eval(f.ctx, f.cond, rec, f.mem)
	if err != nil {
		rec.Release()
		return nil, err // already names the package and the condition
	}
	defer mask.Release()
	bmask, ok := mask.(*array.Boolean)
	if !ok {
		rec.Release()
		return nil, fmt.Errorf("exec: filter: condition %s is %v, want bool", f.cond, mask.DataType())
	}
	// Fold NULLs into false so that one bitmap says which rows pass.
	clean := arrow.Array(bmask)
	vals := bmask.Data().Buffers()[1].Bytes()
	off := bmask.Data().Offset()
	if bmask.NullN() > 0 {
		buf := bitutil.BitmapAndAlloc(f.mem, vals, bmask.NullBitmapBytes(), int64(off), int64(off), int64(n), 0)
		data := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		buf.Release()
		clean = array.MakeFromData(data)
		data.Release()
		defer clean.Release()
		vals, off = buf.Bytes(), 0
	}
	switch bitutil.CountSetBits(vals, off, n) {
	case n:
		return f.kept(rec), nil
	case 0:
		rec.Release()
		return nil, nil
	}
	rec = f.kept(rec)
	ctx := colop.ComputeCtx(f.ctx, f.mem)
	out, err := compute.FilterRecordBatch(ctx, rec, clean, &compute.FilterOptions{NullSelection: compute.SelectionDropNulls})
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("exec: filter %s: %w", f.cond, err)
	}
	return out, nil
}

// kept returns the kept columns of rec, without copying, taking ownership of rec.
func (f *FilterOp) kept(rec arrow.RecordBatch) arrow.RecordBatch {
	if f.keep == nil {
		return rec
	}
	cols := make([]arrow.Array, len(f.keep))
	fields := make([]arrow.Field, len(f.keep))
	for i, c := range f.keep {
		cols[i], fields[i] = rec.Column(c), rec.Schema().Field(c)
	}
	md := rec.Schema().Metadata()
	out := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	rec.Release()
	return out
}

// Close closes the input once.
func (f *FilterOp) Close() error {
	return f.closer.CloseOnce(func() error { return f.input.Close() })
}
