package hashagg

// aggPairSet is a set of (group id, value id) pairs packed into uint64 keys: an
// open-addressing table of plain words, kept at most half full, with linear probing.
// count(DISTINCT x) inserts one pair per row, and a Go map spent most of the
// aggregate's time hashing and growing (count distinct cost four times count).
type aggPairSet struct {
	slots []uint64 // key+1, 0 for an empty slot
	n     int
	shift uint
}

// aggPairKey packs a pair of non-negative ids.
func aggPairKey(g, v int32) uint64 { return uint64(uint32(g))<<32 | uint64(uint32(v)) }

// insert adds k and reports whether it was absent.
func (s *aggPairSet) insert(k uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	k++
	mask := len(s.slots) - 1
	i := int((k * 0x9E3779B97F4A7C15) >> s.shift)
	for {
		switch s.slots[i] {
		case 0:
			s.slots[i] = k
			s.n++
			return true
		case k:
			return false
		}
		i = (i + 1) & mask
	}
}

func (s *aggPairSet) grow() {
	old := s.slots
	size := max(64, 2*len(old))
	s.slots = make([]uint64, size)
	s.shift = 64
	for 1<<(64-s.shift) < size {
		s.shift--
	}
	mask := size - 1
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := int((k * 0x9E3779B97F4A7C15) >> s.shift)
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = k
	}
}

// bytes is the table's size.
func (s *aggPairSet) bytes() int64 { return int64(cap(s.slots)) * 8 }
