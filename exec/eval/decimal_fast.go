package eval

import (
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Typed loops for the decimal operations that dominate analytic queries (TPC-H's
// price × (1 − discount) × (1 + tax), sums of them, filters on a discount range): no
// per-row function value and no math/big.
//
//   - A product whose exact result keeps the scale s1+s2 multiplies the unscaled values
//     directly: when both fit 64 bits (the common case, whatever the declared precisions)
//     a 64×64→128-bit multiply, checked against the result precision only when the types
//     do not already bound it; other rows take the general path.
//   - A sum or difference at the larger scale scales each side by a power of ten hoisted
//     out of the loop (skipped when it is 1).
//   - A comparison at one scale compares the signed 128-bit values, eight rows to a
//     bitmap byte.

// evDecFits64 reports whether the unscaled value n fits an int64.
func evDecFits64(n decimal128.Num) bool { return n.HighBits() == int64(n.LowBits())>>63 }

// evDecMul64 returns the exact 128-bit product of two int64 values, without a branch:
// the unsigned product's high word less y when x is negative and x when y is (the
// two's complement correction; the product has at most 127 bits, so it cannot wrap).
func evDecMul64(x, y int64) decimal128.Num {
	hi, lo := bits.Mul64(uint64(x), uint64(y))
	hi -= uint64(x>>63&y) + uint64(y>>63&x)
	return decimal128.New(int64(hi), lo)
}

// decimalArithFast computes l op r with a typed loop when one applies (ok false
// otherwise); slow is the row function of the general path, for the rows the fast one
// does not cover.
func decimalArithFast(mem memory.Allocator, op plan.BinaryOp, lv, rv evValue, l, r *evDecOperand, out *arrow.Decimal128Type, n int, slow func(a, b decimal128.Num) (decimal128.Num, bool)) (arrow.Array, bool) {
	if l.isNull || r.isNull {
		return nil, false
	}
	s1, s2 := l.typ.Scale, r.typ.Scale
	switch op {
	case plan.OpMul:
		if out.Scale != s1+s2 {
			return nil, false
		}
		if !l.isLit || !r.isLit {
			return evDecMulColumns(mem, out, n, lv, rv, l, r, slow), true
		}
		bounded := l.typ.Precision+r.typ.Precision+1 <= out.Precision
		rp := out.Precision
		return evDecimalLoop(mem, out, n, lv, rv, l, r, func(a, b decimal128.Num) (decimal128.Num, bool) {
			if evDecFits64(a) && evDecFits64(b) {
				p := evDecMul64(int64(a.LowBits()), int64(b.LowBits()))
				return p, bounded || p.FitsInPrecision(rp)
			}
			return slow(a, b)
		}), true
	case plan.OpAdd, plan.OpSub:
		m := max(s1, s2)
		if max(l.typ.Precision-s1, r.typ.Precision-s2)+m+1 > plan.DecimalMaxPrecision || out.Scale != m {
			return nil, false
		}
		// Scale the literal side once; an array side is scaled per row unless its
		// multiplier is 1.
		lo, ro := *l, *r
		ml, mr := decimal128.GetScaleMultiplier(int(m-s1)), decimal128.GetScaleMultiplier(int(m-s2))
		if lo.isLit {
			lo.lit, ml = lo.lit.Mul(ml), decimal128.FromI64(1)
		}
		if ro.isLit {
			ro.lit, mr = ro.lit.Mul(mr), decimal128.FromI64(1)
		}
		one := decimal128.FromI64(1)
		sub, rp := op == plan.OpSub, out.Precision
		bounded := max(l.typ.Precision-s1, r.typ.Precision-s2)+m+1 <= rp
		if bounded && (lo.isLit || ml == one) && (ro.isLit || mr == one) && !(lo.isLit && ro.isLit) {
			return evDecAddSameScale(mem, out, n, lv, rv, &lo, &ro, sub), true
		}
		return evDecimalLoop(mem, out, n, lv, rv, &lo, &ro, func(a, b decimal128.Num) (decimal128.Num, bool) {
			if ml != one {
				a = a.Mul(ml)
			}
			if mr != one {
				b = b.Mul(mr)
			}
			var v decimal128.Num
			if sub {
				v = a.Sub(b)
			} else {
				v = a.Add(b)
			}
			return v, bounded || v.FitsInPrecision(rp)
		}), true
	}
	return nil, false
}

// evDecMulColumns is a product at scale s1+s2 with at least one column operand: a first
// loop multiplies every row whose operands both fit 64 bits (no function call per row)
// and notes the others, which the general row function slow computes afterwards; rows
// with a NULL operand become NULL and 0. The product of two int64 values has at most 38
// digits, so it fits any result precision Spark's rules give a product at that scale
// (p1+p2+1 digits, or 38 once that is more); the check is kept for types built otherwise.
func evDecMulColumns(mem memory.Allocator, dt *arrow.Decimal128Type, n int, lv, rv evValue, l, r *evDecOperand, slow func(a, b decimal128.Num) (decimal128.Num, bool)) arrow.Array {
	validity := evOperandsValidity(mem, n, lv, rv)
	vbits := validity.Bytes()
	buf, out := evNewValues[decimal128.Num](mem, n, 16)
	var rest []int32
	if l.isLit { // a literal times a column is the column times the literal
		l, r = r, l
	}
	a := l.vals[:n]
	if r.isLit {
		lit := r.lit
		if !evDecFits64(lit) {
			for i := range a {
				rest = append(rest, int32(i))
			}
		} else {
			y := int64(lit.LowBits())
			for i, x := range a {
				if !evDecFits64(x) {
					rest = append(rest, int32(i))
					continue
				}
				out[i] = evDecMul64(int64(x.LowBits()), y)
			}
		}
	} else {
		b := r.vals[:n]
		for i, x := range a {
			y := b[i]
			if !evDecFits64(x) || !evDecFits64(y) {
				rest = append(rest, int32(i))
				continue
			}
			out[i] = evDecMul64(int64(x.LowBits()), int64(y.LowBits()))
		}
	}
	for _, i := range rest {
		if bitutil.BitIsSet(vbits, int(i)) {
			var ok bool
			if out[i], ok = slow(l.at(int(i)), r.at(int(i))); !ok {
				bitutil.ClearBit(vbits, int(i))
			}
		}
	}
	rp := dt.Precision
	check := l.typ.Precision+r.typ.Precision+1 > rp && rp < plan.DecimalMaxPrecision
	for j := 0; j < n; j += 8 {
		if vbits[j/8] == 0xff && !check {
			continue
		}
		for i := j; i < min(j+8, n); i++ {
			if !bitutil.BitIsSet(vbits, i) {
				out[i] = decimal128.Num{}
			} else if check && !out[i].FitsInPrecision(rp) {
				bitutil.ClearBit(vbits, i)
				out[i] = decimal128.Num{}
			}
		}
	}
	return evFinishArray(dt, n, validity, buf)
}

// evDecCmp orders two unscaled values of one scale as signed 128-bit integers (small
// enough to inline, unlike kernel.CompareDecimal's generic comparisons).
func evDecCmp(a, b decimal128.Num) int {
	if ah, bh := a.HighBits(), b.HighBits(); ah != bh {
		if ah < bh {
			return -1
		}
		return 1
	}
	al, bl := a.LowBits(), b.LowBits()
	if al < bl {
		return -1
	}
	if al > bl {
		return 1
	}
	return 0
}

// evDecCompareTable maps a comparison's sign (−1, 0, 1, offset by one) to its result
// for op.
func evDecCompareTable(op plan.BinaryOp) [3]bool {
	switch op {
	case plan.OpEq:
		return [3]bool{false, true, false}
	case plan.OpNotEq:
		return [3]bool{true, false, true}
	case plan.OpLt:
		return [3]bool{true, false, false}
	case plan.OpLtEq:
		return [3]bool{true, true, false}
	case plan.OpGt:
		return [3]bool{false, false, true}
	}
	return [3]bool{false, true, true} // OpGtEq
}

// evDecCompareSameScale fills bits (n rows, zeroed) with l op r for two operands of one
// scale, eight rows to a byte; rows that validity (nil: none) marks NULL are left false.
func evDecCompareSameScale(op plan.BinaryOp, l, r *evDecOperand, n int, bits, validity []byte) {
	tbl := evDecCompareTable(op)
	at := func(o *evDecOperand) func(i int) decimal128.Num {
		if o.isLit {
			return func(int) decimal128.Num { return o.lit }
		}
		return func(i int) decimal128.Num { return o.vals[i] }
	}
	switch {
	case !l.isLit && r.isLit:
		evDecCompareLitBits(tbl, l.vals[:n], r.lit, bits)
	case l.isLit && !r.isLit: // lit op x is x op' lit with the outcomes mirrored
		evDecCompareLitBits([3]bool{tbl[2], tbl[1], tbl[0]}, r.vals[:n], l.lit, bits)
	case !l.isLit && !r.isLit:
		evDecCompareColBits(tbl, l.vals[:n], r.vals[:n], bits)
	default:
		la, ra := at(l), at(r)
		for i := range n {
			if tbl[evDecCmp(la(i), ra(i))+1] {
				bitutil.SetBit(bits, i)
			}
		}
	}
	for i := range min(len(bits), len(validity)) {
		bits[i] &= validity[i]
	}
}

// evDecAddSameScale is l + r (l - r with sub) for operands already at the result's
// scale whose sum cannot leave the result's precision (1 - discount, 1 + tax): a loop
// without a function call per row. Rows with a NULL operand become NULL and 0.
func evDecAddSameScale(mem memory.Allocator, dt *arrow.Decimal128Type, n int, lv, rv evValue, l, r *evDecOperand, sub bool) arrow.Array {
	validity := evOperandsValidity(mem, n, lv, rv)
	buf, out := evNewValues[decimal128.Num](mem, n, 16)
	switch {
	case l.isLit:
		x, b := l.lit, r.vals[:n]
		if sub {
			for i, y := range b {
				out[i] = x.Sub(y)
			}
		} else {
			for i, y := range b {
				out[i] = x.Add(y)
			}
		}
	case r.isLit:
		a, y := l.vals[:n], r.lit
		if sub {
			y = y.Negate()
		}
		for i, x := range a {
			out[i] = x.Add(y)
		}
	default:
		a, b := l.vals[:n], r.vals[:n]
		if sub {
			for i, x := range a {
				out[i] = x.Sub(b[i])
			}
		} else {
			for i, x := range a {
				out[i] = x.Add(b[i])
			}
		}
	}
	vbits := validity.Bytes()
	for j := 0; j < n; j += 8 {
		if vbits[j/8] == 0xff {
			continue
		}
		for i := j; i < min(j+8, n); i++ {
			if !bitutil.BitIsSet(vbits, i) {
				out[i] = decimal128.Num{}
			}
		}
	}
	return evFinishArray(dt, n, validity, buf)
}
