// Package guardalloc holds the allocator that kindling's file decoders run arrow-go's IPC
// and Parquet readers on. Those readers recover from a panic while decoding a damaged
// batch and return an error, but the buffers they had allocated by then (and partial
// arrays holding slices of a message body) are never released: without this allocator
// every damaged file would leave bytes charged to the task's budget. It also refuses, by
// a panic that the decoder or its caller turns into an error, a buffer larger than a
// limit, since a damaged length can ask for terabytes and Go cannot recover from running
// out of memory.
package guardalloc

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Allocator passes allocations through to Mem and, while armed, remembers those not yet
// freed, so that Reclaim can free them after a failed decode.
type Allocator struct {
	Mem   memory.Allocator
	Limit int64            // the largest buffer allowed
	live  map[*byte][]byte // nil when not armed
}

// New returns an allocator over mem that refuses buffers over limit bytes.
func New(mem memory.Allocator, limit int64) *Allocator {
	return &Allocator{Mem: mem, Limit: limit}
}

func (a *Allocator) check(size int) {
	if size < 0 || int64(size) > a.Limit {
		// A negative size comes from a damaged length too; passed on, it would be
		// charged as memory given back.
		panic(fmt.Sprintf("a %d-byte buffer is more than the file can hold", size))
	}
}

// Arm starts remembering allocations.
func (a *Allocator) Arm() { a.live = make(map[*byte][]byte) }

// Disarm forgets what was allocated since Arm: those buffers are their owners' to free.
func (a *Allocator) Disarm() { a.live = nil }

// Reclaim frees what was allocated since Arm and is still live, and disarms. Call it only
// once nothing can hold those buffers any more (the decoder failed and was released).
func (a *Allocator) Reclaim() {
	live := a.live
	a.live = nil
	for _, b := range live {
		a.Mem.Free(b)
	}
}

func (a *Allocator) track(b []byte) {
	if a.live != nil && cap(b) > 0 {
		a.live[&b[:1][0]] = b
	}
}

func (a *Allocator) untrack(b []byte) bool {
	if a.live == nil || cap(b) == 0 {
		return false
	}
	k := &b[:1][0]
	_, ok := a.live[k]
	delete(a.live, k)
	return ok
}

// Allocate implements memory.Allocator.
func (a *Allocator) Allocate(size int) []byte {
	a.check(size)
	b := a.Mem.Allocate(size)
	a.track(b)
	return b
}

// Reallocate implements memory.Allocator.
func (a *Allocator) Reallocate(size int, b []byte) []byte {
	// A buffer from before Arm stays its owner's to free, even once grown.
	a.check(size)
	tracked := a.untrack(b) || cap(b) == 0
	nb := a.Mem.Reallocate(size, b)
	if tracked {
		a.track(nb)
	}
	return nb
}

// Free implements memory.Allocator.
func (a *Allocator) Free(b []byte) {
	a.untrack(b)
	a.Mem.Free(b)
}
