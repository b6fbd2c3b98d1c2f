// The string and binary key table: values copied into arena pages, dictionary columns
// translated entry by entry.

package hashagg

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kindling-data/kindling/internal/kernel"
)

// aggBytesKeys groups utf8/binary values, plain or dictionary-encoded. The map's keys point
// into an arena of large pages, so a new value costs one copy and no allocation of its
// own, and a value already seen costs a lookup and no allocation at all.
type aggBytesKeys struct {
	m      aggStrMap     // keys longer than aggMediumMax
	medium aggMediumKeys // keys of aggShortMax+1 to aggMediumMax bytes
	short  aggShortKeys  // the others
	one    [256]int32    // id+1 of each one-byte key seen (0: not seen), ahead of short; a fixed 1 KiB like the struct, not counted in bytes
	vals   []string      // by id, pointing into arena pages
	null   int32
	arena  aggByteArena
	// dictIDs maps a batch's dictionary entries to ids, each entry looked up once.
	dictIDs []int32
	// dictKey identifies the dictionary dictIDs belongs to. Batches sliced from one parent
	// (and a source's batches that share its dictionary) keep the mapping, so a dictionary
	// far larger than a batch is looked up once per table, not once per batch. Buffers are
	// immutable and the pointers keep their objects alive, so equal pointers mean equal
	// contents.
	dictKey aggDictKey
	// outDict holds vals as one array: the dictionary every dictionary-typed key column
	// built from this table shares (see buildDict); rebuilt when values were added.
	outDict arrow.Array
	// longestKey is the dictionary whose longest entry, longest, growthBound measured
	// last: every batch of a partition may share one dictionary of 100k entries, and
	// scanning it per batch of 8192 rows was half of a group-by's CPU.
	longestKey aggDictKey
	longest    int64
}

type aggDictKey struct {
	offsets, values *memory.Buffer
	offset, length  int
}

// extends reports whether k is prev's dictionary with entries added after prev's: the
// same buffers and offset, and at least as long (entry j of both is then the same value).
func (k aggDictKey) extends(prev aggDictKey) bool {
	return k.offsets == prev.offsets && k.values == prev.values && k.offset == prev.offset && k.length >= prev.length
}

func (t *aggBytesKeys) size() int { return len(t.vals) }

func (t *aggBytesKeys) nullID() int32 { return t.null }

func (t *aggBytesKeys) bytes() int64 {
	return t.m.bytes() + t.medium.bytes() + t.short.bytes() + int64(cap(t.vals))*16 + t.arena.size + int64(cap(t.dictIDs))*4
}

func (t *aggBytesKeys) growthBound(arr arrow.Array) int64 {
	n := int64(arr.Len())
	var extra int64
	if d, ok := arr.(*array.Dictionary); ok {
		dict := d.Dictionary()
		extra = int64(dict.Len()) * 4 // dictIDs
		n = min(n, int64(dict.Len()))
		return n*16 + t.m.growthBound(int(n)) + t.medium.growthBound(int(n)) + t.short.growthBound(int(n)) + t.arena.growthBound(aggValueBytes(dict), t.dictLongest(dict)) + extra
	}
	return n*16 + t.m.growthBound(int(n)) + t.medium.growthBound(int(n)) + t.short.growthBound(int(n)) + t.arena.growthBound(aggValueBytes(arr), aggLongestValue(arr, 0)) + extra
}

// dictLongest is aggLongestValue of a dictionary, measured once per dictionary: only the
// entries added since the last measure of the same buffers are scanned, and a prefix of
// the dictionary measured last is bounded by its longest entry.
func (t *aggBytesKeys) dictLongest(dict arrow.Array) int64 {
	key := aggDictKeyOf(dict)
	switch {
	case key.values == nil:
		return aggLongestValue(dict, 0)
	case key == t.longestKey || t.longestKey.extends(key):
	case key.extends(t.longestKey):
		t.longest = max(t.longest, aggLongestValue(dict, t.longestKey.length))
		t.longestKey = key
	default:
		t.longest, t.longestKey = aggLongestValue(dict, 0), key
	}
	return t.longest
}

// aggLongestValue is the length of the longest value of a utf8/binary array from row
// from on (for other types, or a long value, a bound that makes the arena assume the
// worst).
func aggLongestValue(arr arrow.Array, from int) int64 {
	longest := int64(0)
	switch arr.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs, _ := kernel.OffsetsAndData[int32](arr)
		for i := from + 1; i < len(offs); i++ {
			longest = max(longest, int64(offs[i]-offs[i-1]))
		}
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs, _ := kernel.OffsetsAndData[int64](arr)
		for i := from + 1; i < len(offs); i++ {
			longest = max(longest, offs[i]-offs[i-1])
		}
	default:
		return arenaOwnPageBytes
	}
	return longest
}

// aggValueBytes is the size of the values a utf8/binary array's rows span.
func aggValueBytes(arr arrow.Array) int64 {
	if arr.Len() == 0 {
		return 0
	}
	switch arr.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs, _ := kernel.OffsetsAndData[int32](arr)
		return int64(offs[len(offs)-1] - offs[0])
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs, _ := kernel.OffsetsAndData[int64](arr)
		return offs[len(offs)-1] - offs[0]
	case arrow.DICTIONARY:
		return aggValueBytes(arr.(*array.Dictionary).Dictionary())
	}
	return 0
}

func (t *aggBytesKeys) lookup(b []byte) int32 {
	if len(b) == 1 {
		if id := t.one[b[0]]; id != 0 {
			return id - 1
		}
	}
	if len(b) <= aggShortMax {
		k := aggPackShort(b)
		if id, ok := t.short.get(k); ok {
			return id
		}
		id := int32(len(t.vals))
		t.short.put(k, id)
		t.vals = append(t.vals, t.arena.copy(b))
		if len(b) == 1 {
			t.one[b[0]] = id + 1
		}
		return id
	}
	if len(b) <= aggMediumMax {
		lo, hi := aggPackMedium(b)
		if id, ok := t.medium.get(lo, hi); ok {
			return id
		}
		id := int32(len(t.vals))
		t.medium.put(lo, hi, id)
		t.vals = append(t.vals, t.arena.copy(b))
		return id
	}
	id, slot, tag, ok := t.m.lookup(b, t.vals)
	if ok {
		return id
	}
	id = int32(len(t.vals))
	t.m.insert(id, slot, tag)
	t.vals = append(t.vals, t.arena.copy(b))
	return id
}

func (t *aggBytesKeys) nullGroup() int32 {
	if t.null < 0 {
		t.null = int32(len(t.vals))
		t.vals = append(t.vals, "")
	}
	return t.null
}

func (t *aggBytesKeys) assign(arr arrow.Array, ids []int32) error {
	switch arr.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		aggAssignBytes[int32](t, arr, ids)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		aggAssignBytes[int64](t, arr, ids)
	case arrow.DICTIONARY:
		return t.assignDict(arr.(*array.Dictionary), ids)
	default:
		return fmt.Errorf("exec: hash aggregate: string key table got %s", arr.DataType())
	}
	return nil
}

func aggAssignBytes[O int32 | int64](t *aggBytesKeys, arr arrow.Array, ids []int32) {
	offs, data := kernel.OffsetsAndData[O](arr)
	bm, off := kernel.Validity(arr)
	for i := range arr.Len() {
		if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			ids[i] = t.nullGroup()
			continue
		}
		if s := offs[i]; offs[i+1]-s == 1 { // flags and codes: no call
			if id := t.one[data[s]]; id != 0 {
				ids[i] = id - 1
				continue
			}
		}
		ids[i] = t.lookup(data[offs[i]:offs[i+1]])
	}
}

func (t *aggBytesKeys) assignDict(arr *array.Dictionary, ids []int32) error {
	dict := arr.Dictionary()
	if !kernel.IsBytesLike(dict.DataType()) || dict.DataType().ID() == arrow.DICTIONARY {
		return fmt.Errorf("exec: hash aggregate: string key table got %s", arr.DataType())
	}
	// Entries get ids lazily: a dictionary shared by many batches may be much larger
	// than one batch.
	n := dict.Len()
	key := aggDictKeyOf(dict)
	switch {
	case key.values != nil && (key == t.dictKey || t.dictKey.extends(key)):
	case key.values != nil && key.extends(t.dictKey):
		// The same buffers seen further (a reader's growing dictionary): the entries
		// already translated stay, the new ones are looked up when used.
		for range n - len(t.dictIDs) {
			t.dictIDs = append(t.dictIDs, -1)
		}
		t.dictKey = key
	default:
		if cap(t.dictIDs) < n {
			t.dictIDs = make([]int32, n)
		}
		t.dictIDs = t.dictIDs[:n]
		for i := range t.dictIDs {
			t.dictIDs[i] = -1
		}
		t.dictKey = key
	}
	var entry func(j int) []byte
	dbm, doff := kernel.Validity(dict)
	if dict.DataType().ID() == arrow.LARGE_STRING || dict.DataType().ID() == arrow.LARGE_BINARY {
		offs, data := kernel.OffsetsAndData[int64](dict)
		entry = func(j int) []byte { return data[offs[j]:offs[j+1]] }
	} else {
		offs, data := kernel.OffsetsAndData[int32](dict)
		entry = func(j int) []byte { return data[offs[j]:offs[j+1]] }
	}
	resolve := func(j int) int32 {
		if dbm != nil && !bitutil.BitIsSet(dbm, doff+j) {
			return t.nullGroup()
		}
		return t.lookup(entry(j))
	}
	idx := arr.Indices()
	switch idx.DataType().ID() {
	case arrow.INT8:
		aggAssignDictIdx(t, kernel.FixedValues[int8](idx), idx, ids, resolve)
	case arrow.UINT8:
		aggAssignDictIdx(t, kernel.FixedValues[uint8](idx), idx, ids, resolve)
	case arrow.INT16:
		aggAssignDictIdx(t, kernel.FixedValues[int16](idx), idx, ids, resolve)
	case arrow.UINT16:
		aggAssignDictIdx(t, kernel.FixedValues[uint16](idx), idx, ids, resolve)
	case arrow.INT32:
		aggAssignDictIdx(t, kernel.FixedValues[int32](idx), idx, ids, resolve)
	case arrow.UINT32:
		aggAssignDictIdx(t, kernel.FixedValues[uint32](idx), idx, ids, resolve)
	case arrow.INT64:
		aggAssignDictIdx(t, kernel.FixedValues[int64](idx), idx, ids, resolve)
	case arrow.UINT64:
		aggAssignDictIdx(t, kernel.FixedValues[uint64](idx), idx, ids, resolve)
	default:
		return fmt.Errorf("exec: hash aggregate: dictionary index type %s", idx.DataType())
	}
	return nil
}

func (t *aggBytesKeys) build(mem memory.Allocator, dt arrow.DataType, ids []int32) (arrow.Array, error) {
	return aggBuildBytes(mem, dt, len(ids),
		func(i int) []byte { return unsafe.Slice(unsafe.StringData(t.vals[ids[i]]), len(t.vals[ids[i]])) },
		func(i int) bool { return ids[i] != t.null })
}

// buildDict returns the values with the given ids as a dictionary array of type dt whose
// dictionary is every value of the table, built once and shared by all the batches the
// table emits: a key with few distinct values among many groups (a region among
// millions of (region, customer) groups) costs an index per row, not its bytes, and a
// later shuffle concatenates those batches by their indices alone.
func (t *aggBytesKeys) buildDict(mem memory.Allocator, dt *arrow.DictionaryType, ids []int32) (arrow.Array, error) {
	if t.outDict == nil || t.outDict.Len() != len(t.vals) {
		values, err := aggBuildBytes(mem, dt.ValueType, len(t.vals),
			func(i int) []byte { return unsafe.Slice(unsafe.StringData(t.vals[i]), len(t.vals[i])) }, kernel.AllValid)
		if err != nil {
			return nil, err
		}
		t.release()
		t.outDict = values
	}
	if err := aggCheckIndexRange(dt.IndexType, len(t.vals)); err != nil {
		return nil, err
	}
	indices, err := aggBuildInt64Widened(mem, dt.IndexType, len(ids),
		func(i int) int64 { return int64(ids[i]) },
		func(i int) bool { return ids[i] != t.null })
	if err != nil {
		return nil, err
	}
	defer indices.Release()
	return array.NewDictionaryArray(dt, indices, t.outDict), nil
}

// release drops the shared output dictionary (the batches that use it keep their own
// references).
func (t *aggBytesKeys) release() {
	if t.outDict != nil {
		t.outDict.Release()
		t.outDict = nil
	}
}

// nextPage is the size of the arena's next page: its size so far (doubling it), between
// arenaMinPageBytes and arenaPageBytes.
func (a *aggByteArena) nextPage() int {
	return int(min(max(arenaMinPageBytes, a.size), arenaPageBytes))
}

// growthBound bounds what copying values of v bytes in all, none longer than longest,
// adds to the arena's size: nothing if they fit the current page. A page given up
// wastes less than the value that did not fit it, so each new page holds at least its
// size less longest; the pages' sizes follow nextPage. With values too long for that to
// bound anything (over half the first page), every page given up wastes less than the
// value that then goes to a new page: the new pages hold at most v of values, less than
// v of waste, and the last page's unused room.
func (a *aggByteArena) growthBound(v, longest int64) int64 {
	if v <= int64(cap(a.cur)-len(a.cur)) {
		return 0
	}
	if longest > arenaMinPageBytes/2 {
		return 2*v + min(max(arenaMinPageBytes, a.size+2*v), arenaPageBytes)
	}
	var grow int64
	size := a.size
	for rest := v; rest > 0; {
		page := min(max(arenaMinPageBytes, size), arenaPageBytes)
		grow += page
		size += page
		rest -= page - longest
	}
	return grow
}

// aggByteArena copies values into large pages that are never moved, so strings into them
// stay valid (and the garbage collector sees a few big objects, not one per group).
type aggByteArena struct {
	cur  []byte
	size int64 // bytes of all pages
}

func (a *aggByteArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(a.cur)-len(a.cur) {
		if len(b) > arenaOwnPageBytes {
			p := make([]byte, len(b))
			copy(p, b)
			a.size += int64(len(b))
			return unsafe.String(&p[0], len(p))
		}
		page := max(a.nextPage(), len(b))
		a.cur = make([]byte, 0, page)
		a.size += int64(page)
	}
	start := len(a.cur)
	a.cur = append(a.cur, b...)
	return unsafe.String(&a.cur[start], len(b))
}
