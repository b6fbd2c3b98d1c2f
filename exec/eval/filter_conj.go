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
// turns the bitmap into a selection vector. From then on a conjunct comparing a column
// with literals refines the vector in place, reading only the selected rows
// (filter_sel.go); any other conjunct is evaluated over a gathered copy of the selected
// rows of the columns the remaining conjuncts read. It returns the original positions of
// the passing rows, at which the kept columns are gathered once (by apply, or by a
// consumer of the selection). A selective first conjunct (a date range over a fact table)
// so spares the others most of their rows; a row's fate is the same as under the whole
// condition, where NULL also drops it.
func (f *FilterOp) selectConjuncts(rec arrow.RecordBatch) (arrow.RecordBatch, []int32, error) {
	s := conjRun{f: f, rec: rec, sub: rec, n: int(rec.NumRows())}
	s.count = s.n
	for k := 0; k < len(f.conj); {
		used, some, err := s.step(k)
		if err != nil || !some {
			s.free()
			rec.Release()
			return nil, nil, err
		}
		k += used
	}
	return s.finish()
}

// conjRun is the state of selectConjuncts over one batch.
type conjRun struct {
	f     *FilterOp
	rec   arrow.RecordBatch // the batch filtered
	sub   arrow.RecordBatch // what the next conjunct reads: rec, or a gathered copy
	n     int               // sub's rows
	pos   []int32           // sub's rows' positions in rec; nil while sub is rec
	acc   *memory.Buffer    // the AND of the conjuncts evaluated over sub, in bitmap mode
	count int               // the rows passing so far
	// selOn: the rows passing so far are the positions f.sel of sub (acc is nil).
	selOn bool
}

// step applies conjunct k, or k and k+1 when they bound one column (used is how many);
// some is false when no row passes.
func (s *conjRun) step(k int) (used int, some bool, err error) {
	f := s.f
	if p := f.preds[k]; p != nil && (s.selOn || (s.acc == nil && selFirstDirect)) {
		if sel, used := p.refine(s.sub, f.sel, !s.selOn); used > 0 {
			f.sel, s.selOn, s.count = sel, true, len(sel)
			return used, len(sel) > 0, nil
		}
		if !s.selOn {
			f.sel = f.sel[:0]
		}
	}
	some, err = s.evalBits(k)
	return 1, some, err
}

// evalBits applies conjunct k as an expression: over a bitmap of sub's rows, after
// leaving selection mode.
func (s *conjRun) evalBits(k int) (bool, error) {
	f := s.f
	if s.selOn && s.count*2 > s.n {
		s.toBitmap()
	}
	if s.selOn {
		if err := s.gather(k); err != nil {
			return false, err
		}
	}
	bits, off, release, err := f.passBits(f.conj[k], s.sub)
	if err != nil {
		return false, err
	}
	n := s.n
	if s.acc == nil {
		s.acc = kernel.NewRawBuffer(f.mem, int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(bits, off, n, s.acc.Bytes(), 0)
	} else {
		bitutil.BitmapAnd(s.acc.Bytes(), bits, 0, int64(off), s.acc.Bytes(), 0, int64(n))
	}
	release()
	if s.count = bitutil.CountSetBits(s.acc.Bytes(), 0, n); s.count == 0 {
		return false, nil
	}
	if k < len(f.conj)-1 && s.count*2 <= n {
		f.sel = selectionVector(f.sel[:0], s.acc.Bytes(), 0, n)
		s.acc.Release()
		s.acc, s.selOn = nil, true
	}
	return true, nil
}

// toBitmap leaves selection mode for a conjunct without a selection path while more
// than half of sub's rows pass (a first conjunct refined the vector of every row):
// evaluating it over all of them costs less than gathering most.
func (s *conjRun) toBitmap() {
	s.acc = kernel.NewBuffer(s.f.mem, int(bitutil.BytesForBits(int64(s.n))))
	bits := s.acc.Bytes()
	for _, p := range s.f.sel {
		bits[p>>3] |= 1 << (p & 7)
	}
	s.selOn = false
}

// gather leaves selection mode for conjunct k, which has no selection path: sub becomes
// the selected rows of the columns conjuncts from the k-th on read.
func (s *conjRun) gather(k int) error {
	f := s.f
	read := f.columnsRead(s.sub, k)
	next, err := kernel.GatherRecord(read, f.sel, f.mem)
	read.Release()
	if err != nil {
		return fmt.Errorf("exec: filter %s: %w", f.cond, err)
	}
	if s.sub != s.rec {
		s.sub.Release()
	}
	s.sub = next
	s.pos = composeSelection(s.pos, f.sel)
	s.n, s.selOn = len(f.sel), false
	return nil
}

// free releases what the run holds besides rec.
func (s *conjRun) free() {
	if s.acc != nil {
		s.acc.Release()
		s.acc = nil
	}
	if s.sub != s.rec {
		s.sub.Release()
		s.sub = s.rec
	}
}

// finish returns rec narrowed and the positions in it of the passing rows (nil when all
// pass), after every conjunct left at least one.
func (s *conjRun) finish() (arrow.RecordBatch, []int32, error) {
	f := s.f
	if !s.selOn {
		f.sel = selectionVector(f.sel[:0], s.acc.Bytes(), 0, s.n)
	}
	s.free()
	rec := f.narrowed(s.rec)
	if s.pos == nil && s.count == int(rec.NumRows()) {
		return rec, nil, nil
	}
	if s.pos != nil {
		f.sel = composeSelection(s.pos, f.sel)
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
