package dataset

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// peakAllocator records the most bytes its allocator held at once.
type peakAllocator struct {
	memory.Allocator
	cur, peak atomic.Int64
}

func (p *peakAllocator) add(n int) {
	c := p.cur.Add(int64(n))
	for {
		old := p.peak.Load()
		if c <= old || p.peak.CompareAndSwap(old, c) {
			return
		}
	}
}

func (p *peakAllocator) Allocate(size int) []byte {
	p.add(size)
	return p.Allocator.Allocate(size)
}

func (p *peakAllocator) Reallocate(size int, b []byte) []byte {
	p.add(size - len(b))
	return p.Allocator.Reallocate(size, b)
}

func (p *peakAllocator) Free(b []byte) {
	p.add(-len(b))
	p.Allocator.Free(b)
}

// A cached CSV partition several times larger than the memory budget, at MEMORY_AND_DISK,
// goes to disk a chunk at a time while it is read: the session's Arrow allocator never
// holds the partition whole (it did, unreserved, before the put), the block is on disk,
// and the rows read back from it, twice, sum as the file's.
func TestCachePartitionLargerThanMemoryGoesToDiskInChunks(t *testing.T) {
	const rows = 120_000
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,v,name")
	var wantSum int64
	for i := range rows {
		v := int64(i*7919%100_003) - 50_000
		wantSum += v
		fmt.Fprintf(w, "%d,%d,customer-%07d-%s\n", i, v, i%50_000, "padding-to-make-rows-wide")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	mem := memtest.Checked()
	peak := &peakAllocator{Allocator: mem}
	const budget = 2 << 20
	s, err := NewSession(Config{MemoryLimit: budget, BatchRows: 2048, Parallelism: 1, Allocator: peak, SpillDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	}()
	cached := s.ReadCSV(path).Persist(MemoryAndDisk)
	sum := func() int64 {
		recs, err := cached.GroupBy().Agg(Sum("v"), Count()).Collect(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer releaseAll(recs)
		if n := recs[0].Column(1).(*array.Int64).Value(0); n != rows {
			t.Fatalf("%d rows, want %d", n, rows)
		}
		return recs[0].Column(0).(*array.Int64).Value(0)
	}
	if got := sum(); got != wantSum {
		t.Fatalf("sum %d, want %d", got, wantSum)
	}
	info := s.StorageInfo()
	if len(info) != 1 || info[0].Cached != info[0].Partitions || info[0].OnDisk != info[0].Partitions {
		t.Fatalf("storage: %v", info)
	}
	firstPeak := peak.peak.Load()
	t.Logf("%v; Arrow peak while caching %d bytes, budget %d", info[0], firstPeak, budget)
	// The budget, plus the batch in flight and the reader's buffers; holding the whole
	// partition took 5 times the budget.
	if firstPeak > 3*budget {
		t.Errorf("the session's allocator peaked at %d bytes while caching a partition under a %d-byte budget", firstPeak, budget)
	}
	if got := sum(); got != wantSum {
		t.Fatalf("from disk: sum %d, want %d", got, wantSum)
	}
	if job := s.LastJob(); job.Totals().CacheDiskHits == 0 {
		t.Fatalf("the second read did not read the disk block: %+v", job.Totals())
	}
}
