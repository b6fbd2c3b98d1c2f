package hashagg

import "hash/maphash"

// aggStrMap maps the string keys longer than aggShortMax to group ids for aggBytesKeys:
// open addressing with linear probing over one word per slot, at most half full. A slot
// holds the top 32 bits of the key's hash above id+1 (0: empty); the value itself is
// vals[id], in the table's arena, compared only when the hash bits match. A Go
// map[string]int32 cost a string header and its share of a swiss table per key (about
// 64 bytes), and its generic probing was a quarter of a 100k-key group-by's CPU.
//
// The home slot is the hash's top bits, which the stored bits contain: doubling the table
// never hashes a key again, walks the old slots in order and writes the new ones in
// nearly ascending order (as the tuple table of aggGroupKeys does).
type aggStrMap struct {
	slots []uint64
	n     int
	shift uint
	seed  maphash.Seed
}

// newAggStrMap returns an empty map; its first key allocates the table, so that an
// aggregate that never sees a long key (or has no room for one) holds nothing.
func newAggStrMap() aggStrMap {
	return aggStrMap{seed: maphash.MakeSeed()}
}

// lookup returns the id of b among vals (the ids' values) and true, or the slot where b
// goes with the hash bits to store there and false.
func (m *aggStrMap) lookup(b []byte, vals []string) (id int32, slot int, tag uint64, ok bool) {
	h := maphash.Bytes(m.seed, b)
	tag = h >> 32 << 32
	if len(m.slots) == 0 {
		return 0, -1, tag, false
	}
	mask := len(m.slots) - 1
	for i := int(h >> m.shift); ; i = (i + 1) & mask {
		s := m.slots[i]
		if s == 0 {
			return 0, i, tag, false
		}
		if s&^(1<<32-1) == tag {
			if id := int32(uint32(s)) - 1; vals[id] == string(b) {
				return id, 0, 0, true
			}
		}
	}
}

// insert adds id for a key that lookup did not find, at the slot and with the tag it
// returned, growing the table first when it would be more than half full.
func (m *aggStrMap) insert(id int32, slot int, tag uint64) {
	s := tag | uint64(uint32(id+1))
	if 2*(m.n+1) > len(m.slots) {
		m.resize(max(16, 2*len(m.slots)))
		slot = m.home(s)
	}
	m.slots[slot] = s
	m.n++
}

// home returns the first empty slot from the home slot of stored word s.
func (m *aggStrMap) home(s uint64) int {
	mask := len(m.slots) - 1
	i := int(s >> m.shift)
	for m.slots[i] != 0 {
		i = (i + 1) & mask
	}
	return i
}

// resize makes the table size slots (a power of two, at most 2^32) and reinserts the
// keys from their stored hash bits.
func (m *aggStrMap) resize(size int) {
	old := m.slots
	m.slots = make([]uint64, size)
	m.shift = 64
	for 1<<(64-m.shift) < size {
		m.shift--
	}
	for _, s := range old {
		if s != 0 {
			m.slots[m.home(s)] = s
		}
	}
}

func (m *aggStrMap) bytes() int64 { return int64(cap(m.slots)) * 8 }

// growthBound bounds the bytes adding keys can add.
func (m *aggStrMap) growthBound(keys int) int64 {
	return aggHalfFullGrowth(len(m.slots), m.n, keys, 8)
}
