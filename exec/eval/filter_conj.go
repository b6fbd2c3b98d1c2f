package eval

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// filterConjuncts splits a condition at its top-level ANDs, in order.
func filterConjuncts(e plan.Expr) []plan.Expr {
	if b, ok := e.(*plan.Binary); ok && b.Op == plan.OpAnd {
		return append(filterConjuncts(b.Left), filterConjuncts(b.Right)...)
	}
	return []plan.Expr{e}
}

// passBits evaluates cond over rec into the bitmap of the rows where it is true (a NULL
// folded into false), from bit off; release frees what it holds.
func (f *FilterOp) passBits(cond plan.Expr, rec arrow.RecordBatch) (bits []byte, off int, release func(), err error) {
	mask, err := Eval(f.ctx, cond, rec, f.mem)
	if err != nil {
		return nil, 0, nil, err // already names the package and the condition
	}
	bmask, ok := mask.(*array.Boolean)
	if !ok {
		mask.Release()
		return nil, 0, nil, fmt.Errorf("exec: filter: condition %s is %v, want bool", cond, mask.DataType())
	}
	bits, off = bmask.Data().Buffers()[1].Bytes(), bmask.Data().Offset()
	if bmask.NullN() == 0 {
		return bits, off, mask.Release, nil
	}
	n := int64(bmask.Len())
	buf := bitutil.BitmapAndAlloc(f.mem, bits, bmask.NullBitmapBytes(), int64(off), int64(off), n, 0)
	mask.Release()
	return buf.Bytes(), 0, buf.Release, nil
}

// selectConjuncts is select1 for a condition of several ANDed conjuncts: it evaluates them
// in order, ANDing their bitmaps, and once at most half the batch's rows still pass it
// gathers those rows of the columns the remaining conjuncts read and evaluates these over
// them only; it returns the original positions of the passing rows, at which the kept
// columns are gathered once (by apply, or by a consumer of the selection). A selective first conjunct (a date range over a fact table) so
// spares the others most of their rows; a row's fate is the same as under the whole
// condition, where NULL also drops it.
func (f *FilterOp) selectConjuncts(rec arrow.RecordBatch) (arrow.RecordBatch, []int32, error) {
	sub, n := rec, int(rec.NumRows()) // what the next conjunct reads, and its rows
	var pos []int32                   // sub's rows' positions in rec; nil while sub is rec
	var acc *memory.Buffer            // the AND of the conjuncts evaluated over sub
	fail := func(err error) (arrow.RecordBatch, []int32, error) {
		if acc != nil {
			acc.Release()
		}
		if sub != rec {
			sub.Release()
		}
		rec.Release()
		return nil, nil, err
	}
	count := n
	for k, c := range f.conj {
		bits, off, release, err := f.passBits(c, sub)
		if err != nil {
			return fail(err)
		}
		if acc == nil {
			acc = kernel.NewRawBuffer(f.mem, int(bitutil.BytesForBits(int64(n))))
			bitutil.CopyBitmap(bits, off, n, acc.Bytes(), 0)
		} else {
			bitutil.BitmapAnd(acc.Bytes(), bits, 0, int64(off), acc.Bytes(), 0, int64(n))
		}
		release()
		if count = bitutil.CountSetBits(acc.Bytes(), 0, n); count == 0 {
			return fail(nil)
		}
		if k == len(f.conj)-1 || count*2 > n {
			continue
		}
		f.sel = selectionVector(f.sel[:0], acc.Bytes(), 0, n)
		acc.Release()
		acc = nil
		read := f.columnsRead(sub, k+1)
		next, err := kernel.GatherRecord(read, f.sel, f.mem)
		read.Release()
		if sub != rec {
			sub.Release()
		}
		sub = next
		if err != nil {
			sub = rec
			return fail(fmt.Errorf("exec: filter %s: %w", f.cond, err))
		}
		pos = composeSelection(pos, f.sel)
		n = count
	}
	if sub != rec {
		sub.Release()
	}
	f.sel = selectionVector(f.sel[:0], acc.Bytes(), 0, n)
	acc.Release()
	rec = f.narrowed(rec)
	if pos == nil && count == n {
		return rec, nil, nil
	}
	if pos != nil {
		f.sel = composeSelection(pos, f.sel)
	}
	return rec, f.sel, nil
}

// columnsRead returns a record (a new reference) of the columns of rec that conjuncts
// from the k-th on read, each name's first column as evaluation resolves it.
func (f *FilterOp) columnsRead(rec arrow.RecordBatch, k int) arrow.RecordBatch {
	names := map[string]bool{}
	for _, c := range f.conj[k:] {
		addColumnsRead(c, names)
	}
	sc := rec.Schema()
	var fields []arrow.Field
	var cols []arrow.Array
	for i, fl := range sc.Fields() {
		if names[fl.Name] && sc.FieldIndices(fl.Name)[0] == i {
			fields, cols = append(fields, fl), append(cols, rec.Column(i))
		}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

// addColumnsRead adds the names of the columns e reads to set.
func addColumnsRead(e plan.Expr, set map[string]bool) {
	if c, ok := e.(*plan.ColumnRef); ok {
		set[c.Name] = true
		return
	}
	for _, ch := range e.Children() {
		addColumnsRead(ch, set)
	}
}

// composeSelection maps positions sel (increasing, into rows that are themselves
// positions pos of an earlier batch; nil pos: the identity) to positions of that earlier
// batch, overwriting pos (a copy of sel when pos is nil).
func composeSelection(pos, sel []int32) []int32 {
	if pos == nil {
		return append([]int32(nil), sel...)
	}
	for i, p := range sel {
		pos[i] = pos[p]
	}
	return pos[:len(sel)]
}
