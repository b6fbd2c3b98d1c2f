package eval

import (
	"context"
	"fmt"
	mbits "math/bits"
	"slices"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// FilterOp keeps the rows whose condition is true; a NULL condition drops the row.
//
// A batch whose rows all pass is handed on as it is (no copy), and a batch where none
// pass is dropped and the next one pulled, so FilterOp never returns an empty batch. The
// passing rows are gathered column by column from a selection vector (the typed gathers
// of internal/kernel); when the planner set the filter's kept columns (PFilter.Keep: the
// columns its consumer reads) only those are passed on and gathered.
type FilterOp struct {
	input  colop.Operator
	cond   plan.Expr
	mem    memory.Allocator
	ctx    context.Context
	closer colop.Closer
	// keep, when not nil, lists the input columns passed on (indices, in order);
	// narrowIn and narrowOut cache the narrowed schema of the last input schema.
	keep      []int
	narrowIn  *arrow.Schema
	narrowOut *arrow.Schema
	sel       []int32
	runs      []int32     // sel's runs of consecutive rows (gatherSelected)
	conj      []plan.Expr // cond's top-level conjuncts, when more than one (filter_conj.go)
	preds     []*selPred  // conj's conjuncts that can refine a selection vector, else nil
}

var (
	_ colop.Operator = (*FilterOp)(nil)
	_ colop.Selector = (*FilterOp)(nil)
)

// NewFilter returns an operator that keeps the rows of input for which cond (a
// boolean expression) is true. Buffers are allocated from opts.Mem.
func NewFilter(input colop.Operator, cond plan.Expr, opts colop.Options) *FilterOp {
	return NewFilterKeeping(input, cond, nil, opts)
}

// NewFilterKeeping is NewFilter passing on only the input columns keep (indices, in
// order): the condition may read any column, and only the kept ones are gathered.
func NewFilterKeeping(input colop.Operator, cond plan.Expr, keep []int, opts colop.Options) *FilterOp {
	f := &FilterOp{input: input, cond: cond, keep: keep, mem: opts.Mem}
	if c := filterConjuncts(cond); len(c) > 1 {
		f.conj = c
		f.preds = compileSelPreds(c)
	}
	return f
}

// EstimatedRows is the input's estimate: every row may pass (colop.RowEstimator).
func (f *FilterOp) EstimatedRows() int64 { return colop.EstimatedRows(f.input) }

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

// Selects reports true: a filter always has its selection.
func (f *FilterOp) Selects() bool { return true }

// NextSelected is colop.Selector's: the next batch with a row passing, its kept columns
// uncopied, and the positions of the passing rows (nil when all pass).
func (f *FilterOp) NextSelected() (arrow.RecordBatch, []int32, error) {
	if f.ctx == nil {
		f.ctx = context.Background()
	}
	for {
		rec, err := f.input.Next()
		if err != nil {
			return nil, nil, err
		}
		out, sel, err := f.select1(rec)
		if err != nil || out != nil {
			return out, sel, err
		}
	}
}

// apply filters one batch, taking ownership of rec. It returns nil when no row passes.
func (f *FilterOp) apply(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	rec, sel, err := f.select1(rec)
	if err != nil || rec == nil || sel == nil {
		return rec, err
	}
	out, err := f.gatherSelected(rec)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("exec: filter %s: %w", f.cond, err)
	}
	return out, nil
}

// select1 evaluates the condition over one batch, taking ownership of rec: it returns
// rec narrowed to the kept columns and the positions of its passing rows in f.sel (nil
// when every row passes), or a nil batch when none does.
func (f *FilterOp) select1(rec arrow.RecordBatch) (arrow.RecordBatch, []int32, error) {
	n := int(rec.NumRows())
	if n == 0 {
		rec.Release()
		return nil, nil, nil
	}
	if f.conj != nil {
		return f.selectConjuncts(rec)
	}
	mask, err := Eval(f.ctx, f.cond, rec, f.mem)
	if err != nil {
		rec.Release()
		return nil, nil, err // already names the package and the condition
	}
	defer mask.Release()
	bmask, ok := mask.(*array.Boolean)
	if !ok {
		rec.Release()
		return nil, nil, fmt.Errorf("exec: filter: condition %s is %v, want bool", f.cond, mask.DataType())
	}
	// Fold NULLs into false so that one bitmap says which rows pass.
	vals := bmask.Data().Buffers()[1].Bytes()
	off := bmask.Data().Offset()
	if bmask.NullN() > 0 {
		buf := bitutil.BitmapAndAlloc(f.mem, vals, bmask.NullBitmapBytes(), int64(off), int64(off), int64(n), 0)
		defer buf.Release()
		vals, off = buf.Bytes(), 0
	}
	count := bitutil.CountSetBits(vals, off, n)
	if count == 0 {
		rec.Release()
		return nil, nil, nil
	}
	rec = f.narrowed(rec)
	if count == n {
		return rec, nil, nil
	}
	f.sel = selectionVector(f.sel[:0], vals, off, n)
	return rec, f.sel, nil
}

// gatherSelected returns the rows f.sel selects from rec: copied by runs of
// consecutive rows when they average at least 8 rows (a filter that keeps most rows),
// one row at a time otherwise.
func (f *FilterOp) gatherSelected(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	f.runs = f.runs[:0]
	if len(f.sel) >= 64 && len(f.sel)*2 >= int(rec.NumRows()) {
		f.runs = kernel.SelectionRuns(f.runs, f.sel)
		if len(f.runs)/2*8 <= len(f.sel) {
			return kernel.GatherRecordRuns(rec, f.runs, len(f.sel), f.mem)
		}
	}
	return kernel.GatherRecord(rec, f.sel, f.mem)
}

// narrowed returns rec with only the kept columns (rec itself without keep), without
// copying, taking ownership of rec.
func (f *FilterOp) narrowed(rec arrow.RecordBatch) arrow.RecordBatch {
	if f.keep == nil {
		return rec
	}
	sc := rec.Schema()
	if f.narrowIn != sc {
		fields := make([]arrow.Field, len(f.keep))
		for j, i := range f.keep {
			fields[j] = sc.Field(i)
		}
		md := sc.Metadata()
		f.narrowIn, f.narrowOut = sc, arrow.NewSchema(fields, &md)
	}
	cols := make([]arrow.Array, len(f.keep))
	for j, i := range f.keep {
		cols[j] = rec.Column(i)
	}
	out := array.NewRecordBatch(f.narrowOut, cols, rec.NumRows())
	rec.Release()
	return out
}

// selectionVector appends to sel the positions i in [0, n) whose bit off+i is set in
// bits, in increasing order.
func selectionVector(sel []int32, bits []byte, off, n int) []int32 {
	i := 0
	for ; i < n && (off+i)%8 != 0; i++ {
		if bitutil.BitIsSet(bits, off+i) {
			sel = append(sel, int32(i))
		}
	}
	// Whole bytes write into room made once, sized by a count of their bits (a sparse
	// selection must not take a batch's worth): append's capacity check per row cost as
	// much as finding the row.
	start, whole := len(sel), (n-i)/8*8
	room := bitutil.CountSetBits(bits, off+i, whole)
	sel = slices.Grow(sel, room)[:start+room]
	k := start
	for ; i+8 <= n; i += 8 {
		b := bits[(off+i)/8]
		if b == 0xff {
			for j := range 8 {
				sel[k+j] = int32(i + j)
			}
			k += 8
			continue
		}
		for b != 0 {
			sel[k] = int32(i + mbits.TrailingZeros8(b))
			k++
			b &= b - 1
		}
	}
	sel = sel[:k]
	for ; i < n; i++ {
		if bitutil.BitIsSet(bits, off+i) {
			sel = append(sel, int32(i))
		}
	}
	return sel
}

// Close closes the input once.
func (f *FilterOp) Close() error {
	return f.closer.CloseOnce(func() error { return f.input.Close() })
}
