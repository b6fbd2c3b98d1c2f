// Package memtest gives tests the Arrow allocator that proves them leak-free and shows a
// read after Release: arrow's checked allocator over kindling's pooling allocator (the
// sessions' default) with poisoning on, so that a buffer reused or read after its
// Release holds 0xA5 garbage instead of the old values.
package memtest

import (
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
)

// Checked returns a new checked allocator over a poisoned pool.
func Checked() *memory.CheckedAllocator {
	p := kmemory.NewPoolAllocator()
	p.Poison = true
	return memory.NewCheckedAllocator(p)
}
