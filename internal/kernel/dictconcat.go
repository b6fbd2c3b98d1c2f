package kernel

import (
	"bytes"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"
)

// concatDictionaries concatenates dictionary-encoded string pieces whose dictionaries
// differ (pieces of different input batches) into one array with a new dictionary of
// just the values the pieces use, each once. m is scratch reused across calls (nil: a
// fresh one).
//
// array.Concatenate would unify the whole dictionaries value by value through arrow's
// memo table. Here a piece's dictionary entry is looked up the first time a row uses it
// (memo, reused while consecutive pieces share a dictionary), so the cost follows the
// rows and distinct values moved, not the dictionaries' sizes: a batch's pieces are a
// fraction of it, but each carries the batch's whole dictionary. Values are deduplicated
// in an open-addressing table over an arena of their bytes, which is also the new
// dictionary's data: no allocation per value.
func concatDictionaries(parts []arrow.Array, mem memory.Allocator, m *DictMerger) (arrow.Array, error) {
	dt := parts[0].DataType().(*arrow.DictionaryType)
	if !isPlainBytes(dt.ValueType) || dt.IndexType.ID() != arrow.INT32 {
		return array.Concatenate(parts, mem)
	}
	if m == nil {
		m = new(DictMerger)
	}
	m.reset()
	rows := 0
	for _, p := range parts {
		rows += p.Len()
	}
	idxBuf := memory.NewResizableBuffer(mem)
	idxBuf.Resize(rows * 4)
	out := arrow.Int32Traits.CastFromBytes(idxBuf.Bytes())
	var outValid *memory.Buffer
	var bits []byte
	nulls := 0
	setNull := func(i int) {
		if outValid == nil {
			outValid = memory.NewResizableBuffer(mem)
			outValid.Resize(int(bitutil.BytesForBits(int64(rows))))
			bits = outValid.Bytes()
			bitutil.SetBitsTo(bits, 0, int64(rows), true)
		}
		bitutil.ClearBit(bits, i)
		nulls++
	}
	var memoDict arrow.Array
	pos := 0
	for _, p := range parts {
		d := p.(*array.Dictionary)
		dict := d.Dictionary()
		switch {
		case memoDict != nil && prefixArrayData(dict, memoDict):
		case memoDict != nil && prefixArrayData(memoDict, dict):
			// The same dictionary grown: the entries seen keep their ids.
			for range dict.Len() - len(m.memo) {
				m.memo = append(m.memo, -1)
			}
			memoDict = dict
		default:
			m.memo = Resize(m.memo, dict.Len())
			for i := range m.memo {
				m.memo[i] = -1
			}
			memoDict = dict
		}
		offs, data := stringOffsets(dict)
		indices := d.Indices().(*array.Int32).Int32Values()
		ibm, ioff := Validity(d)
		vbm, voff := Validity(dict)
		for i, ix := range indices {
			if (ibm != nil && !bitutil.BitIsSet(ibm, ioff+i)) || (vbm != nil && !bitutil.BitIsSet(vbm, voff+int(ix))) {
				out[pos] = 0
				setNull(pos)
				pos++
				continue
			}
			id := m.memo[ix]
			if id < 0 {
				id = m.intern(data[offs[ix]:offs[ix+1]])
				m.memo[ix] = id
			}
			out[pos] = id
			pos++
		}
	}
	dictValues, err := m.values(dt.ValueType, mem)
	if err != nil {
		idxBuf.Release()
		if outValid != nil {
			outValid.Release()
		}
		return nil, err
	}
	defer dictValues.Release()
	idxData := array.NewData(arrow.PrimitiveTypes.Int32, rows, []*memory.Buffer{outValid, idxBuf}, nil, nulls, 0)
	idxBuf.Release()
	if outValid != nil {
		outValid.Release()
	}
	defer idxData.Release()
	idx := array.MakeFromData(idxData)
	defer idx.Release()
	return array.NewDictionaryArray(dt, idx, dictValues), nil
}

// dictMerger deduplicates string values into dense ids: slots is an open-addressing
// table of id+1 (0: empty) by hash, and the values lie end to end in arena, value id at
// arena[offs[id]:offs[id+1]].
type DictMerger struct {
	slots  []int32
	hashes []uint64
	offs   []int32
	arena  []byte
	memo   []int32 // dictionary entry -> id for the current piece's dictionary
}

func (m *DictMerger) reset() {
	clear(m.slots)
	m.hashes = m.hashes[:0]
	m.offs = append(m.offs[:0], 0)
	m.arena = m.arena[:0]
}

// intern returns v's id, adding it if it is new.
func (m *DictMerger) intern(v []byte) int32 {
	if 2*(len(m.hashes)+1) > len(m.slots) {
		m.grow()
	}
	h := xxh3.Hash(v)
	mask := uint64(len(m.slots) - 1)
	for pos := h & mask; ; pos = (pos + 1) & mask {
		slot := m.slots[pos]
		if slot == 0 {
			id := int32(len(m.hashes))
			m.slots[pos] = id + 1
			m.hashes = append(m.hashes, h)
			m.arena = append(m.arena, v...)
			m.offs = append(m.offs, int32(len(m.arena)))
			return id
		}
		id := slot - 1
		if m.hashes[id] == h && bytes.Equal(m.arena[m.offs[id]:m.offs[id+1]], v) {
			return id
		}
	}
}

// grow doubles the table (at least 256 slots), reinserting the ids by their hashes.
func (m *DictMerger) grow() {
	size := max(256, 2*len(m.slots))
	m.slots = make([]int32, size)
	mask := uint64(size - 1)
	for id, h := range m.hashes {
		pos := h & mask
		for m.slots[pos] != 0 {
			pos = (pos + 1) & mask
		}
		m.slots[pos] = int32(id) + 1
	}
}

// values returns the interned values, in id order, as a utf8 or binary array.
func (m *DictMerger) values(dt arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	if len(m.arena) > math.MaxInt32 {
		return nil, fmt.Errorf("dictionary of %d bytes overflows 32-bit offsets", len(m.arena))
	}
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize(len(m.offs) * 4)
	copy(arrow.Int32Traits.CastFromBytes(offBuf.Bytes()), m.offs)
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(len(m.arena))
	copy(dataBuf.Bytes(), m.arena)
	d := array.NewData(dt, len(m.hashes), []*memory.Buffer{nil, offBuf, dataBuf}, nil, 0, 0)
	offBuf.Release()
	dataBuf.Release()
	defer d.Release()
	return array.MakeFromData(d), nil
}

func isPlainBytes(dt arrow.DataType) bool {
	return dt.ID() == arrow.STRING || dt.ID() == arrow.BINARY
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

// Concatenate is array.Concatenate with concatColumn's handling of dictionaries: pieces
// sharing a dictionary concatenate their indices, others merge into a dictionary of the
// values they use. Operators that gather many batches into one (a join's build side, a
// sort's run) use it for the same reason the shuffle does.
func Concatenate(parts []arrow.Array, mem memory.Allocator) (arrow.Array, error) {
	if len(parts) == 0 {
		return array.Concatenate(parts, mem) // its error for no input
	}
	return ConcatColumn(parts, mem, nil)
}

// concatColumn concatenates the pieces of one column. Dictionary pieces that share one
// dictionary (cut from the same batch, from slices of one parent, or from batches that
// share a source's dictionary) concatenate their indices only; others get a dictionary
// of the values they use (concatDictionaries). array.Concatenate would unify the
// dictionaries value by value, which on a large dictionary costs far more than the rows
// moved.
func ConcatColumn(parts []arrow.Array, mem memory.Allocator, dicts *DictMerger) (arrow.Array, error) {
	if d0, ok := parts[0].(*array.Dictionary); ok {
		// The longest dictionary, when the others are its prefixes (a reader's growing
		// dictionary), serves every piece as it is.
		dict := d0.Dictionary()
		for _, p := range parts[1:] {
			if d := p.(*array.Dictionary).Dictionary(); d.Len() > dict.Len() {
				dict = d
			}
		}
		indices := make([]arrow.Array, len(parts))
		for i, p := range parts {
			d := p.(*array.Dictionary)
			if !prefixArrayData(d.Dictionary(), dict) {
				return concatDictionaries(parts, mem, dicts)
			}
			indices[i] = d.Indices()
		}
		idx, err := array.Concatenate(indices, mem)
		if err != nil {
			return nil, err
		}
		defer idx.Release()
		return array.NewDictionaryArray(d0.DataType(), idx, dict), nil
	}
	return array.Concatenate(parts, mem)
}

// prefixArrayData reports whether a is a prefix of b: views of the same buffers from the
// same offset, a no longer than b (entry j of both is then the same value).
func prefixArrayData(a, b arrow.Array) bool {
	if a.Data() == b.Data() {
		return true
	}
	if a.Len() > b.Len() || a.Data().Offset() != b.Data().Offset() {
		return false
	}
	ba, bb := a.Data().Buffers(), b.Data().Buffers()
	if len(ba) != len(bb) {
		return false
	}
	for i := range ba {
		if ba[i] != bb[i] {
			return false
		}
	}
	return true
}
