package exec

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Array plumbing shared by the hash aggregate's key tables and accumulators: typed views
// of input buffers, and output arrays built straight into allocator buffers (no builder,
// no per-value append).

// aggFixedWidth lists the Go storage types of fixed-width Arrow values the aggregate reads.
type aggFixedWidth interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// aggFixedValues views the values buffer of a fixed-width array as []T (offset applied).
// T must have the byte width of arr's type.
func aggFixedValues[T aggFixedWidth](arr arrow.Array) []T {
	d := arr.Data()
	bufs := d.Buffers()
	if len(bufs) < 2 || bufs[1] == nil || d.Len() == 0 {
		return nil
	}
	b := bufs[1].Bytes()
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
	return all[d.Offset() : d.Offset()+d.Len()]
}

// aggOffsetsAndData views a utf8/binary (int32 offsets) or large (int64 offsets) array.
func aggOffsetsAndData[O int32 | int64](arr arrow.Array) ([]O, []byte) {
	d := arr.Data()
	bufs := d.Buffers()
	var data []byte
	if bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	if bufs[1] == nil || bufs[1].Len() == 0 {
		return make([]O, d.Len()+1), data
	}
	return arrow.GetOffsets[O](d, 1), data
}

// aggValidity returns arr's null bitmap and offset, or nil when arr has no NULLs.
func aggValidity(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	return arr.NullBitmapBytes(), arr.Data().Offset()
}

// aggNewBuffer allocates a zeroed buffer of n bytes from mem.
func aggNewBuffer(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n)
	clear(buf.Bytes())
	return buf
}

// aggNewFixedBuffer allocates a buffer for n values of T and returns it with a typed view.
func aggNewFixedBuffer[T aggFixedWidth](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var z T
	buf := aggNewBuffer(mem, n*int(unsafe.Sizeof(z)))
	if n == 0 {
		return buf, nil
	}
	return buf, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
}

// aggValidityBuffer turns per-row flags into a null bitmap; it returns (nil, 0) when every
// row is valid.
func aggValidityBuffer(mem memory.Allocator, valid func(i int) bool, n int) (*memory.Buffer, int) {
	nulls := 0
	for i := 0; i < n; i++ {
		if !valid(i) {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := aggNewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bm := buf.Bytes()
	for i := 0; i < n; i++ {
		if valid(i) {
			bitutil.SetBit(bm, i)
		}
	}
	return buf, nulls
}

// aggMakeArray assembles an array from buffers and releases the caller's references.
func aggMakeArray(dt arrow.DataType, n int, nulls int, bufs []*memory.Buffer, children []arrow.ArrayData) arrow.Array {
	data := array.NewData(dt, n, bufs, children, nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return arr
}

// aggBuildFixed builds a fixed-width array of type dt from n values produced by get.
func aggBuildFixed[T aggFixedWidth](mem memory.Allocator, dt arrow.DataType, n int, get func(i int) T, valid func(i int) bool) arrow.Array {
	nb, nulls := aggValidityBuffer(mem, valid, n)
	vb, vals := aggNewFixedBuffer[T](mem, n)
	for i := range vals {
		vals[i] = get(i)
	}
	return aggMakeArray(dt, n, nulls, []*memory.Buffer{nb, vb}, nil)
}

// aggBuildBool builds a boolean array from n values produced by get.
func aggBuildBool(mem memory.Allocator, n int, get func(i int) bool, valid func(i int) bool) arrow.Array {
	nb, nulls := aggValidityBuffer(mem, valid, n)
	vb := aggNewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bm := vb.Bytes()
	for i := 0; i < n; i++ {
		if get(i) {
			bitutil.SetBit(bm, i)
		}
	}
	return aggMakeArray(arrow.FixedWidthTypes.Boolean, n, nulls, []*memory.Buffer{nb, vb}, nil)
}

// aggBuildInt64Widened builds an array of the fixed-width (or boolean) type dt from values
// held widened to int64, narrowing each back to dt's storage type.
func aggBuildInt64Widened(mem memory.Allocator, dt arrow.DataType, n int, get func(i int) int64, valid func(i int) bool) (arrow.Array, error) {
	switch aggByteWidth(dt) {
	case -1:
		return aggBuildBool(mem, n, func(i int) bool { return get(i) != 0 }, valid), nil
	case 1:
		return aggBuildFixed(mem, dt, n, func(i int) int8 { return int8(get(i)) }, valid), nil
	case 2:
		return aggBuildFixed(mem, dt, n, func(i int) int16 { return int16(get(i)) }, valid), nil
	case 4:
		return aggBuildFixed(mem, dt, n, func(i int) int32 { return int32(get(i)) }, valid), nil
	case 8:
		return aggBuildFixed(mem, dt, n, get, valid), nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: cannot build %s from integer values", dt)
}

// aggByteWidth is the storage width of an integer-like type, -1 for boolean and 0 for
// types the integer paths do not handle.
func aggByteWidth(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.BOOL:
		return -1
	case arrow.INT8, arrow.UINT8:
		return 1
	case arrow.INT16, arrow.UINT16:
		return 2
	case arrow.INT32, arrow.UINT32, arrow.DATE32, arrow.TIME32:
		return 4
	case arrow.INT64, arrow.UINT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		return 8
	}
	return 0
}

// aggIsIntLike reports whether dt's values group and compare as (widened) int64.
func aggIsIntLike(dt arrow.DataType) bool { return aggByteWidth(dt) != 0 }

// aggIsFloat reports whether dt is float32 or float64.
func aggIsFloat(dt arrow.DataType) bool {
	return dt.ID() == arrow.FLOAT32 || dt.ID() == arrow.FLOAT64
}

// aggIsBytesLike reports whether dt holds strings or binary, plain or dictionary-encoded.
func aggIsBytesLike(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return true
	case arrow.DICTIONARY:
		return aggIsBytesLike(dt.(*arrow.DictionaryType).ValueType)
	}
	return false
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
	nb, nulls := aggValidityBuffer(mem, valid, n)
	ob, offs := aggNewFixedBuffer[O](mem, n+1)
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
	db := aggNewBuffer(mem, total)
	data := db.Bytes()
	for i := 0; i < n; i++ {
		if valid(i) {
			copy(data[offs[i]:offs[i+1]], get(i))
		}
	}
	return aggMakeArray(dt, n, nulls, []*memory.Buffer{nb, ob, db}, nil), nil
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

// aggAllValid is the validity of arrays without NULLs.
func aggAllValid(int) bool { return true }
