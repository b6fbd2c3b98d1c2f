package eval

import (
	"context"
	"errors"
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// ProjectOp evaluates one expression per output column.
//
// A plain column reference (possibly aliased) shares the input column (no copy);
// literals are materialized to full columns. When an expression's result type differs
// from the declared output type (a dictionary column where utf8 is declared, say), the
// column is cast to the declared type, so batches always match the output schema.
type ProjectOp struct {
	input  colop.Operator
	exprs  []plan.Expr
	schema *arrow.Schema
	mem    memory.Allocator
	ctx    context.Context
	closer colop.Closer
	memo   *evMemo // subexpressions shared by the expressions (nil: none)
}

var (
	_ colop.Operator = (*ProjectOp)(nil)
	_ colop.Selector = (*ProjectOp)(nil)
)

// NewProject returns an operator that evaluates exprs over each batch of input into
// columns of schema (one field per expression, named as plan.OutputName names them).
// Buffers are allocated from opts.Mem.
func NewProject(input colop.Operator, exprs []plan.Expr, schema *arrow.Schema, opts colop.Options) *ProjectOp {
	p := &ProjectOp{input: input, exprs: exprs, schema: schema, mem: opts.Mem}
	if shared := evSharedSubexprs(exprs); shared != nil {
		p.memo = &evMemo{shared: shared}
	}
	return p
}

// EstimatedRows is the input's estimate (colop.RowEstimator).
func (p *ProjectOp) EstimatedRows() int64 { return colop.EstimatedRows(p.input) }

// Open checks the projection's shape and opens the input.
func (p *ProjectOp) Open(ctx context.Context) error {
	if p.schema == nil || p.schema.NumFields() != len(p.exprs) {
		n := -1
		if p.schema != nil {
			n = p.schema.NumFields()
		}
		return fmt.Errorf("exec: project: %d expressions for %d output fields", len(p.exprs), n)
	}
	p.ctx = ctx
	return p.input.Open(ctx)
}

// Next returns the next input batch, projected.
func (p *ProjectOp) Next() (arrow.RecordBatch, error) {
	if p.ctx == nil {
		p.ctx = context.Background()
	}
	rec, err := p.input.Next()
	if err != nil {
		return nil, err
	}
	return p.project(rec)
}

// project evaluates the expressions over rec, taking ownership of it.
func (p *ProjectOp) project(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer rec.Release()
	cols := make([]arrow.Array, 0, len(p.exprs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	if p.memo != nil {
		defer p.memo.release()
	}
	for i, e := range p.exprs {
		col, err := evalMemo(p.ctx, e, rec, p.mem, p.memo)
		if err != nil {
			var ee *EvalError
			if errors.As(err, &ee) {
				return nil, fmt.Errorf("exec: project column %q: eval %s: %w", p.schema.Field(i).Name, ee.expr, ee.err)
			}
			return nil, fmt.Errorf("exec: project column %q: %w", p.schema.Field(i).Name, err)
		}
		want := p.schema.Field(i).Type
		if !arrow.TypeEqual(col.DataType(), want) {
			ev := &Evaluator{Ctx: colop.ComputeCtx(p.ctx, p.mem), Rec: rec, Mem: p.mem, N: int(rec.NumRows())}
			conv, err := ev.CastArray(col, want)
			col.Release()
			if err != nil {
				return nil, fmt.Errorf("exec: project column %q (%s): result type does not match %v: %w",
					p.schema.Field(i).Name, e, want, err)
			}
			col = conv
		}
		cols = append(cols, col)
	}
	return array.NewRecordBatch(p.schema, cols, rec.NumRows()), nil
}

// Selects reports whether the projection can pass on its input's selection: the input is
// a Selector and every expression is a column (aliased or not), which shares the input's
// column, so that rows outside the selection cost nothing.
func (p *ProjectOp) Selects() bool {
	in, ok := p.input.(colop.Selector)
	if !ok || !in.Selects() {
		return false
	}
	for _, e := range p.exprs {
		if a, ok := e.(*plan.Alias); ok {
			e = a.Child
		}
		if _, ok := e.(*plan.ColumnRef); !ok {
			return false
		}
	}
	return true
}

// NextSelected is colop.Selector's: the input's next batch and selection, the batch
// projected (see Selects).
func (p *ProjectOp) NextSelected() (arrow.RecordBatch, []int32, error) {
	if p.ctx == nil {
		p.ctx = context.Background()
	}
	rec, sel, err := p.input.(colop.Selector).NextSelected()
	if err != nil {
		return nil, nil, err
	}
	out, err := p.project(rec)
	return out, sel, err
}

// Close closes the input once.
func (p *ProjectOp) Close() error {
	return p.closer.CloseOnce(func() error { return p.input.Close() })
}
