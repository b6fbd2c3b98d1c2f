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
	l, in, err := e.listColumn(rec)
	if err != nil {
		return nil, err
	}
	n := l.Len()
	if n == 0 {
		return nil, nil
	}
	offs := kernel.ListSpan(l)
	bm, off := kernel.Validity(l)
	contiguous, padded := e.repeats(offs, bm, off, n)
	rep := e.rep
	if len(rep) == 0 {
		return nil, nil
	}
	schema := e.node.OutSchema
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	elems, err := e.elements(l, offs, bm, off, n, len(rep), contiguous && !padded)
	if err != nil {
		return nil, err
	}
	cols[e.col] = elems
	if e.node.Pos {
		cols[e.col-1] = e.positions(offs, bm, off, n, len(rep), padded)
	}
	if err := e.repeatColumns(rec, cols, in, n); err != nil {
		return nil, err
	}
	return array.NewRecordBatch(schema, cols, int64(len(rep))), nil
}

// listColumn checks rec's columns against the output schema and returns the list
// column to explode and its index in rec (one less than in the output for posexplode,
// whose position column precedes the elements).
func (e *ExplodeOp) listColumn(rec arrow.RecordBatch) (*array.List, int, error) {
	schema := e.node.OutSchema
	pos := e.node.Pos
	in := e.col // the list's column in the input
	if pos {
		in--
	}
	if int(rec.NumCols()) != schema.NumFields()-boolInt(pos) || in < 0 {
		return nil, 0, fmt.Errorf("exec: explode %q: input has %d columns, want %d", e.node.Column, rec.NumCols(), schema.NumFields()-boolInt(pos))
	}
	l, ok := rec.Column(in).(*array.List)
	if !ok {
		return nil, 0, fmt.Errorf("exec: explode: column %q is %s, not a list", e.node.Column, rec.Column(in).DataType())
	}
	return l, in, nil
}

// repeats fills e.rep with the input row of each output row of the n list rows
// described by offs and the validity (bm, off). contiguous reports that no NULL list
// row owns a non-empty span (so the yielded elements are one run of the child array);
// padded that some NULL or empty list yields a row of NULLs (explode_outer).
func (e *ExplodeOp) repeats(offs []int32, bm []byte, off, n int) (contiguous, padded bool) {
	rep := e.rep[:0]
	contiguous = true
	for i := 0; i < n; i++ {
		lo, hi := offs[i], offs[i+1]
		valid := kernel.IsSet(bm, off, i)
		if !valid {
			contiguous = contiguous && lo == hi
		}
		if !valid || lo == hi {
			if e.node.Outer {
				rep = append(rep, int32(i)) // one row of NULLs (explode_outer)
				padded = true
			}
			continue
		}
		for j := lo; j < hi; j++ {
			rep = append(rep, int32(i))
		}
	}
	e.rep = rep
	return contiguous, padded
}

// elements is the exploded column of rows output rows: a zero-copy slice of the list's
// child array when slice says the yielded elements are one run of it, else a gather of
// each output row's element (NULL for a padded row).
func (e *ExplodeOp) elements(l *array.List, offs []int32, bm []byte, off, n, rows int, slice bool) (arrow.Array, error) {
	if slice {
		return array.NewSlice(l.ListValues(), int64(offs[0]), int64(offs[n])), nil
	}
	idx := make([]int32, 0, rows) // the element of each output row; -1 for a padded row
	for i := 0; i < n; i++ {
		lo, hi := offs[i], offs[i+1]
		if !kernel.IsSet(bm, off, i) || lo == hi {
			if e.node.Outer {
				idx = append(idx, -1)
			}
			continue
		}
		for j := lo; j < hi; j++ {
			idx = append(idx, j)
		}
	}
	elems, err := kernel.GatherArrayOrNull(l.ListValues(), idx, e.mem)
	if err != nil {
		return nil, fmt.Errorf("exec: explode %q: elements: %w", e.node.Column, err)
	}
	return elems, nil
}

// repeatColumns fills the nil entries of cols, the columns other than the elements and
// positions, with rec's columns repeated by e.rep (in is the list's column in rec, n its
// rows): rec's own arrays when every row yields exactly one row, else a gather.
func (e *ExplodeOp) repeatColumns(rec arrow.RecordBatch, cols []arrow.Array, in, n int) error {
	rep := e.rep
	identity := len(rep) == n
	for i, r := range rep {
		identity = identity && int(r) == i
	}
	for c := range cols {
		if cols[c] != nil {
			continue
		}
		src := c
		if c > in {
			src -= boolInt(e.node.Pos) // past the position column
		}
		if identity {
			cols[c] = rec.Column(src)
			cols[c].Retain()
			continue
		}
		out, err := kernel.GatherArray(rec.Column(src), rep, e.mem)
		if err != nil {
			return fmt.Errorf("exec: explode %q: column %q: %w", e.node.Column, e.node.OutSchema.Field(c).Name, err)
		}
		cols[c] = out
	}
	return nil
}

// positions is the int32 position column of a posexplode over the list rows described by
// offs and the validity (bm, off): each element's 0-based index in its list, NULL for the
// padded row of a NULL or empty list when padded (posexplode_outer).
func (e *ExplodeOp) positions(offs []int32, bm []byte, off, n, rows int, padded bool) arrow.Array {
	buf, vals := kernel.NewFixedBuffer[int32](e.mem, rows)
	var valid *memory.Buffer
	var vbits []byte
	if padded {
		valid = kernel.NewBuffer(e.mem, (rows+7)/8)
		vbits = valid.Bytes()
	}
	k, nulls := 0, 0
	for i := 0; i < n; i++ {
		lo, hi := offs[i], offs[i+1]
		if !kernel.IsSet(bm, off, i) || lo == hi {
			if e.node.Outer {
				vals[k] = 0
				k++
				nulls++
			}
			continue
		}
		for j := lo; j < hi; j++ {
			vals[k] = j - lo
			if vbits != nil {
				bitutil.SetBit(vbits, k)
			}
			k++
		}
	}
	return kernel.MakeArray(arrow.PrimitiveTypes.Int32, rows, nulls, []*memory.Buffer{valid, buf}, nil)
}

// boolInt is 1 for true, 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
