package kernel

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"
)

// Row hashes are deterministic across processes and runs (no random seed), so partition
// assignment is reproducible in tests and stable for a future multi-process shuffle.
const (
	// nullHash is the hash of a NULL in any column: NULL keys form one group (Spark).
	nullHash uint64 = 0x5bd1e9955bd1e995
	// intSeed is added before mixing so that 0 does not hash to 0.
	intSeed uint64 = 0x9e3779b97f4a7c15
	// canonicalNaN is the bit pattern every NaN is hashed as: all NaNs form one group.
	canonicalNaN uint64 = 0x7ff8000000000001
)

// mix64 is the murmur3 64-bit finalizer: cheap (about 1 ns) and with full avalanche, so the
// high bits used by the partition mapping depend on every input bit.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func hashU64(v uint64) uint64 { return mix64(v + intSeed) }

func hashF64(f float64) uint64 {
	switch {
	case f == 0: // +0 and -0 are equal
		return hashU64(0)
	case f != f:
		return hashU64(canonicalNaN)
	}
	return hashU64(math.Float64bits(f))
}

// combine folds the hash h of the next key column into the row's running hash; it is order
// sensitive, so (a, b) and (b, a) differ.
func combine(acc, h uint64) uint64 { return mix64(bits.RotateLeft64(acc, 27)*5 + h) }

// set stores h for row i: the first key column writes, later ones combine.
func set(out []uint64, i int, h uint64, first bool) {
	if first {
		out[i] = h
	} else {
		out[i] = combine(out[i], h)
	}
}

// HashColumns computes a deterministic 64-bit hash of every row over the key columns cols,
// combined in order, into out (len(out) must equal every column's length). Equal key tuples
// hash equal; in particular NULLs hash to one constant, -0 hashes as 0, every NaN hashes
// alike, signed integers of any width hash by value, float32 hashes as the float64 of equal
// value, and a dictionary-encoded column hashes as its decoded values (so a dictionary string
// and a plain string of equal value agree). An int64 and a float64 of the same whole value
// need not hash equal. With no columns every row gets the same hash.
//
// Supported: int8-int64, uint8-uint64, float32, float64, bool, date32, date64, time32, time64,
// timestamp, duration, decimal128/256, fixed_size_binary, string, large_string, binary,
// large_binary, string_view, binary_view, dictionary of any of these, and null. Other types
// return an error naming the column.
func HashColumns(cols []arrow.Array, out []uint64) error {
	return HashColumnsCached(cols, out, nil)
}

// HashColumnsCached is HashColumns with a cache of dictionary value hashes (nil: none).
func HashColumnsCached(cols []arrow.Array, out []uint64, dicts *DictHashCache) error {
	if len(cols) == 0 {
		for i := range out {
			out[i] = intSeed
		}
		return nil
	}
	for c, col := range cols {
		if col.Len() != len(out) {
			return fmt.Errorf("shuffle: hash key column %d has %d rows, want %d", c, col.Len(), len(out))
		}
		var err error
		if d, ok := col.(*array.Dictionary); ok {
			err = hashDictionary(d, out, c == 0, dicts)
		} else {
			err = hashColumn(col, out, c == 0)
		}
		if err != nil {
			return fmt.Errorf("shuffle: hash key column %d: %w", c, err)
		}
	}
	return nil
}

func hashColumn(col arrow.Array, out []uint64, first bool) error {
	data := col.Data()
	switch dt := col.DataType().(type) {
	case *arrow.Int8Type:
		hashInts(arrow.GetValues[int8](data, 1), col, out, first)
	case *arrow.Int16Type:
		hashInts(arrow.GetValues[int16](data, 1), col, out, first)
	case *arrow.Int32Type, *arrow.Date32Type, *arrow.Time32Type:
		hashInts(arrow.GetValues[int32](data, 1), col, out, first)
	case *arrow.Int64Type, *arrow.Date64Type, *arrow.Time64Type, *arrow.TimestampType, *arrow.DurationType:
		hashInts(arrow.GetValues[int64](data, 1), col, out, first)
	case *arrow.Uint8Type:
		hashUints(arrow.GetValues[uint8](data, 1), col, out, first)
	case *arrow.Uint16Type:
		hashUints(arrow.GetValues[uint16](data, 1), col, out, first)
	case *arrow.Uint32Type:
		hashUints(arrow.GetValues[uint32](data, 1), col, out, first)
	case *arrow.Uint64Type:
		hashUints(arrow.GetValues[uint64](data, 1), col, out, first)
	case *arrow.Float32Type:
		hashFloats(arrow.GetValues[float32](data, 1), col, out, first)
	case *arrow.Float64Type:
		hashFloats(arrow.GetValues[float64](data, 1), col, out, first)
	case *arrow.BooleanType:
		hashBools(col, out, first)
	case *arrow.StringType, *arrow.BinaryType:
		hashVarBinary[int32](col, out, first)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		hashVarBinary[int64](col, out, first)
	case *arrow.StringViewType:
		a := col.(*array.StringView)
		forEachValid(col, out, first, func(i int) uint64 { return xxh3.HashString(a.Value(i)) })
	case *arrow.BinaryViewType:
		a := col.(*array.BinaryView)
		forEachValid(col, out, first, func(i int) uint64 { return xxh3.Hash(a.Value(i)) })
	case *arrow.Decimal128Type, *arrow.Decimal256Type, *arrow.FixedSizeBinaryType:
		hashFixedBytes(col, dt.(arrow.FixedWidthDataType).Bytes(), out, first)
	case *arrow.NullType:
		for i := range out {
			set(out, i, nullHash, first)
		}
	case *arrow.DictionaryType:
		return hashDictionary(col.(*array.Dictionary), out, first, nil)
	default:
		return fmt.Errorf("cannot hash type %s", col.DataType())
	}
	return nil
}

func hashInts[T int8 | int16 | int32 | int64](vals []T, col arrow.Array, out []uint64, first bool) {
	bm, off := Validity(col)
	for i, v := range vals {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			h = hashU64(uint64(int64(v)))
		}
		set(out, i, h, first)
	}
}

func hashUints[T uint8 | uint16 | uint32 | uint64](vals []T, col arrow.Array, out []uint64, first bool) {
	bm, off := Validity(col)
	for i, v := range vals {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			h = hashU64(uint64(v))
		}
		set(out, i, h, first)
	}
}

func hashFloats[T float32 | float64](vals []T, col arrow.Array, out []uint64, first bool) {
	bm, off := Validity(col)
	for i, v := range vals {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			h = hashF64(float64(v))
		}
		set(out, i, h, first)
	}
}

func hashBools(col arrow.Array, out []uint64, first bool) {
	if len(out) == 0 {
		return
	}
	bm, off := Validity(col)
	values := col.Data().Buffers()[1].Bytes()
	h0, h1 := hashU64(0), hashU64(1)
	for i := range out {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			h = h0
			if bitutil.BitIsSet(values, off+i) {
				h = h1
			}
		}
		set(out, i, h, first)
	}
}

func hashVarBinary[O int32 | int64](col arrow.Array, out []uint64, first bool) {
	data := col.Data()
	if data.Len() == 0 {
		return
	}
	offs := arrow.GetOffsets[O](data, 1)
	var bytes []byte
	if b := data.Buffers()[2]; b != nil {
		bytes = b.Bytes()
	}
	bm, off := Validity(col)
	for i := range out {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			h = xxh3.Hash(bytes[offs[i]:offs[i+1]])
		}
		set(out, i, h, first)
	}
}

func hashFixedBytes(col arrow.Array, width int, out []uint64, first bool) {
	if len(out) == 0 {
		return
	}
	data := col.Data()
	var bytes []byte
	if b := data.Buffers()[1]; b != nil {
		bytes = b.Bytes()
	}
	bm, off := Validity(col)
	for i := range out {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			start := (off + i) * width
			h = xxh3.Hash(bytes[start : start+width])
		}
		set(out, i, h, first)
	}
}

// forEachValid covers the rarer types whose values need a method call per row; the closure
// is not boxed per row.
func forEachValid(col arrow.Array, out []uint64, first bool, hash func(int) uint64) {
	bm, off := Validity(col)
	for i := range out {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			h = hash(i)
		}
		set(out, i, h, first)
	}
}

// hashDictionary hashes each dictionary value once, then gathers the hashes by index.
// With a cache, a dictionary that batches share (a source's, or a table's output
// dictionary) is hashed once for all of them, not once per batch.
func hashDictionary(col *array.Dictionary, out []uint64, first bool, cache *DictHashCache) error {
	dict := col.Dictionary()
	id := dictIdentity(dict)
	dh := cache.get(id)
	if len(dh) < dict.Len() {
		// A dictionary seen before with fewer entries (a reader's growing dictionary
		// over the same buffers) only needs its new entries hashed.
		from := len(dh)
		dh = append(dh, make([]uint64, dict.Len()-from)...)
		tail := array.NewSlice(dict, int64(from), int64(dict.Len()))
		err := hashColumn(tail, dh[from:], true)
		tail.Release()
		if err != nil {
			return fmt.Errorf("dictionary values: %w", err)
		}
		cache.put(id, dh)
	}
	dh = dh[:dict.Len()]
	idx := col.Indices()
	data := idx.Data()
	switch idx.DataType().ID() {
	case arrow.INT8:
		return gatherHashes(arrow.GetValues[int8](data, 1), idx, dh, out, first)
	case arrow.INT16:
		return gatherHashes(arrow.GetValues[int16](data, 1), idx, dh, out, first)
	case arrow.INT32:
		return gatherHashes(arrow.GetValues[int32](data, 1), idx, dh, out, first)
	case arrow.INT64:
		return gatherHashes(arrow.GetValues[int64](data, 1), idx, dh, out, first)
	case arrow.UINT8:
		return gatherHashes(arrow.GetValues[uint8](data, 1), idx, dh, out, first)
	case arrow.UINT16:
		return gatherHashes(arrow.GetValues[uint16](data, 1), idx, dh, out, first)
	case arrow.UINT32:
		return gatherHashes(arrow.GetValues[uint32](data, 1), idx, dh, out, first)
	case arrow.UINT64:
		return gatherHashes(arrow.GetValues[uint64](data, 1), idx, dh, out, first)
	}
	return fmt.Errorf("dictionary index type %s not supported", idx.DataType())
}

func gatherHashes[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](
	idx []T, col arrow.Array, dh, out []uint64, first bool,
) error {
	bm, off := Validity(col)
	n := uint64(len(dh))
	for i, k := range idx {
		h := nullHash
		if bm == nil || bitutil.BitIsSet(bm, off+i) {
			if uint64(k) >= n { // a negative index wraps to a huge value
				return fmt.Errorf("dictionary index %d at row %d out of range [0, %d)", int64(k), i, n)
			}
			h = dh[k]
		}
		set(out, i, h, first)
	}
	return nil
}

// dictID identifies a dictionary by its buffers and offset: buffers are immutable and
// the key's pointers keep them from being reused, so entry j of two dictionaries with equal
// IDs is the same value; the cache keeps the hashes of the longest one seen, which serve
// every shorter one.
type dictID struct {
	b0, b1, b2 *memory.Buffer
	offset     int
}

func dictIdentity(dict arrow.Array) dictID {
	d := dict.Data()
	id := dictID{offset: d.Offset()}
	bufs := d.Buffers()
	for i, p := range []**memory.Buffer{&id.b0, &id.b1, &id.b2} {
		if i < len(bufs) {
			*p = bufs[i]
		}
	}
	return id
}

// dictHashCache keeps the value hashes of the last few dictionaries a hasher met. It is
// not safe for concurrent use; a nil cache keeps nothing.
type DictHashCache struct {
	entries map[dictID][]uint64
}

// dictHashCacheSize bounds the dictionaries remembered (a few key columns' current ones).
const dictHashCacheSize = 16

func (c *DictHashCache) get(id dictID) []uint64 {
	if c == nil || id.b1 == nil {
		return nil
	}
	return c.entries[id]
}

func (c *DictHashCache) put(id dictID, hashes []uint64) {
	if c == nil || id.b1 == nil {
		return
	}
	if c.entries == nil || len(c.entries) >= dictHashCacheSize {
		c.entries = make(map[dictID][]uint64, dictHashCacheSize)
	}
	c.entries[id] = hashes
}
