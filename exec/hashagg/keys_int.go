package hashagg

import (
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// aggIntTable maps int64 keys to group ids: an open-addressing table with linear probing
// over one flat slice (a key and its id+1 per slot, side by side so that a probe
// touches one cache line; id 0 marks an empty slot, so every int64 is a key), a power-of-two number of slots filled to at most 3/4. A batch is
// hashed in one loop and probed in the next. A key's home slot is the top bits of its
// hash, so doubling the table walks the old slots in order and writes the new ones in
// nearly ascending order instead of scattering a write per key over a table larger
// than the caches.
type aggIntTable struct {
	slots []aggIntSlot
	n     int  // keys held
	shift uint // 64 - log2(len(slots))
}

// aggIntSlot is one slot of an aggIntTable.
type aggIntSlot struct {
	key int64
	id  int32 // group id + 1; 0 for an empty slot
}

// aggIntSlotBytes is a slot's size, padding included.
const aggIntSlotBytes = 16

// aggIntMinSlots is a table's first size.
const aggIntMinSlots = 64

// aggIntHash mixes k into 64 bits whose top bits depend on every bit of k. It must not
// be internal/kernel's integer hash: the shuffle sends a reduce task the keys whose
// kernel hashes share their top bits, and homes taken from those bits would pile every
// key of the task into a fraction of the slots (the probes then walk runs of millions).
// Here: a seed, then two xor-shift-multiply rounds (the rrmxmx constants).
func aggIntHash(k int64) uint64 {
	x := uint64(k) ^ 0x6a09e667f3bcc909
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	x *= 0xd6e8feb86659fd93
	x ^= x >> 32
	return x
}

// aggIntSlotsFor is the number of slots holding n keys within the load limit.
func aggIntSlotsFor(n int) int {
	size := aggIntMinSlots
	for 4*n > 3*size {
		size *= 2
	}
	return size
}

// init sizes the empty table for hint keys.
func (t *aggIntTable) init(hint int) {
	size := aggIntSlotsFor(hint)
	t.slots = make([]aggIntSlot, size)
	t.shift = 64
	for 1<<(64-t.shift) < size {
		t.shift--
	}
}

// bytes is the table's size.
func (t *aggIntTable) bytes() int64 { return int64(cap(t.slots)) * aggIntSlotBytes }

// growthBound bounds what adding rows keys adds to bytes: the doubled table, while the
// old one still exists.
func (t *aggIntTable) growthBound(rows int) int64 {
	if size := aggIntSlotsFor(t.n + rows); size > len(t.slots) {
		return int64(size) * aggIntSlotBytes
	}
	return 0
}

// lookup returns the id of key k whose hash is h, or -1 if k is absent, with the slot
// where k is or goes.
func (t *aggIntTable) lookup(k int64, h uint64) (int32, int) {
	mask := len(t.slots) - 1
	pos := int(h >> t.shift)
	for {
		s := &t.slots[pos]
		if s.id == 0 {
			return -1, pos
		}
		if s.key == k {
			return s.id - 1, pos
		}
		pos = (pos + 1) & mask
	}
}

// insert adds absent key k, with hash h and id, at slot pos (from lookup), growing the
// table when it would fill past 3/4.
func (t *aggIntTable) insert(k int64, h uint64, id int32, pos int) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
		_, pos = t.lookup(k, h)
	}
	t.slots[pos] = aggIntSlot{k, id + 1}
	t.n++
}

// grow doubles the table, rehashing its keys in slot order.
func (t *aggIntTable) grow() {
	old := t.slots
	size := 2 * len(old)
	t.slots = make([]aggIntSlot, size)
	t.shift--
	mask := size - 1
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		pos := int(aggIntHash(s.key) >> t.shift)
		for t.slots[pos].id != 0 {
			pos = (pos + 1) & mask
		}
		t.slots[pos] = s
	}
}

// aggIntKey is the integer types aggIntKeys widens to int64.
type aggIntKey interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// aggAssignInts writes the id of each of vals' rows (NULL where arr is not valid) into
// ids: through the direct window while the keys fit it, otherwise by hashing the batch
// and then probing the table row by row.
func aggAssignInts[T aggIntKey](t *aggIntKeys, vals []T, arr arrow.Array, ids []int32) {
	bm, off := kernel.Validity(arr)
	if bm == nil && len(vals) > 0 && aggUseDirect(t, vals) {
		for i, v := range vals {
			slot := &t.direct[int64(v)-t.base]
			if *slot < 0 {
				*slot = t.find(int64(v), aggIntHash(int64(v)))
			}
			ids[i] = *slot
		}
		return
	}
	if cap(t.hashes) < len(vals) {
		t.hashes = make([]uint64, len(vals))
	}
	hs := t.hashes[:len(vals)]
	for i, v := range vals {
		hs[i] = aggIntHash(int64(v))
	}
	if bm == nil {
		aggProbeInts(t, vals, hs, ids)
		return
	}
	for i, v := range vals {
		if !bitutil.BitIsSet(bm, off+i) {
			id := t.null
			if id < 0 {
				id = t.addNull()
			}
			ids[i] = id
			continue
		}
		ids[i] = t.find(int64(v), hs[i])
	}
}

// aggProbeInts looks up every key of vals (all valid, hashes hs) in the table, adding
// the absent ones.
func aggProbeInts[T aggIntKey](t *aggIntKeys, vals []T, hs []uint64, ids []int32) {
	slots, shift := t.tab.slots, t.tab.shift
	mask := len(slots) - 1
	for i, v := range vals {
		k, h := int64(v), hs[i]
		pos := int(h >> shift)
		for {
			s := &slots[pos]
			if s.id == 0 {
				ids[i] = t.add(k, h, pos)
				slots, shift = t.tab.slots, t.tab.shift
				mask = len(slots) - 1
				break
			}
			if s.key == k {
				ids[i] = s.id - 1
				break
			}
			pos = (pos + 1) & mask
		}
	}
}

// find returns the id of key k with hash h, adding k if absent.
func (t *aggIntKeys) find(k int64, h uint64) int32 {
	id, pos := t.tab.lookup(k, h)
	if id >= 0 {
		return id
	}
	return t.add(k, h, pos)
}

// add gives absent key k (hash h, empty slot pos) the next id.
func (t *aggIntKeys) add(k int64, h uint64, pos int) int32 {
	id := int32(len(t.vals))
	t.tab.insert(k, h, id, pos)
	t.vals = append(t.vals, k)
	return id
}
