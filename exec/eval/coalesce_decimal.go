package eval

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/kernel"
)

// evCoalesceDecimal is coalesce over decimal128 values of one type: vals[0] is an array,
// the others arrays with NULLs except possibly a non-NULL scalar in last place.
func evCoalesceDecimal(mem memory.Allocator, dt arrow.DataType, n int, vals []evValue) arrow.Array {
	buf, out := evNewValues[decimal128.Num](mem, n, 16)
	copy(out, vals[0].arr.(*array.Decimal128).Values())
	validity := evCopyValidity(mem, vals[0].arr)
	bits := validity.Bytes()
	for _, v := range vals[1:] {
		if v.isScalar() {
			c := v.sc.(*scalar.Decimal128).Value
			for i := 0; i < n; i++ {
				if !bitutil.BitIsSet(bits, i) {
					out[i] = c
				}
			}
			bitutil.SetBitsTo(bits, 0, int64(n), true)
			break
		}
		src := v.arr.(*array.Decimal128).Values()
		vb, off := kernel.Validity(v.arr)
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(bits, i) && kernel.IsSet(vb, off, i) {
				out[i] = src[i]
				bitutil.SetBit(bits, i)
			}
		}
	}
	return evFinishArray(dt, n, validity, buf)
}
