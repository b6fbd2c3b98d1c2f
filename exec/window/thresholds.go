package window

// int64Thresholds maps int64 partition keys to int64 order values: the group limit's
// per-key thresholds. It is looked up once per input row, so it is an open-addressing
// table with linear probing over one flat slice of slots (a probe touches one cache line):
// the profile of a latest-row-per-key query over 1e5 keys showed Go's map lookups as a
// third of the operator's time.
type int64Thresholds struct {
	slots []thresholdSlot
	n     int
	shift uint // 64 - log2(len(slots)): the hash's top bits pick the slot
}

type thresholdSlot struct {
	key, val int64
	mark     uint32 // the last pass that marked the key (markOnce)
	used     bool
}

func newInt64Thresholds() *int64Thresholds {
	t := &int64Thresholds{}
	t.alloc(1 << 10)
	return t
}

func (t *int64Thresholds) alloc(slots int) {
	t.slots = make([]thresholdSlot, slots)
	t.shift = 64
	for s := slots; s > 1; s >>= 1 {
		t.shift--
	}
}

// slot returns where k is, or the empty slot where it would go.
func (t *int64Thresholds) slot(k int64) *thresholdSlot {
	mask := len(t.slots) - 1
	// Fibonacci hashing: keys that differ in low bits (sequential ids) spread over the
	// table's top-bit index.
	i := int((uint64(k) * 0x9E3779B97F4A7C15) >> t.shift)
	for t.slots[i].used && t.slots[i].key != k {
		i = (i + 1) & mask
	}
	return &t.slots[i]
}

// get returns k's threshold and whether k has one.
func (t *int64Thresholds) get(k int64) (int64, bool) {
	s := t.slot(k)
	return s.val, s.used
}

// set sets k's threshold to v.
func (t *int64Thresholds) set(k, v int64) {
	s := t.slot(k)
	if s.used {
		s.val = v
		return
	}
	*s = thresholdSlot{key: k, val: v, used: true}
	t.n++
	if 2*t.n > len(t.slots) { // grow at half full: probes stay short
		old := t.slots
		t.alloc(2 * len(old))
		t.n = 0
		for _, o := range old {
			if o.used {
				t.set(o.key, o.val)
			}
		}
	}
}

// markOnce reports whether k (which must be in the table) is marked in pass for the
// first time, and marks it.
func (t *int64Thresholds) markOnce(k int64, pass uint32) bool {
	s := t.slot(k)
	if s.mark == pass {
		return false
	}
	s.mark = pass
	return true
}

// len returns the number of keys.
func (t *int64Thresholds) len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// bytes returns the table's size in memory.
func (t *int64Thresholds) bytes() int64 {
	if t == nil {
		return 0
	}
	return int64(len(t.slots)) * 24
}
