package kernel

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A filter that keeps most rows (TPC-H Q1 keeps 98% of lineitem) selects long runs of
// consecutive rows. Gathering them one value at a time costs a load and a store per row
// and column; copying each run as a block (copy, CopyBitmap) costs a call per run, so the
// filter gathers by runs when they are long enough (SelectionRuns, GatherRecordRuns).

// SelectionRuns appends to runs the maximal runs of consecutive positions of sel, which
// must be strictly increasing, as (first position, length) pairs.
func SelectionRuns(runs []int32, sel []int32) []int32 {
	for j := 0; j < len(sel); {
		start, k := sel[j], j+1
		for k < len(sel) && sel[k] == start+int32(k-j) {
			k++
		}
		runs = append(runs, start, int32(k-j))
		j = k
	}
	return runs
}

// GatherRecordRuns returns a new batch of the n rows of rec that runs (from
// SelectionRuns, n the sum of their lengths) select, in order; dictionary columns keep
// their dictionary.
func GatherRecordRuns(rec arrow.RecordBatch, runs []int32, n int, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		c, err := gatherArrayRuns(rec.Column(i), runs, n, mem)
		if err != nil {
			return nil, fmt.Errorf("gather column %d (%s): %w", i, rec.Schema().Field(i).Name, err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(n)), nil
}

// gatherArrayRuns is GatherRecordRuns for one column; types without a block copy here
// go through GatherArray.
func gatherArrayRuns(arr arrow.Array, runs []int32, n int, mem memory.Allocator) (arrow.Array, error) {
	switch dt := arr.DataType().(type) {
	case *arrow.BooleanType:
		valid, nulls := runsValidity(arr, runs, n, mem)
		out := NewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		if n > 0 {
			data := arr.Data()
			runsCopyBits(data.Buffers()[1].Bytes(), data.Offset(), runs, out.Bytes())
		}
		return MakeArray(dt, n, nulls, []*memory.Buffer{valid, out}, nil), nil
	case *arrow.StringType, *arrow.BinaryType:
		return gatherVarBinaryRuns[int32](arr, runs, n, mem)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return gatherVarBinaryRuns[int64](arr, runs, n, mem)
	case *arrow.DictionaryType:
		d := arr.(*array.Dictionary)
		ind, err := gatherArrayRuns(d.Indices(), runs, n, mem)
		if err != nil {
			return nil, err
		}
		defer ind.Release()
		return array.NewDictionaryArray(dt, ind, d.Dictionary()), nil
	case *arrow.NullType:
		return array.NewNull(n), nil
	case arrow.FixedWidthDataType:
		if w := dt.BitWidth(); w%8 == 0 && w > 0 && isFlatFixedWidth(dt) {
			return gatherFixedRuns(arr, runs, n, w/8, mem), nil
		}
	}
	idx := make([]int32, 0, n)
	for r := 0; r < len(runs); r += 2 {
		for i := runs[r]; i < runs[r]+runs[r+1]; i++ {
			idx = append(idx, i)
		}
	}
	return GatherArray(arr, idx, mem)
}

// runsValidity returns the validity bitmap of the selected rows and their NULL count:
// (nil, 0) when arr has no NULLs.
func runsValidity(arr arrow.Array, runs []int32, n int, mem memory.Allocator) (*memory.Buffer, int) {
	bm, off := Validity(arr)
	if bm == nil {
		return nil, 0
	}
	buf := NewBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	runsCopyBits(bm, off, runs, buf.Bytes())
	return buf, n - bitutil.CountSetBits(buf.Bytes(), 0, n)
}

// runsCopyBits copies the selected bits of src (from bit off) to dst, packed.
func runsCopyBits(src []byte, off int, runs []int32, dst []byte) {
	pos := 0
	for r := 0; r < len(runs); r += 2 {
		start, ln := int(runs[r]), int(runs[r+1])
		bitutil.CopyBitmap(src, off+start, ln, dst, pos)
		pos += ln
	}
}

func gatherFixedRuns(arr arrow.Array, runs []int32, n, width int, mem memory.Allocator) arrow.Array {
	data := arr.Data()
	valid, nulls := runsValidity(arr, runs, n, mem)
	out := NewRawBuffer(mem, n*width)
	dst := out.Bytes()
	if n > 0 {
		src := data.Buffers()[1].Bytes()[data.Offset()*width:]
		pos := 0
		for r := 0; r < len(runs); r += 2 {
			s, ln := int(runs[r])*width, int(runs[r+1])*width
			copy(dst[pos:pos+ln], src[s:s+ln])
			pos += ln
		}
	}
	return MakeArray(arr.DataType(), n, nulls, []*memory.Buffer{valid, out}, nil)
}

func gatherVarBinaryRuns[O int32 | int64](arr arrow.Array, runs []int32, n int, mem memory.Allocator) (arrow.Array, error) {
	var zero O
	var srcOffs []O
	var src []byte
	if arr.Len() > 0 {
		srcOffs, src = OffsetsAndData[O](arr)
	}
	var total int64 // in 64 bits so that 32-bit offsets cannot wrap unnoticed
	for r := 0; r < len(runs); r += 2 {
		s, e := runs[r], runs[r]+runs[r+1]
		total += int64(srcOffs[e] - srcOffs[s])
	}
	if unsafe.Sizeof(zero) == 4 && total > math.MaxInt32 {
		return nil, fmt.Errorf("%d bytes of %s values overflow 32-bit offsets", total, arr.DataType())
	}
	valid, nulls := runsValidity(arr, runs, n, mem)
	offBuf := NewRawBuffer(mem, (n+1)*int(unsafe.Sizeof(zero)))
	dstOffs := View[O](offBuf.Bytes())[:n+1]
	valBuf := NewRawBuffer(mem, int(total))
	dst := valBuf.Bytes()
	dstOffs[0] = 0
	pos, at := 0, O(0)
	for r := 0; r < len(runs); r += 2 {
		s, ln := int(runs[r]), int(runs[r+1])
		base := srcOffs[s]
		for k, o := range srcOffs[s+1 : s+ln+1] {
			dstOffs[pos+k+1] = o - base + at
		}
		end := srcOffs[s+ln]
		copy(dst[at:], src[base:end])
		at += end - base
		pos += ln
	}
	return MakeArray(arr.DataType(), n, nulls, []*memory.Buffer{valid, offBuf, valBuf}, nil), nil
}
