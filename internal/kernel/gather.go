package kernel

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The gather here replaces compute.Take on the shuffle's hot path: with random indices Take
// runs about 3× slower than a plain loop (research/ecosystem.md). Indices come from the
// writer's counting sort and are always in range, so the loops do not bounds-check them
// beyond Go's own checks.

// gatherRecord returns a new batch whose row j is row idx[j] of rec.
func GatherRecord(rec arrow.RecordBatch, idx []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		c, err := GatherArray(rec.Column(i), idx, mem)
		if err != nil {
			return nil, fmt.Errorf("shuffle: gather column %d (%s): %w", i, rec.Schema().Field(i).Name, err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(len(idx))), nil
}

// gatherArray returns a new array whose element j is element idx[j] of arr.
func GatherArray(arr arrow.Array, idx []int32, mem memory.Allocator) (arrow.Array, error) {
	switch dt := arr.DataType().(type) {
	case *arrow.BooleanType:
		return gatherBool(arr, idx, mem), nil
	case *arrow.StringType, *arrow.BinaryType:
		return gatherVarBinary[int32](arr, idx, mem), nil
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return gatherVarBinary[int64](arr, idx, mem), nil
	case *arrow.DictionaryType:
		// Gather the indices and keep the dictionary: no string is copied.
		d := arr.(*array.Dictionary)
		ind, err := GatherArray(d.Indices(), idx, mem)
		if err != nil {
			return nil, err
		}
		defer ind.Release()
		return array.NewDictionaryArray(dt, ind, d.Dictionary()), nil
	case *arrow.NullType:
		return array.NewNull(len(idx)), nil
	case arrow.FixedWidthDataType:
		if w := dt.BitWidth(); w%8 == 0 && w > 0 && isFlatFixedWidth(dt) {
			return gatherFixed(arr, idx, w/8, mem), nil
		}
	}
	return takeFallback(arr, idx, mem)
}

// isFlatFixedWidth reports whether dt is laid out as [validity, values] with no children, so
// a byte-width copy is a correct gather.
func isFlatFixedWidth(dt arrow.DataType) bool {
	layout := dt.Layout()
	return len(layout.Buffers) == 2 && layout.Buffers[1].Kind == arrow.KindFixedWidth
}

// takeFallback gathers types without a hand-written path (nested, extension, view types).
func takeFallback(arr arrow.Array, idx []int32, mem memory.Allocator) (arrow.Array, error) {
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	indices := ib.NewArray()
	defer indices.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.TakeArray(ctx, arr, indices)
	if err != nil {
		return nil, fmt.Errorf("take %s: %w", arr.DataType(), err)
	}
	return out, nil
}

// newBuffer allocates a buffer of n bytes from mem.
func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	return b
}

// gatherValidity returns the validity bitmap of the gathered rows and their NULL count, or
// (nil, 0) when arr has no NULLs.
func gatherValidity(arr arrow.Array, idx []int32, mem memory.Allocator) (*memory.Buffer, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	src, off := arr.NullBitmapBytes(), arr.Data().Offset()
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
	dst := buf.Bytes()
	clear(dst)
	nulls := 0
	for j, i := range idx {
		if bitutil.BitIsSet(src, off+int(i)) {
			bitutil.SetBit(dst, j)
		} else {
			nulls++
		}
	}
	return buf, nulls
}

// finish assembles an array from freshly allocated buffers, giving up the local references.
func finish(dt arrow.DataType, n int, buffers []*memory.Buffer, nulls int) arrow.Array {
	data := array.NewData(dt, n, buffers, nil, nulls, 0)
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
}

func reinterpret[T any](b []byte) []T {
	var zero T
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(zero)))
}

func gatherFixed(arr arrow.Array, idx []int32, width int, mem memory.Allocator) arrow.Array {
	data := arr.Data()
	valid, nulls := gatherValidity(arr, idx, mem)
	out := newBuffer(mem, len(idx)*width)
	var src []byte
	if b := data.Buffers()[1]; b != nil {
		src = b.Bytes()[data.Offset()*width:]
	}
	dst := out.Bytes()
	switch width {
	case 1:
		gatherTyped(reinterpret[uint8](src), idx, reinterpret[uint8](dst))
	case 2:
		gatherTyped(reinterpret[uint16](src), idx, reinterpret[uint16](dst))
	case 4:
		gatherTyped(reinterpret[uint32](src), idx, reinterpret[uint32](dst))
	case 8:
		gatherTyped(reinterpret[uint64](src), idx, reinterpret[uint64](dst))
	case 16:
		gatherTyped(reinterpret[[2]uint64](src), idx, reinterpret[[2]uint64](dst))
	default:
		for j, i := range idx {
			s := int(i) * width
			copy(dst[j*width:(j+1)*width], src[s:s+width])
		}
	}
	return finish(arr.DataType(), len(idx), []*memory.Buffer{valid, out}, nulls)
}

func gatherTyped[T any](src []T, idx []int32, dst []T) {
	dst = dst[:len(idx)]
	for j, i := range idx {
		dst[j] = src[i]
	}
}

func gatherBool(arr arrow.Array, idx []int32, mem memory.Allocator) arrow.Array {
	data := arr.Data()
	valid, nulls := gatherValidity(arr, idx, mem)
	out := newBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
	dst := out.Bytes()
	clear(dst)
	if len(idx) > 0 {
		src, off := data.Buffers()[1].Bytes(), data.Offset()
		for j, i := range idx {
			if bitutil.BitIsSet(src, off+int(i)) {
				bitutil.SetBit(dst, j)
			}
		}
	}
	return finish(arr.DataType(), len(idx), []*memory.Buffer{valid, out}, nulls)
}

func gatherVarBinary[O int32 | int64](arr arrow.Array, idx []int32, mem memory.Allocator) arrow.Array {
	data := arr.Data()
	valid, nulls := gatherValidity(arr, idx, mem)
	var zero O
	offBuf := newBuffer(mem, (len(idx)+1)*int(unsafe.Sizeof(zero)))
	dstOffs := reinterpret[O](offBuf.Bytes())[:len(idx)+1]
	var srcOffs []O
	var src []byte
	if data.Len() > 0 {
		srcOffs = arrow.GetOffsets[O](data, 1)
		if b := data.Buffers()[2]; b != nil {
			src = b.Bytes()
		}
	}
	var total O
	for j, i := range idx {
		dstOffs[j] = total
		total += srcOffs[i+1] - srcOffs[i]
	}
	dstOffs[len(idx)] = total
	valBuf := newBuffer(mem, int(total))
	dst := valBuf.Bytes()
	for j, i := range idx {
		copy(dst[dstOffs[j]:dstOffs[j+1]], src[srcOffs[i]:srcOffs[i+1]])
	}
	return finish(arr.DataType(), len(idx), []*memory.Buffer{valid, offBuf, valBuf}, nulls)
}

// Gather returns a new batch whose row j is row idx[j] of rec, with every buffer from mem
// (dictionary columns keep their dictionary). It is the shuffle's typed gather, several
// times faster than compute.Take on random indices. An index out of range is an error.
func Gather(rec arrow.RecordBatch, idx []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	n := int32(rec.NumRows())
	for j, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("shuffle: gather: index %d at position %d out of range [0, %d)", i, j, n)
		}
	}
	return GatherRecord(rec, idx, mem)
}

func Resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
