package kernel

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The gather here replaces compute.Take on the shuffle's hot path: with random indices Take
// runs about 3× slower than a plain loop (research/ecosystem.md). Indices come from the
// writer's counting sort, a sort permutation or a join's matches and are in range (or, for
// GatherArrayOrNull, negative), so the loops do not bounds-check them beyond Go's own
// checks.

// GatherRecord returns a new batch whose row j is row idx[j] of rec.
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

// GatherArray returns a new array whose element j is element idx[j] of arr. Every index
// must be in range.
func GatherArray(arr arrow.Array, idx []int32, mem memory.Allocator) (arrow.Array, error) {
	return gatherArray(arr, idx, mem, false)
}

// GatherArrayOrNull is GatherArray where a negative index yields NULL: the build side of
// an outer join, whose unmatched rows have no partner.
func GatherArrayOrNull(arr arrow.Array, idx []int32, mem memory.Allocator) (arrow.Array, error) {
	return gatherArray(arr, idx, mem, true)
}

// gatherArray is GatherArray, or GatherArrayOrNull when orNull is set. The typed loops test
// for negative indices only when orNull is set and the output has NULLs, so the shuffle's
// in-range gathers pay nothing for the outer join's case.
func gatherArray(arr arrow.Array, idx []int32, mem memory.Allocator, orNull bool) (arrow.Array, error) {
	switch dt := arr.DataType().(type) {
	case *arrow.BooleanType:
		return gatherBool(arr, idx, mem, orNull), nil
	case *arrow.StringType, *arrow.BinaryType:
		return gatherVarBinary[int32](arr, idx, mem, orNull)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return gatherVarBinary[int64](arr, idx, mem, orNull)
	case *arrow.DictionaryType:
		// Gather the indices and keep the dictionary: no string is copied.
		d := arr.(*array.Dictionary)
		ind, err := gatherArray(d.Indices(), idx, mem, orNull)
		if err != nil {
			return nil, err
		}
		defer ind.Release()
		return array.NewDictionaryArray(dt, ind, d.Dictionary()), nil
	case *arrow.NullType:
		return array.NewNull(len(idx)), nil
	case arrow.FixedWidthDataType:
		if w := dt.BitWidth(); w%8 == 0 && w > 0 && isFlatFixedWidth(dt) {
			return gatherFixed(arr, idx, w/8, mem, orNull), nil
		}
	}
	return takeFallback(arr, idx, mem, orNull)
}

// isFlatFixedWidth reports whether dt is laid out as [validity, values] with no children, so
// a byte-width copy is a correct gather.
func isFlatFixedWidth(dt arrow.DataType) bool {
	layout := dt.Layout()
	return len(layout.Buffers) == 2 && layout.Buffers[1].Kind == arrow.KindFixedWidth
}

// takeFallback gathers types without a hand-written path (nested, extension, view types);
// with orNull a negative index becomes a NULL index, which Take turns into a NULL row.
func takeFallback(arr arrow.Array, idx []int32, mem memory.Allocator, orNull bool) (arrow.Array, error) {
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	if orNull {
		ib.Reserve(len(idx))
		for _, j := range idx {
			if j < 0 {
				ib.AppendNull()
			} else {
				ib.UnsafeAppend(j)
			}
		}
	} else {
		ib.AppendValues(idx, nil)
	}
	indices := ib.NewArray()
	defer indices.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.TakeArray(ctx, arr, indices)
	if err != nil {
		return nil, fmt.Errorf("take %s: %w", arr.DataType(), err)
	}
	return out, nil
}

// gatherValidity returns the validity bitmap of the gathered rows and their NULL count.
//
// The in-range gather returns (nil, 0) as soon as arr has no NULLs, without looking at idx,
// and otherwise builds the bitmap in one pass. With orNull the indices must be looked at
// anyway, so a counting pass comes first and no bitmap is built when every row is valid.
func gatherValidity(arr arrow.Array, idx []int32, mem memory.Allocator, orNull bool) (*memory.Buffer, int) {
	bm, off := Validity(arr)
	if !orNull {
		if bm == nil {
			return nil, 0
		}
		buf := NewBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
		dst := buf.Bytes()
		nulls := 0
		for j, i := range idx {
			if bitutil.BitIsSet(bm, off+int(i)) {
				bitutil.SetBit(dst, j)
			} else {
				nulls++
			}
		}
		return buf, nulls
	}
	nulls := 0
	for _, i := range idx {
		if i < 0 || (bm != nil && !bitutil.BitIsSet(bm, off+int(i))) {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := NewBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
	dst := buf.Bytes()
	for j, i := range idx {
		if i >= 0 && (bm == nil || bitutil.BitIsSet(bm, off+int(i))) {
			bitutil.SetBit(dst, j)
		}
	}
	return buf, nulls
}

func gatherFixed(arr arrow.Array, idx []int32, width int, mem memory.Allocator, orNull bool) arrow.Array {
	data := arr.Data()
	valid, nulls := gatherValidity(arr, idx, mem, orNull)
	// Without NULLs in the output no index is negative.
	checked := orNull && nulls > 0
	out := NewRawBuffer(mem, len(idx)*width)
	var src []byte
	if b := data.Buffers()[1]; b != nil {
		src = b.Bytes()[data.Offset()*width:]
	}
	dst := out.Bytes()
	switch width {
	case 1:
		gatherTyped(View[uint8](src), idx, View[uint8](dst), checked)
	case 2:
		gatherTyped(View[uint16](src), idx, View[uint16](dst), checked)
	case 4:
		gatherTyped(View[uint32](src), idx, View[uint32](dst), checked)
	case 8:
		gatherTyped(View[uint64](src), idx, View[uint64](dst), checked)
	case 16:
		gatherTyped(View[[2]uint64](src), idx, View[[2]uint64](dst), checked)
	default:
		for j, i := range idx {
			d := dst[j*width : (j+1)*width]
			if i < 0 {
				clear(d)
				continue
			}
			s := int(i) * width
			copy(d, src[s:s+width])
		}
	}
	return MakeArray(arr.DataType(), len(idx), nulls, []*memory.Buffer{valid, out}, nil)
}

// gatherTyped copies src[idx[j]] to dst[j]; with checked, a negative index writes a zero
// (the slot of a NULL row) so that the output does not depend on uninitialised memory.
func gatherTyped[T any](src []T, idx []int32, dst []T, checked bool) {
	dst = dst[:len(idx)]
	if checked {
		var zero T
		for j, i := range idx {
			if i >= 0 {
				dst[j] = src[i]
			} else {
				dst[j] = zero
			}
		}
		return
	}
	for j, i := range idx {
		dst[j] = src[i]
	}
}

func gatherBool(arr arrow.Array, idx []int32, mem memory.Allocator, orNull bool) arrow.Array {
	data := arr.Data()
	valid, nulls := gatherValidity(arr, idx, mem, orNull)
	out := NewBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
	dst := out.Bytes()
	if len(idx) > 0 && data.Len() > 0 {
		src, off := data.Buffers()[1].Bytes(), data.Offset()
		if orNull && nulls > 0 {
			for j, i := range idx {
				if i >= 0 && bitutil.BitIsSet(src, off+int(i)) {
					bitutil.SetBit(dst, j)
				}
			}
		} else {
			for j, i := range idx {
				if bitutil.BitIsSet(src, off+int(i)) {
					bitutil.SetBit(dst, j)
				}
			}
		}
	}
	return MakeArray(arr.DataType(), len(idx), nulls, []*memory.Buffer{valid, out}, nil)
}

func gatherVarBinary[O int32 | int64](arr arrow.Array, idx []int32, mem memory.Allocator, orNull bool) (arrow.Array, error) {
	valid, nulls := gatherValidity(arr, idx, mem, orNull)
	checked := orNull && nulls > 0
	var zero O
	offBuf := NewRawBuffer(mem, (len(idx)+1)*int(unsafe.Sizeof(zero)))
	dstOffs := View[O](offBuf.Bytes())[:len(idx)+1]
	var srcOffs []O
	var src []byte
	if arr.Len() > 0 {
		srcOffs, src = OffsetsAndData[O](arr)
	}
	// The total is summed in 64 bits so that 32-bit offsets cannot wrap unnoticed.
	var total int64
	dstOffs[0] = 0
	if checked {
		for j, i := range idx {
			if i >= 0 {
				total += int64(srcOffs[i+1] - srcOffs[i])
			}
			dstOffs[j+1] = O(total)
		}
	} else {
		for j, i := range idx {
			total += int64(srcOffs[i+1] - srcOffs[i])
			dstOffs[j+1] = O(total)
		}
	}
	if unsafe.Sizeof(zero) == 4 && total > math.MaxInt32 {
		offBuf.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, fmt.Errorf("%d bytes of %s values overflow 32-bit offsets", total, arr.DataType())
	}
	valBuf := NewRawBuffer(mem, int(total))
	dst := valBuf.Bytes()
	for j, i := range idx {
		if !checked || i >= 0 {
			copy(dst[dstOffs[j]:dstOffs[j+1]], src[srcOffs[i]:srcOffs[i+1]])
		}
	}
	return MakeArray(arr.DataType(), len(idx), nulls, []*memory.Buffer{valid, offBuf, valBuf}, nil), nil
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

// Resize returns s with length n, reallocating (without copying) when its capacity is short.
func Resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
