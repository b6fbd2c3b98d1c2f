package eval

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// evInSmallList is the longest IN list of strings tested by comparing lengths and then
// bytes, without hashing each row: TPC-H's l_shipmode IN ('AIR', 'AIR REG') and
// p_container IN (four codes) run several times faster that way than through a map.
const evInSmallList = 8

// evInStrings sets in obits the valid rows of the utf8 array x whose value is in set.
func evInStrings(x arrow.Array, set map[string]struct{}, xvb []byte, xoff int, obits []byte) {
	offs, data := kernel.OffsetsAndData[int32](x)
	n := x.Len()
	if len(set) > evInSmallList {
		for i := 0; i < n; i++ {
			if _, ok := set[string(data[offs[i]:offs[i+1]])]; ok && kernel.IsSet(xvb, xoff, i) {
				bitutil.SetBit(obits, i)
			}
		}
		return
	}
	var lens [evInSmallList]int32
	cands := make([]string, 0, len(set))
	for s := range set {
		lens[len(cands)] = int32(len(s))
		cands = append(cands, s)
	}
	for i := 0; i < n; i++ {
		lo, hi := offs[i], offs[i+1]
		for k, c := range cands {
			if lens[k] == hi-lo && string(data[lo:hi]) == c {
				if kernel.IsSet(xvb, xoff, i) {
					bitutil.SetBit(obits, i)
				}
				break
			}
		}
	}
}

// evCompareStringLit is a utf8 column = or <> a non-NULL string literal, comparing
// lengths and then bytes row by row (arrow's kernel iterates both sides generically);
// ok is false for the other shapes.
func evCompareStringLit(mem memory.Allocator, op plan.BinaryOp, l, r evValue) (arrow.Array, bool) {
	if (op != plan.OpEq && op != plan.OpNotEq) || l.isScalar() || !r.isScalar() || r.dataType().ID() != arrow.STRING {
		return nil, false
	}
	lit, ok := evStringLiteral(r.sc)
	if !ok {
		return nil, false
	}
	x := l.arr
	n := x.Len()
	offs, data := kernel.OffsetsAndData[int32](x)
	out := evNewBitmap(mem, n, false)
	bits := out.Bytes()
	evEqualStringLitBits(offs[:n+1], data, lit, bits)
	if op == plan.OpNotEq {
		for i := range bits {
			bits[i] = ^bits[i]
		}
	}
	validity := evCopyValidity(mem, x)
	if validity != nil {
		vb := validity.Bytes()
		for i := range min(len(bits), len(vb)) {
			bits[i] &= vb[i]
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out), true
}

// evEqualStringLitBits sets bit i of bits (zeroed, len(offs)-1 rows) where value i of the
// offsets and data equals lit, eight rows to a byte; a one-byte literal (flags, codes)
// compares the byte without a call. Bits past the last row are left as they are, or
// set: they are never read.
func evEqualStringLitBits(offs []int32, data []byte, lit []byte, bits []byte) {
	n := len(offs) - 1
	i := 0
	if len(lit) == 1 {
		c := lit[0]
		for ; i+8 <= n; i += 8 {
			var b byte
			for k := range 8 {
				lo := offs[i+k]
				if offs[i+k+1]-lo == 1 && data[lo] == c {
					b |= 1 << k
				}
			}
			bits[i/8] = b
		}
	}
	want, ln := string(lit), int32(len(lit))
	for ; i < n; i++ {
		lo, hi := offs[i], offs[i+1]
		if hi-lo == ln && string(data[lo:hi]) == want {
			bitutil.SetBit(bits, i)
		}
	}
}
