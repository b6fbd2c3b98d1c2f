package eval

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// Spark's non-ANSI arithmetic wraps on overflow; arrow's checked kernels would both
// error and cost four times as much.
var evUnchecked = &compute.ArithmeticOptions{NoCheckOverflow: true}

// binary evaluates a binary operator; at least one of l and r is an array.
func (ev *Evaluator) binary(op plan.BinaryOp, l, r evValue, n int) (evValue, error) {
	if (op == plan.OpAdd || op == plan.OpSub) &&
		(l.dataType().ID() == arrow.DATE32 || r.dataType().ID() == arrow.DATE32) {
		return ev.dateArith(op, l, r, n)
	}
	if op.IsArithmetic() && (l.dataType().ID() == arrow.DECIMAL128 || r.dataType().ID() == arrow.DECIMAL128) {
		return ev.decimalArith(op, l, r, n)
	}
	switch op {
	case plan.OpAdd:
		return ev.callKernel("add_unchecked", evUnchecked, l, r)
	case plan.OpSub:
		return ev.callKernel("subtract_unchecked", evUnchecked, l, r)
	case plan.OpMul:
		return ev.callKernel("multiply_unchecked", evUnchecked, l, r)
	case plan.OpDiv:
		return ev.divide(l, r, n)
	case plan.OpMod:
		return ev.modulo(l, r, n)
	case plan.OpAnd:
		return ev.callKernel("and_kleene", nil, l, r)
	case plan.OpOr:
		return ev.callKernel("or_kleene", nil, l, r)
	}
	if op.IsComparison() {
		return ev.compare(op, l, r, n)
	}
	return evValue{}, fmt.Errorf("unsupported binary operator %v", op)
}

// unary evaluates a unary operator over an array.
func (ev *Evaluator) unary(op plan.UnaryOp, v evValue, n int) (evValue, error) {
	switch op {
	case plan.OpNot:
		if v.dataType().ID() != arrow.BOOL {
			return evValue{}, fmt.Errorf("NOT of %v, want bool", v.dataType())
		}
		// arrow's "not" kernel mishandles sliced inputs (arrow-go v18.8.0), and a
		// bitmap inversion is as fast as it gets anyway.
		out := kernel.NewRawBuffer(ev.Mem, int(bitutil.BytesForBits(int64(n))))
		bitutil.InvertBitmap(evBufferBytes(v.arr, 1), v.arr.Data().Offset(), n, out.Bytes(), 0)
		return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, evCopyValidity(ev.Mem, v.arr), out)), nil
	case plan.OpNeg:
		if v.dataType().ID() == arrow.DECIMAL128 {
			return ev.negateDecimal(v, n)
		}
		return ev.callKernel("negate_unchecked", evUnchecked, v)
	case plan.OpIsNull:
		return evArray(evIsNull(ev.Mem, v.arr, true)), nil
	case plan.OpIsNotNull:
		return evArray(evIsNull(ev.Mem, v.arr, false)), nil
	}
	return evValue{}, fmt.Errorf("unsupported unary operator %v", op)
}

// evOperand is one side of a typed loop: an array's values or a constant.
type evOperand[T kernel.FixedWidth] struct {
	vals   []T
	isLit  bool
	lit    T
	isNull bool // a NULL constant
}

func (o *evOperand[T]) at(i int) T {
	if o.isLit {
		return o.lit
	}
	return o.vals[i]
}

// evOperandOf views v as typed values; v must be a primitive array or scalar of a type
// whose values are Ts.
func evOperandOf[T kernel.FixedWidth](v evValue) (evOperand[T], error) {
	if v.isScalar() {
		if !v.sc.IsValid() {
			return evOperand[T]{isLit: true, isNull: true}, nil
		}
		ps, ok := v.sc.(scalar.PrimitiveScalar)
		if !ok {
			return evOperand[T]{}, fmt.Errorf("scalar of type %v is not primitive", v.sc.DataType())
		}
		return evOperand[T]{isLit: true, lit: arrow.GetData[T](ps.Data())[0]}, nil
	}
	return evOperand[T]{vals: kernel.FixedValues[T](v.arr)}, nil
}

// evBinaryFixed builds an array of type dt by applying f to every row where both
// operands are valid; f reports false to make the row NULL.
func evBinaryFixed[L, R, O kernel.FixedWidth](mem memory.Allocator, dt arrow.DataType, width, n int, lv, rv evValue, f func(L, R) (O, bool)) (arrow.Array, error) {
	l, err := evOperandOf[L](lv)
	if err != nil {
		return nil, err
	}
	r, err := evOperandOf[R](rv)
	if err != nil {
		return nil, err
	}
	if l.isNull || r.isNull {
		return array.MakeArrayOfNull(mem, dt, n), nil
	}
	var arrs []arrow.Array
	for _, v := range []evValue{lv, rv} {
		if !v.isScalar() {
			arrs = append(arrs, v.arr)
		}
	}
	validity := evCombinedValidity(mem, n, arrs...)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	bits := validity.Bytes()
	buf, out := evNewValues[O](mem, n, width)
	var zero O
	for i := 0; i < n; i++ {
		if !bitutil.BitIsSet(bits, i) {
			out[i] = zero
			continue
		}
		o, ok := f(l.at(i), r.at(i))
		out[i] = o
		if !ok {
			bitutil.ClearBit(bits, i)
		}
	}
	return evFinishArray(dt, n, validity, buf), nil
}

// dateArith implements the date operators the analyzer types (resolveDateArithmetic):
// date ± int64 days and int64 + date give a date, NULL when the result falls outside
// date32's range; date - date gives the days between them as int32.
func (ev *Evaluator) dateArith(op plan.BinaryOp, l, r evValue, n int) (evValue, error) {
	lt, rt := l.dataType().ID(), r.dataType().ID()
	var out arrow.Array
	var err error
	date := arrow.FixedWidthTypes.Date32
	switch {
	case lt == arrow.DATE32 && rt == arrow.DATE32 && op == plan.OpSub:
		out, err = evBinaryFixed(ev.Mem, arrow.PrimitiveTypes.Int32, 4, n, l, r, func(a, b arrow.Date32) (int32, bool) {
			d := int64(a) - int64(b)
			return int32(d), d >= math.MinInt32 && d <= math.MaxInt32
		})
	case lt == arrow.DATE32 && rt == arrow.INT64:
		sign := int64(1)
		if op == plan.OpSub {
			sign = -1
		}
		out, err = evBinaryFixed(ev.Mem, date, 4, n, l, r, func(a arrow.Date32, b int64) (arrow.Date32, bool) {
			return evAddDays(a, b, sign)
		})
	case lt == arrow.INT64 && rt == arrow.DATE32 && op == plan.OpAdd:
		out, err = evBinaryFixed(ev.Mem, date, 4, n, l, r, func(a int64, b arrow.Date32) (arrow.Date32, bool) {
			return evAddDays(b, a, 1)
		})
	default:
		return evValue{}, fmt.Errorf("unsupported date arithmetic %v %v %v", l.dataType(), op, r.dataType())
	}
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evAddDays returns d + sign*days, or false when that is not a date32.
func evAddDays(d arrow.Date32, days, sign int64) (arrow.Date32, bool) {
	if days > math.MaxInt32*2 || days < math.MinInt32*2 { // keeps the sum below from overflowing
		return 0, false
	}
	v := int64(d) + sign*days
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return arrow.Date32(v), true
}

// divide implements Spark's `/`: float64 operands, float64 result, NULL for x/0.
func (ev *Evaluator) divide(l, r evValue, n int) (evValue, error) {
	if l.dataType().ID() != arrow.FLOAT64 || r.dataType().ID() != arrow.FLOAT64 {
		return evValue{}, fmt.Errorf("division needs float64 operands, got %v and %v", l.dataType(), r.dataType())
	}
	out, err := evBinaryFixed(ev.Mem, arrow.PrimitiveTypes.Float64, 8, n, l, r, func(a, b float64) (float64, bool) {
		if b == 0 {
			return 0, false
		}
		return a / b, true
	})
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// modulo implements `%` with the sign of the dividend (as Java and Go do) and NULL for
// a zero divisor. Go defines MinInt % -1 as 0, so no row can panic.
func (ev *Evaluator) modulo(l, r evValue, n int) (evValue, error) {
	dt := l.dataType()
	if !arrow.TypeEqual(dt, r.dataType()) {
		return evValue{}, fmt.Errorf("modulo of mismatched types %v and %v", dt, r.dataType())
	}
	var out arrow.Array
	var err error
	switch dt.ID() {
	case arrow.INT64:
		out, err = evBinaryFixed(ev.Mem, dt, 8, n, l, r, evModInt[int64])
	case arrow.INT32:
		out, err = evBinaryFixed(ev.Mem, dt, 4, n, l, r, evModInt[int32])
	case arrow.INT16:
		out, err = evBinaryFixed(ev.Mem, dt, 2, n, l, r, evModInt[int16])
	case arrow.INT8:
		out, err = evBinaryFixed(ev.Mem, dt, 1, n, l, r, evModInt[int8])
	case arrow.UINT64:
		out, err = evBinaryFixed(ev.Mem, dt, 8, n, l, r, evModInt[uint64])
	case arrow.UINT32:
		out, err = evBinaryFixed(ev.Mem, dt, 4, n, l, r, evModInt[uint32])
	case arrow.UINT16:
		out, err = evBinaryFixed(ev.Mem, dt, 2, n, l, r, evModInt[uint16])
	case arrow.UINT8:
		out, err = evBinaryFixed(ev.Mem, dt, 1, n, l, r, evModInt[uint8])
	case arrow.FLOAT64:
		out, err = evBinaryFixed(ev.Mem, dt, 8, n, l, r, func(a, b float64) (float64, bool) {
			if b == 0 {
				return 0, false
			}
			return math.Mod(a, b), true
		})
	case arrow.FLOAT32:
		out, err = evBinaryFixed(ev.Mem, dt, 4, n, l, r, func(a, b float32) (float32, bool) {
			if b == 0 {
				return 0, false
			}
			return float32(math.Mod(float64(a), float64(b))), true
		})
	default:
		return evValue{}, fmt.Errorf("modulo of unsupported type %v", dt)
	}
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

func evModInt[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](a, b T) (T, bool) {
	if b == 0 {
		return 0, false
	}
	return a % b, true
}

// evIsNull returns a NULL-free boolean array telling, per row, whether arr is NULL
// (wantNull) or not. A dictionary row is NULL when its index or its dictionary entry is.
func evIsNull(mem memory.Allocator, arr arrow.Array, wantNull bool) arrow.Array {
	n := arr.Len()
	if arr.DataType().ID() == arrow.NULL {
		return evFinishArray(arrow.FixedWidthTypes.Boolean, n, nil, evNewBitmap(mem, n, wantNull))
	}
	out := evNewBitmap(mem, n, !wantNull)
	bits := out.Bytes()
	if vb, off := kernel.Validity(arr); vb != nil {
		if wantNull {
			bitutil.InvertBitmap(vb, off, n, bits, 0)
		} else {
			bitutil.CopyBitmap(vb, off, n, bits, 0)
		}
	}
	if d, ok := arr.(*array.Dictionary); ok && d.Dictionary().NullN() > 0 {
		dict := d.Dictionary()
		for i := 0; i < n; i++ {
			if d.IsValid(i) && dict.IsNull(d.GetValueIndex(i)) {
				bitutil.SetBitTo(bits, i, wantNull)
			}
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, nil, out)
}
