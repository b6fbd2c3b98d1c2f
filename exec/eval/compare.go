package eval

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

var evCompareKernels = map[plan.BinaryOp]string{
	plan.OpEq:    "equal",
	plan.OpNotEq: "not_equal",
	plan.OpLt:    "less",
	plan.OpLtEq:  "less_equal",
	plan.OpGt:    "greater",
	plan.OpGtEq:  "greater_equal",
}

// compare evaluates a comparison; at least one operand is an array.
//
// A dictionary column compared with a scalar is compared once per dictionary entry and
// the answers are gathered by index; dictionary columns compared with arrays are
// decoded first. Float comparisons follow Spark (NaN equals NaN and sorts above every
// number): arrow's IEEE kernels are used unless an operand holds a NaN.
func (ev *Evaluator) compare(op plan.BinaryOp, l, r evValue, n int) (evValue, error) {
	if l.isScalar() && r.dataType().ID() == arrow.DICTIONARY {
		return ev.compare(op.Flipped(), r, l, n)
	}
	if d, ok := l.arr.(*array.Dictionary); ok {
		if r.isScalar() {
			out, err := evMapDict(ev.Mem, d, func(dict arrow.Array) (arrow.Array, error) {
				res, err := ev.compare(op, evArray(dict), r, dict.Len())
				if err != nil {
					return nil, err
				}
				return res.arr, nil
			})
			if err != nil {
				return evValue{}, err
			}
			return evArray(out), nil
		}
		dec, err := evDecodeDict(ev.Mem, d)
		if err != nil {
			return evValue{}, err
		}
		defer dec.Release()
		return ev.compare(op, evArray(dec), r, n)
	}
	if d, ok := r.arr.(*array.Dictionary); ok {
		dec, err := evDecodeDict(ev.Mem, d)
		if err != nil {
			return evValue{}, err
		}
		defer dec.Release()
		return ev.compare(op, l, evArray(dec), n)
	}
	switch l.dataType().ID() {
	case arrow.DECIMAL128:
		return ev.compareDecimal(op, l, r, n)
	case arrow.STRING:
		if out, ok := evCompareStringLit(ev.Mem, op, l, r); ok {
			return evArray(out), nil
		}
	case arrow.BOOL:
		if op != plan.OpEq && op != plan.OpNotEq {
			// arrow has no ordering kernels for bool; false < true.
			return evCompareBool(ev.Mem, op, l, r, n)
		}
	case arrow.FLOAT64:
		if evHasNaN[float64](l) || evHasNaN[float64](r) {
			return evCompareNaN[float64](ev.Mem, op, l, r, n)
		}
	case arrow.FLOAT32:
		if evHasNaN[float32](l) || evHasNaN[float32](r) {
			return evCompareNaN[float32](ev.Mem, op, l, r, n)
		}
	}
	name, ok := evCompareKernels[op]
	if !ok {
		return evValue{}, fmt.Errorf("unsupported comparison %v", op)
	}
	out, err := ev.callKernel(name, nil, l, r)
	if err != nil {
		return evValue{}, err
	}
	if out.isScalar() {
		// Both sides cannot be scalars here, but stay total.
		defer out.release()
		arr, err := out.toArray(n, ev.Mem)
		if err != nil {
			return evValue{}, err
		}
		return evArray(arr), nil
	}
	return out, nil
}

// evHasNaN reports whether a float value holds a NaN in any slot (a NaN under a NULL
// only costs the slower path).
func evHasNaN[T float32 | float64](v evValue) bool {
	if v.isScalar() {
		if !v.sc.IsValid() {
			return false
		}
		ps, ok := v.sc.(scalar.PrimitiveScalar)
		if !ok {
			return false
		}
		x := arrow.GetData[T](ps.Data())[0]
		return x != x
	}
	for _, x := range kernel.FixedValues[T](v.arr) {
		if x != x {
			return true
		}
	}
	return false
}

// evSparkCompare orders floats as Spark does: NaN equals NaN and is above everything.
func evSparkCompare[T float32 | float64](a, b T) int {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// evCompareBool orders booleans as false < true by comparing them as 0/1 integers.
func evCompareBool(mem memory.Allocator, op plan.BinaryOp, lv, rv evValue, n int) (evValue, error) {
	toInts := func(v evValue) evValue {
		if v.isScalar() {
			if !v.sc.IsValid() {
				return evScalar(scalar.MakeNullScalar(arrow.PrimitiveTypes.Int64))
			}
			var x int64
			if v.sc.(*scalar.Boolean).Value {
				x = 1
			}
			return evScalar(scalar.NewInt64Scalar(x))
		}
		return evArray(evBoolToInt(mem, v.arr))
	}
	li := toInts(lv)
	defer li.release()
	ri := toInts(rv)
	defer ri.release()
	return evCompareLoop(mem, op, li, ri, n, func(a, b int64) int {
		return int(a - b)
	})
}

// evCompareNaN compares floats with Spark's NaN rules.
func evCompareNaN[T float32 | float64](mem memory.Allocator, op plan.BinaryOp, lv, rv evValue, n int) (evValue, error) {
	return evCompareLoop(mem, op, lv, rv, n, evSparkCompare[T])
}

// evCompareLoop compares row by row with cmp (negative, zero or positive).
func evCompareLoop[T kernel.FixedWidth](mem memory.Allocator, op plan.BinaryOp, lv, rv evValue, n int, cmp func(a, b T) int) (evValue, error) {
	l, err := evOperandOf[T](lv)
	if err != nil {
		return evValue{}, err
	}
	r, err := evOperandOf[T](rv)
	if err != nil {
		return evValue{}, err
	}
	if l.isNull || r.isNull {
		return evArray(array.MakeArrayOfNull(mem, arrow.FixedWidthTypes.Boolean, n)), nil
	}
	var arrs []arrow.Array
	for _, v := range []evValue{lv, rv} {
		if !v.isScalar() {
			arrs = append(arrs, v.arr)
		}
	}
	validity := evCombinedValidity(mem, n, arrs...)
	var vbits []byte
	if validity != nil {
		vbits = validity.Bytes()
	}
	out := evNewBitmap(mem, n, false)
	bits := out.Bytes()
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
