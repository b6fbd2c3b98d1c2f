package hashagg

// aggShortKeys maps string keys of at most 7 bytes, packed into one uint64 with their
// length, to group ids: an open-addressing table of plain words that spares the short
// keys (flags, codes, country and currency codes: TPC-H Q1's l_returnflag and
// l_linestatus) a Go string map's hashing and comparison per row.
type aggShortKeys struct {
	keys  []uint64 // packed key, 0 for an empty slot
	ids   []int32
	n     int
	shift uint
}

// aggShortMax is the longest key aggShortKeys holds.
const aggShortMax = 7

// aggPackShort packs b (at most aggShortMax bytes) with its length and a marker bit, so
// that no key packs to 0 and keys of different lengths differ.
func aggPackShort(b []byte) uint64 {
	k := uint64(len(b))<<56 | 1<<63
	for i, c := range b {
		k |= uint64(c) << (8 * i)
	}
	return k
}

// slot returns the slot of packed key k: where it is, or the empty slot where it goes.
func (s *aggShortKeys) slot(k uint64) int {
	mask := len(s.keys) - 1
	i := int((k * 0x9E3779B97F4A7C15) >> s.shift)
	for s.keys[i] != 0 && s.keys[i] != k {
		i = (i + 1) & mask
	}
	return i
}

// get returns the id of packed key k.
func (s *aggShortKeys) get(k uint64) (int32, bool) {
	if s.n == 0 {
		return 0, false
	}
	i := s.slot(k)
	return s.ids[i], s.keys[i] == k
}

// put adds packed key k (absent) with id, growing the table to keep it at most half full.
func (s *aggShortKeys) put(k uint64, id int32) {
	if 2*(s.n+1) > len(s.keys) {
		s.grow()
	}
	i := s.slot(k)
	s.keys[i], s.ids[i] = k, id
	s.n++
}

func (s *aggShortKeys) grow() {
	old, oldIDs := s.keys, s.ids
	size := max(16, 2*len(old))
	s.keys, s.ids = make([]uint64, size), make([]int32, size)
	s.shift = 64
	for 1<<(64-s.shift) < size {
		s.shift--
	}
	for j, k := range old {
		if k != 0 {
			i := s.slot(k)
			s.keys[i], s.ids[i] = k, oldIDs[j]
		}
	}
}

// bytes is the table's size.
func (s *aggShortKeys) bytes() int64 { return int64(cap(s.keys))*8 + int64(cap(s.ids))*4 }

// growthBound bounds the bytes adding keys can add.
func (s *aggShortKeys) growthBound(keys int) int64 {
	return aggHalfFullGrowth(len(s.keys), s.n, keys, 12)
}
