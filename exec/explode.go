package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// ExplodeOp turns each input row into one row per element of its list column (see
// plan.Explode). The elements of the rows that yield rows are, in Arrow's layout, one
// contiguous run of the list's child array unless a NULL list row owns a non-empty span,
// so the exploded column is usually a zero-copy slice; the other columns repeat each row
// by its list's length, with a typed gather for fixed-width columns and arrow's Take for
// the rest (strings, dictionaries).
type ExplodeOp struct {
	input colop.Operator
	node  *plan.PExplode
	mem   memory.Allocator
	col   int
	rep   []int32 // scratch: the input row of each output row
}

var _ colop.Operator = (*ExplodeOp)(nil)

// NewExplode returns the operator computing node over input, allocating from opts.Mem.
func NewExplode(input colop.Operator, node *plan.PExplode, opts colop.Options) *ExplodeOp {
	return &ExplodeOp{input: input, node: node, mem: opts.Mem}
}

// Open finds the exploded column and opens the input.
func (e *ExplodeOp) Open(ctx context.Context) error {
	if e.node.OutSchema == nil {
		return errors.New("exec: explode: no output schema")
	}
	idx := e.node.OutSchema.FieldIndices(e.node.Column)
	if len(idx) == 0 {
		return fmt.Errorf("exec: explode: output schema %s has no column %q", e.node.OutSchema, e.node.Column)
	}
	e.col = idx[0]
	return e.input.Open(ctx)
}

// Next returns the next non-empty exploded batch.
func (e *ExplodeOp) Next() (arrow.RecordBatch, error) {
	for {
		rec, err := e.input.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, err
		}
		out, err := e.explode(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
}

// Close closes the input.
func (e *ExplodeOp) Close() error { return e.input.Close() }

// explode returns rec exploded, or nil when it yields no row.
func (e *ExplodeOp) explode(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	schema := e.node.OutSchema
	if int(rec.NumCols()) != schema.NumFields() {
		return nil, fmt.Errorf("exec: explode %q: input has %d columns, want %d", e.node.Column, rec.NumCols(), schema.NumFields())
	}
	l, ok := rec.Column(e.col).(*array.List)
	if !ok {
		return nil, fmt.Errorf("exec: explode: column %q is %s, not a list", e.node.Column, rec.Column(e.col).DataType())
	}
	n := l.Len()
	if n == 0 {
		return nil, nil
	}
	offs := kernel.ListSpan(l)
	bm, off := kernel.Validity(l)
	rep := e.rep[:0]
	contiguous := true
	for i := 0; i < n; i++ {
		lo, hi := offs[i], offs[i+1]
		if !kernel.IsSet(bm, off, i) {
			contiguous = contiguous && lo == hi
			continue
		}
		for j := lo; j < hi; j++ {
			rep = append(rep, int32(i))
		}
	}
	e.rep = rep
	if len(rep) == 0 {
		return nil, nil
	}
	var elems arrow.Array
	if contiguous {
		elems = array.NewSlice(l.ListValues(), int64(offs[0]), int64(offs[n]))
	} else {
		var idx []int32
		for i := 0; i < n; i++ {
			if kernel.IsSet(bm, off, i) {
				for j := offs[i]; j < offs[i+1]; j++ {
					idx = append(idx, j)
				}
			}
		}
		var err error
		if elems, err = kernel.GatherArray(l.ListValues(), idx, e.mem); err != nil {
			return nil, fmt.Errorf("exec: explode %q: elements: %w", e.node.Column, err)
		}
	}
	identity := len(rep) == n
	for i, r := range rep {
		identity = identity && int(r) == i
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	cols[e.col] = elems
	for c := range cols {
		if c == e.col {
			continue
		}
		src := rec.Column(c)
		if identity {
			src.Retain()
			cols[c] = src
			continue
		}
		out, err := kernel.GatherArray(src, rep, e.mem)
		if err != nil {
			return nil, fmt.Errorf("exec: explode %q: column %q: %w", e.node.Column, schema.Field(c).Name, err)
		}
		cols[c] = out
	}
	return array.NewRecordBatch(schema, cols, int64(len(rep))), nil
}
