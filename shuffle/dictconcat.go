package shuffle

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// concatDictionaries concatenates dictionary-encoded string pieces whose dictionaries
// differ (pieces of different input batches) into one array with a new dictionary of
// just the values the pieces use, each once.
//
// array.Concatenate would unify the whole dictionaries value by value through arrow's
// memo table. Here a piece's dictionary entry is looked up the first time a row uses it
// (memo, reused while consecutive pieces share a dictionary), so the cost follows the
// rows and distinct values moved, not the dictionaries' sizes: a batch's pieces are a
// fraction of it, but each carries the batch's whole dictionary.
func concatDictionaries(parts []arrow.Array, mem memory.Allocator) (arrow.Array, error) {
	dt := parts[0].DataType().(*arrow.DictionaryType)
	if !isPlainBytes(dt.ValueType) || dt.IndexType.ID() != arrow.INT32 {
		return array.Concatenate(parts, mem)
	}
	rows := 0
	for _, p := range parts {
		rows += p.Len()
	}
	ids := make(map[string]int32)
	var values [][]byte
	idxBuf := memory.NewResizableBuffer(mem)
	idxBuf.Resize(rows * 4)
	out := arrow.Int32Traits.CastFromBytes(idxBuf.Bytes())
	var validity *memory.Buffer
	var bits []byte
	nulls := 0
	setNull := func(i int) {
		if validity == nil {
			validity = memory.NewResizableBuffer(mem)
			validity.Resize(int(bitutil.BytesForBits(int64(rows))))
			bits = validity.Bytes()
			bitutil.SetBitsTo(bits, 0, int64(rows), true)
		}
		bitutil.ClearBit(bits, i)
		nulls++
	}
	var memo []int32
	var memoDict arrow.Array
	pos := 0
	for _, p := range parts {
		d := p.(*array.Dictionary)
		dict := d.Dictionary()
		if memoDict == nil || !sameArrayData(dict, memoDict) {
			memo = growInt32(memo, dict.Len())
			for i := range memo {
				memo[i] = -1
			}
			memoDict = dict
		}
		offs, data := stringOffsets(dict)
		indices := d.Indices().(*array.Int32).Int32Values()
		for i, ix := range indices {
			if d.IsNull(i) || dict.IsNull(int(ix)) {
				out[pos] = 0
				setNull(pos)
				pos++
				continue
			}
			id := memo[ix]
			if id < 0 {
				v := data[offs[ix]:offs[ix+1]]
				var ok bool
				if id, ok = ids[string(v)]; !ok {
					id = int32(len(values))
					ids[string(v)] = id
					values = append(values, v)
				}
				memo[ix] = id
			}
			out[pos] = id
			pos++
		}
	}
	dictValues, err := buildStrings(dt.ValueType, values, mem)
	if err != nil {
		idxBuf.Release()
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	defer dictValues.Release()
	idxData := array.NewData(arrow.PrimitiveTypes.Int32, rows, []*memory.Buffer{validity, idxBuf}, nil, nulls, 0)
	idxBuf.Release()
	if validity != nil {
		validity.Release()
	}
	defer idxData.Release()
	idx := array.MakeFromData(idxData)
	defer idx.Release()
	return array.NewDictionaryArray(dt, idx, dictValues), nil
}

func isPlainBytes(dt arrow.DataType) bool {
	return dt.ID() == arrow.STRING || dt.ID() == arrow.BINARY
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// stringOffsets views a utf8/binary array's offsets (offset applied) and data.
func stringOffsets(a arrow.Array) ([]int32, []byte) {
	d := a.Data()
	bufs := d.Buffers()
	var data []byte
	if bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	if a.Len() == 0 || bufs[1] == nil {
		return make([]int32, a.Len()+1), data
	}
	return arrow.GetOffsets[int32](d, 1), data
}

// buildStrings builds a utf8 or binary array of values.
func buildStrings(dt arrow.DataType, values [][]byte, mem memory.Allocator) (arrow.Array, error) {
	total := 0
	for _, v := range values {
		total += len(v)
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("dictionary of %d bytes overflows 32-bit offsets", total)
	}
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((len(values) + 1) * 4)
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	data := dataBuf.Bytes()
	at := 0
	offs[0] = 0
	for i, v := range values {
		at += copy(data[at:], v)
		offs[i+1] = int32(at)
	}
	d := array.NewData(dt, len(values), []*memory.Buffer{nil, offBuf, dataBuf}, nil, 0, 0)
	offBuf.Release()
	dataBuf.Release()
	defer d.Release()
	return array.MakeFromData(d), nil
}
