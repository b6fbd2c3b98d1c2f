package hashagg

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// aggMediumKeys maps string keys of aggShortMax+1 to aggMediumMax bytes (order and
// customer ids, dates and timestamps as text, most codes and names), packed into two
// words with their length, to group ids. A slot holds the whole key beside its id, so a
// lookup in a table larger than the caches misses once; aggStrMap, for longer keys, reads
// its slot, then the value's string header, then its bytes (three misses: a third of
// db-benchmark q10's CPU went to one 12-byte key column).
type aggMediumKeys struct {
	slots []aggMediumSlot
	n     int
	shift uint
}

// aggMediumSlot is one key and its id; hi is 0 only in an empty slot (aggPackMedium).
type aggMediumSlot struct {
	lo, hi uint64
	id     int32
}

const aggMediumSlotBytes = int64(unsafe.Sizeof(aggMediumSlot{}))

// aggMediumMax is the longest key aggMediumKeys holds.
const aggMediumMax = 15

// aggPackMedium packs b (aggShortMax+1 to aggMediumMax bytes): its first eight bytes, and
// the rest with its length and a marker bit, so that hi is never 0 and keys of
// different lengths differ.
func aggPackMedium(b []byte) (lo, hi uint64) {
	lo = binary.LittleEndian.Uint64(b)
	// The last eight bytes end with the bytes after the first eight; shift out the ones
	// the first word already holds.
	tail := binary.LittleEndian.Uint64(b[len(b)-8:]) >> (8 * (16 - len(b)))
	return lo, tail | uint64(len(b))<<56 | 1<<63
}

// aggMediumHash mixes lo fully before hi joins it. Combining the words first (lo ^ a
// rotation of hi) let digits of the two words cancel: a million "id%010d" keys made
// 640 000 distinct hashes, and the linear probes ran along the collisions.
func aggMediumHash(lo, hi uint64) uint64 {
	h := lo * 0x9E3779B97F4A7C15
	h ^= h >> 32
	h = (h ^ hi) * 0xbf58476d1ce4e5b9
	h ^= h >> 29
	h *= 0x94d049bb133111eb
	return h ^ h>>32
}

// slot returns the slot of the packed key: where it is, or the empty slot where it goes.
func (s *aggMediumKeys) slot(lo, hi uint64) int {
	mask := len(s.slots) - 1
	for i := int(aggMediumHash(lo, hi) >> s.shift); ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hi == 0 || sl.hi == hi && sl.lo == lo {
			return i
		}
	}
}

// get returns the id of the packed key.
func (s *aggMediumKeys) get(lo, hi uint64) (int32, bool) {
	if s.n == 0 {
		return 0, false
	}
	sl := &s.slots[s.slot(lo, hi)]
	return sl.id, sl.hi != 0
}

// put adds the packed key (absent) with id, growing the table to keep it at most three
// quarters full.
func (s *aggMediumKeys) put(lo, hi uint64, id int32) {
	if aggMediumOverloaded(s.n+1, len(s.slots)) {
		s.grow()
	}
	s.slots[s.slot(lo, hi)] = aggMediumSlot{lo: lo, hi: hi, id: id}
	s.n++
}

func (s *aggMediumKeys) grow() {
	old := s.slots
	size := max(16, 2*len(old))
	s.slots = make([]aggMediumSlot, size)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, sl := range old {
		if sl.hi != 0 {
			s.slots[s.slot(sl.lo, sl.hi)] = sl
		}
	}
}

// bytes is the table's size.
func (s *aggMediumKeys) bytes() int64 { return int64(cap(s.slots)) * aggMediumSlotBytes }

// growthBound bounds the bytes adding keys can add: the table it doubles to, while the
// old one still exists.
func (s *aggMediumKeys) growthBound(keys int) int64 {
	size := max(16, len(s.slots))
	for aggMediumOverloaded(s.n+keys, size) {
		size *= 2
	}
	if size == len(s.slots) {
		return 0
	}
	return int64(size) * aggMediumSlotBytes
}

// aggMediumOverloaded reports whether keys would fill more than 3/4 of slots. A probe
// past another key's slot compares two words already in hand, so a fuller table costs
// little in probes and saves a third of the memory a half-full one holds: at a million
// keys per task (db-benchmark's 1e8 q3) the table is 48 MB at half full, and first
// touches of its fresh pages were a fifth of the query's CPU.
func aggMediumOverloaded(keys, slots int) bool { return 4*keys > 3*slots }
