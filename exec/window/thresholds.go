package window

import "math"

// int64Thresholds maps int64 partition keys to int64 order values: the group limit's
// per-key thresholds. It is looked up once per input row, so it is an open-addressing
// table with linear probing over one flat slice of 16-byte slots (a probe touches one
// cache line, and 1e5 keys fit in 2 MiB): the profile of a latest-row-per-key query over
// 1e5 keys showed Go's map lookups as a third of the operator's time. An empty slot holds
// the key emptyKey; the key emptyKey itself is kept apart.
type int64Thresholds struct {
	slots []thresholdSlot
	n     int
	shift uint // 64 - log2(len(slots)): the hash's top bits pick the slot

	hasEmptyKey bool
	emptyKeyVal int64

	marks    map[int64]uint32 // markOnce's marks, by key
	markPass uint32
}

type thresholdSlot struct{ key, val int64 }

// emptyKey marks an empty slot.
const emptyKey = math.MinInt64

func newInt64Thresholds() *int64Thresholds {
	t := &int64Thresholds{}
	t.alloc(1 << 10)
	return t
}

func (t *int64Thresholds) alloc(slots int) {
	t.slots = make([]thresholdSlot, slots)
	for i := range t.slots {
		t.slots[i].key = emptyKey
	}
	t.shift = 64
	for s := slots; s > 1; s >>= 1 {
		t.shift--
	}
}

// slot returns where k (not emptyKey) is, or the empty slot where it would go.
func (t *int64Thresholds) slot(k int64) *thresholdSlot {
	mask := len(t.slots) - 1
	// Fibonacci hashing: keys that differ in low bits (sequential ids) spread over the
	// table's top-bit index.
	i := int((uint64(k) * 0x9E3779B97F4A7C15) >> t.shift)
	for {
		s := &t.slots[i]
		if s.key == k || s.key == emptyKey {
			return s
		}
		i = (i + 1) & mask
	}
}

// get returns k's threshold and whether k has one.
func (t *int64Thresholds) get(k int64) (int64, bool) {
	if k == emptyKey {
		return t.emptyKeyVal, t.hasEmptyKey
	}
	s := t.slot(k)
	return s.val, s.key == k
}

// set sets k's threshold to v.
func (t *int64Thresholds) set(k, v int64) {
	if k == emptyKey {
		if !t.hasEmptyKey {
			t.n++
		}
		t.hasEmptyKey, t.emptyKeyVal = true, v
		return
	}
	s := t.slot(k)
	if s.key == k {
		s.val = v
		return
	}
	*s = thresholdSlot{key: k, val: v}
	t.n++
	if 4*t.n > 3*len(t.slots) { // grow at three quarters full: probes stay short
		old := t.slots
		t.alloc(2 * len(old))
		for _, o := range old {
			if o.key != emptyKey {
				*t.slot(o.key) = o
			}
		}
	}
}

// startMarks begins a pass of markOnce.
func (t *int64Thresholds) startMarks() {
	t.markPass++
	if t.marks == nil {
		t.marks = map[int64]uint32{}
	}
}

// markOnce reports whether k is marked for the first time in the current pass, and marks
// it. It is called once per kept candidate, far fewer times than get.
func (t *int64Thresholds) markOnce(k int64) bool {
	if t.marks[k] == t.markPass {
		return false
	}
	t.marks[k] = t.markPass
	return true
}

// len returns the number of keys.
func (t *int64Thresholds) len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// bytes returns the table's size in memory (the marks, at most one entry per key, at a
// map's cost per entry).
func (t *int64Thresholds) bytes() int64 {
	if t == nil {
		return 0
	}
	return int64(len(t.slots))*16 + int64(len(t.marks))*48
}
