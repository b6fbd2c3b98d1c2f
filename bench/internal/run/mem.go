package run

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// procStatus reads VmRSS and VmHWM (peak RSS) of this process in bytes; zeros where
// /proc is not available.
func procStatus() (rss, hwm int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &rss
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &hwm
		default:
			continue
		}
		f := bytes.Fields(line)
		if len(f) >= 2 {
			kb, _ := strconv.ParseInt(string(f[1]), 10, 64)
			*dst = kb << 10
		}
	}
	return rss, hwm
}

// rssProbe measures the peak resident memory a piece of work adds to the process: it
// collects Go garbage and, for a question's first run, returns freed pages to the OS,
// resets the kernel's high-water mark (writing 5 to /proc/self/clear_refs) and remembers
// the RSS; Peak is then the new high-water mark less that RSS. Both engines run in this process, so the figure includes
// DuckDB's native allocations and Go's heap growth (garbage included: Go collects when
// the heap has grown by GOGC percent, so its peak RSS runs above its live bytes).
type rssProbe struct {
	base int64
	ok   bool
}

// startRSS starts a probe. Only a question's first run (fresh) starts from pages returned
// to the OS. A program that runs one query after another keeps the heap pages it freed
// (the runtime's scavenger returns them slowly, and not below the heap goal), as DuckDB
// keeps its buffer pool; a timed run that first faults in every page it allocates
// measures the kernel zeroing pages, not the engine. The first run's peak is the
// question's memory figure; its time is the fastest run's.
func startRSS(fresh bool) rssProbe {
	runtime.GC()
	if fresh {
		debug.FreeOSMemory()
	}
	err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	rss, _ := procStatus()
	return rssProbe{base: rss, ok: err == nil && rss > 0}
}

// High returns the process's RSS high-water mark since the start (not less the start),
// or -1 if it cannot be measured.
func (p rssProbe) High() int64 {
	if !p.ok {
		return -1
	}
	_, hwm := procStatus()
	return hwm
}

// Peak returns the peak RSS above the start, or -1 if it cannot be measured.
func (p rssProbe) Peak() int64 {
	if !p.ok {
		return -1
	}
	_, hwm := procStatus()
	return max(0, hwm-p.base)
}

// countingAllocator wraps kindling's default (pooling) allocator and tracks the bytes it
// holds and their peak: kindling's Arrow buffers, accounted or not by its memory manager.
type countingAllocator struct {
	mem       memory.Allocator
	cur, peak atomic.Int64
}

func newCountingAllocator() *countingAllocator {
	return &countingAllocator{mem: dataset.NewPoolAllocator()}
}

func (c *countingAllocator) add(n int64) {
	v := c.cur.Add(n)
	for {
		p := c.peak.Load()
		if v <= p || c.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

func (c *countingAllocator) Allocate(size int) []byte {
	c.add(int64(size))
	return c.mem.Allocate(size)
}

func (c *countingAllocator) Reallocate(size int, b []byte) []byte {
	c.add(int64(size - len(b)))
	return c.mem.Reallocate(size, b)
}

func (c *countingAllocator) Free(b []byte) {
	c.add(-int64(len(b)))
	c.mem.Free(b)
}

// Peak returns the most bytes held at once.
func (c *countingAllocator) Peak() int64 { return c.peak.Load() }

// ResetPeak starts a new high-water mark from the bytes held now, and returns them.
func (c *countingAllocator) ResetPeak() int64 {
	cur := c.cur.Load()
	c.peak.Store(cur)
	return cur
}
