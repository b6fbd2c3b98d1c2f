package colop

import (
	"unsafe"

	kmemory "github.com/kindling-data/kindling/memory"
)

// Slabs: the large plain-data slices of hash tables (the aggregate's tuple slots and
// per-group key ids) come from and go back to a process-wide pool, as Arrow buffers do
// through the session's allocator. A table of millions of groups grows by doubling and
// is dropped when its task ends; left to the garbage collector, every outgrown copy and
// every finished task's table stays resident until a collection, which a process with a
// large live heap runs rarely, and every new one faults in fresh pages. Recycled, the
// next task's tables reuse them. The pool is kindling's PoolAllocator, so its bytes are
// not the session's (they are execution memory, reserved through the memory manager).
var TableSlabs = kmemory.NewPoolAllocator()

// slabPlain lists the element types a slab may hold: no pointers, so that a []byte
// backing store is sound.
type slabPlain interface {
	~int32 | ~uint32 | ~int64 | ~uint64 | ~float64
}

// SlabAlloc returns a zeroed slice of n elements with capacity c (c >= n).
func SlabAlloc[T slabPlain](n, c int) []T {
	var z T
	size := int(unsafe.Sizeof(z))
	b := TableSlabs.Allocate(c * size)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), c)[:n]
}

// SlabFree returns s (from SlabAlloc, whole capacity) to the pool; s must not be used
// again.
func SlabFree[T slabPlain](s []T) {
	if cap(s) == 0 {
		return
	}
	var z T
	s = s[:cap(s)]
	TableSlabs.Free(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z))))
}

// SlabReserve is aggReserve for slab-backed slices: room for n more elements, at least
// doubling the capacity when it must grow, the outgrown slice going back to the pool.
func SlabReserve[T slabPlain](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	grown := SlabAlloc[T](len(s), max(len(s)+n, 2*cap(s)))
	copy(grown, s)
	SlabFree(s)
	return grown
}
