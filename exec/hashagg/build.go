package hashagg

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Array plumbing shared by the hash aggregate's key tables and accumulators: typed views
// of input buffers, and output arrays built straight into allocator buffers (no builder,
// no per-value append).

// aggBuildBool builds a boolean array from n values produced by get.
func aggBuildBool(mem memory.Allocator, n int, get func(i int) bool, valid func(i int) bool) arrow.Array {
	nb, nulls := kernel.ValidityBuffer(mem, valid, n)
	vb := kernel.NewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bm := vb.Bytes()
	for i := 0; i < n; i++ {
		if get(i) {
			bitutil.SetBit(bm, i)
		}
	}
	return kernel.MakeArray(arrow.FixedWidthTypes.Boolean, n, nulls, []*memory.Buffer{nb, vb}, nil)
}

// aggBuildInt64Widened builds an array of the fixed-width (or boolean) type dt from values
// held widened to int64, narrowing each back to dt's storage type.
func aggBuildInt64Widened(mem memory.Allocator, dt arrow.DataType, n int, get func(i int) int64, valid func(i int) bool) (arrow.Array, error) {
	switch kernel.ByteWidth(dt) {
	case -1:
		return aggBuildBool(mem, n, func(i int) bool { return get(i) != 0 }, valid), nil
	case 1:
		return kernel.BuildFixed(mem, dt, n, func(i int) int8 { return int8(get(i)) }, valid), nil
	case 2:
		return kernel.BuildFixed(mem, dt, n, func(i int) int16 { return int16(get(i)) }, valid), nil
	case 4:
		return kernel.BuildFixed(mem, dt, n, func(i int) int32 { return int32(get(i)) }, valid), nil
	case 8:
		return kernel.BuildFixed(mem, dt, n, get, valid), nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: cannot build %s from integer values", dt)
}

// aggBuildBytes builds a utf8, large_utf8, binary, large_binary or dictionary-of-those array
// from n values produced by get. A dictionary result holds one entry per row (the rows
// are distinct groups or per-group values, so there is nothing to share) with identity
// indices.
func aggBuildBytes(mem memory.Allocator, dt arrow.DataType, n int, get func(i int) []byte, valid func(i int) bool) (arrow.Array, error) {
	switch dt.ID() {
	case arrow.STRING, arrow.BINARY:
		return aggBuildBytesOffsets[int32](mem, dt, n, get, valid)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return aggBuildBytesOffsets[int64](mem, dt, n, get, valid)
	case arrow.DICTIONARY:
		dict := dt.(*arrow.DictionaryType)
		values, err := aggBuildBytes(mem, dict.ValueType, n, get, func(int) bool { return true })
		if err != nil {
			return nil, err
		}
		defer values.Release()
		indices, err := aggBuildIndices(mem, dict.IndexType, n, valid)
		if err != nil {
			return nil, err
		}
		defer indices.Release()
		return array.NewDictionaryArray(dt, indices, values), nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: cannot build %s from bytes", dt)
}

func aggBuildBytesOffsets[O int32 | int64](mem memory.Allocator, dt arrow.DataType, n int, get func(i int) []byte, valid func(i int) bool) (arrow.Array, error) {
	nb, nulls := kernel.ValidityBuffer(mem, valid, n)
	ob, offs := kernel.NewFixedBuffer[O](mem, n+1)
	total := 0
	for i := 0; i < n; i++ {
		if valid(i) {
			total += len(get(i))
		}
		offs[i+1] = O(total)
	}
	var z O
	if unsafe.Sizeof(z) == 4 && total > math.MaxInt32 {
		ob.Release()
		if nb != nil {
			nb.Release()
		}
		return nil, fmt.Errorf("exec: hash aggregate: %d bytes of %s values overflow 32-bit offsets", total, dt)
	}
	db := kernel.NewBuffer(mem, total)
	data := db.Bytes()
	for i := 0; i < n; i++ {
		if valid(i) {
			copy(data[offs[i]:offs[i+1]], get(i))
		}
	}
	return kernel.MakeArray(dt, n, nulls, []*memory.Buffer{nb, ob, db}, nil), nil
}

// aggBuildIndices builds identity dictionary indices 0..n-1 of integer type dt.
func aggBuildIndices(mem memory.Allocator, dt arrow.DataType, n int, valid func(i int) bool) (arrow.Array, error) {
	if err := aggCheckIndexRange(dt, n); err != nil {
		return nil, err
	}
	return aggBuildInt64Widened(mem, dt, n, func(i int) int64 { return int64(i) }, valid)
}

// aggCheckIndexRange fails when n dictionary entries cannot be indexed by type dt.
func aggCheckIndexRange(dt arrow.DataType, n int) error {
	limit := int64(math.MaxInt64)
	switch dt.ID() {
	case arrow.INT8:
		limit = math.MaxInt8
	case arrow.UINT8:
		limit = math.MaxUint8
	case arrow.INT16:
		limit = math.MaxInt16
	case arrow.UINT16:
		limit = math.MaxUint16
	case arrow.INT32:
		limit = math.MaxInt32
	case arrow.UINT32:
		limit = math.MaxUint32
	}
	if n > 0 && int64(n-1) > limit {
		return fmt.Errorf("exec: hash aggregate: %d dictionary entries overflow %s indices", n, dt)
	}
	return nil
}
