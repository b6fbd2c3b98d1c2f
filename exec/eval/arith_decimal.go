package eval

import (
	"fmt"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/plan"
)

// Decimal arithmetic follows Spark (non-ANSI, precision loss allowed): the result type is
// plan.DecimalBinaryType of the operand types, the exact result is rounded HALF_UP to its
// scale, and a result that does not fit its precision is NULL, as is x / 0 and x % 0.
// Additions and products whose exact result fits 38 digits at the result's scale run on
// 128-bit integers; the others (and every division) go through math/big with scratch
// values reused across rows.

// evDecPow10 holds 10^0 … 10^80 for the math/big paths (read-only).
var evDecPow10 = func() []*big.Int {
	out := make([]*big.Int, 81)
	out[0] = big.NewInt(1)
	for i := 1; i < len(out); i++ {
		out[i] = new(big.Int).Mul(out[i-1], big.NewInt(10))
	}
	return out
}()

// evDecOperand is one side of a decimal loop: an array's values or a constant.
type evDecOperand struct {
	vals   []decimal128.Num
	isLit  bool
	lit    decimal128.Num
	isNull bool
	typ    *arrow.Decimal128Type
}

func (o *evDecOperand) at(i int) decimal128.Num {
	if o.isLit {
		return o.lit
	}
	return o.vals[i]
}

func evDecOperandOf(v evValue) (evDecOperand, error) {
	dt, ok := v.dataType().(*arrow.Decimal128Type)
	if !ok {
		return evDecOperand{}, fmt.Errorf("decimal operation on %v", v.dataType())
	}
	if v.isScalar() {
		if !v.sc.IsValid() {
			return evDecOperand{isLit: true, isNull: true, typ: dt}, nil
		}
		return evDecOperand{isLit: true, lit: v.sc.(*scalar.Decimal128).Value, typ: dt}, nil
	}
	return evDecOperand{vals: v.arr.(*array.Decimal128).Values(), typ: dt}, nil
}

// evDecScratch holds math/big temporaries reused across the rows of one batch.
type evDecScratch struct{ x, y, q, r, t big.Int }

// set stores n in z.
func (s *evDecScratch) set(z *big.Int, n decimal128.Num) *big.Int {
	z.SetInt64(n.HighBits())
	z.Lsh(z, 64)
	s.t.SetUint64(n.LowBits())
	return z.Add(z, &s.t)
}

// round divides z by 10^k rounding halves away from zero (Java's HALF_UP) when k > 0,
// and multiplies it by 10^-k when k < 0.
func (s *evDecScratch) round(z *big.Int, k int32) *big.Int {
	switch {
	case k < 0:
		return z.Mul(z, evDecPow10[-k])
	case k == 0:
		return z
	}
	d := evDecPow10[k]
	sign := z.Sign()
	s.q.QuoRem(z, d, &s.r)
	s.r.Abs(&s.r)
	s.r.Lsh(&s.r, 1)
	if s.r.Cmp(d) >= 0 {
		s.q.Add(&s.q, big.NewInt(int64(sign)))
	}
	return z.Set(&s.q)
}

// evDecFit converts z to a decimal of precision p, reporting false when it has more
// digits.
func evDecFit(z *big.Int, p int32) (decimal128.Num, bool) {
	if z.CmpAbs(evDecPow10[p]) >= 0 {
		return decimal128.Num{}, false
	}
	return decimal128.FromBigInt(z), true
}

// evDecRescale converts n from scale from to decimal(p, to), rounding HALF_UP; false
// when it does not fit.
func (s *evDecScratch) rescale(n decimal128.Num, from, to, p int32) (decimal128.Num, bool) {
	if to >= from {
		up := to - from
		if p-up <= 0 {
			return decimal128.Num{}, n == (decimal128.Num{})
		}
		if !n.FitsInPrecision(p - up) {
			return decimal128.Num{}, false
		}
		return n.Mul(decimal128.GetScaleMultiplier(int(up))), true
	}
	return evDecFit(s.round(s.set(&s.x, n), from-to), p)
}

// evDecimalOp returns the row function of l op r for operand types lt and rt and result
// type out.
func evDecimalOp(op plan.BinaryOp, lt, rt, out *arrow.Decimal128Type) (func(a, b decimal128.Num) (decimal128.Num, bool), error) {
	p1, s1, p2, s2 := lt.Precision, lt.Scale, rt.Precision, rt.Scale
	rp, rs := out.Precision, out.Scale
	m := max(s1, s2)
	var s evDecScratch
	switch op {
	case plan.OpAdd, plan.OpSub:
		if max(p1-s1, p2-s2)+m+1 <= plan.DecimalMaxPrecision && rs == m {
			ml, mr := decimal128.GetScaleMultiplier(int(m-s1)), decimal128.GetScaleMultiplier(int(m-s2))
			if op == plan.OpSub {
				mr = mr.Negate()
			}
			return func(a, b decimal128.Num) (decimal128.Num, bool) {
				v := a.Mul(ml).Add(b.Mul(mr))
				return v, v.FitsInPrecision(rp)
			}, nil
		}
		return func(a, b decimal128.Num) (decimal128.Num, bool) {
			x := s.set(&s.x, a)
			x.Mul(x, evDecPow10[m-s1])
			y := s.set(&s.y, b)
			y.Mul(y, evDecPow10[m-s2])
			if op == plan.OpAdd {
				x.Add(x, y)
			} else {
				x.Sub(x, y)
			}
			return evDecFit(s.round(x, m-rs), rp)
		}, nil
	case plan.OpMul:
		if p1+p2+1 <= plan.DecimalMaxPrecision && rs == s1+s2 {
			return func(a, b decimal128.Num) (decimal128.Num, bool) {
				v := a.Mul(b)
				return v, v.FitsInPrecision(rp)
			}, nil
		}
		return func(a, b decimal128.Num) (decimal128.Num, bool) {
			x := s.set(&s.x, a)
			x.Mul(x, s.set(&s.y, b))
			return evDecFit(s.round(x, s1+s2-rs), rp)
		}, nil
	case plan.OpDiv:
		// a/10^s1 ÷ b/10^s2 at scale rs is a·10^(rs+s2-s1) ÷ b, rounded HALF_UP.
		e := rs + s2 - s1
		return func(a, b decimal128.Num) (decimal128.Num, bool) {
			if b == (decimal128.Num{}) {
				return decimal128.Num{}, false
			}
			x, y := s.set(&s.x, a), s.set(&s.y, b)
			if e >= 0 {
				x.Mul(x, evDecPow10[e])
			} else {
				y.Mul(y, evDecPow10[-e])
			}
			sign := x.Sign() * y.Sign()
			s.q.QuoRem(x, y, &s.r)
			s.r.Abs(&s.r)
			s.r.Lsh(&s.r, 1)
			if s.r.CmpAbs(y) >= 0 {
				s.q.Add(&s.q, big.NewInt(int64(sign)))
			}
			return evDecFit(&s.q, rp)
		}, nil
	case plan.OpMod:
		return func(a, b decimal128.Num) (decimal128.Num, bool) {
			if b == (decimal128.Num{}) {
				return decimal128.Num{}, false
			}
			x := s.set(&s.x, a)
			x.Mul(x, evDecPow10[m-s1])
			y := s.set(&s.y, b)
			y.Mul(y, evDecPow10[m-s2])
			x.Rem(x, y) // truncated: the sign of the dividend, as Java's BigDecimal.remainder
			return evDecFit(s.round(x, m-rs), rp)
		}, nil
	}
	return nil, fmt.Errorf("unsupported decimal operator %v", op)
}

// decimalArith evaluates l op r for decimal operands (the analyzer converts integer
// operands to decimals).
func (ev *Evaluator) decimalArith(op plan.BinaryOp, l, r evValue, n int) (evValue, error) {
	lo, err := evDecOperandOf(l)
	if err != nil {
		return evValue{}, err
	}
	ro, err := evDecOperandOf(r)
	if err != nil {
		return evValue{}, err
	}
	out, ok := plan.DecimalBinaryType(op, lo.typ, ro.typ)
	if !ok {
		return evValue{}, fmt.Errorf("unsupported decimal operator %v", op)
	}
	f, err := evDecimalOp(op, lo.typ, ro.typ, out)
	if err != nil {
		return evValue{}, err
	}
	if arr, ok := decimalArithFast(ev.Mem, op, l, r, &lo, &ro, out, n, f); ok {
		return evArray(arr), nil
	}
	return evArray(evDecimalLoop(ev.Mem, out, n, l, r, &lo, &ro, f)), nil
}

// evDecimalLoop builds a decimal array of type dt from f over every row where both
// operands are valid; f reports false to make the row NULL. The loops are specialized
// for column×column, column×literal and literal×column operands (no per-row test of
// which side is a constant).
func evDecimalLoop(mem memory.Allocator, dt *arrow.Decimal128Type, n int, lv, rv evValue, l, r *evDecOperand, f func(a, b decimal128.Num) (decimal128.Num, bool)) arrow.Array {
	if l.isNull || r.isNull {
		return array.MakeArrayOfNull(mem, dt, n)
	}
	validity := evOperandsValidity(mem, n, lv, rv)
	vbits := validity.Bytes()
	buf, out := evNewValues[decimal128.Num](mem, n, 16)
	row := func(i int, a, b decimal128.Num) {
		if !bitutil.BitIsSet(vbits, i) {
			out[i] = decimal128.Num{}
			return
		}
		o, ok := f(a, b)
		if !ok {
			bitutil.ClearBit(vbits, i)
			o = decimal128.Num{}
		}
		out[i] = o
	}
	switch {
	case l.isLit && r.isLit:
		for i := range n {
			row(i, l.lit, r.lit)
		}
	case l.isLit:
		b := r.vals[:n]
		for i := range b {
			row(i, l.lit, b[i])
		}
	case r.isLit:
		a := l.vals[:n]
		for i := range a {
			row(i, a[i], r.lit)
		}
	default:
		a, b := l.vals[:n], r.vals[:n]
		for i := range a {
			row(i, a[i], b[i])
		}
	}
	return evFinishArray(dt, n, validity, buf)
}

// evOperandsValidity is the validity bitmap both operands' rows share (every row valid
// when neither has NULLs), which the loops clear further for rows they make NULL.
func evOperandsValidity(mem memory.Allocator, n int, lv, rv evValue) *memory.Buffer {
	var arrs []arrow.Array
	for _, v := range []evValue{lv, rv} {
		if !v.isScalar() {
			arrs = append(arrs, v.arr)
		}
	}
	if validity := evCombinedValidity(mem, n, arrs...); validity != nil {
		return validity
	}
	return evNewBitmap(mem, n, true)
}

// negateDecimal is unary minus over a decimal array: the type is kept (a negated
// decimal has as many digits).
func (ev *Evaluator) negateDecimal(v evValue, n int) (evValue, error) {
	o, err := evDecOperandOf(v)
	if err != nil {
		return evValue{}, err
	}
	zero := evValue{sc: scalar.NewDecimal128Scalar(decimal128.Num{}, o.typ)}
	z := evDecOperand{isLit: true, typ: o.typ}
	return evArray(evDecimalLoop(ev.Mem, o.typ, n, v, zero, &o, &z, func(a, _ decimal128.Num) (decimal128.Num, bool) {
		return a.Negate(), true
	})), nil
}
