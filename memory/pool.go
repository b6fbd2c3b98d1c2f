package memory

import (
	"math/bits"
	"sync"
	"unsafe"

	amem "github.com/apache/arrow-go/v18/arrow/memory"
)

// PoolAllocator is an arrow memory.Allocator that recycles the buffers released to it.
//
// With Go's allocator a released Arrow buffer is garbage until the next collection, and
// a process holding a large live heap (its input data, say) collects rarely: every batch
// an operator builds and releases adds to the resident set, and every new buffer lands
// on fresh pages the kernel must fault in and zero. kindling releases every buffer it is
// done with, so a pool turns that churn into reuse: the resident set follows the live
// bytes, and a reused buffer is already mapped.
//
// Buffers are pooled in size classes four to a doubling (so at most a quarter of a
// buffer is slack), from 64 bytes to 1 GiB; larger ones come from and go to the garbage
// collector. Pools are sync.Pools: what is not reused is still returned to the runtime
// over the next two collections. Memory handed out is zeroed and 64-byte aligned, and its
// capacity equals its length, as Go's allocator gives it (arrow's kernels and its checked
// allocator rely on both); Free and Reallocate find a buffer's class again from its
// length, a bound on its true size, so a buffer shrunk in place is recycled in a smaller
// class. Only slices this allocator returned may be passed back to it, as arrow's
// buffers do. Safe for concurrent use.
type PoolAllocator struct {
	classes [poolClasses]sync.Pool // *[]byte of exactly classSize(i) bytes
	// Poison, if set before use, fills every released buffer with 0xA5 bytes, so that a
	// read after Release shows as garbage in a test instead of going unnoticed.
	Poison bool
}

var _ amem.Allocator = (*PoolAllocator)(nil)

const (
	poolAlign    = 64
	poolMinShift = 6  // 64 B: the smallest class
	poolMaxShift = 30 // 1 GiB: the largest class
	poolSteps    = 4  // classes per doubling
	poolClasses  = (poolMaxShift-poolMinShift)*poolSteps + 1
)

// NewPoolAllocator returns an empty pool.
func NewPoolAllocator() *PoolAllocator { return &PoolAllocator{} }

// poolClassSize is the byte size of class i: 2^k × (1 + j/4) for i = (k-6)×4 + j.
func poolClassSize(i int) int {
	k, j := poolMinShift+i/poolSteps, i%poolSteps
	return (1 << k) + j*(1<<k)/poolSteps
}

// poolClassOf returns the smallest class holding size bytes, or -1 if none does.
func poolClassOf(size int) int {
	if size <= 1<<poolMinShift {
		return 0
	}
	if size > 1<<poolMaxShift {
		return -1
	}
	k := bits.Len(uint(size-1)) - 1 // 2^k < size <= 2^(k+1)
	step := 1 << k / poolSteps
	j := (size - (1 << k) + step - 1) / step // quarters above 2^k, rounded up
	i := (k-poolMinShift)*poolSteps + j
	return i
}

// Allocate returns size zeroed bytes.
func (p *PoolAllocator) Allocate(size int) []byte {
	if size == 0 {
		return []byte{}
	}
	c := poolClassOf(size)
	if c < 0 {
		return amem.DefaultAllocator.Allocate(size)
	}
	if v, _ := p.classes[c].Get().(*[]byte); v != nil {
		b := (*v)[:size:size]
		clear(b)
		return b
	}
	return newPoolBuffer(poolClassSize(c))[:size:size]
}

// classBytes returns the pooled buffer b belongs to, extended to the size of the class
// its length implies (no more than the buffer's true size), and that class; class -1 for
// buffers the pool does not keep (empty or larger than its largest class).
func classBytes(b []byte) ([]byte, int) {
	if len(b) == 0 {
		return nil, -1
	}
	c := poolClassOf(len(b))
	if c < 0 {
		return nil, -1
	}
	return unsafe.Slice(unsafe.SliceData(b), poolClassSize(c)), c
}

// newPoolBuffer returns n fresh bytes (capacity exactly n), 64-byte aligned.
func newPoolBuffer(n int) []byte {
	raw := make([]byte, n+poolAlign)
	shift := (poolAlign - int(uintptr(unsafe.Pointer(unsafe.SliceData(raw))))%poolAlign) % poolAlign
	return raw[shift : shift+n : shift+n]
}

// Reallocate resizes b to size bytes, keeping its contents; bytes beyond them are zero.
func (p *PoolAllocator) Reallocate(size int, b []byte) []byte {
	if size == 0 {
		p.Free(b)
		return []byte{}
	}
	if whole, c := classBytes(b); c >= 0 && size <= len(whole) {
		old := len(b)
		b = whole[:size:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free returns b to the pool.
func (p *PoolAllocator) Free(b []byte) {
	whole, c := classBytes(b)
	if c < 0 {
		return
	}
	if p.Poison && len(whole) > 0 {
		// Doubling copies fill at memmove speed: a damaged file can make a reader
		// allocate (and a test free) a buffer of a gigabyte.
		whole[0] = 0xA5
		for n := 1; n < len(whole); n *= 2 {
			copy(whole[n:], whole[:n])
		}
	}
	p.classes[c].Put(&whole)
}
