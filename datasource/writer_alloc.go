package datasource

import (
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// writerAllocator remembers the buffers a file writer holds, so that a writer abandoned
// after a failed write can give them all back. arrow-go's Parquet writer keeps its
// column encoders' buffers until its Close succeeds; when a write fails part-way through
// a row group it never frees them, and the task's memory account would leak.
type writerAllocator struct {
	mem  memory.Allocator
	mu   sync.Mutex
	live map[*byte]int // buffer start → capacity
}

func newWriterAllocator(mem memory.Allocator) *writerAllocator {
	return &writerAllocator{mem: mem, live: map[*byte]int{}}
}

func bufKey(b []byte) *byte {
	if cap(b) == 0 {
		return nil
	}
	return &b[:1][0]
}

func (a *writerAllocator) Allocate(size int) []byte {
	b := a.mem.Allocate(size)
	a.track(b)
	return b
}

func (a *writerAllocator) Reallocate(size int, b []byte) []byte {
	a.untrack(b)
	nb := a.mem.Reallocate(size, b)
	a.track(nb)
	return nb
}

func (a *writerAllocator) Free(b []byte) {
	a.untrack(b)
	a.mem.Free(b)
}

func (a *writerAllocator) track(b []byte) {
	if k := bufKey(b); k != nil {
		a.mu.Lock()
		a.live[k] = cap(b)
		a.mu.Unlock()
	}
}

func (a *writerAllocator) untrack(b []byte) {
	if k := bufKey(b); k != nil {
		a.mu.Lock()
		delete(a.live, k)
		a.mu.Unlock()
	}
}

// releaseAll frees every buffer still held. The writer must not be used afterwards.
func (a *writerAllocator) releaseAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, n := range a.live {
		a.mem.Free(unsafe.Slice(k, n))
		delete(a.live, k)
	}
}
