package eval

import (
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// Refining a selection vector. Once a filter's earlier conjuncts leave few rows, a later
// conjunct that compares a column with literals is tested at the selected positions
// only, and the positions that fail are dropped from the vector in place: no bitmap over
// the batch, no gathered copy of the column (the vectorized engines' selection-vector
// comparisons, as CockroachDB's sel operators). A row whose value is NULL is dropped, as
// the whole condition drops it. Other conjuncts are evaluated as before, over a gathered
// copy of the selected rows.

// selPred is a conjunct of the shape "column op literal" (op one of the six comparisons),
// "in(column, literal, ...)", the literals of the column's type, or "column op column"
// over two integer, date, timestamp or decimal columns of one type.
type selPred struct {
	col   string
	op    plan.BinaryOp // the comparison; OpEq for in
	lits  []*plan.Literal
	in    bool
	other string // the right column of a comparison of two columns
	// and is the next conjunct when it compares the same column with a literal too (a
	// range: BETWEEN, or a date's lower and upper bounds): over integers and dates the
	// two are tested in one pass.
	and *selPred
}

// compileSelPred returns e as a selPred, or nil when it has another shape.
func compileSelPred(e plan.Expr) *selPred {
	switch x := e.(type) {
	case *plan.Binary:
		if !x.Op.IsComparison() {
			return nil
		}
		c, l, op := x.Left, x.Right, x.Op
		if _, ok := c.(*plan.Literal); ok {
			c, l, op = l, c, op.Flipped()
		}
		cr, ok1 := c.(*plan.ColumnRef)
		if r, ok := l.(*plan.ColumnRef); ok1 && ok {
			return &selPred{col: cr.Name, op: op, other: r.Name}
		}
		lit, ok2 := l.(*plan.Literal)
		if !ok1 || !ok2 {
			return nil
		}
		return &selPred{col: cr.Name, op: op, lits: []*plan.Literal{lit}}
	case *plan.Call:
		if x.Func != "in" || len(x.Args) < 2 || len(x.Args) > 9 {
			return nil
		}
		cr, ok := x.Args[0].(*plan.ColumnRef)
		if !ok {
			return nil
		}
		p := &selPred{col: cr.Name, op: plan.OpEq, in: true}
		for _, a := range x.Args[1:] {
			lit, ok := a.(*plan.Literal)
			if !ok {
				return nil
			}
			if lit.Value != nil { // a NULL in the list never makes a row pass
				p.lits = append(p.lits, lit)
			}
		}
		return p
	}
	return nil
}

// compileSelPreds returns the selPred of each conjunct (nil for other shapes), a
// comparison followed by another of the same column with a literal linked to it (and).
func compileSelPreds(conj []plan.Expr) []*selPred {
	preds := make([]*selPred, len(conj))
	for i, e := range conj {
		preds[i] = compileSelPred(e)
	}
	for i := 0; i+1 < len(preds); i++ {
		p, q := preds[i], preds[i+1]
		if p != nil && q != nil && p.isLitCompare() && q.isLitCompare() && p.col == q.col {
			p.and = q
			i++
		}
	}
	return preds
}

// isLitCompare reports whether p compares its column with one literal by an ordering
// or equality (not <>, which no range expresses).
func (p *selPred) isLitCompare() bool {
	return !p.in && p.other == "" && p.op != plan.OpNotEq
}

// refine keeps the positions of sel (rows of rec) whose row passes, in order, writing
// into sel; with all, sel is only room and the positions are every row of rec. used is
// the number of conjuncts applied: 2 for p and p.and together, 0 when the column's type
// has no path here (the caller then evaluates the conjunct as an expression).
func (p *selPred) refine(rec arrow.RecordBatch, sel []int32, all bool) (out []int32, used int) {
	idx := rec.Schema().FieldIndices(p.col)
	if len(idx) == 0 {
		return sel, 0
	}
	var ok bool
	if p.other != "" {
		oidx := rec.Schema().FieldIndices(p.other)
		if len(oidx) == 0 {
			return sel, 0
		}
		out, ok = p.refineColumns(rec.Column(idx[0]), rec.Column(oidx[0]), sel, all)
	} else if out, ok = p.refineRange(rec.Column(idx[0]), sel, all); ok {
		return out, 2
	} else {
		out, ok = p.refineArray(rec.Column(idx[0]), sel, all)
	}
	if !ok {
		return sel, 0
	}
	return out, 1
}

// refineColumns is refine for a comparison of the columns a and b. Floats are left to
// the expression path: a NaN on the right orders above its left side in Spark, which
// the loops' negations do not give.
func (p *selPred) refineColumns(a, b arrow.Array, sel []int32, all bool) ([]int32, bool) {
	id := a.DataType().ID()
	if !arrow.TypeEqual(a.DataType(), b.DataType()) || !selColumnsType[id] {
		return sel, false
	}
	if all && (a.NullN() > 0 || b.NullN() > 0 || id == arrow.DECIMAL128) {
		sel, all = selIdentity(sel, a.Len()), false
	}
	if !all {
		sel = selDropNulls(b, selDropNulls(a, sel))
	}
	switch id {
	case arrow.INT8:
		return selCompareCols(kernel.FixedValues[int8](a), kernel.FixedValues[int8](b), p.op, sel, all), true
	case arrow.INT16:
		return selCompareCols(kernel.FixedValues[int16](a), kernel.FixedValues[int16](b), p.op, sel, all), true
	case arrow.INT32, arrow.DATE32:
		return selCompareCols(kernel.FixedValues[int32](a), kernel.FixedValues[int32](b), p.op, sel, all), true
	case arrow.INT64, arrow.TIMESTAMP:
		return selCompareCols(kernel.FixedValues[int64](a), kernel.FixedValues[int64](b), p.op, sel, all), true
	}
	return selCompareDecCols(a.(*array.Decimal128).Values(), b.(*array.Decimal128).Values(), p.op, sel), true
}

// refineRange refines sel by p and p.and at once when they compare an integer or date
// column with literals of its type: as x in [lo, hi], one unsigned comparison a row.
func (p *selPred) refineRange(a arrow.Array, sel []int32, all bool) ([]int32, bool) {
	id := a.DataType().ID()
	if p.and == nil || !selColumnsType[id] || id == arrow.DECIMAL128 || !p.litsOfType(a.DataType()) || !p.and.litsOfType(a.DataType()) {
		return sel, false
	}
	lo, hi, ok := selIntBounds(p, p.and)
	if !ok {
		return sel, false
	}
	if lo > hi {
		return sel[:0], true // no value passes, or a bound is NULL
	}
	if all && a.NullN() > 0 {
		sel, all = selIdentity(sel, a.Len()), false
	}
	if !all {
		sel = selDropNulls(a, sel)
	}
	switch id {
	case arrow.INT8:
		return selInRange(kernel.FixedValues[int8](a), lo, hi, sel, all), true
	case arrow.INT16:
		return selInRange(kernel.FixedValues[int16](a), lo, hi, sel, all), true
	case arrow.INT32, arrow.DATE32:
		return selInRange(kernel.FixedValues[int32](a), lo, hi, sel, all), true
	}
	return selInRange(kernel.FixedValues[int64](a), lo, hi, sel, all), true
}

// selIntBounds returns the inclusive bounds [lo, hi] of the integers x that pass every
// comparison of ps (lo > hi when none does, as when a literal is NULL); ok is false for
// a literal that is not an integer.
func selIntBounds(ps ...*selPred) (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	for _, p := range ps {
		if p.lits[0].Value == nil {
			return 1, 0, true
		}
		v, ok := selLitValue[int64](p.lits[0].Value)
		if _, isFloat := p.lits[0].Value.(float64); !ok || isFloat {
			return 0, 0, false
		}
		switch p.op {
		case plan.OpEq:
			lo, hi = max(lo, v), min(hi, v)
		case plan.OpGtEq:
			lo = max(lo, v)
		case plan.OpLtEq:
			hi = min(hi, v)
		case plan.OpGt:
			if v == math.MaxInt64 {
				return 1, 0, true
			}
			lo = max(lo, v+1)
		case plan.OpLt:
			if v == math.MinInt64 {
				return 1, 0, true
			}
			hi = min(hi, v-1)
		}
	}
	return lo, hi, true
}

// selInRange keeps the positions r of sel (no NULL rows; every row of vals with all)
// where lo <= vals[r] <= hi: x - lo, wrapped to unsigned, is at most hi - lo exactly
// for those.
func selInRange[T int8 | int16 | int32 | int64](vals []T, lo, hi int64, sel []int32, all bool) []int32 {
	span := uint64(hi - lo)
	k := 0
	if all {
		sel = slices.Grow(sel[:0], len(vals))[:len(vals)]
		for i, x := range vals {
			sel[k] = int32(i)
			k += int(selB2U(uint64(int64(x)-lo) <= span))
		}
		return sel[:k]
	}
	for _, r := range sel {
		x := vals[r]
		sel[k] = r
		k += int(selB2U(uint64(int64(x)-lo) <= span))
	}
	return sel[:k]
}

// selColumnsType marks the types compared column with column here.
var selColumnsType = map[arrow.Type]bool{
	arrow.INT8: true, arrow.INT16: true, arrow.INT32: true, arrow.DATE32: true, arrow.INT64: true,
	arrow.TIMESTAMP: true, arrow.DECIMAL128: true,
}

// selCompareCols is selCompareNum for two integer columns: keeps the positions r where
// a[r] op b[r].
func selCompareCols[T int8 | int16 | int32 | int64](a, b []T, op plan.BinaryOp, sel []int32, all bool) []int32 {
	tbl := evDecCompareTable(op)
	lt, eq, gt := selB2U(tbl[0]), selB2U(tbl[1]), selB2U(tbl[2])
	b = b[:len(a)]
	k := 0
	if all {
		sel = slices.Grow(sel[:0], len(a))[:len(a)]
		for i, x := range a {
			y := b[i]
			sel[k] = int32(i)
			k += int(selB2U(x < y)&lt | selB2U(x == y)&eq | selB2U(x > y)&gt)
		}
		return sel[:k]
	}
	for _, r := range sel {
		x, y := a[r], b[r]
		sel[k] = r
		k += int(selB2U(x < y)&lt | selB2U(x == y)&eq | selB2U(x > y)&gt)
	}
	return sel[:k]
}

// selCompareDecCols keeps the positions r of sel (no NULL rows) where a[r] op b[r], two
// decimals of one scale.
func selCompareDecCols(a, b []decimal128.Num, op plan.BinaryOp, sel []int32) []int32 {
	mlt, meq, mgt := evDecSignMasks(evDecCompareTable(op))
	k := 0
	for _, r := range sel {
		x, y := a[r], b[r]
		xh, xl, yh, yl := x.HighBits(), x.LowBits(), y.HighBits(), y.LowBits()
		he := selB2U(xh == yh)
		lt := selB2U(xh < yh) | he&selB2U(xl < yl)
		eq := he & selB2U(xl == yl)
		sel[k] = r
		k += int((lt&mlt | eq&meq | ^(lt|eq)&mgt) & 1)
	}
	return sel[:k]
}

// refineArray is refine over the column a. Every row of a numeric column without NULLs
// is read in one pass (selCompareNum); other columns refine the vector of every row.
func (p *selPred) refineArray(a arrow.Array, sel []int32, all bool) ([]int32, bool) {
	if all && a.DataType().ID() == arrow.STRING {
		// Over every row of a string column, the expression path's typed loops into a
		// bitmap cost less (a Q19-shaped in() over 8192 rows: 59 against 80 us).
		return sel, false
	}
	if all && (p.in || a.NullN() > 0 || !selDense[a.DataType().ID()]) {
		sel, all = selIdentity(sel, a.Len()), false
	}
	if !p.in && p.lits[0].Value == nil {
		return sel[:0], true // a comparison with NULL is never true
	}
	if d, ok := a.(*array.Dictionary); ok {
		return p.refineDict(d, sel)
	}
	if !p.litsOfType(a.DataType()) {
		return sel, false
	}
	if len(p.lits) == 0 {
		return sel[:0], true // in() of only NULLs
	}
	switch a.DataType().ID() {
	case arrow.INT8:
		return selRefineNum[int8](p, a, sel, all)
	case arrow.INT16:
		return selRefineNum[int16](p, a, sel, all)
	case arrow.INT32, arrow.DATE32:
		return selRefineNum[int32](p, a, sel, all)
	case arrow.INT64, arrow.TIMESTAMP:
		return selRefineNum[int64](p, a, sel, all)
	case arrow.FLOAT32:
		return selRefineNum[float32](p, a, sel, all)
	case arrow.FLOAT64:
		return selRefineNum[float64](p, a, sel, all)
	case arrow.DECIMAL128:
		return selRefineDecimal(p, a, selDropNulls(a, sel)), true
	case arrow.STRING:
		return selRefineString(p, a.(*array.String), selDropNulls(a, sel)), true
	}
	return sel, false
}

// selDense marks the types whose comparisons read every row in one pass.
var selDense = map[arrow.Type]bool{
	arrow.INT8: true, arrow.INT16: true, arrow.INT32: true, arrow.DATE32: true, arrow.INT64: true,
	arrow.TIMESTAMP: true, arrow.FLOAT32: true, arrow.FLOAT64: true,
}

// litsOfType reports whether every literal has type t (a decimal: t's scale), so that
// its value compares with the column's values as they are stored.
func (p *selPred) litsOfType(t arrow.DataType) bool {
	for _, l := range p.lits {
		if dt, ok := t.(*arrow.Decimal128Type); ok {
			lt, ok := l.Type.(*arrow.Decimal128Type)
			if !ok || lt.Scale != dt.Scale {
				return false
			}
			if _, ok := l.Value.(decimal128.Num); !ok {
				return false
			}
			continue
		}
		if !arrow.TypeEqual(l.Type, t) {
			return false
		}
	}
	return true
}

// selDropNulls keeps the positions of sel where a is not NULL.
func selDropNulls(a arrow.Array, sel []int32) []int32 {
	vb, off := kernel.Validity(a)
	if vb == nil {
		return sel
	}
	k := 0
	for _, p := range sel {
		sel[k] = p
		k += int(vb[(off+int(p))>>3] >> ((off + int(p)) & 7) & 1)
	}
	return sel[:k]
}

// selB2U is 1 for true and 0 for false, without a branch.
func selB2U(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
}

// selLitValue returns a literal's value as T, ok false for a value of another Go type or
// a float NaN (NaN orders above every number in Spark, which the loops below do not do
// for a NaN literal).
func selLitValue[T kernel.FixedWidth](v any) (T, bool) {
	switch x := v.(type) {
	case int64:
		return T(x), true
	case arrow.Date32:
		return T(x), true
	case arrow.Timestamp:
		return T(x), true
	case float64:
		if math.IsNaN(x) {
			return 0, false
		}
		return T(x), true
	}
	return 0, false
}

// selRefineNum refines sel by a comparison or an in list over a fixed-width column.
func selRefineNum[T kernel.FixedWidth](p *selPred, a arrow.Array, sel []int32, all bool) ([]int32, bool) {
	lits := make([]T, len(p.lits))
	for i, l := range p.lits {
		v, ok := selLitValue[T](l.Value)
		if !ok {
			return sel, false
		}
		lits[i] = v
	}
	sel = selDropNulls(a, sel)
	vals := kernel.FixedValues[T](a)
	k := 0
	if p.in {
		for _, r := range sel {
			x := vals[r]
			var hit uint8
			for _, l := range lits {
				hit |= selB2U(x == l)
			}
			sel[k] = r
			k += int(hit)
		}
		return sel[:k], true
	}
	return selCompareNum(vals, p.op, lits[0], sel, all), true
}

// selCompareNum keeps the positions r of sel (no NULL rows) where vals[r] op lit. The
// operators are less, less or equal and equal, the others their negations, so that a NaN
// value (neither less than nor equal to a number) sorts above every number as in Spark.
// With all, the positions are every row of vals (sel is room only), read without the
// indirection.
func selCompareNum[T kernel.FixedWidth](vals []T, op plan.BinaryOp, lit T, sel []int32, all bool) []int32 {
	var neg uint8
	switch op {
	case plan.OpGt:
		op, neg = plan.OpLtEq, 1
	case plan.OpGtEq:
		op, neg = plan.OpLt, 1
	case plan.OpNotEq:
		op, neg = plan.OpEq, 1
	}
	k := 0
	if all {
		sel = slices.Grow(sel[:0], len(vals))[:len(vals)]
		switch op {
		case plan.OpLt:
			for i, x := range vals {
				sel[k] = int32(i)
				k += int(selB2U(x < lit) ^ neg)
			}
		case plan.OpLtEq:
			for i, x := range vals {
				sel[k] = int32(i)
				k += int(selB2U(x <= lit) ^ neg)
			}
		default:
			for i, x := range vals {
				sel[k] = int32(i)
				k += int(selB2U(x == lit) ^ neg)
			}
		}
		return sel[:k]
	}
	switch op {
	case plan.OpLt:
		for _, r := range sel {
			x := vals[r]
			sel[k] = r
			k += int(selB2U(x < lit) ^ neg)
		}
	case plan.OpLtEq:
		for _, r := range sel {
			x := vals[r]
			sel[k] = r
			k += int(selB2U(x <= lit) ^ neg)
		}
	default:
		for _, r := range sel {
			x := vals[r]
			sel[k] = r
			k += int(selB2U(x == lit) ^ neg)
		}
	}
	return sel[:k]
}

// selRefineDecimal refines sel (no NULL rows) by a comparison or an in list over a
// decimal column, the literals of its scale: signed high halves, then unsigned low ones.
func selRefineDecimal(p *selPred, a arrow.Array, sel []int32) []int32 {
	vals := a.(*array.Decimal128).Values()
	k := 0
	if p.in {
		for _, r := range sel {
			x := vals[r]
			var hit uint8
			for _, l := range p.lits {
				hit |= selB2U(x == l.Value.(decimal128.Num))
			}
			sel[k] = r
			k += int(hit)
		}
		return sel[:k]
	}
	mlt, meq, mgt := evDecSignMasks(evDecCompareTable(p.op))
	lit := p.lits[0].Value.(decimal128.Num)
	lh, ll := lit.HighBits(), lit.LowBits()
	for _, r := range sel {
		x := vals[r]
		xh, xl := x.HighBits(), x.LowBits()
		he := selB2U(xh == lh)
		lt := selB2U(xh < lh) | he&selB2U(xl < ll)
		eq := he & selB2U(xl == ll)
		sel[k] = r
		k += int((lt&mlt | eq&meq | ^(lt|eq)&mgt) & 1)
	}
	return sel[:k]
}

// selRefineString refines sel (no NULL rows) by a comparison or an in list over a
// string column, ordered by bytes as Spark orders UTF-8 strings.
func selRefineString(p *selPred, a *array.String, sel []int32) []int32 {
	lits := make([]string, len(p.lits))
	for i, l := range p.lits {
		lits[i], _ = l.Value.(string)
	}
	k := 0
	if p.in {
		for _, r := range sel {
			x := a.Value(int(r))
			var hit uint8
			for _, l := range lits {
				hit |= selB2U(x == l)
			}
			sel[k] = r
			k += int(hit)
		}
		return sel[:k]
	}
	tbl := evDecCompareTable(p.op)
	lit := lits[0]
	for _, r := range sel {
		x := a.Value(int(r))
		c := 2 // greater
		if x < lit {
			c = 0
		} else if x == lit {
			c = 1
		}
		sel[k] = r
		k += int(selB2U(tbl[c]))
	}
	return sel[:k]
}

// refineDict refines sel over a dictionary column: the predicate is decided once per
// dictionary entry (by refining the vector of all entries), then each selected row
// looks its index up. A dictionary much larger than the selection is left to the
// caller's path, which also decides per entry.
func (p *selPred) refineDict(d *array.Dictionary, sel []int32) ([]int32, bool) {
	dict := d.Dictionary()
	m := dict.Len()
	if m > 4*len(sel)+1024 {
		return sel, false
	}
	keep, ok := p.refineArray(dict, selIdentity(nil, m), false)
	if !ok {
		return sel, false
	}
	pass := make([]uint8, m)
	for _, i := range keep {
		pass[i] = 1
	}
	sel = selDropNulls(d, sel)
	idx := d.Indices()
	switch idx.DataType().ID() {
	case arrow.INT8:
		return selByIndex(kernel.FixedValues[int8](idx), pass, sel), true
	case arrow.UINT8:
		return selByIndex(kernel.FixedValues[uint8](idx), pass, sel), true
	case arrow.INT16:
		return selByIndex(kernel.FixedValues[int16](idx), pass, sel), true
	case arrow.UINT16:
		return selByIndex(kernel.FixedValues[uint16](idx), pass, sel), true
	case arrow.INT32:
		return selByIndex(kernel.FixedValues[int32](idx), pass, sel), true
	case arrow.UINT32:
		return selByIndex(kernel.FixedValues[uint32](idx), pass, sel), true
	case arrow.INT64:
		return selByIndex(kernel.FixedValues[int64](idx), pass, sel), true
	case arrow.UINT64:
		return selByIndex(kernel.FixedValues[uint64](idx), pass, sel), true
	}
	return sel, false
}

// selByIndex keeps the positions of sel whose dictionary index passes.
func selByIndex[I int8 | uint8 | int16 | uint16 | int32 | uint32 | int64 | uint64](idx []I, pass []uint8, sel []int32) []int32 {
	k := 0
	for _, r := range sel {
		sel[k] = r
		k += int(pass[idx[r]])
	}
	return sel[:k]
}

// selIdentity returns sel holding 0..n-1 (its storage reused).
func selIdentity(sel []int32, n int) []int32 {
	if cap(sel) < n {
		sel = make([]int32, n)
	}
	sel = sel[:n]
	for i := range sel {
		sel[i] = int32(i)
	}
	return sel
}

// selFirstDirect makes a first conjunct of the selection shape refine the vector of
// every row instead of being evaluated into a bitmap: one typed pass over the column,
// where arrow's comparison kernel, the AND of bitmaps and the conversion of the bitmap
// cost more (BenchmarkFilterQ6Select, Q6's filter, fastest of 8: 37 us a batch with the
// date range as bitmaps, 13 us with it refining the vector of every row in one pass).
// Tests and the benchmark turn it off to compare the two.
var selFirstDirect = true
