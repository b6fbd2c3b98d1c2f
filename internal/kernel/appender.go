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

// An Appender builds one column from rows gathered out of many arrays of its type: each
// Append copies the chosen rows straight into growing buffers, and Finish hands the rows
// gathered so far over as one array. The shuffle writer keeps one per reduce partition and
// column, so that a row is copied once on its way to its block, instead of being gathered
// into a permuted batch and then concatenated with the partition's other pieces.
//
// Fixed-width types (integers, floats, dates, timestamps, decimals…), booleans, strings and
// binaries (32- and 64-bit offsets) and the NULL type are appended by typed loops. A
// dictionary column with int32 indices over strings or binaries keeps the dictionary of
// its first rows while the next ones share it (the same dictionary, or one of a pair where
// one is a prefix of the other: a reader's growing dictionary); when an array with another
// dictionary comes, the appender merges: its rows' values are interned into a dictionary
// of just the values used (DictMerger), and the indices renumbered. A list (32- or 64-bit
// offsets) of elements that have an appender appends its offsets, and its elements through
// an appender of their own. Other types have no appender (NewAppender reports false).
//
// Buffers come from the allocator given to NewAppender and grow as Reserve or Append
// need; Bytes says what they hold. An Appender is used by one goroutine.
type Appender struct {
	dt   arrow.DataType
	kind appendKind
	// width is the byte width of a fixed-width value or dictionary index.
	width int
	mem   memory.Allocator

	n, capRows int
	nulls      int
	valid      *memory.Buffer // nil while every row is valid
	values     *memory.Buffer // fixed-width values, boolean bits, dictionary indices or offsets
	data       *memory.Buffer // string and binary bytes
	dataLen    int
	// rowBytes is the mean string bytes per row of the last finished array, to size the
	// next one's data.
	rowBytes float64

	// dict is the dictionary the indices refer to while they are not merged.
	dict arrow.Array
	// merging is set once the rows came with different dictionaries: the indices are
	// then ids of merger's values.
	merging bool
	merger  DictMerger
	// memo maps entries of memoDict to merger ids: an entry is valid when its gen is the
	// current gen (a new dictionary bumps gen instead of clearing memo).
	memo     []memoEntry
	memoDict arrow.Array
	gen      uint32

	// child appends a list column's elements; listIdx is scratch of their row indices.
	child   *Appender
	listIdx []int32
}

type memoEntry struct {
	gen uint32
	id  int32
}

type appendKind uint8

const (
	appendFixed appendKind = iota
	appendBool
	appendBinary32
	appendBinary64
	appendDict
	appendNull
	appendList32
	appendList64
)

// NewAppender returns an empty appender for arrays of type dt, or false when dt has no
// appender (structs, maps, fixed-size lists, extension and view types, other dictionaries,
// lists of those).
func NewAppender(dt arrow.DataType, mem memory.Allocator) (*Appender, bool) {
	a := &Appender{dt: dt, mem: mem}
	switch t := dt.(type) {
	case *arrow.BooleanType:
		a.kind = appendBool
	case *arrow.StringType, *arrow.BinaryType:
		a.kind, a.width = appendBinary32, 4
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		a.kind, a.width = appendBinary64, 8
	case *arrow.NullType:
		a.kind = appendNull
	case *arrow.ListType:
		return a, newListAppender(a, t.Elem(), false)
	case *arrow.LargeListType:
		return a, newListAppender(a, t.Elem(), true)
	case *arrow.DictionaryType:
		if t.IndexType.ID() != arrow.INT32 || !isPlainBytes(t.ValueType) {
			return nil, false
		}
		a.kind, a.width = appendDict, 4
	case arrow.FixedWidthDataType:
		w := t.BitWidth()
		if w%8 != 0 || w == 0 || !isFlatFixedWidth(t) {
			return nil, false
		}
		a.kind, a.width = appendFixed, w/8
	default:
		return nil, false
	}
	return a, true
}

// Len returns the number of rows appended since the last Finish.
func (a *Appender) Len() int { return a.n }

// Bytes returns the bytes the appender's buffers hold (their capacity), with the merged
// dictionary's values.
func (a *Appender) Bytes() int64 {
	var b int64
	for _, buf := range []*memory.Buffer{a.valid, a.values, a.data} {
		if buf != nil {
			b += int64(buf.Cap())
		}
	}
	if a.child != nil {
		b += a.child.Bytes()
		if a.n > 0 { // the scratch (at most listChunk indices) is kept across Finish
			b += 4 * int64(cap(a.listIdx))
		}
	}
	if a.merging {
		b += int64(cap(a.merger.arena) + 4*cap(a.merger.offs) + 8*cap(a.merger.hashes) + 4*len(a.merger.slots))
	}
	return b
}

// Reserve makes room for rows rows in all (not more), so that appending up to that many
// does not reallocate the row buffers; string bytes grow on their own.
func (a *Appender) Reserve(rows int) {
	if rows <= a.capRows {
		return
	}
	a.capRows = rows
	if a.valid != nil {
		a.reserveBuf(&a.valid, int(bitutil.BytesForBits(int64(rows))))
	}
	switch a.kind {
	case appendFixed, appendDict:
		a.reserveBuf(&a.values, rows*a.width)
	case appendBool:
		a.reserveBuf(&a.values, int(bitutil.BytesForBits(int64(rows))))
	case appendList32, appendList64:
		a.reserveBuf(&a.values, (rows+1)*a.width)
	case appendBinary32, appendBinary64:
		a.reserveBuf(&a.values, (rows+1)*a.width)
		mean := a.rowBytes
		if a.n > 0 {
			mean = float64(a.dataLen) / float64(a.n)
		}
		if mean > 0 {
			// Bytes for the reserved rows at the mean length so far, and an eighth more.
			a.reserveBuf(&a.data, int(mean*float64(rows)*1.125))
		}
	}
}

// reserveBuf grows *buf (allocating it if nil) to hold n bytes; the bytes added are zero.
func (a *Appender) reserveBuf(buf **memory.Buffer, n int) {
	if *buf == nil {
		*buf = memory.NewResizableBuffer(a.mem)
	}
	if n > (*buf).Cap() {
		(*buf).Reserve(n)
	}
}

// Append appends rows idx[0], idx[1], … of arr, which has the appender's type; every index
// must be in range. It fails only when strings overflow 32-bit offsets.
func (a *Appender) Append(arr arrow.Array, idx []int32) error {
	k := len(idx)
	if k == 0 {
		return nil
	}
	if a.n+k > a.capRows {
		a.Reserve(max(a.n+k, 2*a.capRows, 64))
	}
	var err error
	switch a.kind {
	case appendNull:
		a.nulls += k
	case appendFixed:
		a.appendValidity(arr, idx)
		a.appendFixed(arr, idx)
	case appendBool:
		a.appendValidity(arr, idx)
		a.appendBool(arr, idx)
	case appendBinary32:
		a.appendValidity(arr, idx)
		err = appendVarBinary[int32](a, arr, idx)
	case appendBinary64:
		a.appendValidity(arr, idx)
		err = appendVarBinary[int64](a, arr, idx)
	case appendDict:
		a.appendDict(arr.(*array.Dictionary), idx)
	case appendList32:
		a.appendValidity(arr, idx)
		err = appendList[int32](a, arr, idx)
	case appendList64:
		a.appendValidity(arr, idx)
		err = appendList[int64](a, arr, idx)
	}
	if err != nil {
		return err
	}
	a.n += k
	return nil
}

// startValidity allocates the validity bitmap at the first NULL, row k: the rows before
// it are valid.
func (a *Appender) startValidity(k int) {
	a.reserveBuf(&a.valid, int(bitutil.BytesForBits(int64(a.capRows))))
	bitutil.SetBitsTo(a.valid.Buf(), 0, int64(k), true)
}

// appendValidity appends the validity of rows idx of arr at row a.n.
func (a *Appender) appendValidity(arr arrow.Array, idx []int32) {
	bm, off := Validity(arr)
	if bm == nil {
		if a.valid != nil {
			bitutil.SetBitsTo(a.valid.Buf(), int64(a.n), int64(len(idx)), true)
		}
		return
	}
	if a.valid == nil {
		a.startValidity(a.n)
	}
	dst := a.valid.Buf()
	nulls := 0
	for j, i := range idx {
		v := bitutil.BitIsSet(bm, off+int(i))
		bitutil.SetBitTo(dst, a.n+j, v)
		if !v {
			nulls++
		}
	}
	a.nulls += nulls
}

func (a *Appender) appendFixed(arr arrow.Array, idx []int32) {
	data := arr.Data()
	w := a.width
	var src []byte
	if b := data.Buffers()[1]; b != nil {
		src = b.Bytes()[data.Offset()*w:]
	}
	dst := a.values.Buf()[a.n*w : (a.n+len(idx))*w]
	switch w {
	case 1:
		appendTyped(View[uint8](src), idx, View[uint8](dst))
	case 2:
		appendTyped(View[uint16](src), idx, View[uint16](dst))
	case 4:
		appendTyped(View[uint32](src), idx, View[uint32](dst))
	case 8:
		appendTyped(View[uint64](src), idx, View[uint64](dst))
	case 16:
		appendTyped(View[[2]uint64](src), idx, View[[2]uint64](dst))
	default:
		for j, i := range idx {
			s := int(i) * w
			copy(dst[j*w:(j+1)*w], src[s:s+w])
		}
	}
}

// appendTyped copies src[idx[j]] to dst[j].
func appendTyped[T any](src []T, idx []int32, dst []T) {
	dst = dst[:len(idx)]
	for j, i := range idx {
		dst[j] = src[i]
	}
}

func (a *Appender) appendBool(arr arrow.Array, idx []int32) {
	data := arr.Data()
	dst := a.values.Buf()
	if data.Len() == 0 || data.Buffers()[1] == nil {
		bitutil.SetBitsTo(dst, int64(a.n), int64(len(idx)), false)
		return
	}
	src, off := data.Buffers()[1].Bytes(), data.Offset()
	for j, i := range idx {
		bitutil.SetBitTo(dst, a.n+j, bitutil.BitIsSet(src, off+int(i)))
	}
}

func appendVarBinary[O int32 | int64](a *Appender, arr arrow.Array, idx []int32) error {
	srcOffs, src := OffsetsAndData[O](arr)
	offs := View[O](a.values.Buf())[:a.capRows+1]
	var total int64
	for _, i := range idx {
		total += int64(srcOffs[i+1] - srcOffs[i])
	}
	end := int64(a.dataLen) + total
	if unsafe.Sizeof(O(0)) == 4 && end > math.MaxInt32 {
		return fmt.Errorf("%d bytes of %s values overflow 32-bit offsets", end, a.dt)
	}
	// shortCopy bytes of room past the end let a short value be moved as one 16-byte
	// word (the bytes past it are overwritten by the next value or lie beyond the length).
	const shortCopy = 16
	if a.data == nil || int(end)+shortCopy > a.data.Cap() {
		want := max(end+shortCopy, 2*int64(a.dataLenCap()))
		if a.n == 0 && a.rowBytes == 0 && arr.Len() > 0 {
			// The first rows: bytes for the reserved rows at the source's mean length.
			mean := float64(srcOffs[arr.Len()]-srcOffs[0]) / float64(arr.Len())
			want = max(want, int64(mean*float64(a.capRows)*1.125))
		}
		a.reserveBuf(&a.data, int(want))
	}
	dst := a.data.Buf()
	pos := int(a.dataLen)
	offs[a.n] = O(pos)
	for j, i := range idx {
		s, e := int(srcOffs[i]), int(srcOffs[i+1])
		if e-s <= shortCopy && s+shortCopy <= len(src) && pos+shortCopy <= len(dst) {
			*(*[shortCopy]byte)(dst[pos:]) = *(*[shortCopy]byte)(src[s:])
		} else {
			copy(dst[pos:], src[s:e])
		}
		pos += e - s
		offs[a.n+j+1] = O(pos)
	}
	a.dataLen = int(end)
	return nil
}

func (a *Appender) dataLenCap() int {
	if a.data == nil {
		return 0
	}
	return a.data.Cap()
}

// Finish returns the rows appended since the last Finish as one array whose buffers hold
// just them, and leaves the appender empty (it allocates anew on the next Append).
func (a *Appender) Finish() (arrow.Array, error) {
	n, nulls := a.n, a.nulls
	valid, values, data := a.valid, a.values, a.data
	a.valid, a.values, a.data = nil, nil, nil
	a.n, a.nulls, a.capRows = 0, 0, 0
	dataLen := a.dataLen
	a.dataLen = 0
	if n > 0 {
		a.rowBytes = float64(dataLen) / float64(n)
	}
	if nulls == 0 && valid != nil {
		valid.Release()
		valid = nil
	}
	fit := func(b *memory.Buffer, size int) *memory.Buffer {
		if b == nil {
			b = memory.NewResizableBuffer(a.mem)
		}
		return a.fit(b, size)
	}
	if valid != nil {
		valid = a.fit(valid, int(bitutil.BytesForBits(int64(n))))
	}
	switch a.kind {
	case appendNull:
		return array.NewNull(n), nil
	case appendFixed:
		return MakeArray(a.dt, n, nulls, []*memory.Buffer{valid, fit(values, n*a.width)}, nil), nil
	case appendBool:
		return MakeArray(a.dt, n, nulls, []*memory.Buffer{valid, fit(values, int(bitutil.BytesForBits(int64(n))))}, nil), nil
	case appendBinary32, appendBinary64:
		values = fit(values, (n+1)*a.width) // zero offsets when no row came
		return MakeArray(a.dt, n, nulls, []*memory.Buffer{valid, values, fit(data, dataLen)}, nil), nil
	case appendList32, appendList64:
		return a.finishList(n, nulls, valid, fit(values, (n+1)*a.width))
	}
	return a.finishDict(n, nulls, valid, fit(values, n*4))
}

// fit shrinks b to size bytes; a buffer at least twice that is copied into one of the
// size, so that what the batch holds is what it says (storage.BlockBytes counts lengths).
func (a *Appender) fit(b *memory.Buffer, size int) *memory.Buffer {
	if b.Cap() >= 2*size && b.Cap() > 256 {
		nb := NewRawBuffer(a.mem, size)
		copy(nb.Bytes(), b.Bytes()[:size])
		b.Release()
		return nb
	}
	b.Resize(size)
	return b
}

// Release frees the appender's buffers and dictionaries; it may be used again after.
func (a *Appender) Release() {
	for _, b := range []*memory.Buffer{a.valid, a.values, a.data} {
		if b != nil {
			b.Release()
		}
	}
	a.valid, a.values, a.data = nil, nil, nil
	a.n, a.nulls, a.capRows, a.dataLen = 0, 0, 0, 0
	a.setDict(nil)
	a.setMemoDict(nil)
	a.merging = false
	a.merger = DictMerger{}
	a.memo = nil
	if a.child != nil {
		a.child.Release()
		a.listIdx = nil
	}
}

// setValid records row k's validity, starting the bitmap at the first NULL.
func (a *Appender) setValid(k int, v bool) {
	if v {
		if a.valid != nil {
			bitutil.SetBit(a.valid.Buf(), k)
		}
		return
	}
	if a.valid == nil {
		a.startValidity(k)
	}
	bitutil.ClearBit(a.valid.Buf(), k)
	a.nulls++
}

// appendDict appends dictionary rows: their indices while they share the appender's
// dictionary, ids of merged values once they do not.
func (a *Appender) appendDict(d *array.Dictionary, idx []int32) {
	if !a.merging {
		dict := d.Dictionary()
		switch {
		case a.dict == nil:
			a.setDict(dict)
		case prefixArrayData(dict, a.dict):
		case prefixArrayData(a.dict, dict):
			a.setDict(dict) // the same dictionary, grown
		default:
			a.startMerging()
		}
	}
	if !a.merging {
		a.appendValidity(d, idx)
		a.appendFixed(d.Indices(), idx)
		return
	}
	a.appendMerged(d, idx)
}

// startMerging turns the indices appended so far into ids of merged values.
func (a *Appender) startMerging() {
	a.merging = true
	a.merger.reset()
	a.useMemo(a.dict)
	offs, data := stringOffsets(a.dict)
	vbm, voff := Validity(a.dict)
	ids := View[int32](a.values.Buf())[:a.n]
	for k, ix := range ids {
		if a.valid != nil && !bitutil.BitIsSet(a.valid.Buf(), k) {
			ids[k] = 0
			continue
		}
		if vbm != nil && !bitutil.BitIsSet(vbm, voff+int(ix)) {
			ids[k] = 0
			a.setValid(k, false) // a NULL entry: the row is NULL
			continue
		}
		ids[k] = a.lookup(ix, offs, data)
	}
	a.setDict(nil)
}

// appendMerged appends dictionary rows as ids of merged values.
func (a *Appender) appendMerged(d *array.Dictionary, idx []int32) {
	dict := d.Dictionary()
	switch {
	case a.memoDict != nil && prefixArrayData(dict, a.memoDict):
	case a.memoDict != nil && prefixArrayData(a.memoDict, dict) && dict.Len() <= maxMemo:
		// The same dictionary grown: the entries seen keep their ids.
		for len(a.memo) < dict.Len() {
			a.memo = append(a.memo, memoEntry{})
		}
		a.setMemoDict(dict)
	default:
		a.useMemo(dict)
	}
	offs, data := stringOffsets(dict)
	ind := d.Indices().(*array.Int32).Int32Values()
	ibm, ioff := Validity(d)
	vbm, voff := Validity(dict)
	dst := View[int32](a.values.Buf())[a.n : a.n+len(idx)]
	for j, i := range idx {
		ix := ind[i]
		if (ibm != nil && !bitutil.BitIsSet(ibm, ioff+int(i))) || (vbm != nil && !bitutil.BitIsSet(vbm, voff+int(ix))) {
			dst[j] = 0
			a.setValid(a.n+j, false)
			continue
		}
		dst[j] = a.lookup(ix, offs, data)
		a.setValid(a.n+j, true)
	}
}

// useMemo starts a memo for dict: bumping the generation invalidates every entry.
func (a *Appender) useMemo(dict arrow.Array) {
	if dict.Len() > maxMemo {
		a.setMemoDict(nil)
		return
	}
	a.gen++
	if a.gen == 0 {
		clear(a.memo)
		a.gen = 1
	}
	if n := dict.Len(); len(a.memo) < n {
		a.memo = append(a.memo, make([]memoEntry, n-len(a.memo))...)
	}
	a.setMemoDict(dict)
}

// maxMemo bounds the dictionaries whose entries an appender memoizes: a memo is as long
// as its dictionary, and a writer has an appender per partition and column.
const maxMemo = 1 << 14

// lookup returns the merged id of entry ix of the memo's dictionary (interned anew each
// time when the dictionary is too long to memoize).
func (a *Appender) lookup(ix int32, offs []int32, data []byte) int32 {
	if a.memoDict == nil {
		return a.merger.intern(data[offs[ix]:offs[ix+1]])
	}
	e := &a.memo[ix]
	if e.gen != a.gen {
		e.id = a.merger.intern(data[offs[ix]:offs[ix+1]])
		e.gen = a.gen
	}
	return e.id
}

func (a *Appender) setDict(d arrow.Array) {
	if d != nil {
		d.Retain()
	}
	if a.dict != nil {
		a.dict.Release()
	}
	a.dict = d
}

func (a *Appender) setMemoDict(d arrow.Array) {
	if d != nil {
		d.Retain()
	}
	if a.memoDict != nil {
		a.memoDict.Release()
	}
	a.memoDict = d
}

// finishDict assembles the dictionary array of the rows: the shared dictionary, or the
// merged values (and the appender returns to sharing the next rows' dictionary).
func (a *Appender) finishDict(n, nulls int, valid, indices *memory.Buffer) (arrow.Array, error) {
	dt := a.dt.(*arrow.DictionaryType)
	var dict arrow.Array
	if a.merging {
		vals, err := a.merger.values(dt.ValueType, a.mem)
		a.merging = false
		a.setMemoDict(nil) // its ids are those of the merger, which starts over
		if err != nil {
			indices.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		dict = vals
	} else if a.dict != nil {
		dict = a.dict
		a.dict = nil
	} else {
		dict = array.MakeArrayOfNull(a.mem, dt.ValueType, 0)
	}
	defer dict.Release()
	ind := MakeArray(arrow.PrimitiveTypes.Int32, n, nulls, []*memory.Buffer{valid, indices}, nil)
	defer ind.Release()
	return array.NewDictionaryArray(dt, ind, dict), nil
}
