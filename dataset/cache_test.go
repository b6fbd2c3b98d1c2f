package dataset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// mibPartitions makes n partitions of one batch of 64Ki int64 rows (512 KiB each), and a
// MapBatches that counts the batches it sees: the proof of recomputation.
func mibPartitions(t *testing.T, s *Session, mem memory.Allocator, n int, calls *atomic.Int64) *Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	parts := make([][]arrow.RecordBatch, n)
	for p := range parts {
		rec := int64Batch(mem, schema, 1<<16)
		parts[p] = []arrow.RecordBatch{rec}
	}
	d := s.FromPartitions(schema, parts...)
	for _, p := range parts {
		p[0].Release()
	}
	return d.MapBatches("count-calls", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		calls.Add(1)
		in.Retain()
		return in, nil
	})
}

// countRows counts rows with ForEachBatch: no aggregation, so no execution memory that
// could evict the cache under test.
func countRows(t *testing.T, d *Dataset) int64 {
	t.Helper()
	var n atomic.Int64
	if err := d.ForEachBatch(t.Context(), func(_ int, rec arrow.RecordBatch) error {
		n.Add(rec.NumRows())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n.Load()
}

func newCacheSession(t *testing.T, cfg Config) (*Session, *memory.CheckedAllocator) {
	t.Helper()
	leakcheck.Check(t)
	mem := memtest.Checked()
	cfg.Allocator = mem
	cfg.Parallelism = 1 // partitions are computed, and cached, in order
	if cfg.SpillDir == "" {
		// The test's own directory: nothing another process cleans, and removed with the test.
		cfg.SpillDir = t.TempDir()
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = 1 << 16
	}
	return checkedSession(t, mem, cfg), mem
}

// checkedSession starts a session on mem whose Close and zero-byte check run at the end
// of the test.
func checkedSession(t *testing.T, mem *memory.CheckedAllocator, cfg Config) *Session {
	t.Helper()
	cfg.Allocator = mem
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	return s
}

func TestCacheEvictionOrderAndLevels(t *testing.T) {
	// Five 512 KiB partitions; the budget holds three of them (and a little more).
	for _, tc := range []struct {
		level       StorageLevel
		recomputed  int64 // MapBatches calls in the second job
		diskHits    int64
		memoryParts int
	}{
		{MemoryOnly, 2, 0, 3},
		{MemoryAndDisk, 0, 2, 3},
		{DiskOnly, 0, 5, 0},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			s, mem := newCacheSession(t, Config{MemoryLimit: 1792 << 10})
			var calls atomic.Int64
			d := mibPartitions(t, s, mem, 5, &calls).Persist(tc.level)
			if n := countRows(t, d); n != 5<<16 {
				t.Fatalf("first count %d", n)
			}
			if calls.Load() != 5 {
				t.Fatalf("first job: %d calls, want 5", calls.Load())
			}
			info := s.StorageInfo()
			if len(info) != 1 || info[0].InMemory != tc.memoryParts {
				t.Fatalf("StorageInfo %v: want %d partitions in memory", info, tc.memoryParts)
			}
			calls.Store(0)
			if n := countRows(t, d); n != 5<<16 {
				t.Fatalf("second count %d", n)
			}
			m := s.LastJob().Totals()
			if calls.Load() != tc.recomputed || m.RecomputedPartitions != tc.recomputed {
				t.Fatalf("second job recomputed %d partitions (metric %d), want %d", calls.Load(), m.RecomputedPartitions, tc.recomputed)
			}
			if m.CacheDiskHits != tc.diskHits {
				t.Fatalf("second job read %d partitions from disk, want %d", m.CacheDiskHits, tc.diskHits)
			}
			if tc.level == MemoryOnly {
				// The victims are the partitions that came last: the earliest three stay
				// (a dataset never evicts its own blocks to cache itself).
				if info[0].Cached != 3 {
					t.Fatalf("%d partitions cached, want 3", info[0].Cached)
				}
			}
			t.Log(info[0])
		})
	}
}

func TestCacheAfterShuffleSkipsStages(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	agg := f.ds.GroupBy("k").Agg(Sum("x").As("sx")).Cache()
	want := collectRows(t, agg)
	if n := len(f.s.LastJob().Stages); n != 2 {
		t.Fatalf("first job ran %d stages, want 2", n)
	}
	got := collectRows(t, agg.Filter(Col("sx").IsNotNull().Or(Col("sx").IsNull())))
	assertSameRows(t, got, want)
	job := f.s.LastJob()
	if len(job.Stages) != 1 {
		t.Fatalf("reading a materialized cache ran %d stages, want 1 (no map stage)", len(job.Stages))
	}
	if job.Totals().CacheHits == 0 || job.Totals().CacheMisses != 0 {
		t.Fatalf("hits %d misses %d", job.Totals().CacheHits, job.Totals().CacheMisses)
	}
	if ex := agg.Explain(); !strings.Contains(ex, "CachedScan dataset=") {
		t.Fatalf("Explain does not mark the cached node:\n%s", ex)
	}
}

func TestUnpersistFreesAndCloseRemovesSpillDir(t *testing.T) {
	leakcheck.Check(t)
	mem := memtest.Checked()
	s, err := NewSession(Config{Allocator: mem, Parallelism: 1, SpillDir: t.TempDir(), BatchRows: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	disk := mibPartitions(t, s, mem, 3, &calls).Persist(DiskOnly)
	inMem := mibPartitions(t, s, mem, 2, &calls).Persist(MemoryOnly)
	for _, d := range []*Dataset{disk, inMem} {
		countRows(t, d)
	}
	files := func() int {
		n := 0
		filepath.Walk(s.SpillDir(), func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	if files() != 3 || s.MemoryStats().StorageUsed == 0 {
		t.Fatalf("%d spill files, storage %d: want 3 files and cached memory", files(), s.MemoryStats().StorageUsed)
	}
	disk.Unpersist()
	inMem.Unpersist()
	if files() != 0 || s.MemoryStats().StorageUsed != 0 || len(s.StorageInfo()) != 0 {
		t.Fatalf("after Unpersist: %d files, storage %d, info %v", files(), s.MemoryStats().StorageUsed, s.StorageInfo())
	}
	// Unpersisted datasets still work, uncached.
	calls.Store(0)
	if n, err := disk.Count(t.Context()); err != nil || n != 3<<16 || calls.Load() != 3 {
		t.Fatalf("count after unpersist %d, %v, %d calls", n, err, calls.Load())
	}
	dir := s.SpillDir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left the spill directory %s: %v", dir, err)
	}
	mem.AssertSize(t, 0)
}

func TestCheckpointReadByNewSession(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, partitionSizes["mixed"], Config{CheckpointDir: dir})
	agg := f.ds.GroupBy("k", "g").Agg(Sum("x").As("sx"), Count().As("n"))
	want := collectRows(t, agg)
	cp, err := agg.Checkpoint(t.Context(), "daily")
	if err != nil {
		t.Fatal(err)
	}
	if ex := cp.Explain(); strings.Contains(ex, "Aggregate") {
		t.Fatalf("checkpoint kept its lineage:\n%s", ex)
	}
	assertSameRows(t, collectRows(t, cp), want)

	s2, _ := newCacheSession(t, Config{CheckpointDir: dir})
	assertSameRows(t, collectRows(t, s2.ReadCheckpoint("daily")), want)

	local, err := agg.LocalCheckpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	assertSameRows(t, collectRows(t, local), want)
	if n := len(f.s.LastJob().Stages); n != 1 {
		t.Fatalf("a local checkpoint read ran %d stages, want 1", n)
	}
}

func TestExecutionEvictsCache(t *testing.T) {
	// Fill storage beyond its region with a MemoryAndDisk cache, then run an aggregation
	// that needs the memory: execution wins, the cached blocks go to disk, results stay.
	s, mem := newCacheSession(t, Config{MemoryLimit: 4 << 20, BatchRows: 4096})
	var calls atomic.Int64
	cached := mibPartitions(t, s, mem, 6, &calls).Persist(MemoryAndDisk)
	countRows(t, cached)
	firstCalls := calls.Load()
	before := s.StorageInfo()[0]
	if before.InMemory == 0 {
		t.Fatalf("nothing cached in memory: %v", before)
	}
	n, err := cached.Distinct().Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != 1<<16 {
		t.Fatalf("distinct count %d, want %d", n, 1<<16)
	}
	job := s.LastJob()
	if job.Blocks.EvictedBlocks == 0 {
		t.Fatalf("the aggregation evicted no cached block; storage before: %v; job: %+v", before, job.Blocks)
	}
	if calls.Load() != firstCalls || job.Blocks.DiskReads == 0 {
		t.Fatalf("MemoryAndDisk partitions were recomputed (%d calls, %d before) or not read from disk (%d reads)",
			calls.Load(), firstCalls, job.Blocks.DiskReads)
	}
}
