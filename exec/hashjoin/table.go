package hashjoin

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// The join's hash table. Key columns of either side are normalized per batch into a
// comparable form (integers widened to int64, floats to canonical float64 bits, strings
// viewed in place, dictionaries resolved to entry numbers), so one comparison serves
// int32 against int64, dictionary against plain string, and -0/NaN as Spark normalizes
// them. Rows are hashed with kernel.HashColumns, which hashes equal keys alike whatever
// their physical type. The table is open addressing over distinct keys: a slot holds the
// first build row of its key and that row's hash, and next chains the key's other rows
// in build order, so a probe costs one slot walk and then yields every duplicate. A build
// side whose keys are all unique has no chains at all. The table is sized once from the
// build row count (never rehashed); probes read their home slots a chunk at a time
// before resolving them, so that their cache misses overlap.

// hjKeyClass is how a key column compares.
type hjKeyClass uint8

const (
	hjIntKey     hjKeyClass = iota // integer-like, widened to int64
	hjFloatKey                     // float32/float64, as canonical float64 bits
	hjBytesKey                     // utf8/binary, plain or dictionary-encoded
	hjDecimalKey                   // decimal128 (one type on both sides), unscaled values
)

func (c hjKeyClass) String() string {
	return [...]string{"integer", "float", "string", "decimal"}[c]
}

// hjClassOf classifies a key type; ok is false for types a join cannot key on.
func hjClassOf(dt arrow.DataType) (hjKeyClass, bool) {
	switch {
	case kernel.IsIntLike(dt):
		return hjIntKey, true
	case kernel.IsFloat(dt):
		return hjFloatKey, true
	case kernel.IsDecimal128(dt):
		return hjDecimalKey, true
	case kernel.IsBytesLike(dt):
		if d, ok := dt.(*arrow.DictionaryType); ok && d.ValueType.ID() == arrow.DICTIONARY {
			return 0, false
		}
		return hjBytesKey, true
	}
	return 0, false
}

// hjKeyCol is one key column of a batch in comparable form. Its slices view the
// batch's buffers or reuse scratch owned by the column.
type hjKeyCol struct {
	class  hjKeyClass
	ints   []int64 // hjIntKey and hjFloatKey values
	offs32 []int32
	offs64 []int64
	data   []byte
	dict   []int32 // entry of each row of a dictionary column, -1 for NULL
	decs   []decimal128.Num

	widened []int64 // scratch behind ints when they are not a view
	dictBuf []int32 // scratch behind dict
	bools   []uint8
}

// load makes arr comparable and marks rows whose value is NULL in nulls.
func (c *hjKeyCol) load(arr arrow.Array, nulls []bool) error {
	n := arr.Len()
	c.ints, c.offs32, c.offs64, c.data, c.dict, c.decs = nil, nil, nil, nil, nil, nil
	if bm, off := kernel.Validity(arr); bm != nil {
		for i := range n {
			if !bitutil.BitIsSet(bm, off+i) {
				nulls[i] = true
			}
		}
	}
	switch c.class {
	case hjIntKey:
		return c.loadInts(arr, n)
	case hjDecimalKey:
		return c.loadDecimals(arr)
	case hjFloatKey:
		c.widened = kernel.Resize(c.widened, n)
		switch arr.DataType().ID() {
		case arrow.FLOAT32:
			hjCanonicalFloats(c.widened, kernel.FixedValues[float32](arr))
		case arrow.FLOAT64:
			hjCanonicalFloats(c.widened, kernel.FixedValues[float64](arr))
		default:
			return fmt.Errorf("float key got %s", arr.DataType())
		}
		c.ints = c.widened
		return nil
	}
	vals := arr
	if d, ok := arr.(*array.Dictionary); ok {
		var err error
		if c.dictBuf, err = kernel.DictIndices(d, c.dictBuf); err != nil {
			return err
		}
		c.dict = c.dictBuf
		for i, e := range c.dict {
			if e < 0 {
				nulls[i] = true
			}
		}
		vals = d.Dictionary()
	}
	switch vals.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		c.offs32, c.data = kernel.OffsetsAndData[int32](vals)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		c.offs64, c.data = kernel.OffsetsAndData[int64](vals)
	default:
		return fmt.Errorf("string key got %s", arr.DataType())
	}
	return nil
}

func (c *hjKeyCol) loadInts(arr arrow.Array, n int) error {
	if kernel.ByteWidth(arr.DataType()) == 8 {
		// Signed and unsigned 64-bit values compare by their bits: a view suffices.
		c.ints = kernel.FixedValues[int64](arr)
		return nil
	}
	c.widened = kernel.Resize(c.widened, n)
	w := c.widened
	switch arr.DataType().ID() {
	case arrow.INT8:
		hjWiden(w, kernel.FixedValues[int8](arr))
	case arrow.UINT8:
		hjWiden(w, kernel.FixedValues[uint8](arr))
	case arrow.INT16:
		hjWiden(w, kernel.FixedValues[int16](arr))
	case arrow.UINT16:
		hjWiden(w, kernel.FixedValues[uint16](arr))
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		hjWiden(w, kernel.FixedValues[int32](arr))
	case arrow.UINT32:
		hjWiden(w, kernel.FixedValues[uint32](arr))
	case arrow.BOOL:
		c.bools = kernel.BoolsAsBytes(arr.(*array.Boolean), c.bools)
		hjWiden(w, c.bools)
	default:
		return fmt.Errorf("integer key got %s", arr.DataType())
	}
	c.ints = w
	return nil
}

func hjWiden[T ~int8 | ~int16 | ~int32 | ~uint8 | ~uint16 | ~uint32](dst []int64, src []T) {
	for i, v := range src {
		dst[i] = int64(v)
	}
}

// hjCanonicalFloats stores each value's float64 bits with every NaN as one NaN and -0 as
// 0, so that bit equality is Spark's join equality on normalized doubles.
func hjCanonicalFloats[T float32 | float64](dst []int64, src []T) {
	nan := int64(math.Float64bits(math.NaN()))
	for i, v := range src {
		f := float64(v)
		switch {
		case f != f:
			dst[i] = nan
		case f == 0:
			dst[i] = 0
		default:
			dst[i] = int64(math.Float64bits(f))
		}
	}
}

// bytesAt is row i's value of a string key column.
func (c *hjKeyCol) bytesAt(i int) []byte {
	if c.dict != nil {
		i = int(c.dict[i])
	}
	if c.offs64 != nil {
		return c.data[c.offs64[i]:c.offs64[i+1]]
	}
	return c.data[c.offs32[i]:c.offs32[i+1]]
}

// hjKeys is the key columns of one batch (or of the whole build side) in comparable
// form, with each row's hash and whether any of its keys is NULL.
type hjKeys struct {
	cols    []hjKeyCol
	hashes  []uint64
	nulls   []bool
	anyNull bool
	// slab is set for a table's build keys: hashes is then a slab the table gives back
	// on release (hjTable.slab), not one per task for the collector.
	slab bool
	// dicts keeps the value hashes of the dictionaries the batches share (a source's, or
	// a CSV split's growing one), so that each is hashed once, not once per batch.
	dicts kernel.DictHashCache
}

func newHJKeys(classes []hjKeyClass) hjKeys {
	k := hjKeys{cols: make([]hjKeyCol, len(classes))}
	for i, c := range classes {
		k.cols[i].class = c
	}
	return k
}

// load hashes and normalizes the key arrays of n rows.
func (k *hjKeys) load(arrs []arrow.Array, n int) error {
	if k.slab && cap(k.hashes) < n {
		colop.SlabFree(k.hashes)
		k.hashes = colop.SlabAlloc[uint64](n, n)
	}
	k.hashes = kernel.Resize(k.hashes, n)
	k.nulls = kernel.Resize(k.nulls, n)
	clear(k.nulls)
	// Hashing first also validates dictionary indices before they are followed.
	if err := kernel.HashColumnsCached(arrs, k.hashes, &k.dicts); err != nil {
		return err
	}
	for c := range k.cols {
		if err := k.cols[c].load(arrs[c], k.nulls); err != nil {
			return fmt.Errorf("key %d: %w", c, err)
		}
	}
	k.anyNull = false
	for _, a := range arrs {
		if a.NullN() > 0 || a.DataType().ID() == arrow.DICTIONARY {
			k.anyNull = true
		}
	}
	return nil
}

// hjEqual compares row i of a with row j of b, all key columns.
func hjEqual(a *hjKeys, i int, b *hjKeys, j int) bool {
	for c := range a.cols {
		ac, bc := &a.cols[c], &b.cols[c]
		switch ac.class {
		case hjBytesKey:
			if !bytes.Equal(ac.bytesAt(i), bc.bytesAt(j)) {
				return false
			}
		case hjDecimalKey:
			if ac.decs[i] != bc.decs[j] {
				return false
			}
		default:
			if ac.ints[i] != bc.ints[j] {
				return false
			}
		}
	}
	return true
}

// Estimated bytes per build row and per slot, for reservations.
const (
	hjSlotBytes = 16        // one hjSlot
	hjRowBytes  = 8 + 1 + 4 // hashes, nulls, next
)

// hjSlot is one slot of the table: a key's hash and first build row (-1: empty). They
// sit together so that a probe touches one cache line.
type hjSlot struct {
	hash uint64
	head int32
}

// hjTable indexes the build rows by key.
type hjTable struct {
	build hjKeys
	slots []hjSlot
	// next chains each build row to the next build row with the same key (-1 at the
	// end). It is nil while every key is unique (primary keys: orders, part, customer),
	// which spares the probe a random read per match: a match is its slot's row alone.
	next []int32
	mask uint64
	// hashIsKey: one integer or float key, whose 64-bit hash is a bijection of its
	// value (shuffle's hash is add-then-murmur-finalize, each step invertible), so equal
	// hashes mean equal keys and rows need no comparison.
	hashIsKey bool
	sink      uint64 // what the prefetching loads read, kept so that they are not dropped
	// dom is the set of a single integer key's values when they span a small range
	// (probe_select.go), nil otherwise.
	dom *hjDomain
	// slab is set while slots and next are slabs (colop.SlabAlloc) the table owns (the
	// build keys' hashes too, build.slab): a shuffled join's task drops its table when it
	// ends, and left to the collector every task's table (tens of MiB for a million build
	// rows) stayed resident until a collection, which a process with a large live heap
	// runs rarely; recycled, the next task's table reuses them. Cleared when the table is
	// published to a shared build, whose adopters read it until the last is done: the
	// collector frees that one.
	slab bool
}

// The slots are carved out of a uint64 slab, two words a slot: hjSlot must be 16 bytes.
var _ = [1]struct{}{}[unsafe.Sizeof(hjSlot{})-16]

// release gives the table's slabs back to the pool (nothing when it holds none).
func (t *hjTable) release() {
	t.freeSlots()
	if t.build.slab {
		colop.SlabFree(t.build.hashes)
		t.build.hashes, t.build.slab = nil, false
	}
}

// freeSlots gives the slots and chains back to the pool when they are the table's slabs.
func (t *hjTable) freeSlots() {
	if !t.slab {
		return
	}
	if len(t.slots) > 0 {
		colop.SlabFree(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(t.slots))), 2*len(t.slots)))
	}
	colop.SlabFree(t.next)
	t.slots, t.next, t.slab = nil, nil, false
}

// share hands the table's slabs to the collector: the table is published to a shared
// build, whose adopters read it after this join is done.
func (t *hjTable) share() { t.slab, t.build.slab = false, false }

// hjTableSlots is the slot count for n rows: a power of two at most half full. A small
// table (a broadcast dimension, whose probes mostly miss) gets up to hjSmallSlots slots,
// so that a probe usually stops at an empty home slot, while it still fits a core's cache.
func hjTableSlots(n int) int {
	if n <= 0 {
		return 16
	}
	return max(1<<bits.Len(uint(2*n-1)), min(1<<bits.Len(uint(8*n-1)), hjSmallSlots), 16)
}

// hjSmallSlots is the most slots a small table is spread over (256 KiB).
const hjSmallSlots = 1 << 14

// hjChunk is how many rows a build or probe loop touches the home slots of before it
// uses them: their cache misses overlap instead of following one another.
const hjChunk = 64

// hjTableBytes estimates the memory of a table over n rows with the given key classes.
func hjTableBytes(n int, classes []hjKeyClass) int64 {
	// Each key column may hold widened values or dictionary entries per row.
	return int64(hjTableSlots(n))*hjSlotBytes + int64(n)*(hjRowBytes+8*int64(len(classes)))
}

// index builds the table over the build keys (already loaded).
func (t *hjTable) index(n int) {
	t.freeSlots() // a table indexed again gives its slots back first
	size := hjTableSlots(n)
	raw := colop.SlabAlloc[uint64](2*size, 2*size)
	t.slots = unsafe.Slice((*hjSlot)(unsafe.Pointer(unsafe.SliceData(raw))), size)
	t.slab = true
	t.dom = nil // indexDomain sets it for the new keys
	// The pass that marks every slot empty also touches the fresh pages in order, which
	// costs less than faulting them in at random inserts.
	for i := range t.slots {
		t.slots[i].head = -1
	}
	t.next = nil
	t.mask = uint64(size - 1)
	t.hashIsKey = len(t.build.cols) == 1 && (t.build.cols[0].class == hjIntKey || t.build.cols[0].class == hjFloatKey)
	slots, mask, hashes, nulls := t.slots, t.mask, t.build.hashes[:n], t.build.nulls[:n]
	// Rows go in back to front and each is put at its key's head, so chains run in build
	// order.
	var sink uint64
	for hi := n; hi > 0; hi -= hjChunk {
		lo := max(hi-hjChunk, 0)
		for _, h := range hashes[lo:hi] {
			sink += slots[h&mask].hash
		}
		for r := hi - 1; r >= lo; r-- {
			if !nulls[r] {
				t.insert(r, hashes[r])
			}
		}
	}
	t.sink = sink
}

// insert puts build row r (hash h) at the head of its key's chain.
func (t *hjTable) insert(r int, h uint64) {
	for s := h & t.mask; ; s = (s + 1) & t.mask {
		slot := &t.slots[s]
		if slot.head < 0 {
			slot.hash, slot.head = h, int32(r)
			return
		}
		if slot.hash == h && (t.hashIsKey || hjEqual(&t.build, r, &t.build, int(slot.head))) {
			if t.next == nil {
				t.next = colop.SlabAlloc[int32](len(t.build.hashes), len(t.build.hashes))
				for i := range t.next {
					t.next[i] = -1
				}
			}
			t.next[r], slot.head = slot.head, int32(r)
			return
		}
	}
}

// lookup writes the first matching build row of each probe row into heads, -1 when
// there is none or the probe key has a NULL. It works in chunks: first every row's home
// slot is read (independent loads, whose misses overlap), then each row is resolved,
// most by that slot alone (empty, or its key).
func (t *hjTable) lookup(p *hjKeys, heads []int32) {
	slots, mask := t.slots, t.mask
	if len(slots) == 0 {
		for i := range heads {
			heads[i] = -1
		}
		return
	}
	hashes := p.hashes[:len(heads)]
	for lo := 0; lo < len(hashes); lo += hjChunk {
		hi := min(lo+hjChunk, len(hashes))
		for i := lo; i < hi; i++ {
			heads[i] = slots[hashes[i]&mask].head
		}
		for i := lo; i < hi; i++ {
			if heads[i] < 0 {
				continue
			}
			if p.anyNull && p.nulls[i] {
				heads[i] = -1
				continue
			}
			h := hashes[i]
			s := h & mask
			if slot := &slots[s]; slot.hash == h && (t.hashIsKey || hjEqual(p, i, &t.build, int(slot.head))) {
				continue
			}
			heads[i] = t.probeFrom(p, i, h, (s+1)&mask)
		}
	}
}

// probeFrom walks the slots from s on for probe row i (hash h): its key's first build
// row, or -1.
func (t *hjTable) probeFrom(p *hjKeys, i int, h, s uint64) int32 {
	for ; ; s = (s + 1) & t.mask {
		slot := &t.slots[s]
		if slot.head < 0 {
			return -1
		}
		if slot.hash == h && (t.hashIsKey || hjEqual(p, i, &t.build, int(slot.head))) {
			return slot.head
		}
	}
}

// hjNext is the build row after r with r's key, -1 at the end; next is the table's
// chains, nil when every key is unique.
func hjNext(next []int32, r int32) int32 {
	if next == nil {
		return -1
	}
	return next[r]
}
