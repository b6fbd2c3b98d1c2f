package memory

// Streaming memory: the Arrow buffers a task's operators hold without a reservation
// (batches passed between operators, a reader's decoded batch, an operator's output under
// construction). Spark counts all execution memory and CockroachDB accounts every batch to
// a monitor; here the task's counting Allocator already knows these bytes, so a task that
// tracks its allocator (TrackAllocator) makes them count against the budget.
//
// They count in two ways only, so that they never make a query fail: they lower the free
// memory that storage and the spillable consumers' TryGrow see (an operator that holds
// memory and can spill spills earlier when much is streaming; a store writes blocks to
// disk sooner), and they count at most maxStreamingShare of the budget. A request of a
// consumer that holds nothing or cannot spill, and TryGrowSpilled (a minimum working set),
// see the memory the reservations leave, as before, and no request waits for streaming
// bytes to be released, since their release wakes nobody.

// maxStreamingShare is the largest share of the budget that streaming bytes count for: the
// rest stays for the reservations whatever streams.
const maxStreamingShare = 4 // a quarter

// TrackAllocator makes a the task's allocator: the bytes a holds beyond what the task's
// reservations hold count against the budget as streaming memory until Close. It is a
// lower bound of what streams (reservations also cover memory that does not come from
// a), which is what makes it safe to count.
func (t *Task) TrackAllocator(a *Allocator) {
	if a == nil {
		return
	}
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.closed || t.alloc != nil {
		return
	}
	t.alloc = a
	m.tracked = append(m.tracked, t)
}

// untrackLocked removes a closed task from the tracked ones; mu must be held.
func (m *Manager) untrackLocked(t *Task) {
	if t.alloc == nil {
		return
	}
	for i, u := range m.tracked {
		if u == t {
			last := len(m.tracked) - 1
			m.tracked[i] = m.tracked[last]
			m.tracked[last] = nil
			m.tracked = m.tracked[:last]
			break
		}
	}
}

// streamingLocked returns the streaming bytes that count against the budget now: over
// the tracked tasks, what their allocators hold beyond their reservations, at most
// limit/maxStreamingShare. It also keeps their peak. mu must be held.
func (m *Manager) streamingLocked() int64 {
	var s int64
	for _, t := range m.tracked {
		if d := t.alloc.Allocated() - t.used; d > 0 {
			s += d
		}
	}
	s = min(s, m.limit/maxStreamingShare)
	m.peakStreaming = max(m.peakStreaming, s)
	return s
}

// countsStreaming reports whether a request of r counts streaming bytes: r holds memory
// and spills itself when refused, so a refusal makes it spill rather than fail.
func (r *Reservation) countsStreaming(spilled bool) bool {
	return !spilled && r.spiller != nil && r.size.Load() > 0
}
