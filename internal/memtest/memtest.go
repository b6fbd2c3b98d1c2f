// Package memtest gives tests the Arrow allocator that proves them leak-free and shows a
// read after Release: arrow's checked allocator over kindling's pooling allocator (the
// sessions' default) with poisoning on, so that a buffer reused or read after its
// Release holds 0xA5 garbage instead of the old values.
//
// Every allocator it hands out also counts into one process-wide total (Outstanding), which
// the packages' TestMain checks after all tests: a test that forgot its own AssertSize, or
// a goroutine that freed late, still fails the run.
package memtest

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	kmemory "github.com/kindling-data/kindling/memory"
)

func init() {
	leakcheck.AtEnd(func() error {
		if n := Outstanding(); n != 0 {
			return fmt.Errorf("the checked allocators hold %d bytes after the tests", n)
		}
		return nil
	})
}

// outstanding is the bytes allocated and not yet freed through every Checked allocator.
var outstanding atomic.Int64

// Checked returns a new checked allocator over a poisoned pool.
func Checked() *memory.CheckedAllocator {
	p := kmemory.NewPoolAllocator()
	p.Poison = true
	return memory.NewCheckedAllocator(counting{p})
}

// Outstanding returns the bytes that the allocators made by Checked hold now, together.
func Outstanding() int64 { return outstanding.Load() }

// counting adds what passes through it to outstanding. It holds no reference to the
// allocator it sits in, so a finished test's pool is collected as before.
type counting struct{ memory.Allocator }

func (c counting) Allocate(size int) []byte {
	b := c.Allocator.Allocate(size)
	outstanding.Add(int64(len(b)))
	return b
}

func (c counting) Reallocate(size int, b []byte) []byte {
	old := len(b)
	nb := c.Allocator.Reallocate(size, b)
	outstanding.Add(int64(len(nb) - old))
	return nb
}

func (c counting) Free(b []byte) {
	outstanding.Add(-int64(len(b)))
	c.Allocator.Free(b)
}
