package eval

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// compareDecimal compares decimals exactly. The analyzer gives both sides one type; two
// scales that differ anyway are brought to the larger one (a side that then overflows 38
// digits is compared through math/big).
func (ev *Evaluator) compareDecimal(op plan.BinaryOp, lv, rv evValue, n int) (evValue, error) {
	l, err := evDecOperandOf(lv)
	if err != nil {
		return evValue{}, err
	}
	r, err := evDecOperandOf(rv)
	if err != nil {
		return evValue{}, err
	}
	if l.isNull || r.isNull {
		return evArray(array.MakeArrayOfNull(ev.Mem, arrow.FixedWidthTypes.Boolean, n)), nil
	}
	cmp := func(a, b decimal128.Num) int { return a.Cmp(b) }
	if l.typ.Scale != r.typ.Scale {
		var s evDecScratch
		ls, rs := l.typ.Scale, r.typ.Scale
		m := max(ls, rs)
		cmp = func(a, b decimal128.Num) int {
			x := s.set(&s.x, a)
			x.Mul(x, evDecPow10[m-ls])
			y := s.set(&s.y, b)
			y.Mul(y, evDecPow10[m-rs])
			return x.Cmp(y)
		}
	}
	var arrs []arrow.Array
	for _, v := range []evValue{lv, rv} {
		if !v.isScalar() {
			arrs = append(arrs, v.arr)
		}
	}
	validity := evCombinedValidity(ev.Mem, n, arrs...)
	var vbits []byte
	if validity != nil {
		vbits = validity.Bytes()
	}
	out := evNewBitmap(ev.Mem, n, false)
	bits := out.Bytes()
	if l.typ.Scale == r.typ.Scale {
		evDecCompareSameScale(op, &l, &r, n, bits, vbits)
		return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out)), nil
	}
	for i := 0; i < n; i++ {
		if !kernel.IsSet(vbits, 0, i) {
			continue
		}
		c := cmp(l.at(i), r.at(i))
		var res bool
		switch op {
		case plan.OpEq:
			res = c == 0
		case plan.OpNotEq:
			res = c != 0
		case plan.OpLt:
			res = c < 0
		case plan.OpLtEq:
			res = c <= 0
		case plan.OpGt:
			res = c > 0
		case plan.OpGtEq:
			res = c >= 0
		}
		if res {
			bitutil.SetBit(bits, i)
		}
	}
	return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out)), nil
}
