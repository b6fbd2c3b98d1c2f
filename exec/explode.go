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
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
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
	ctx   context.Context
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
	e.ctx = ctx
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
	ctx := colop.ComputeCtx(e.ctx, e.mem)
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
		if elems, err = explodeTake(ctx, e.mem, l.ListValues(), idx); err != nil {
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
		out, err := explodeRepeat(ctx, e.mem, src, rep)
		if err != nil {
			return nil, fmt.Errorf("exec: explode %q: column %q: %w", e.node.Column, schema.Field(c).Name, err)
		}
		cols[c] = out
	}
	return array.NewRecordBatch(schema, cols, int64(len(rep))), nil
}

// explodeRepeat returns arr's rows rep (ascending, with repeats).
func explodeRepeat(ctx context.Context, mem memory.Allocator, arr arrow.Array, rep []int32) (arrow.Array, error) {
	switch arr.DataType().ID() {
	case arrow.INT8, arrow.UINT8:
		return explodeGather[uint8](mem, arr, rep), nil
	case arrow.INT16, arrow.UINT16:
		return explodeGather[uint16](mem, arr, rep), nil
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32, arrow.TIME32:
		return explodeGather[uint32](mem, arr, rep), nil
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		return explodeGather[uint64](mem, arr, rep), nil
	}
	return explodeTake(ctx, mem, arr, rep)
}

// explodeGather copies the fixed-width rows rep of arr (values stored as T) into a new
// array of arr's type.
func explodeGather[T uint8 | uint16 | uint32 | uint64](mem memory.Allocator, arr arrow.Array, rep []int32) arrow.Array {
	src := kernel.FixedValues[T](arr)
	n := len(rep)
	vb, dst := kernel.NewFixedBuffer[T](mem, n)
	for i, r := range rep {
		dst[i] = src[r]
	}
	var nb *memory.Buffer
	nulls := 0
	if bm, off := kernel.Validity(arr); bm != nil {
		nb = kernel.NewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		out := nb.Bytes()
		for i, r := range rep {
			if bitutil.BitIsSet(bm, off+int(r)) {
				bitutil.SetBit(out, i)
			} else {
				nulls++
			}
		}
	}
	return kernel.MakeArray(arr.DataType(), n, nulls, []*memory.Buffer{nb, vb}, nil)
}

// explodeTake is arrow's Take of the rows idx of arr.
func explodeTake(ctx context.Context, mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	indices := kernel.BuildFixed(mem, arrow.PrimitiveTypes.Int32, len(idx), func(i int) int32 { return idx[i] }, kernel.AllValid)
	defer indices.Release()
	return compute.TakeArray(ctx, arr, indices)
}
