package exec

import (
	"context"
	"errors"
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/eval"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// ExpandOp emits, for every input batch, one batch per projection of a plan.PExpand,
// in projection order: each is the projection's expressions evaluated over the whole
// batch (column references share the input's columns, NULL literals are one all-NULL
// column), so the operator does no per-row work. It holds one input batch at a time
// and reserves no memory beyond it.
type ExpandOp struct {
	input colop.Operator
	node  *plan.PExpand
	mem   memory.Allocator
	ctx   context.Context
	cur   arrow.RecordBatch // the input batch being expanded, nil between batches
	next  int               // the projection to emit next over cur
	close colop.Closer
}

var _ colop.Operator = (*ExpandOp)(nil)

// NewExpand returns the operator computing node over input, allocating from opts.Mem.
func NewExpand(input colop.Operator, node *plan.PExpand, opts colop.Options) *ExpandOp {
	return &ExpandOp{input: input, node: node, mem: opts.Mem}
}

// Open checks the projections' shape and opens the input.
func (e *ExpandOp) Open(ctx context.Context) error {
	s := e.node.OutSchema
	if s == nil || len(e.node.Projections) == 0 {
		return errors.New("exec: expand: no output schema or no projections")
	}
	for i, p := range e.node.Projections {
		if len(p) != s.NumFields() {
			return fmt.Errorf("exec: expand: projection %d has %d expressions for %d output fields", i, len(p), s.NumFields())
		}
	}
	e.ctx = ctx
	return e.input.Open(ctx)
}

// Next returns the next projection of the current input batch, reading the next batch
// once every projection of this one is out.
func (e *ExpandOp) Next() (arrow.RecordBatch, error) {
	if e.ctx == nil {
		e.ctx = context.Background()
	}
	if err := e.ctx.Err(); err != nil {
		return nil, err
	}
	if e.cur == nil {
		rec, err := e.input.Next()
		if err != nil {
			return nil, err
		}
		e.cur, e.next = rec, 0
	}
	out, err := e.project(e.node.Projections[e.next], e.cur)
	e.next++
	if e.next == len(e.node.Projections) || err != nil {
		e.cur.Release()
		e.cur = nil
	}
	return out, err
}

// project evaluates one projection over rec into a batch of the output schema.
func (e *ExpandOp) project(exprs []plan.Expr, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	schema := e.node.OutSchema
	n := int(rec.NumRows())
	cols := make([]arrow.Array, 0, len(exprs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, x := range exprs {
		want := schema.Field(i).Type
		if l, ok := x.(*plan.Literal); ok && l.Value == nil {
			cols = append(cols, array.MakeArrayOfNull(e.mem, want, n))
			continue
		}
		col, err := eval.Eval(e.ctx, x, rec, e.mem)
		if err != nil {
			return nil, fmt.Errorf("exec: expand column %q: %w", schema.Field(i).Name, err)
		}
		if !arrow.TypeEqual(col.DataType(), want) {
			ev := &eval.Evaluator{Ctx: colop.ComputeCtx(e.ctx, e.mem), Rec: rec, Mem: e.mem, N: n}
			conv, err := ev.CastArray(col, want)
			col.Release()
			if err != nil {
				return nil, fmt.Errorf("exec: expand column %q (%s): result type does not match %v: %w", schema.Field(i).Name, x, want, err)
			}
			col = conv
		}
		cols = append(cols, col)
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}

// Close releases the batch being expanded and closes the input.
func (e *ExpandOp) Close() error {
	return e.close.CloseOnce(func() error {
		if e.cur != nil {
			e.cur.Release()
			e.cur = nil
		}
		return e.input.Close()
	})
}
