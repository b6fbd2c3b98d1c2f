package dataset

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestMemoryOnlyPartitionNotCachedIsReported: a MEMORY_ONLY partition larger than the
// budget is not cached; StorageInfo says which and why, the job's metrics count it, and a
// warning names it in the session's log. The partition that fits is cached.
func TestMemoryOnlyPartitionNotCachedIsReported(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	s, _ := newCacheSession(t, Config{MemoryLimit: 1 << 20, Logger: logger})
	// Partition 0: 1 000 rows (16 KB); partitions 1 and 2: 100 000 rows each (1.6 MB, over
	// the budget).
	small := idDataset(s, s.cfg.Allocator, 1_000, 1)
	big := idDataset(s, s.cfg.Allocator, 200_000, 2)
	cached := small.Union(big).Persist(MemoryOnly)
	for run := 0; run < 2; run++ {
		// ForEachBatch, not Count: the partial count's up-front reservation would leave the
		// cache no memory at all, and this test is about the partition that cannot fit.
		var rows atomic.Int64
		err := cached.ForEachBatch(t.Context(), func(_ int, rec arrow.RecordBatch) error {
			rows.Add(rec.NumRows())
			return nil
		})
		if n := rows.Load(); err != nil || n != 201_000 {
			t.Fatalf("run %d: count %d, %v; want 201000", run, n, err)
		}
		if f := s.LastJob().Totals().CachePutFailures; f != 2 {
			t.Fatalf("run %d: job counts %d partitions not cached, want 2; %v", run, f, s.StorageInfo())
		}
	}
	info := s.StorageInfo()
	if len(info) != 1 || info[0].Cached != 1 || info[0].Partitions != 3 {
		t.Fatalf("storage info %v: want 1 of 3 partitions cached", info)
	}
	for p := 1; p <= 2; p++ {
		if reason := info[0].NotCached[p]; !strings.Contains(reason, "not enough memory") {
			t.Fatalf("NotCached = %v; want partitions 1 and 2 with a reason", info[0].NotCached)
		}
	}
	if len(info[0].NotCached) != 2 {
		t.Fatalf("NotCached = %v; want partitions 1 and 2 only", info[0].NotCached)
	}
	if !strings.Contains(info[0].String(), "2 not cached (partition 1: not enough memory") {
		t.Errorf("String() = %q does not say what was not cached", info[0].String())
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log has %d lines, want one warning per job and dataset:\n%s", len(lines), log.String())
	}
	for _, want := range []string{"level=WARN", "not cached", "partitions=2", "partition=1", "level=MEMORY_ONLY", "reason=\"not enough memory", "cache_notice_test.go"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("warning %q lacks %q", lines[0], want)
		}
	}
}

// TestReleaseInMemoryDataset: Release frees a FromPartitions dataset's batches while the
// session stays open; a job that still had partitions of it to read fails whole, and
// later actions fail with an error instead of reading freed memory.
func TestReleaseInMemoryDataset(t *testing.T) {
	leakcheck.Check(t)
	mem := memtest.Checked()
	s, err := NewSession(Config{Allocator: mem, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	}()
	keep := idDataset(s, mem, 1_000, 2)
	d := idDataset(s, mem, 10_000, 4)
	filtered := d.Filter(Col("id").Ge(Lit(int64(0))))
	err = filtered.ForEachBatch(t.Context(), func(_ int, rec arrow.RecordBatch) error {
		d.Release() // in the middle of the job, which has three partitions left to read
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "released") {
		t.Fatalf("job during Release: %v, want a released-source error", err)
	}
	// Only keep's 1 000 rows of two int64 columns (and their batch padding) remain.
	if got := mem.CurrentAlloc(); got == 0 || got > 20_000 {
		t.Fatalf("%d bytes allocated after Release, want only the other dataset's", got)
	}
	for name, ds := range map[string]*Dataset{"released": d, "derived": filtered} {
		if _, err := ds.Count(t.Context()); err == nil || !strings.Contains(err.Error(), "released") {
			t.Errorf("Count of the %s dataset after Release: %v, want a released-source error", name, err)
		}
	}
	d.Release() // again: nothing happens
	if n, err := keep.Count(t.Context()); err != nil || n != 1_000 {
		t.Fatalf("the other dataset: %d, %v", n, err)
	}
}
