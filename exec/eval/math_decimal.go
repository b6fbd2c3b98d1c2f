package eval

import (
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/plan"
)

// The math family over decimal128 arrays, with the result types of plan: abs keeps the
// type; floor and ceil drop the fraction toward -∞ or +∞ (plan.DecimalFloorCeilType);
// round (HALF_UP) and bround (HALF_EVEN) drop digits past scale, a negative scale
// rounding to a multiple of 10^-scale (plan.DecimalRoundType), NULL when the result has
// more digits than its type.

// evAbsDecimal is abs of a decimal array.
func evAbsDecimal(ev *Evaluator, a arrow.Array) arrow.Array {
	vals := a.(*array.Decimal128).Values()
	return evDecimalRows(ev.Mem, a.DataType().(*arrow.Decimal128Type), a, func(i int) (decimal128.Num, bool) {
		return vals[i].Abs(), true
	})
}

// evFloorCeilDecimal is floor (ceil false) or ceil of a decimal array.
func evFloorCeilDecimal(ev *Evaluator, a arrow.Array, ceil bool) arrow.Array {
	dt := a.DataType().(*arrow.Decimal128Type)
	out := plan.DecimalFloorCeilType(dt)
	vals := a.(*array.Decimal128).Values()
	var s evDecScratch
	d := evDecPow10[dt.Scale]
	return evDecimalRows(ev.Mem, out, a, func(i int) (decimal128.Num, bool) {
		x := s.set(&s.x, vals[i])
		s.q.QuoRem(x, d, &s.r) // toward zero
		if s.r.Sign() != 0 && (s.r.Sign() > 0) == ceil {
			if ceil {
				s.q.Add(&s.q, big.NewInt(1))
			} else {
				s.q.Sub(&s.q, big.NewInt(1))
			}
		}
		return evDecFit(&s.q, out.Precision)
	})
}

// evRoundDecimal is round (HALF_UP) or bround (even: HALF_EVEN) of a decimal array to
// scale digits after the point.
func evRoundDecimal(ev *Evaluator, a arrow.Array, scale int64, even bool) arrow.Array {
	dt := a.DataType().(*arrow.Decimal128Type)
	out := plan.DecimalRoundType(dt, scale)
	vals := a.(*array.Decimal128).Values()
	var s evDecScratch
	// Drop k digits, then multiply by 10^up for a negative scale.
	var k, up int64
	if scale >= 0 {
		k = int64(dt.Scale) - min(int64(dt.Scale), scale)
	} else {
		k, up = int64(dt.Scale)-scale, -scale
	}
	return evDecimalRows(ev.Mem, out, a, func(i int) (decimal128.Num, bool) {
		if k >= int64(len(evDecPow10)) || up > int64(out.Precision) {
			// |x| < 10^38 ≤ 10^k / 2: rounds to zero.
			return decimal128.Num{}, true
		}
		x := s.set(&s.x, vals[i])
		d := evDecPow10[k]
		sign := x.Sign()
		s.q.QuoRem(x, d, &s.r)
		s.r.Abs(&s.r)
		s.r.Lsh(&s.r, 1)
		c := s.r.Cmp(d)
		if c > 0 || (c == 0 && (!even || s.q.Bit(0) == 1)) {
			s.q.Add(&s.q, big.NewInt(int64(sign)))
		}
		if up > 0 {
			s.q.Mul(&s.q, evDecPow10[up])
		}
		return evDecFit(&s.q, out.Precision)
	})
}
