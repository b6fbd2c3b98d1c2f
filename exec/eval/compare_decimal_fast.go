package eval

import "github.com/apache/arrow-go/v18/arrow/decimal128"

// evDecB2U is 1 for true and 0 for false; the compiler turns it into a flag move, so
// the comparison loops below have no data-dependent branches (random data mispredicts
// about every other row of a branching three-way comparison).
func evDecB2U(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
}

// evDecSignMasks turns a comparison table (result for less, equal, greater) into byte
// masks that select the rows of each outcome.
func evDecSignMasks(tbl [3]bool) (lt, eq, gt uint8) {
	return -evDecB2U(tbl[0]), -evDecB2U(tbl[1]), -evDecB2U(tbl[2])
}

// evDecCompareLitBits fills bits[i/8] for the n values of a with a[i] op lit, the op
// given as its table (see evDecCompareTable): eight rows to a byte, each row's less and
// equal bits computed without branches from the 128-bit halves (signed high, unsigned low).
func evDecCompareLitBits(tbl [3]bool, a []decimal128.Num, lit decimal128.Num, bits []byte) {
	mlt, meq, mgt := evDecSignMasks(tbl)
	lh, ll := lit.HighBits(), lit.LowBits()
	n := len(a)
	full := n &^ 7
	for i := 0; i < full; i += 8 {
		var lt, eq uint8
		for k, x := range a[i : i+8 : i+8] {
			xh, xl := x.HighBits(), x.LowBits()
			he := evDecB2U(xh == lh)
			lt |= (evDecB2U(xh < lh) | he&evDecB2U(xl < ll)) << k
			eq |= (he & evDecB2U(xl == ll)) << k
		}
		bits[i/8] = lt&mlt | eq&meq | ^(lt|eq)&mgt
	}
	if full < n {
		var lt, eq uint8
		for k, x := range a[full:] {
			xh, xl := x.HighBits(), x.LowBits()
			he := evDecB2U(xh == lh)
			lt |= (evDecB2U(xh < lh) | he&evDecB2U(xl < ll)) << k
			eq |= (he & evDecB2U(xl == ll)) << k
		}
		tail := uint8(1)<<(n-full) - 1
		bits[full/8] = (lt&mlt | eq&meq | ^(lt|eq)&mgt) & tail
	}
}

// evDecCompareColBits is evDecCompareLitBits for two columns of n values each.
func evDecCompareColBits(tbl [3]bool, a, b []decimal128.Num, bits []byte) {
	mlt, meq, mgt := evDecSignMasks(tbl)
	n := len(a)
	b = b[:n]
	for i := 0; i < n; i += 8 {
		m := min(8, n-i)
		var lt, eq uint8
		for k := range m {
			x, y := a[i+k], b[i+k]
			xh, xl, yh, yl := x.HighBits(), x.LowBits(), y.HighBits(), y.LowBits()
			he := evDecB2U(xh == yh)
			lt |= (evDecB2U(xh < yh) | he&evDecB2U(xl < yl)) << k
			eq |= (he & evDecB2U(xl == yl)) << k
		}
		bits[i/8] = (lt&mlt | eq&meq | ^(lt|eq)&mgt) & (uint8(1)<<m - 1)
	}
}
