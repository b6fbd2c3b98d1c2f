package eval

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// castDecimal casts to or from decimal128 with Spark's non-ANSI rules: to a decimal,
// values round HALF_UP to the target scale and a value with too many digits is NULL
// (integers, floats through their shortest decimal text as Scala's BigDecimal(double),
// strings as Java's BigDecimal reads them after trimming, booleans as 1 and 0; NaN, ±Inf
// and unparsable strings are NULL). From a decimal: integers truncate toward zero (out
// of the type's range is NULL), floats are the nearest float, strings the plain text
// (no exponent, all scale digits), booleans are true unless zero.
func (ev *Evaluator) castDecimal(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if dt, ok := to.(*arrow.Decimal128Type); ok {
		return ev.castToDecimal(arr, dt)
	}
	return ev.castFromDecimal(arr, to)
}

// castToDecimal casts arr to the decimal type dt.
func (ev *Evaluator) castToDecimal(arr arrow.Array, dt *arrow.Decimal128Type) (arrow.Array, error) {
	from := arr.DataType()
	switch from.ID() {
	case arrow.DECIMAL128:
		fs := from.(*arrow.Decimal128Type).Scale
		vals := arr.(*array.Decimal128).Values()
		var s evDecScratch
		return evDecimalRows(ev.Mem, dt, arr, func(i int) (decimal128.Num, bool) {
			return s.rescale(vals[i], fs, dt.Scale, dt.Precision)
		}), nil
	case arrow.STRING:
		strs := arr.(*array.String)
		var s evDecScratch
		return evDecimalRows(ev.Mem, dt, arr, func(i int) (decimal128.Num, bool) {
			return s.parse(strs.Value(i), dt)
		}), nil
	case arrow.FLOAT64, arrow.FLOAT32:
		wide, err := ev.kernelCast(arr, arrow.PrimitiveTypes.Float64)
		if err != nil {
			return nil, err
		}
		defer wide.Release()
		vals := kernel.FixedValues[float64](wide)
		var s evDecScratch
		var buf []byte
		return evDecimalRows(ev.Mem, dt, wide, func(i int) (decimal128.Num, bool) {
			f := vals[i]
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return decimal128.Num{}, false
			}
			buf = strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
			return s.parse(string(buf), dt)
		}), nil
	case arrow.BOOL:
		b := arr.(*array.Boolean)
		var s evDecScratch
		return evDecimalRows(ev.Mem, dt, arr, func(i int) (decimal128.Num, bool) {
			var v int64
			if b.Value(i) {
				v = 1
			}
			return s.rescale(decimal128.FromI64(v), 0, dt.Scale, dt.Precision)
		}), nil
	case arrow.UINT64:
		vals := kernel.FixedValues[uint64](arr)
		var s evDecScratch
		return evDecimalRows(ev.Mem, dt, arr, func(i int) (decimal128.Num, bool) {
			return s.rescale(decimal128.FromU64(vals[i]), 0, dt.Scale, dt.Precision)
		}), nil
	}
	if isNumericID(from.ID()) {
		wide, err := ev.kernelCast(arr, arrow.PrimitiveTypes.Int64)
		if err != nil {
			return nil, err
		}
		defer wide.Release()
		vals := kernel.FixedValues[int64](wide)
		var s evDecScratch
		return evDecimalRows(ev.Mem, dt, wide, func(i int) (decimal128.Num, bool) {
			return s.rescale(decimal128.FromI64(vals[i]), 0, dt.Scale, dt.Precision)
		}), nil
	}
	return nil, fmt.Errorf("cast %v to %v: unsupported", from, dt)
}

// castFromDecimal casts the decimal array arr to the non-decimal type to.
func (ev *Evaluator) castFromDecimal(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	dt, ok := from.(*arrow.Decimal128Type)
	if !ok {
		return nil, fmt.Errorf("cast %v to %v: unsupported", from, to)
	}
	vals := arr.(*array.Decimal128).Values()
	switch to.ID() {
	case arrow.STRING:
		return evFormatRows(ev.Mem, arr, int(dt.Precision)+2, func(i int, dst []byte) []byte {
			return evAppendDecimal(dst, vals[i], dt.Scale)
		})
	case arrow.FLOAT64:
		return evFloatRows(ev.Mem, arrow.PrimitiveTypes.Float64, 8, arr, func(i int) float64 {
			return evDecimalToFloat(vals[i], dt.Scale)
		}), nil
	case arrow.FLOAT32:
		var buf []byte
		return evFloatRows(ev.Mem, arrow.PrimitiveTypes.Float32, 4, arr, func(i int) float32 {
			buf = evAppendDecimal(buf[:0], vals[i], dt.Scale)
			f, _ := strconv.ParseFloat(string(buf), 32)
			return float32(f)
		}), nil
	case arrow.BOOL:
		out := evNewBitmap(ev.Mem, arr.Len(), false)
		bits := out.Bytes()
		for i := range vals {
			if vals[i] != (decimal128.Num{}) {
				bitutil.SetBit(bits, i)
			}
		}
		return evFinishArray(arrow.FixedWidthTypes.Boolean, arr.Len(), evCopyValidity(ev.Mem, arr), out), nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		lo, hi := evIntRange(to)
		var s evDecScratch
		wide := evDecIntRows(ev.Mem, arr, func(i int) (int64, bool) {
			x := s.set(&s.x, vals[i])
			x.Quo(x, evDecPow10[dt.Scale]) // toward zero
			if !x.IsInt64() {
				return 0, false
			}
			v := x.Int64()
			return v, v >= lo && v <= hi
		})
		defer wide.Release()
		return ev.kernelCast(wide, to)
	}
	return nil, fmt.Errorf("cast %v to %v: unsupported", from, to)
}

// evDecimalRows builds a decimal array of type dt with one row per row of arr: NULL
// where arr is NULL or f reports false.
func evDecimalRows(mem memory.Allocator, dt *arrow.Decimal128Type, arr arrow.Array, f func(i int) (decimal128.Num, bool)) arrow.Array {
	n := arr.Len()
	validity := evCopyValidity(mem, arr)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	bits := validity.Bytes()
	buf, out := evNewValues[decimal128.Num](mem, n, 16)
	for i := 0; i < n; i++ {
		out[i] = decimal128.Num{}
		if !bitutil.BitIsSet(bits, i) {
			continue
		}
		v, ok := f(i)
		if !ok {
			bitutil.ClearBit(bits, i)
			continue
		}
		out[i] = v
	}
	return evFinishArray(dt, n, validity, buf)
}

// evDecIntRows builds an int64 array like evDecimalRows.
func evDecIntRows(mem memory.Allocator, arr arrow.Array, f func(i int) (int64, bool)) arrow.Array {
	n := arr.Len()
	validity := evCopyValidity(mem, arr)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	bits := validity.Bytes()
	buf, out := evNewValues[int64](mem, n, 8)
	for i := 0; i < n; i++ {
		out[i] = 0
		if !bitutil.BitIsSet(bits, i) {
			continue
		}
		v, ok := f(i)
		if !ok {
			bitutil.ClearBit(bits, i)
			continue
		}
		out[i] = v
	}
	return evFinishArray(arrow.PrimitiveTypes.Int64, n, validity, buf)
}

// evFloatRows builds a float array of arr's validity with f's values.
func evFloatRows[T float32 | float64](mem memory.Allocator, dt arrow.DataType, width int, arr arrow.Array, f func(i int) T) arrow.Array {
	n := arr.Len()
	vb, off := kernel.Validity(arr)
	buf, out := evNewValues[T](mem, n, width)
	for i := 0; i < n; i++ {
		out[i] = 0
		if kernel.IsSet(vb, off, i) {
			out[i] = f(i)
		}
	}
	return evFinishArray(dt, n, evCopyValidity(mem, arr), buf)
}

// evDecimalToFloat is the float64 nearest to v/10^scale: one exact division when both
// are exact floats, the text's correctly rounded parse otherwise.
func evDecimalToFloat(v decimal128.Num, scale int32) float64 {
	hi, lo := v.HighBits(), v.LowBits()
	if scale <= 22 && ((hi == 0 && lo < 1<<53) || (hi == -1 && lo > math.MaxUint64-(1<<53))) {
		return float64(int64(lo)) / math.Pow10(int(scale))
	}
	f, _ := strconv.ParseFloat(string(evAppendDecimal(nil, v, scale)), 64)
	return f
}

// evAppendDecimal appends v/10^scale as plain text: a minus sign when negative, at
// least one integer digit, and exactly scale digits after the point.
func evAppendDecimal(dst []byte, v decimal128.Num, scale int32) []byte {
	hi, lo := v.HighBits(), v.LowBits()
	var digits []byte
	var tmp [40]byte
	neg := v.Sign() < 0
	if (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		x := int64(lo)
		var u uint64
		if x < 0 {
			u = uint64(-x) // -MinInt64 wraps to itself, read as uint64: correct
		} else {
			u = uint64(x)
		}
		digits = strconv.AppendUint(tmp[:0], u, 10)
	} else {
		b := v.BigInt()
		digits = b.Abs(b).Append(tmp[:0], 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0')
		if s > 0 {
			dst = append(dst, '.')
			for range s - len(digits) {
				dst = append(dst, '0')
			}
			dst = append(dst, digits...)
		}
		return dst
	}
	dst = append(dst, digits[:len(digits)-s]...)
	if s > 0 {
		dst = append(dst, '.')
		dst = append(dst, digits[len(digits)-s:]...)
	}
	return dst
}

// parse reads s as Java's BigDecimal reads it after trimming (sign, digits with an
// optional point, an optional exponent) and converts it to dt rounding HALF_UP; false
// when it does not parse or does not fit.
func (s *evDecScratch) parse(str string, dt *arrow.Decimal128Type) (decimal128.Num, bool) {
	str = evTrim(str)
	i, neg := 0, false
	if i < len(str) && (str[i] == '+' || str[i] == '-') {
		neg = str[i] == '-'
		i++
	}
	var n decimal128.Num
	ten := decimal128.FromI64(10)
	digits, frac, sig := 0, 0, 0
	seenPoint, useBig := false, false
	s.x.SetInt64(0)
	for ; i < len(str); i++ {
		c := str[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if seenPoint {
				frac++
			}
			if sig > 0 || c != '0' {
				sig++
			}
			d := decimal128.FromI64(int64(c - '0'))
			if sig > 37 && !useBig {
				useBig = true
				s.set(&s.x, n)
			}
			if useBig {
				s.x.Mul(&s.x, bigTen10)
				s.x.Add(&s.x, s.t.SetInt64(int64(c-'0')))
			} else {
				n = n.Mul(ten).Add(d)
			}
			continue
		case c == '.' && !seenPoint:
			seenPoint = true
			continue
		}
		break
	}
	if digits == 0 {
		return decimal128.Num{}, false
	}
	exp := 0
	if i < len(str) {
		if str[i] != 'e' && str[i] != 'E' {
			return decimal128.Num{}, false
		}
		e, err := strconv.Atoi(str[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return decimal128.Num{}, false
		}
		exp = e
	}
	if !useBig {
		s.set(&s.x, n)
	}
	if neg {
		s.x.Neg(&s.x)
	}
	scale := frac - exp // the value is x / 10^scale
	k := scale - int(dt.Scale)
	if k > len(evDecPow10)-1 { // rounds to zero
		return decimal128.Num{}, true
	}
	if -k > int(dt.Precision) {
		return decimal128.Num{}, s.x.Sign() == 0
	}
	return evDecFit(s.round(&s.x, int32(k)), dt.Precision)
}

var bigTen10 = big.NewInt(10)
