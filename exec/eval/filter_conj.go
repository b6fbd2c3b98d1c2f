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

// applyConjuncts is apply for a condition of several ANDed conjuncts: it evaluates them
// in order, ANDing their bitmaps, and once at most half the batch's rows still pass it
// gathers those rows (every column: later conjuncts may read any) and evaluates the
// remaining conjuncts over them only. A selective first conjunct (a date range over a
// fact table) so spares the others most of their rows; a row's fate is the same as under
// the whole condition, where NULL also drops it.
func (f *FilterOp) applyConjuncts(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	var acc *memory.Buffer // the AND of the conjuncts evaluated since the last gather
	defer func() {
		if acc != nil {
			acc.Release()
		}
	}()
	count := n
	for k, c := range f.conj {
		bits, off, release, err := f.passBits(c, rec)
		if err != nil {
			rec.Release()
			return nil, err
		}
		if acc == nil {
			acc = kernel.NewRawBuffer(f.mem, int(bitutil.BytesForBits(int64(n))))
			bitutil.CopyBitmap(bits, off, n, acc.Bytes(), 0)
		} else {
			bitutil.BitmapAnd(acc.Bytes(), bits, 0, int64(off), acc.Bytes(), 0, int64(n))
		}
		release()
		if count = bitutil.CountSetBits(acc.Bytes(), 0, n); count == 0 {
			rec.Release()
			return nil, nil
		}
		if k == len(f.conj)-1 || count*2 > n {
			continue
		}
		f.sel = selectionVector(f.sel[:0], acc.Bytes(), 0, n)
		out, err := kernel.GatherRecord(rec, f.sel, f.mem)
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("exec: filter %s: %w", f.cond, err)
		}
		rec, n = out, count
		acc.Release()
		acc = nil
	}
	rec = f.narrowed(rec)
	if count == n {
		return rec, nil
	}
	f.sel = selectionVector(f.sel[:0], acc.Bytes(), 0, n)
	out, err := kernel.GatherRecord(rec, f.sel, f.mem)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("exec: filter %s: %w", f.cond, err)
	}
	return out, nil
}
