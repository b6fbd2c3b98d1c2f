package hashagg

// aggIntMap maps int64 keys to group ids for aggIntKeys when the keys do not fit its
// direct window (TPC-H's order and customer keys after a join or filter scatters them):
// open addressing with linear probing over two plain arrays, at most half full, a
// Fibonacci hash of the key picking the home slot. A Go map spent most of TPC-H Q18's
// aggregation in its generic probing.
type aggIntMap struct {
	keys  []int64
	ids   []int32 // id+1, 0 for an empty slot
	n     int
	shift uint
}

// newAggIntMap returns a map sized for hint keys.
func newAggIntMap(hint int) aggIntMap {
	var m aggIntMap
	m.resize(max(16, 2*hint))
	return m
}

// resize makes the table at least size slots (a power of two) and reinserts the keys.
func (m *aggIntMap) resize(size int) {
	n := 16
	for n < size {
		n *= 2
	}
	oldKeys, oldIDs := m.keys, m.ids
	m.keys, m.ids = make([]int64, n), make([]int32, n)
	m.shift = 64
	for 1<<(64-m.shift) < n {
		m.shift--
	}
	for j, id := range oldIDs {
		if id != 0 {
			i, _ := m.find(oldKeys[j])
			m.keys[i], m.ids[i] = oldKeys[j], id
		}
	}
}

// find returns k's slot and true, or the empty slot where k goes and false.
func (m *aggIntMap) find(k int64) (int, bool) {
	mask := len(m.keys) - 1
	i := int((uint64(k) * 0x9E3779B97F4A7C15) >> m.shift)
	for {
		if m.ids[i] == 0 {
			return i, false
		}
		if m.keys[i] == k {
			return i, true
		}
		i = (i + 1) & mask
	}
}

// get returns k's id.
func (m *aggIntMap) get(k int64) (int32, bool) {
	i, ok := m.find(k)
	return m.ids[i] - 1, ok
}

// put adds k, absent, with id.
func (m *aggIntMap) put(k int64, id int32) {
	if 2*(m.n+1) > len(m.keys) {
		m.resize(2 * len(m.keys))
	}
	i, _ := m.find(k)
	m.keys[i], m.ids[i] = k, id+1
	m.n++
}

// insertAt adds k, absent, with id at slot i from find, unless the table must grow
// first.
func (m *aggIntMap) insertAt(i int, k int64, id int32) {
	if 2*(m.n+1) > len(m.keys) {
		m.put(k, id)
		return
	}
	m.keys[i], m.ids[i] = k, id+1
	m.n++
}

// bytes is the table's size.
func (m *aggIntMap) bytes() int64 { return int64(cap(m.keys))*8 + int64(cap(m.ids))*4 }

// growthBound bounds the bytes adding rows keys can add.
func (m *aggIntMap) growthBound(rows int) int64 {
	return aggHalfFullGrowth(len(m.keys), m.n, rows, 12)
}

// aggHalfFullGrowth bounds the bytes that adding keys to an open-addressing table of
// slots slots (at least 16 once allocated, kept at most half full) holding n keys can
// add: the table it doubles to, while the old one still exists.
func aggHalfFullGrowth(slots, n, keys int, slotBytes int64) int64 {
	size := max(16, slots)
	for 2*(n+keys) > size {
		size *= 2
	}
	if size == slots {
		return 0
	}
	return int64(size) * slotBytes
}
