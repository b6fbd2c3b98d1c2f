package exec

import (
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
)

// checkedPool is the allocator tests prove leak-free: arrow's checked allocator over a
// poisoned pool (kindling's default allocator recycles buffers), so that a buffer read
// after its Release shows up as garbage in a result instead of going unnoticed.
func checkedPool() *memory.CheckedAllocator {
	p := kmemory.NewPoolAllocator()
	p.Poison = true
	return memory.NewCheckedAllocator(p)
}

// The hash tables' slab pool is poisoned in tests too: a table read after it was
// released would show garbage groups.
func init() { tableSlabs.Poison = true }
