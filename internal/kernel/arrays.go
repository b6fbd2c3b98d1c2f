package kernel

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FixedWidth lists the Go storage types of fixed-width Arrow values the aggregate reads.
type FixedWidth interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// FixedValues views the values buffer of a fixed-width array as []T (offset applied).
// T must have the byte width of arr's type.
func FixedValues[T FixedWidth](arr arrow.Array) []T {
	d := arr.Data()
	bufs := d.Buffers()
	if len(bufs) < 2 || bufs[1] == nil || d.Len() == 0 {
		return nil
	}
	return View[T](bufs[1].Bytes())[d.Offset() : d.Offset()+d.Len()]
}

// View reinterprets b as a slice of T, dropping a trailing partial value; nil when b is
// empty.
func View[T any](b []byte) []T {
	var z T
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(z)))
}

// Validity returns arr's null bitmap (nil when arr has no NULLs) and arr's offset into its
// buffers. The offset is returned even without a bitmap because callers also use it to
// index arr's other buffers (a boolean column's value bits).
func Validity(arr arrow.Array) ([]byte, int) {
	off := arr.Data().Offset()
	if arr.NullN() == 0 {
		return nil, off
	}
	return arr.NullBitmapBytes(), off
}

// NewBuffer allocates a zeroed buffer of n bytes from mem.
func NewBuffer(mem memory.Allocator, n int) *memory.Buffer {
	buf := NewRawBuffer(mem, n)
	clear(buf.Bytes())
	return buf
}

// NewRawBuffer allocates a buffer of n bytes from mem without zeroing it, for callers
// that overwrite every byte (the gathers, the expression kernels): clearing first would
// add a pass over the output.
func NewRawBuffer(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n)
	return buf
}

// NewFixedBuffer allocates a buffer for n values of T and returns it with a typed view.
func NewFixedBuffer[T FixedWidth](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var z T
	buf := NewBuffer(mem, n*int(unsafe.Sizeof(z)))
	if n == 0 {
		return buf, nil
	}
	return buf, View[T](buf.Bytes())[:n]
}

// ValidityBuffer turns per-row flags into a null bitmap; it returns (nil, 0) when every
// row is valid.
func ValidityBuffer(mem memory.Allocator, valid func(i int) bool, n int) (*memory.Buffer, int) {
	nulls := 0
	for i := 0; i < n; i++ {
		if !valid(i) {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := NewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bm := buf.Bytes()
	for i := 0; i < n; i++ {
		if valid(i) {
			bitutil.SetBit(bm, i)
		}
	}
	return buf, nulls
}

// MakeArray assembles an array from buffers and releases the caller's references.
func MakeArray(dt arrow.DataType, n int, nulls int, bufs []*memory.Buffer, children []arrow.ArrayData) arrow.Array {
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

// AllValid is the validity of arrays without NULLs.
func AllValid(int) bool { return true }

// IsSet reports whether row i of a column with validity bitmap bm (nil: no NULLs) and
// offset off is valid.
func IsSet(bm []byte, off, i int) bool { return bm == nil || bitutil.BitIsSet(bm, off+i) }

// ListSpan returns the offsets of a list array's rows (offset applied, len rows+1).
func ListSpan(l *array.List) []int32 {
	rows := l.Len()
	off := l.Data().Offset()
	offs := l.Offsets()
	if len(offs) == 0 { // a list array of no rows may carry no offsets buffer
		return make([]int32, rows+1)
	}
	return offs[off : off+rows+1]
}

// OffsetsAndData views a utf8/binary (int32 offsets) or large (int64 offsets) array.
func OffsetsAndData[O int32 | int64](arr arrow.Array) ([]O, []byte) {
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

// BuildFixed builds a fixed-width array of type dt from n values produced by get.
func BuildFixed[T FixedWidth](mem memory.Allocator, dt arrow.DataType, n int, get func(i int) T, valid func(i int) bool) arrow.Array {
	nb, nulls := ValidityBuffer(mem, valid, n)
	vb, vals := NewFixedBuffer[T](mem, n)
	for i := range vals {
		vals[i] = get(i)
	}
	return MakeArray(dt, n, nulls, []*memory.Buffer{nb, vb}, nil)
}

// ByteWidth is the storage width of an integer-like type, -1 for boolean and 0 for
// types the integer paths do not handle.
func ByteWidth(dt arrow.DataType) int {
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

// IsIntLike reports whether dt's values group and compare as (widened) int64.
func IsIntLike(dt arrow.DataType) bool { return ByteWidth(dt) != 0 }

// IsFloat reports whether dt is float32 or float64.
func IsFloat(dt arrow.DataType) bool {
	return dt.ID() == arrow.FLOAT32 || dt.ID() == arrow.FLOAT64
}

// IsBytesLike reports whether dt holds strings or binary, plain or dictionary-encoded.
func IsBytesLike(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return true
	case arrow.DICTIONARY:
		return IsBytesLike(dt.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// DictIndices resolves each row of a dictionary array to its entry, -1 where the index
// or the entry is NULL.
func DictIndices(d *array.Dictionary, buf []int32) ([]int32, error) {
	n := d.Len()
	if cap(buf) < n {
		buf = make([]int32, n)
	}
	buf = buf[:n]
	idx := d.Indices()
	switch idx.DataType().ID() {
	case arrow.INT8:
		WidenIndices(buf, FixedValues[int8](idx))
	case arrow.UINT8:
		WidenIndices(buf, FixedValues[uint8](idx))
	case arrow.INT16:
		WidenIndices(buf, FixedValues[int16](idx))
	case arrow.UINT16:
		WidenIndices(buf, FixedValues[uint16](idx))
	case arrow.INT32:
		WidenIndices(buf, FixedValues[int32](idx))
	case arrow.UINT32:
		WidenIndices(buf, FixedValues[uint32](idx))
	case arrow.INT64:
		WidenIndices(buf, FixedValues[int64](idx))
	case arrow.UINT64:
		WidenIndices(buf, FixedValues[uint64](idx))
	default:
		return buf, fmt.Errorf("exec: hash aggregate: dictionary index type %s", idx.DataType())
	}
	if bm, off := Validity(idx); bm != nil {
		for i := range buf {
			if !bitutil.BitIsSet(bm, off+i) {
				buf[i] = -1
			}
		}
	}
	if dbm, doff := Validity(d.Dictionary()); dbm != nil {
		for i, j := range buf {
			if j >= 0 && !bitutil.BitIsSet(dbm, doff+int(j)) {
				buf[i] = -1
			}
		}
	}
	return buf, nil
}

// BoolsAsBytes unpacks a boolean array into one byte per row, reusing buf.
func BoolsAsBytes(a *array.Boolean, buf []uint8) []uint8 {
	n := a.Len()
	if cap(buf) < n {
		buf = make([]uint8, n)
	}
	buf = buf[:n]
	if n == 0 {
		return buf
	}
	bm := a.Data().Buffers()[1].Bytes()
	off := a.Data().Offset()
	for i := range buf {
		buf[i] = 0
		if bitutil.BitIsSet(bm, off+i) {
			buf[i] = 1
		}
	}
	return buf
}

// WidenIndices copies dictionary indices of any integer width into dst as int32.
func WidenIndices[T ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64](dst []int32, src []T) {
	for i, v := range src {
		dst[i] = int32(v)
	}
}
