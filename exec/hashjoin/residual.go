package hashjoin

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// A join with a residual condition (plan.PHashJoin.Residual) finds candidate pairs by
// key as usual, then evaluates the condition over a batch of up to BatchRows candidate
// pairs at once (both rows' columns gathered side by side in the node's PairSchema). A
// pair matches only where the condition is true: the condition decides matching, so an
// outer join NULL-fills a probe row all of whose candidates it rejected, a semi join
// keeps a row with at least one accepted candidate and an anti join one with none.
// Without keys every build row is a candidate of every probe row: a vectorized
// nested-loop join.

// EvalFunc evaluates an analyzed expression over every row of a batch (exec/eval.Eval):
// the join takes it as a parameter because operator packages do not import each other.
type EvalFunc func(ctx context.Context, e plan.Expr, rec arrow.RecordBatch, mem memory.Allocator) (arrow.Array, error)

// SetEval gives the join the evaluator of its residual condition; a join whose node has
// one fails without it.
func (o *HashJoinOp) SetEval(f EvalFunc) { o.eval = f }

// fillResidual collects the next candidate pairs of the current probe batch (at most
// limit), evaluates the residual over them and leaves in pIdx/bIdx the rows to emit.
func (o *HashJoinOp) fillResidual(limit int) error {
	if err := o.ctx.Err(); err != nil {
		// A nested-loop join may evaluate many candidate batches for one output batch.
		return err
	}
	o.pIdx, o.bIdx = o.pIdx[:0], o.bIdx[:0]
	cP, cB, cEnd := o.cP[:0], o.cB[:0], o.cEnd[:0]
	n := int(o.probeRec.NumRows())
	heads, next := o.heads, o.table.next
	pi, cur, inChain := o.pi, o.cur, o.inChain
	o.markers = false
	// A build-side semi or anti join only marks build rows: a build row already marked
	// needs no more candidates, and a probe row without any needs no marker.
	buildOnly := o.buildSemi || o.buildAnti
	for pi < n && len(cP) < limit {
		i := int32(pi)
		if !inChain {
			if heads[i] < 0 {
				if !buildOnly {
					// No candidate: a marker that only ends the row.
					cP, cB, cEnd = append(cP, i), append(cB, -1), append(cEnd, true)
					o.markers = true
				}
				pi++
				continue
			}
			cur, inChain = heads[i], true
		}
		r := cur
		for r >= 0 && len(cP) < limit {
			nx := hjNext(next, r)
			if !buildOnly || !bitutil.BitIsSet(o.matched, int(r)) {
				cP, cB, cEnd = append(cP, i), append(cB, r), append(cEnd, nx < 0)
			}
			r = nx
		}
		cur = r
		if r < 0 {
			inChain = false
			pi++
		}
	}
	o.cP, o.cB, o.cEnd = cP, cB, cEnd
	o.pi, o.cur, o.inChain = pi, cur, inChain
	pass, err := o.evalResidual()
	if err != nil {
		return err
	}
	o.decide(pass)
	return nil
}

// decide turns the candidates and their verdicts into output rows, tracking whether the
// current probe row matched across calls (a row's candidates may span batches).
func (o *HashJoinOp) decide(pass []bool) {
	for k, p := range o.cP {
		if p != o.hitRow {
			o.hitRow, o.rowHit = p, false
		}
		b := o.cB[k]
		if b >= 0 && pass[k] {
			o.rowHit = true
			if o.track {
				bitutil.SetBit(o.matched, int(b))
			}
			if o.pairs {
				o.pIdx, o.bIdx = append(o.pIdx, p), append(o.bIdx, b)
			}
		}
		if !o.cEnd[k] {
			continue
		}
		switch {
		case o.pairs && o.probeOuter && !o.rowHit,
			o.probeSemi && o.rowHit,
			o.probeAnti && !o.rowHit:
			o.pIdx, o.bIdx = append(o.pIdx, p), append(o.bIdx, -1)
		}
	}
}

// evalResidual evaluates the residual over the candidate pairs; pass[k] reports whether
// candidate k satisfies it (false for NULL and for the no-candidate markers).
func (o *HashJoinOp) evalResidual() ([]bool, error) {
	o.pass = o.pass[:0]
	for range o.cP {
		o.pass = append(o.pass, false)
	}
	if len(o.cP) == 0 || o.buildCols == nil {
		return o.pass, nil
	}
	if c := o.colCompare(); c != nil {
		if pass := o.compareCols(c); pass != nil {
			return pass, nil
		}
	}
	if o.eval == nil {
		return nil, fmt.Errorf("%s: no evaluator for the residual condition %s", o.describe(), o.node.Residual)
	}
	rec, err := o.pairBatch()
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	res, err := o.eval(o.ctx, o.node.Residual, rec, o.mem)
	if err != nil {
		return nil, fmt.Errorf("%s: join condition: %w", o.describe(), err)
	}
	defer res.Release()
	switch r := res.(type) {
	case *array.Boolean:
		vals, off := r.Data().Buffers()[1].Bytes(), r.Data().Offset()
		valid, _ := kernel.Validity(r)
		for k, b := range o.cB {
			o.pass[k] = b >= 0 && bitutil.BitIsSet(vals, off+k) && (valid == nil || bitutil.BitIsSet(valid, off+k))
		}
	case *array.Null:
	default:
		return nil, fmt.Errorf("%s: join condition %s gave %s, not boolean", o.describe(), o.node.Residual, res.DataType())
	}
	return o.pass, nil
}

// pairColumns finds the columns of the pair schema the residual reads, once: only those
// are gathered for the candidates.
func (o *HashJoinOp) pairColumns() (*arrow.Schema, []int, error) {
	if o.pairSchema != nil {
		return o.pairSchema, o.pairCols, nil
	}
	ps := o.node.PairSchema
	probeCols := o.probeRec.Schema().NumFields()
	if ps == nil || ps.NumFields() != probeCols+len(o.buildCols) {
		return nil, nil, fmt.Errorf("%s: residual pair schema %v does not fit %d probe and %d build columns", o.describe(), ps, probeCols, len(o.buildCols))
	}
	used := map[string]bool{}
	var walk func(e plan.Expr)
	walk = func(e plan.Expr) {
		if c, ok := e.(*plan.ColumnRef); ok {
			used[c.Name] = true
		}
		for _, ch := range e.Children() {
			walk(ch)
		}
	}
	walk(o.node.Residual)
	var fields []arrow.Field
	for i, f := range ps.Fields() {
		if used[f.Name] {
			o.pairCols = append(o.pairCols, i)
			fields = append(fields, f)
		}
	}
	o.pairSchema = arrow.NewSchema(fields, nil)
	return o.pairSchema, o.pairCols, nil
}

// pairBatch gathers the candidates' probe and build rows side by side, as the columns of
// the node's PairSchema (left columns first) that the residual reads.
func (o *HashJoinOp) pairBatch() (arrow.RecordBatch, error) {
	schema, pairCols, err := o.pairColumns()
	if err != nil {
		return nil, err
	}
	nLeft := o.node.PairSchema.NumFields() - len(o.buildCols)
	if !o.probeIsLeft {
		nLeft = len(o.buildCols)
	}
	cols := make([]arrow.Array, 0, len(pairCols))
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	for k, pc := range pairCols {
		isLeft := pc < nLeft
		c := pc
		if !isLeft {
			c -= nLeft
		}
		var arr arrow.Array
		var err error
		switch {
		case isLeft == o.probeIsLeft:
			arr, err = kernel.GatherArray(o.probeRec.Column(c), o.cP, o.mem)
		case o.markers:
			arr, err = hjTake(o.mem, o.buildCols[c], o.cB, true)
		default:
			arr, err = kernel.GatherArray(o.buildCols[c], o.cB, o.mem)
		}
		if err == nil && !arrow.TypeEqual(arr.DataType(), schema.Field(k).Type) {
			arr.Release()
			err = fmt.Errorf("%s: join condition column %q is %s, the input gave %s", o.describe(), schema.Field(k).Name, schema.Field(k).Type, arr.DataType())
		}
		if err != nil {
			release()
			return nil, err
		}
		cols = append(cols, arr)
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(o.cP)))
	release()
	return rec, nil
}
