package memory

import (
	"sync/atomic"

	amem "github.com/apache/arrow-go/v18/arrow/memory"
)

// Allocator is an arrow memory.Allocator that counts the bytes it hands out through a parent
// allocator. It counts bytes, not calls: an arrow memory.Buffer frees exactly the slice it
// got from Allocate or Reallocate, so Free's len(b) is what was allocated, and the count
// returns to zero once every buffer is released. It never refuses (arrow's interface cannot
// return an error); budgets are enforced by Reservation.TryGrow before building.
type Allocator struct {
	parent    amem.Allocator
	allocated atomic.Int64
	peak      atomic.Int64
}

var _ amem.Allocator = (*Allocator)(nil)

// NewAllocator returns a counting allocator over parent (memory.DefaultAllocator if nil).
func NewAllocator(parent amem.Allocator) *Allocator {
	if parent == nil {
		parent = amem.DefaultAllocator
	}
	return &Allocator{parent: parent}
}

// Allocate allocates size bytes from the parent and counts them.
func (a *Allocator) Allocate(size int) []byte {
	b := a.parent.Allocate(size)
	a.add(int64(len(b)))
	return b
}

// Reallocate resizes b through the parent and counts the difference.
func (a *Allocator) Reallocate(size int, b []byte) []byte {
	old := len(b)
	nb := a.parent.Reallocate(size, b)
	a.add(int64(len(nb) - old))
	return nb
}

// Free returns b to the parent and uncounts len(b) bytes.
func (a *Allocator) Free(b []byte) {
	n := len(b)
	a.parent.Free(b)
	a.add(-int64(n))
}

// Allocated returns the bytes currently allocated and not yet freed.
func (a *Allocator) Allocated() int64 { return a.allocated.Load() }

// Peak returns the highest value Allocated has reached.
func (a *Allocator) Peak() int64 { return a.peak.Load() }

func (a *Allocator) add(n int64) {
	cur := a.allocated.Add(n)
	if n <= 0 {
		return
	}
	for {
		p := a.peak.Load()
		if cur <= p || a.peak.CompareAndSwap(p, cur) {
			return
		}
	}
}
