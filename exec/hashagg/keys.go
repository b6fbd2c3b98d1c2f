package hashagg

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Group-key tables. Each key column has a table that gives every distinct value (NULL
// included, as one value) a dense int32 id, in order of first appearance. One key column's
// ids are the group ids; several columns' ids are folded pairwise through pair tables
// (id_a, id_b) -> dense id, so a row costs one typed lookup per column plus one uint64
// lookup per extra column, whatever the key types.
//
// Estimated bytes per distinct value, used for memory reservations: a swiss-table slot
// with its share of control bytes and growth slack, plus the per-id value slices.
const (
	intKeyEntryBytes  = 40
	pairEntryBytes    = 40
	arenaPageBytes    = 64 << 10
	arenaOwnPageBytes = arenaPageBytes / 4
	// arenaMinPageBytes is an arena's first page: pages double with the arena up to
	// arenaPageBytes, so that a small table's string keys cost a few KiB, not a 64 KiB
	// page per key column (which at tight budgets made every batch spill).
	arenaMinPageBytes = 4 << 10
)

// aggKeyTable assigns dense ids to the distinct values of one column.
type aggKeyTable interface {
	// assign writes the id of each row's value of arr into ids[:arr.Len()], adding
	// values not seen before.
	assign(arr arrow.Array, ids []int32) error
	// size is the number of distinct values seen, NULL included.
	size() int
	// nullID is the id of NULL, or -1 if no NULL was seen.
	nullID() int32
	// bytes estimates the memory the table holds.
	bytes() int64
	// growthBound bounds the bytes assigning arr can add.
	growthBound(arr arrow.Array) int64
	// build returns the values with the given ids as an array of type dt.
	build(mem memory.Allocator, dt arrow.DataType, ids []int32) (arrow.Array, error)
}

// newAggKeyTable returns the table for values of type dt.
func newAggKeyTable(dt arrow.DataType) (aggKeyTable, error) { return newAggKeyTableSized(dt, 0) }

// newAggKeyTableSized is newAggKeyTable with its map sized for hint values.
func newAggKeyTableSized(dt arrow.DataType, hint int) (aggKeyTable, error) {
	switch {
	case kernel.IsIntLike(dt):
		return &aggIntKeys{m: newAggIntMap(hint), null: -1}, nil
	case kernel.IsFloat(dt):
		return &aggFloatKeys{m: newAggIntMap(hint), null: -1}, nil
	case kernel.IsBytesLike(dt):
		return &aggBytesKeys{m: newAggStrMap(), null: -1}, nil
	case kernel.IsDecimal128(dt):
		return &aggDecKeys{small: newAggIntMap(hint), m: map[decimal128.Num]int32{}, null: -1}, nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: unsupported key type %s", dt)
}

// aggIntKeys groups integer-like values (ints, uints, bool, dates, times, timestamps)
// widened to int64; uint64 wraps, which keeps values distinct.
type aggIntKeys struct {
	m     aggIntMap
	vals  []int64 // by id; 0 at the NULL id
	null  int32
	bools []uint8 // scratch for unpacked boolean keys
	// direct maps keys in [base, base+len(direct)) to ids (-1: not seen) without hashing,
	// while every key seen fits a window of at most aggDirectMax values (db-benchmark's
	// id4/id6-like keys, TPC-H's sorted order keys). Every known key inside the window has
	// its slot, so a -1 slot is a new key; noDirect ends the fast path once a key falls
	// outside the bounds.
	direct   []int32
	base     int64
	noDirect bool
	// mapped counts the ids at the front of vals that are in m: keys added through the
	// direct window skip the map, which catches up (syncMap) only when the map path runs.
	mapped int
}

// aggDirectMax bounds the direct-index window (4 MiB of int32 ids), and
// aggDirectPerKey its size relative to the keys and rows seen, so that its memory stays
// proportional to the data (and within growthBound's estimate).
const (
	aggDirectMax    = 1 << 20
	aggDirectPerKey = 16
)

func (t *aggIntKeys) size() int     { return len(t.vals) }
func (t *aggIntKeys) nullID() int32 { return t.null }
func (t *aggIntKeys) bytes() int64 {
	return t.m.bytes() + int64(cap(t.vals))*8 + int64(cap(t.direct))*4
}
func (t *aggIntKeys) addNull() int32 {
	t.null = int32(len(t.vals))
	t.vals = append(t.vals, 0)
	return t.null
}

func (t *aggIntKeys) presizeBytes(values int) int64 {
	return t.m.growthBound(values) + int64(values)*8
}

func (t *aggIntKeys) presize(values int) {
	if len(t.vals) > 0 {
		return
	}
	t.m = newAggIntMap(values)
	t.vals = make([]int64, 0, values)
}

// syncMap adds to the map the keys that the direct window added without it.
func (t *aggIntKeys) syncMap() {
	for id := t.mapped; id < len(t.vals); id++ {
		if int32(id) != t.null {
			t.m.put(t.vals[id], int32(id))
		}
	}
	t.mapped = len(t.vals)
}

func (t *aggIntKeys) growthBound(arr arrow.Array) int64 {
	// The direct window (useDirect) is not in the estimate: it is capped at
	// aggDirectPerKey slots per key and row seen, and bytes() counts it once allocated,
	// so the reservation catches up at the next batch.
	return int64(arr.Len())*16 + t.m.growthBound(arr.Len())
}

func (t *aggIntKeys) assign(arr arrow.Array, ids []int32) error {
	switch arr.DataType().ID() {
	case arrow.INT8:
		aggAssignInts(t, kernel.FixedValues[int8](arr), arr, ids)
	case arrow.UINT8:
		aggAssignInts(t, kernel.FixedValues[uint8](arr), arr, ids)
	case arrow.INT16:
		aggAssignInts(t, kernel.FixedValues[int16](arr), arr, ids)
	case arrow.UINT16:
		aggAssignInts(t, kernel.FixedValues[uint16](arr), arr, ids)
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		aggAssignInts(t, kernel.FixedValues[int32](arr), arr, ids)
	case arrow.UINT32:
		aggAssignInts(t, kernel.FixedValues[uint32](arr), arr, ids)
	case arrow.INT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		aggAssignInts(t, kernel.FixedValues[int64](arr), arr, ids)
	case arrow.UINT64:
		aggAssignInts(t, kernel.FixedValues[uint64](arr), arr, ids)
	case arrow.BOOL:
		t.bools = kernel.BoolsAsBytes(arr.(*array.Boolean), t.bools)
		aggAssignInts(t, t.bools, arr, ids)
	default:
		return fmt.Errorf("exec: hash aggregate: integer key table got %s", arr.DataType())
	}
	return nil
}

func aggAssignInts[T ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64](t *aggIntKeys, vals []T, arr arrow.Array, ids []int32) {
	bm, off := kernel.Validity(arr)
	t.vals = aggReserve(t.vals, len(vals)) // doubling: append's 1.25x copies millions of keys often
	if bm == nil && len(vals) > 0 && aggUseDirect(t, vals) {
		for i, v := range vals {
			slot := &t.direct[int64(v)-t.base]
			if *slot < 0 {
				*slot = int32(len(t.vals))
				t.vals = append(t.vals, int64(v))
			}
			ids[i] = *slot
		}
		return
	}
	t.syncMap()
	for i, v := range vals {
		if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			id := t.null
			if id < 0 {
				id = t.addNull()
			}
			ids[i] = id
			continue
		}
		k := int64(v)
		slot, ok := t.m.find(k)
		id := t.m.ids[slot] - 1
		if !ok {
			id = int32(len(t.vals))
			t.m.insertAt(slot, k, id)
			t.vals = append(t.vals, k)
			if k >= t.base && k-t.base < int64(len(t.direct)) {
				t.direct[k-t.base] = id
			}
		}
		ids[i] = id
	}
	t.mapped = len(t.vals)
}

// aggUseDirect reports whether every value of the batch fits the direct window, growing
// the window to cover the batch while it stays within aggDirectMax and aggDirectPerKey.
// The window grows by at least half its size so that keys arriving in order (a sorted
// column) regrow it a logarithmic number of times, not once per batch.
func aggUseDirect[T ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64](t *aggIntKeys, vals []T) bool {
	if t.noDirect {
		return false
	}
	lo, hi := vals[0], vals[0]
	for _, x := range vals[1:] {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	if uint64(hi) > math.MaxInt64 && hi > 0 {
		// A uint64 above MaxInt64 does not fit the window's int64 arithmetic.
		t.noDirect, t.direct = true, nil
		return false
	}
	wlo, whi := int64(lo), int64(hi)
	if len(t.direct) > 0 {
		if wlo >= t.base && whi < t.base+int64(len(t.direct)) {
			return true
		}
		wlo, whi = min(wlo, t.base), max(whi, t.base+int64(len(t.direct))-1)
	}
	limit := int64(max(4096, aggDirectPerKey*(len(t.vals)+len(vals))))
	if span := whi - wlo; span < 0 || span >= aggDirectMax || span >= limit {
		t.noDirect, t.direct = true, nil
		return false
	}
	if slack := int64(len(t.direct)) / 2; slack > 0 {
		// Extend on the side the batch grew, within the bounds.
		room := min(aggDirectMax, limit) - 1 - (whi - wlo)
		slack = max(0, min(slack, room))
		if wlo < t.base && wlo > math.MinInt64/2 {
			wlo -= slack
		} else if whi < math.MaxInt64/2 {
			whi += slack
		}
	}
	grown := make([]int32, whi-wlo+1)
	for i := range grown {
		grown[i] = -1
	}
	for id, k := range t.vals {
		if int32(id) != t.null && k >= wlo && k <= whi {
			grown[k-wlo] = int32(id)
		}
	}
	t.direct, t.base = grown, wlo
	return true
}

func (t *aggIntKeys) build(mem memory.Allocator, dt arrow.DataType, ids []int32) (arrow.Array, error) {
	return aggBuildInt64Widened(mem, dt, len(ids),
		func(i int) int64 { return t.vals[ids[i]] },
		func(i int) bool { return ids[i] != t.null })
}

// aggFloatKeys groups float32/float64 values by their float64 bits after mapping every NaN
// to one NaN and -0.0 to 0.0 (Spark: all NaNs form one group, -0.0 = 0.0).
type aggFloatKeys struct {
	m    aggIntMap // by the key's bits
	vals []float64
	null int32
}

var aggCanonicalNaN = math.Float64bits(math.NaN())

func aggFloatKey(f float64) uint64 {
	if f != f {
		return aggCanonicalNaN
	}
	if f == 0 {
		return 0
	}
	return math.Float64bits(f)
}

func (t *aggFloatKeys) size() int     { return len(t.vals) }
func (t *aggFloatKeys) nullID() int32 { return t.null }
func (t *aggFloatKeys) bytes() int64  { return t.m.bytes() + int64(cap(t.vals))*8 }
func (t *aggFloatKeys) growthBound(arr arrow.Array) int64 {
	return int64(arr.Len())*16 + t.m.growthBound(arr.Len())
}

func (t *aggFloatKeys) assign(arr arrow.Array, ids []int32) error {
	switch arr.DataType().ID() {
	case arrow.FLOAT32:
		aggAssignFloats(t, kernel.FixedValues[float32](arr), arr, ids)
	case arrow.FLOAT64:
		aggAssignFloats(t, kernel.FixedValues[float64](arr), arr, ids)
	default:
		return fmt.Errorf("exec: hash aggregate: float key table got %s", arr.DataType())
	}
	return nil
}

func aggAssignFloats[T float32 | float64](t *aggFloatKeys, vals []T, arr arrow.Array, ids []int32) {
	bm, off := kernel.Validity(arr)
	for i, v := range vals {
		if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			if t.null < 0 {
				t.null = int32(len(t.vals))
				t.vals = append(t.vals, 0)
			}
			ids[i] = t.null
			continue
		}
		k := aggFloatKey(float64(v))
		slot, ok := t.m.find(int64(k))
		id := t.m.ids[slot] - 1
		if !ok {
			id = int32(len(t.vals))
			t.m.insertAt(slot, int64(k), id)
			t.vals = append(t.vals, math.Float64frombits(k))
		}
		ids[i] = id
	}
}

func (t *aggFloatKeys) build(mem memory.Allocator, dt arrow.DataType, ids []int32) (arrow.Array, error) {
	valid := func(i int) bool { return ids[i] != t.null }
	switch dt.ID() {
	case arrow.FLOAT32:
		return kernel.BuildFixed(mem, dt, len(ids), func(i int) float32 { return float32(t.vals[ids[i]]) }, valid), nil
	case arrow.FLOAT64:
		return kernel.BuildFixed(mem, dt, len(ids), func(i int) float64 { return t.vals[ids[i]] }, valid), nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: cannot build %s from float keys", dt)
}

func aggDictKeyOf(dict arrow.Array) aggDictKey {
	bufs := dict.Data().Buffers()
	k := aggDictKey{offset: dict.Data().Offset(), length: dict.Len()}
	if len(bufs) > 2 {
		k.offsets, k.values = bufs[1], bufs[2]
	}
	return k
}

func aggAssignDictIdx[T ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64](t *aggBytesKeys, idx []T, idxArr arrow.Array, ids []int32, resolve func(int) int32) {
	bm, off := kernel.Validity(idxArr)
	dictIDs := t.dictIDs
	for i, v := range idx {
		if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			ids[i] = t.nullGroup()
			continue
		}
		id := dictIDs[v]
		if id < 0 {
			id = resolve(int(v))
			dictIDs[v] = id
		}
		ids[i] = id
	}
}

// aggGroupKeys turns the key columns of a batch into group ids.
type aggGroupKeys struct {
	cols []aggKeyTable
	// slots is an open-addressing table over the tuple of per-column ids (two or more
	// keys): 0 is empty, otherwise the hash's high 32 bits above group+1. One probe per
	// row, whatever the number of keys; the tuples are verified against groupCols.
	// A tuple's home slot is the top bits of its hash (shift = 64 - log2(len)), which the
	// stored high bits contain: doubling the table walks the old slots in order and
	// writes the new ones in nearly ascending order, instead of scattering a random
	// write per group over a table far larger than the caches.
	slots []uint64
	shift uint
	// groupCols[k][g] is column k's id of group g (only with two or more keys).
	groupCols [][]int32
	scratch   [][]int32      // per-column ids of the current batch
	hashes    []uint64       // tuple hashes of the current batch
	n         int            // groups
	direct    aggTupleDirect // small key domains: a direct index in place of slots (keys_direct.go)
}

// aggTupleSlots is the initial size of the tuple table.
const aggTupleSlots = 1024

// aggTupleOverloaded reports whether groups would fill more than 3/4 of slots. The
// stored hash tags make a probe past another group's slot cheap, so a fuller table
// costs little in probes and saves a third of the memory a half-full one would touch
// (first touches of fresh pages are what a large table's growth mostly costs).
func aggTupleOverloaded(groups, slots int) bool { return 4*groups > 3*slots }

// newAggGroupKeys returns empty tables for keys of types. prev, if not nil, is the table
// being replaced after a spill: each column's map is sized for as many values as prev's
// held, since the new table fills to about the same size before it spills in turn, and
// growing a map of a million strings from empty rehashes it some twenty times. The maps'
// bytes count as their entries arrive (bytes), so the room sized ahead is the room the
// spill has just freed.
func newAggGroupKeys(types []arrow.DataType, prev *aggGroupKeys) (*aggGroupKeys, error) {
	g := &aggGroupKeys{}
	for k, dt := range types {
		hint := 0
		if prev != nil && k < len(prev.cols) {
			hint = prev.cols[k].size()
		}
		t, err := newAggKeyTableSized(dt, hint)
		if err != nil {
			return nil, err
		}
		g.cols = append(g.cols, t)
	}
	if len(types) == 0 {
		g.n = 1 // a global aggregate has its one group even over no rows
	}
	if len(types) > 1 {
		g.slots = colop.SlabAlloc[uint64](aggTupleSlots, aggTupleSlots)
		g.shift = uint(64 - bits.TrailingZeros(aggTupleSlots))
		g.groupCols = make([][]int32, len(types))
	}
	g.scratch = make([][]int32, len(types))
	return g, nil
}

// assign writes the group id of each of the batch's rows into gids.
func (g *aggGroupKeys) assign(keys []arrow.Array, gids []int32) error {
	switch len(g.cols) {
	case 0:
		clear(gids)
		return nil
	case 1:
		if err := g.cols[0].assign(keys[0], gids); err != nil {
			return err
		}
		g.n = g.cols[0].size()
		return nil
	}
	rows := len(gids)
	for k, t := range g.cols {
		if cap(g.scratch[k]) < rows {
			g.scratch[k] = make([]int32, rows)
		}
		g.scratch[k] = g.scratch[k][:rows]
		if err := t.assign(keys[k], g.scratch[k]); err != nil {
			return err
		}
	}
	if !g.direct.off && g.assignDirect(gids) {
		return nil
	}
	// Room for every row of the batch to be a new group, so the loop never grows the
	// table (see aggTupleOverloaded).
	for aggTupleOverloaded(g.n+rows, len(g.slots)) {
		g.growSlots()
	}
	mask := uint64(len(g.slots) - 1)
	shift := g.shift
	for k := range g.groupCols {
		g.groupCols[k] = colop.SlabReserve(g.groupCols[k], rows)
	}
	// Hashing every row first leaves the probe loop short and free of the hash's chain
	// of multiplies, so that the processor overlaps the cache misses of several rows'
	// slots in a table far larger than its caches.
	if cap(g.hashes) < rows {
		g.hashes = make([]uint64, rows)
	}
	hashes := g.hashes[:rows]
	for i := range hashes {
		hashes[i] = g.tupleHash(i)
	}
	for i, h := range hashes {
		tag := h >> 32
		pos := h >> shift
		for {
			slot := g.slots[pos]
			if slot == 0 {
				id := int32(g.n)
				g.n++
				g.slots[pos] = tag<<32 | uint64(id+1)
				for k := range g.cols {
					g.groupCols[k] = append(g.groupCols[k], g.scratch[k][i])
				}
				gids[i] = id
				break
			}
			if slot>>32 == tag {
				id := int32(uint32(slot)) - 1
				same := true
				for k := range g.cols {
					if g.groupCols[k][id] != g.scratch[k][i] {
						same = false
						break
					}
				}
				if same {
					gids[i] = id
					break
				}
			}
			pos = (pos + 1) & mask
		}
	}
	return nil
}

// tupleHash mixes row i's per-column ids (from scratch) into one hash.
func (g *aggGroupKeys) tupleHash(i int) uint64 {
	h := aggTupleSeed
	for k := range g.scratch {
		h = aggTupleMix(h, g.scratch[k][i])
	}
	return h
}

// aggTupleSeed starts a tuple's hash, aggTupleMix adds one column's id to it.
const aggTupleSeed = uint64(0x9e3779b97f4a7c15)

func aggTupleMix(h uint64, id int32) uint64 {
	h ^= uint64(uint32(id))
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>31
}

// growSlots doubles the tuple table. Every slot's new home comes from its stored high
// hash bits, so the old table is read in order and the new one written nearly in order.
func (g *aggGroupKeys) growSlots() {
	old := g.slots
	defer colop.SlabFree(old)
	g.slots = colop.SlabAlloc[uint64](2*len(old), 2*len(old))
	g.shift--
	mask := uint64(len(g.slots) - 1)
	for _, slot := range old {
		if slot == 0 {
			continue
		}
		pos := (slot >> 32 << 32) >> g.shift
		for g.slots[pos] != 0 {
			pos = (pos + 1) & mask
		}
		g.slots[pos] = slot
	}
}

// aggPresizer is a column key table that can make room for its values up front.
type aggPresizer interface {
	// presizeBytes is what presize(values) adds to the table's bytes.
	presizeBytes(values int) int64
	// presize makes the empty table hold values without growing.
	presize(values int)
}

// presizeBytes is what presize(groups) adds to the table's bytes: the tuple slots and
// the key ids, or with one key the column's table, which is the group table (when it
// can be presized: the integer one, whose doubling was a fifth of TPC-H Q18).
func (g *aggGroupKeys) presizeBytes(groups int) int64 {
	if len(g.cols) == 1 {
		if p, ok := g.cols[0].(aggPresizer); ok && g.cols[0].size() == 0 {
			return p.presizeBytes(groups)
		}
		return 0
	}
	if len(g.cols) < 2 {
		return 0
	}
	size := len(g.slots)
	for aggTupleOverloaded(groups, size) {
		size *= 2
	}
	return int64(size-len(g.slots))*8 + int64(groups*len(g.cols))*4
}

// presize makes the empty table hold groups without growing.
func (g *aggGroupKeys) presize(groups int) {
	if len(g.cols) == 1 {
		if p, ok := g.cols[0].(aggPresizer); ok && g.cols[0].size() == 0 {
			p.presize(groups)
		}
		return
	}
	if len(g.cols) < 2 || g.n > 0 {
		return
	}
	for aggTupleOverloaded(groups, len(g.slots)) {
		g.growSlots()
	}
	for k := range g.groupCols {
		g.groupCols[k] = colop.SlabReserve(g.groupCols[k], groups)
	}
}

// aggReserve returns s with room for n more elements, at least doubling its capacity
// when it must grow: append's growth for large slices (1.25x) would copy a table of
// millions of groups many times over.
func aggReserve[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	grown := make([]T, len(s), max(len(s)+n, 2*cap(s)))
	copy(grown, s)
	return grown
}

func (g *aggGroupKeys) bytes() int64 {
	var b int64
	for _, t := range g.cols {
		b += t.bytes()
	}
	b += int64(cap(g.slots))*8 + int64(cap(g.hashes))*8 + g.direct.bytes()
	for k := range g.groupCols {
		b += int64(cap(g.groupCols[k]))*4 + int64(cap(g.scratch[k]))*4
	}
	return b
}

func (g *aggGroupKeys) growthBound(keys []arrow.Array, rows int) int64 {
	var b int64
	for k, t := range g.cols {
		b += t.growthBound(keys[k])
	}
	if len(g.cols) > 1 {
		// Per new group: its ids in groupCols (with doubling slack) and scratch; and
		// the tuple table may double (twice its slots while both copies exist).
		b += int64(rows) * int64(len(g.cols)*12)
		if !g.direct.off {
			b += 4<<aggDirectBits - int64(cap(g.direct.cells))*4
		}
		if size := len(g.slots); aggTupleOverloaded(g.n+rows, size) {
			for aggTupleOverloaded(g.n+rows, size) {
				size *= 2
			}
			b += int64(size) * 8
		}
	}
	return b
}

// build returns key column k of groups [lo, hi) as an array of type dt.
func (g *aggGroupKeys) build(mem memory.Allocator, k int, dt arrow.DataType, lo, hi int, identity []int32) (arrow.Array, error) {
	ids := identity
	if len(g.cols) > 1 {
		ids = g.groupCols[k][lo:hi]
	}
	if bt, ok := g.cols[k].(*aggBytesKeys); ok {
		if d, ok := dt.(*arrow.DictionaryType); ok && d.ValueType.ID() != arrow.DICTIONARY {
			return bt.buildDict(mem, d, ids)
		}
	}
	return g.cols[k].build(mem, dt, ids)
}

// release frees what the tables hold outside the Go heap (shared output dictionaries)
// and gives the tuple table and group key ids back to the slab pool; g must not be used
// after.
func (g *aggGroupKeys) release() {
	for _, t := range g.cols {
		if bt, ok := t.(*aggBytesKeys); ok {
			bt.release()
		}
	}
	colop.SlabFree(g.slots)
	g.slots = nil
	for k := range g.groupCols {
		colop.SlabFree(g.groupCols[k])
		g.groupCols[k] = nil
	}
}
