package hashjoin

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Typed gathers for the join's output. Build-side indices are random row numbers into
// the concatenated build columns, where arrow's Take is slow; they are written straight
// into allocator buffers here. A negative index yields NULL (an unmatched row of an
// outer join).

// hjTake returns arr's rows idx (NULL where an index is negative) as a new array.
func hjTake(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	dt := arr.DataType()
	switch dt.ID() {
	case arrow.DICTIONARY:
		d := arr.(*array.Dictionary)
		ind, err := hjTake(mem, d.Indices(), idx)
		if err != nil {
			return nil, err
		}
		defer ind.Release()
		return array.NewDictionaryArray(dt, ind, d.Dictionary()), nil
	case arrow.STRING, arrow.BINARY:
		return hjTakeBytes[int32](mem, arr, idx)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return hjTakeBytes[int64](mem, arr, idx)
	case arrow.BOOL:
		return hjTakeBool(mem, arr, idx), nil
	case arrow.NULL:
		return array.NewNull(len(idx)), nil
	}
	if len(arr.Data().Buffers()) == 2 && len(arr.Data().Children()) == 0 {
		if fw, ok := dt.(arrow.FixedWidthDataType); ok {
			switch fw.BitWidth() {
			case 8:
				return hjTakeFixed[uint8](mem, arr, idx), nil
			case 16:
				return hjTakeFixed[uint16](mem, arr, idx), nil
			case 32:
				return hjTakeFixed[uint32](mem, arr, idx), nil
			case 64:
				return hjTakeFixed[uint64](mem, arr, idx), nil
			}
		}
	}
	return hjTakeCompute(mem, arr, idx)
}

// hjTakeValidity builds the output null bitmap; (nil, 0) when every output row is valid.
func hjTakeValidity(mem memory.Allocator, arr arrow.Array, idx []int32) (*memory.Buffer, int) {
	bm, off := kernel.Validity(arr)
	nulls := 0
	for _, j := range idx {
		if j < 0 || (bm != nil && !bitutil.BitIsSet(bm, off+int(j))) {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := kernel.NewBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
	out := buf.Bytes()
	for i, j := range idx {
		if j >= 0 && (bm == nil || bitutil.BitIsSet(bm, off+int(j))) {
			bitutil.SetBit(out, i)
		}
	}
	return buf, nulls
}

func hjTakeFixed[T uint8 | uint16 | uint32 | uint64](mem memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	nb, nulls := hjTakeValidity(mem, arr, idx)
	src := kernel.FixedValues[T](arr)
	vb, dst := kernel.NewFixedBuffer[T](mem, len(idx))
	if nulls == 0 {
		for i, j := range idx {
			dst[i] = src[j]
		}
	} else {
		for i, j := range idx {
			if j >= 0 {
				dst[i] = src[j]
			}
		}
	}
	return kernel.MakeArray(arr.DataType(), len(idx), nulls, []*memory.Buffer{nb, vb}, nil)
}

func hjTakeBool(mem memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	nb, nulls := hjTakeValidity(mem, arr, idx)
	vb := kernel.NewBuffer(mem, int(bitutil.BytesForBits(int64(len(idx)))))
	out := vb.Bytes()
	if arr.Len() > 0 {
		src := arr.Data().Buffers()[1].Bytes()
		off := arr.Data().Offset()
		for i, j := range idx {
			if j >= 0 && bitutil.BitIsSet(src, off+int(j)) {
				bitutil.SetBit(out, i)
			}
		}
	}
	return kernel.MakeArray(arr.DataType(), len(idx), nulls, []*memory.Buffer{nb, vb}, nil)
}

func hjTakeBytes[O int32 | int64](mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	nb, nulls := hjTakeValidity(mem, arr, idx)
	var offs []O
	var data []byte
	if arr.Len() > 0 {
		offs, data = kernel.OffsetsAndData[O](arr)
	}
	ob, outOffs := kernel.NewFixedBuffer[O](mem, len(idx)+1)
	var total int64
	for i, j := range idx {
		if j >= 0 {
			total += int64(offs[j+1] - offs[j])
		}
		outOffs[i+1] = O(total)
	}
	var z O
	if unsafe.Sizeof(z) == 4 && total > math.MaxInt32 {
		ob.Release()
		if nb != nil {
			nb.Release()
		}
		return nil, fmt.Errorf("exec: hash join: %d bytes of %s values overflow 32-bit offsets", total, arr.DataType())
	}
	db := memory.NewResizableBuffer(mem)
	db.Resize(int(total))
	out := db.Bytes()
	for i, j := range idx {
		if j >= 0 {
			copy(out[outOffs[i]:outOffs[i+1]], data[offs[j]:offs[j+1]])
		}
	}
	return kernel.MakeArray(arr.DataType(), len(idx), nulls, []*memory.Buffer{nb, ob, db}, nil), nil
}

// hjTakeCompute covers the remaining types (nested, decimals, views) with arrow's Take,
// a NULL index standing for a negative one.
func hjTakeCompute(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(len(idx))
	for _, j := range idx {
		if j < 0 {
			b.AppendNull()
		} else {
			b.UnsafeAppend(j)
		}
	}
	indices := b.NewArray()
	defer indices.Release()
	out, err := compute.TakeArray(compute.WithAllocator(context.Background(), mem), arr, indices)
	if err != nil {
		return nil, fmt.Errorf("exec: hash join: gathering %s: %w", arr.DataType(), err)
	}
	return out, nil
}

// hjProbeColumn returns arr's rows idx, ascending probe rows with repeats: a zero-copy
// slice when they are consecutive (every row matched once), a gather otherwise.
func hjProbeColumn(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	if hjConsecutive(idx) {
		if len(idx) == 0 {
			return array.NewSlice(arr, 0, 0), nil
		}
		lo := int64(idx[0])
		return array.NewSlice(arr, lo, lo+int64(len(idx))), nil
	}
	return hjTake(mem, arr, idx)
}

func hjConsecutive(idx []int32) bool {
	for k, j := range idx {
		if j != idx[0]+int32(k) {
			return false
		}
	}
	return true
}
