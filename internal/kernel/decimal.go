package kernel

import (
	"cmp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// IsDecimal128 reports whether dt is arrow's decimal128 type (any precision and scale).
func IsDecimal128(dt arrow.DataType) bool { return dt.ID() == arrow.DECIMAL128 }

// DecimalValues views the values buffer of a decimal128 array as []decimal128.Num
// (offset applied): the unscaled 128-bit integers, read without boxing.
func DecimalValues(arr arrow.Array) []decimal128.Num {
	d := arr.Data()
	bufs := d.Buffers()
	if len(bufs) < 2 || bufs[1] == nil || d.Len() == 0 {
		return nil
	}
	return View[decimal128.Num](bufs[1].Bytes())[d.Offset() : d.Offset()+d.Len()]
}

// NewDecimalBuffer allocates a zeroed buffer of n decimal128 values from mem and returns
// it with a view of its values.
func NewDecimalBuffer(mem memory.Allocator, n int) (*memory.Buffer, []decimal128.Num) {
	buf := NewBuffer(mem, n*16)
	if n == 0 {
		return buf, nil
	}
	return buf, View[decimal128.Num](buf.Bytes())[:n]
}

// BuildDecimal builds a decimal128 array of type dt with n rows, value get(i) where
// valid(i) holds and NULL elsewhere.
func BuildDecimal(mem memory.Allocator, dt arrow.DataType, n int, get func(i int) decimal128.Num, valid func(i int) bool) arrow.Array {
	nb, nulls := ValidityBuffer(mem, valid, n)
	vb, vals := NewDecimalBuffer(mem, n)
	for i := range vals {
		if valid(i) {
			vals[i] = get(i)
		}
	}
	return MakeArray(dt, n, nulls, []*memory.Buffer{nb, vb}, nil)
}

// CompareDecimal orders two unscaled decimal128 values of one scale: the signed 128-bit
// order (high words signed, low words unsigned).
func CompareDecimal(a, b decimal128.Num) int {
	if r := cmp.Compare(a.HighBits(), b.HighBits()); r != 0 {
		return r
	}
	return cmp.Compare(a.LowBits(), b.LowBits())
}

// decimalValues is a decimal128 sort key column; columns of one type (precision and
// scale) compare with each other.
type decimalValues struct{ v []decimal128.Num }

func (d *decimalValues) compareWith(i int, other crossValues, j int) int {
	return CompareDecimal(d.v[i], other.(*decimalValues).v[j])
}

// setDecimal installs a decimal128 column: values compare as signed 128-bit integers
// (one scale per column type, so the unscaled order is the numeric order).
func (kc *keyColumn) setDecimal(v []decimal128.Num) {
	kc.vals = &decimalValues{v: v}
	kc.cmp = func(i, j int) int { return CompareDecimal(v[i], v[j]) }
}
