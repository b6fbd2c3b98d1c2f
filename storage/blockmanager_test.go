package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	amem "github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/memory"
)

// fixedBatch builds n rows with keys from..from+n-1 (every fifth NULL) and fixed-width
// strings, so that batches of equal n and from ≡ 0 (mod 5) have equal sizes.
func fixedBatch(mem amem.Allocator, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		if i%5 == 0 {
			b.Field(0).AppendNull()
			b.Field(1).AppendNull()
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("v%09d", i))
	}
	return b.NewRecordBatch()
}

// strs returns the s column with NULL as "", to check the strings survive a round trip.
func strs(batches []arrow.RecordBatch) []string {
	var out []string
	for _, b := range batches {
		c := b.Column(1).(*array.String)
		for i := range c.Len() {
			out = append(out, c.Value(i))
		}
	}
	return out
}

func wantStrs(from, n int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		if i%5 == 0 {
			out = append(out, "")
		} else {
			out = append(out, fmt.Sprintf("v%09d", i))
		}
	}
	return out
}

const rowsPerBlock = 1000

// blockFrom is the first key of partition p of dataset d: content is a function of the ID.
func blockFrom(d, p int) int { return d*1_000_000 + p*rowsPerBlock }

func partition(mem amem.Allocator, d, p int) []arrow.RecordBatch {
	return []arrow.RecordBatch{fixedBatch(mem, blockFrom(d, p), rowsPerBlock)}
}

type bmEnv struct {
	mem   *amem.CheckedAllocator
	mgr   *memory.Manager
	spill *SpillManager
	bm    *BlockManager
	size  int64 // the size of one partition
}

// newBMEnv returns a block manager whose budget is limit(size of one partition).
func newBMEnv(t *testing.T, limit func(size int64) int64) *bmEnv {
	t.Helper()
	e := &bmEnv{mem: amem.NewCheckedAllocator(amem.NewGoAllocator())}
	probe := partition(e.mem, 0, 0)
	e.size = util.TotalRecordSize(probe[0])
	releaseBatches(probe)
	other := partition(e.mem, 7, 3)
	if s := util.TotalRecordSize(other[0]); s != e.size {
		t.Fatalf("partition sizes differ: %d and %d", s, e.size)
	}
	releaseBatches(other)
	var err error
	if e.spill, err = NewSpillManager(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	e.mgr = memory.NewManager(memory.Config{Limit: limit(e.size), StorageFraction: 0.5})
	e.bm = NewBlockManager(e.mgr, e.spill, WithAllocator(e.mem))
	t.Cleanup(func() {
		if err := e.bm.Close(); err != nil {
			t.Error(err)
		}
		if err := e.mgr.Close(); err != nil {
			t.Error(err)
		}
		if files := spillFiles(t, e.spill, ""); len(files) != 0 {
			t.Errorf("files left after Close: %v", files)
		}
		e.spill.Close()
		e.mem.AssertSize(t, 0)
	})
	return e
}

// spillFiles lists the files (finished or temporary) whose name starts with prefix.
func spillFiles(t *testing.T, m *SpillManager, prefix string) []string {
	t.Helper()
	ents, err := os.ReadDir(m.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// evictAll evicts every block in memory, as execution asking for all storage would.
func (e *bmEnv) evictAll(t *testing.T) {
	t.Helper()
	held := e.bm.Stats().MemoryBytes
	if freed := e.bm.EvictBlocks(1 << 40); freed != held {
		t.Fatalf("EvictBlocks freed %d of %d", freed, held)
	}
	if freed := e.bm.EvictBlocks(1); freed != 0 || e.mgr.Stats().StorageUsed != 0 {
		t.Fatalf("EvictBlocks of an empty memory store freed %d", freed)
	}
}

func (e *bmEnv) put(t *testing.T, d, p int, level Level) Location {
	t.Helper()
	loc, err := e.bm.PutCache(CacheBlockID(d, p), level, partition(e.mem, d, p))
	if err != nil {
		t.Fatalf("put %d/%d: %v", d, p, err)
	}
	return loc
}

// get reads partition p of dataset d, checks its content when found and returns where.
func (e *bmEnv) get(t *testing.T, d, p int) Location {
	t.Helper()
	got, loc, err := e.bm.GetCache(t.Context(), CacheBlockID(d, p), e.mem)
	if err != nil {
		t.Fatalf("get %d/%d: %v", d, p, err)
	}
	defer releaseBatches(got)
	if loc == NotStored {
		if got != nil {
			t.Fatalf("get %d/%d: a miss returned batches", d, p)
		}
		return loc
	}
	from := blockFrom(d, p)
	if !slices.Equal(keys(got), wantKeys(from, rowsPerBlock)) || !slices.Equal(strs(got), wantStrs(from, rowsPerBlock)) {
		t.Fatalf("get %d/%d from %v: wrong content", d, p, loc)
	}
	return loc
}

func TestBlockManagerEvictionOrder(t *testing.T) {
	for _, level := range []Level{MemoryOnly, MemoryAndDisk} {
		t.Run(level.String(), func(t *testing.T) {
			e := newBMEnv(t, func(s int64) int64 { return 3*s + s/2 })
			const A, B = 1, 2
			var wantLoc = NotStored
			if level == MemoryAndDisk {
				wantLoc = OnDisk
			}
			for p := range 5 {
				want := InMemory
				if p >= 3 {
					want = wantLoc // never evicts A's own blocks
				}
				if loc := e.put(t, A, p, level); loc != want {
					t.Fatalf("put A%d: %v, want %v", p, loc, want)
				}
			}
			if st := e.bm.Stats(); st.EvictedBlocks != 0 {
				t.Fatalf("A's puts evicted %d blocks of A", st.EvictedBlocks)
			}
			info := e.bm.DatasetInfo(A)
			wantInfo := DatasetInfo{Partitions: 3, InMemory: 3, MemoryBytes: 3 * e.size}
			if level == MemoryAndDisk {
				wantInfo.Partitions, wantInfo.OnDisk, wantInfo.DiskBytes = 5, 2, info.DiskBytes
			}
			if info != wantInfo || (level == MemoryAndDisk && info.DiskBytes <= 0) {
				t.Fatalf("DatasetInfo(A) = %+v, want %+v", info, wantInfo)
			}
			// A0 read: now A1 is the oldest, then A2.
			if loc := e.get(t, A, 0); loc != InMemory {
				t.Fatalf("A0: %v", loc)
			}
			if loc := e.put(t, B, 3, level); loc != InMemory {
				t.Fatalf("put B3: %v", loc)
			}
			if loc := e.put(t, B, 4, level); loc != InMemory {
				t.Fatalf("put B4: %v", loc)
			}
			st := e.bm.Stats()
			if st.EvictedBlocks != 2 {
				t.Fatalf("evicted %d blocks, want 2", st.EvictedBlocks)
			}
			for p, want := range []Location{InMemory, wantLoc, wantLoc, wantLoc, wantLoc} {
				if loc := e.get(t, A, p); loc != want {
					t.Errorf("A%d: %v, want %v", p, loc, want)
				}
			}
			if level == MemoryOnly {
				if st.Dropped != 2 || st.EvictedToDisk != 0 || st.DiskWrites != 0 {
					t.Fatalf("stats %+v", st)
				}
				// A put that evicting every other block would not make room for evicts none.
				big := slices.Concat(partition(e.mem, 3, 0), partition(e.mem, 3, 1), partition(e.mem, 3, 2), partition(e.mem, 3, 3))
				if loc, err := e.bm.PutCache(CacheBlockID(3, 0), MemoryOnly, big); loc != NotStored || err != nil {
					t.Fatalf("put of 4 partitions' worth: %v %v", loc, err)
				}
				if st := e.bm.Stats(); st.EvictedBlocks != 2 || st.MemoryBytes != 3*e.size {
					t.Fatalf("a hopeless put evicted: %+v", st)
				}
				return
			}
			if st.EvictedToDisk != 2 || st.Dropped != 0 || st.DiskWrites != 4 {
				t.Fatalf("stats %+v", st)
			}
			// Memory is full of A0, B3, B4: the disk hits above were not re-admitted. Once B
			// is gone, a disk hit re-admits the partition, and the next read is a memory hit.
			e.bm.RemoveDataset(B)
			if loc := e.get(t, A, 1); loc != OnDisk {
				t.Fatalf("A1 after RemoveDataset(B): %v", loc)
			}
			if loc := e.get(t, A, 1); loc != InMemory {
				t.Fatalf("A1 re-admitted: %v", loc)
			}
			if info := e.bm.DatasetInfo(A); info.InMemory != 2 || info.OnDisk != 4 || info.Partitions != 5 {
				t.Fatalf("DatasetInfo(A) = %+v", info)
			}
			if got := e.mgr.Stats().StorageUsed; got != e.bm.Stats().MemoryBytes {
				t.Fatalf("storage used %d, block manager holds %d", got, e.bm.Stats().MemoryBytes)
			}
		})
	}
}

func TestBlockManagerExecutionPressure(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 4 * s })
	// p0 is MEMORY_ONLY (dropped when evicted), the others MEMORY_AND_DISK (moved to disk).
	levels := []Level{MemoryOnly, MemoryAndDisk, MemoryAndDisk, MemoryAndDisk}
	for p, l := range levels {
		if loc := e.put(t, 1, p, l); loc != InMemory {
			t.Fatalf("put %d: %v", p, loc)
		}
	}
	region := e.mgr.Stats().StorageRegion
	if region != 2*e.size || e.mgr.Stats().StorageUsed != 4*e.size {
		t.Fatalf("region %d, storage used %d, size %d", region, e.mgr.Stats().StorageUsed, e.size)
	}
	res := e.mgr.NewReservation("sort")
	defer res.Free()
	for i := range 2 {
		if err := res.TryGrow(e.size); err != nil {
			t.Fatalf("grow %d: %v", i, err)
		}
	}
	if err := res.TryGrow(1); !errors.Is(err, memory.ErrBudgetExceeded) {
		t.Fatalf("grow into the storage region: %v", err)
	}
	if used := e.mgr.Stats().StorageUsed; used != region {
		t.Fatalf("storage used %d after execution pressure, want the region %d", used, region)
	}
	st := e.bm.Stats()
	if st.EvictedBlocks != 2 || st.Dropped != 1 || st.EvictedToDisk != 1 {
		t.Fatalf("stats %+v", st)
	}
	for p, want := range []Location{NotStored, OnDisk, InMemory, InMemory} {
		if loc := e.get(t, 1, p); loc != want {
			t.Errorf("p%d: %v, want %v", p, loc, want)
		}
	}
}

func TestBlockManagerShuffleBlocks(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 4 * s })
	const maps = 6
	for m := range maps {
		if err := e.bm.Put(ShuffleBlockID(3, m, 1), partition(e.mem, 3, m)); err != nil {
			t.Fatal(err)
		}
	}
	// Four fit in memory; the other two went to disk; none was evicted for them.
	st := e.bm.Stats()
	if st.MemoryBytes != 4*e.size || st.DiskWrites != 2 || st.EvictedBlocks != 0 {
		t.Fatalf("stats %+v", st)
	}
	check := func(m int, want Location) {
		t.Helper()
		got, loc, err := e.bm.GetCache(t.Context(), ShuffleBlockID(3, m, 1), e.mem)
		if err != nil || loc != want {
			t.Fatalf("map %d: %v %v, want %v", m, loc, err, want)
		}
		from := blockFrom(3, m)
		if !slices.Equal(keys(got), wantKeys(from, rowsPerBlock)) || !slices.Equal(strs(got), wantStrs(from, rowsPerBlock)) {
			t.Fatalf("map %d: wrong content", m)
		}
		releaseBatches(got)
	}
	check(4, OnDisk)
	check(4, OnDisk) // shuffle blocks are not re-admitted
	// Execution pressure moves the two oldest to disk.
	res := e.mgr.NewReservation("agg")
	defer res.Free()
	if err := res.TryGrow(2 * e.size); err != nil {
		t.Fatal(err)
	}
	if st := e.bm.Stats(); st.EvictedToDisk != 2 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
	for m, want := range []Location{OnDisk, OnDisk, InMemory, InMemory, OnDisk, OnDisk} {
		check(m, want)
	}
	// Store.Get reads disk blocks with the manager's allocator.
	got, ok := e.bm.Get(ShuffleBlockID(3, 0, 1))
	if !ok || !slices.Equal(keys(got), wantKeys(blockFrom(3, 0), rowsPerBlock)) {
		t.Fatalf("Get: %v", ok)
	}
	releaseBatches(got)
	if _, ok := e.bm.Get(ShuffleBlockID(3, 9, 1)); ok {
		t.Fatal("Get of an absent block")
	}
	e.bm.RemoveIf(func(id BlockID) bool { return id.Kind == ShuffleBlock && id.ShuffleID == 3 })
	if e.bm.Bytes() != 0 || len(spillFiles(t, e.spill, "")) != 0 || e.mgr.Stats().StorageUsed != 0 {
		t.Fatalf("after RemoveIf: bytes %d, files %v", e.bm.Bytes(), spillFiles(t, e.spill, ""))
	}
}

func TestBlockManagerSerializedLevels(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 4 * s })
	if loc := e.put(t, 1, 0, MemoryOnlySer); loc != InMemory {
		t.Fatal(loc)
	}
	info := e.bm.DatasetInfo(1)
	if info.InMemory != 1 || info.MemoryBytes <= 0 || info.MemoryBytes >= e.size || e.mgr.Stats().StorageUsed != info.MemoryBytes {
		t.Fatalf("MEMORY_ONLY_SER charges %+v (deserialized %d, storage used %d)", info, e.size, e.mgr.Stats().StorageUsed)
	}
	for range 2 {
		if loc := e.get(t, 1, 0); loc != InMemory {
			t.Fatal(loc)
		}
	}
	// MEMORY_AND_DISK_SER: evicted by execution its bytes are written out as they are, read
	// back from disk, then re-admitted.
	if loc := e.put(t, 2, 0, MemoryAndDiskSer); loc != InMemory {
		t.Fatal(loc)
	}
	if freed := e.bm.EvictBlocks(1); freed != info.MemoryBytes { // the oldest: dataset 1, dropped
		t.Fatalf("freed %d, want %d", freed, info.MemoryBytes)
	}
	serBytes := e.bm.DatasetInfo(2).MemoryBytes
	if freed := e.bm.EvictBlocks(1); freed != serBytes {
		t.Fatalf("freed %d, want %d", freed, serBytes)
	}
	if info := e.bm.DatasetInfo(2); info.OnDisk != 1 || info.InMemory != 0 || info.DiskBytes != serBytes {
		t.Fatalf("after eviction %+v, serialized bytes %d", info, serBytes)
	}
	if loc := e.get(t, 1, 0); loc != NotStored {
		t.Fatalf("MEMORY_ONLY_SER after eviction: %v", loc)
	}
	if loc := e.get(t, 2, 0); loc != OnDisk {
		t.Fatal(loc)
	}
	if loc := e.get(t, 2, 0); loc != InMemory {
		t.Fatalf("not re-admitted: %v", loc)
	}
	// DISK_ONLY: always on disk, never re-admitted.
	for range 2 {
		if loc := e.put(t, 3, 0, DiskOnly); loc != OnDisk {
			t.Fatal(loc)
		}
		if loc := e.get(t, 3, 0); loc != OnDisk {
			t.Fatal(loc)
		}
	}
	if files := spillFiles(t, e.spill, "cache_3_0-"); len(files) != 1 {
		t.Fatalf("replacing a DISK_ONLY block left files %v", files)
	}
	if _, err := e.bm.PutCache(CacheBlockID(4, 0), None, partition(e.mem, 4, 0)); err == nil {
		t.Fatal("level NONE accepted")
	}
}

// TestBlockManagerOddBlocks stores blocks of no batches, empty batches and one-row batches
// at every level.
func TestBlockManagerOddBlocks(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 1 << 30 })
	levels := []Level{MemoryOnly, MemoryAndDisk, DiskOnly, MemoryOnlySer, MemoryAndDiskSer}
	for i, l := range levels {
		id := CacheBlockID(10+i, 0)
		loc, err := e.bm.PutCache(id, l, nil)
		if err != nil || loc == NotStored {
			t.Fatalf("%v: empty block: %v %v", l, loc, err)
		}
		got, loc2, err := e.bm.GetCache(t.Context(), id, e.mem)
		if err != nil || loc2 != loc || len(got) != 0 {
			t.Fatalf("%v: empty block read back: %v %v %d", l, loc2, err, len(got))
		}
		id = CacheBlockID(20+i, 0)
		in := []arrow.RecordBatch{fixedBatch(e.mem, 5, 0), fixedBatch(e.mem, 5, 1), fixedBatch(e.mem, 6, 3)}
		if _, err := e.bm.PutCache(id, l, in); err != nil {
			t.Fatal(err)
		}
		wantK := append(wantKeys(5, 1), wantKeys(6, 3)...)
		wantS := append(wantStrs(5, 1), wantStrs(6, 3)...)
		// Read where the put left it, then force the memory copies out and read again.
		for round := range 2 {
			got, loc, err = e.bm.GetCache(t.Context(), id, e.mem)
			if err != nil {
				t.Fatal(err)
			}
			if round == 1 && !l.UseDisk() {
				if loc != NotStored {
					t.Fatalf("%v: evicted block read from %v", l, loc)
				}
				break
			}
			if len(got) != 3 || got[0].NumRows() != 0 || !slices.Equal(keys(got), wantK) || !slices.Equal(strs(got), wantS) {
				t.Fatalf("%v (%v): got %v %v", l, loc, keys(got), strs(got))
			}
			releaseBatches(got)
			e.evictAll(t)
		}
	}
	bad := []arrow.RecordBatch{fixedBatch(e.mem, 0, 2), nil}
	if _, err := e.bm.PutCache(CacheBlockID(30, 0), MemoryOnly, bad); err == nil {
		t.Fatal("nil batch accepted")
	}
}

func TestBlockManagerRemoveDatasetAndClose(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 3 * s })
	for _, d := range []int{1, 2} {
		e.put(t, d, 0, DiskOnly)
		e.put(t, d, 1, MemoryAndDisk)
		e.put(t, d, 2, MemoryAndDiskSer)
	}
	e.evictAll(t)
	e.put(t, 1, 3, MemoryOnly)
	e.put(t, 2, 3, MemoryOnly)
	if n := len(spillFiles(t, e.spill, "cache_1_")); n != 3 {
		t.Fatalf("dataset 1 has %d files, want 3", n)
	}
	keep := e.bm.DatasetInfo(2)
	e.bm.RemoveDataset(1)
	if files := spillFiles(t, e.spill, "cache_1_"); len(files) != 0 {
		t.Fatalf("RemoveDataset left %v", files)
	}
	if info := e.bm.DatasetInfo(1); info != (DatasetInfo{}) {
		t.Fatalf("DatasetInfo after RemoveDataset: %+v", info)
	}
	if used := e.mgr.Stats().StorageUsed; used != keep.MemoryBytes || e.bm.DatasetInfo(2) != keep {
		t.Fatalf("storage used %d, dataset 2 %+v, want %+v", used, e.bm.DatasetInfo(2), keep)
	}
	if len(spillFiles(t, e.spill, "cache_2_")) != 3 || e.get(t, 2, 0) != OnDisk {
		t.Fatal("RemoveDataset(1) touched dataset 2")
	}
	if err := e.bm.Close(); err != nil {
		t.Fatal(err)
	}
	if files := spillFiles(t, e.spill, ""); len(files) != 0 || e.mgr.Stats().StorageUsed != 0 || e.bm.Bytes() != 0 {
		t.Fatalf("after Close: files %v, storage used %d", files, e.mgr.Stats().StorageUsed)
	}
	if _, err := e.bm.PutCache(CacheBlockID(1, 0), MemoryOnly, partition(e.mem, 1, 0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after Close: %v", err)
	}
	if err := e.bm.Put(ShuffleBlockID(0, 0, 0), partition(e.mem, 1, 0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	if e.get(t, 2, 0) != NotStored {
		t.Fatal("read after Close")
	}
}

// TestBlockManagerPinned checks that a block being read is not evicted and that its file
// outlives a concurrent removal until the read ends.
func TestBlockManagerPinned(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 4 * s })
	e.put(t, 1, 0, MemoryAndDisk)
	e.put(t, 1, 1, DiskOnly)
	pin := func(p int, delta int) *block {
		e.bm.mu.Lock()
		defer e.bm.mu.Unlock()
		blk := e.bm.blocks[CacheBlockID(1, p)]
		blk.pins += delta
		return blk
	}
	b0 := pin(0, 1)
	if freed := e.bm.EvictBlocks(1); freed != 0 {
		t.Fatalf("evicted a pinned block: %d", freed)
	}
	e.bm.unpin(b0)
	if freed := e.bm.EvictBlocks(1); freed != e.size {
		t.Fatalf("freed %d after unpin, want %d", freed, e.size)
	}
	b1 := pin(1, 1)
	path := b1.file.Path()
	e.bm.RemoveDataset(1)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("file of a pinned block removed: %v", err)
	}
	e.bm.unpin(b1)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file not removed by the last unpin: %v", err)
	}
}

func TestBlockManagerDiskFull(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 2 * s })
	e.spill.SetWriteLimit(100)
	checkENOSPC := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") {
			t.Fatalf("%s: err = %v, want ENOSPC", what, err)
		}
		if files := spillFiles(t, e.spill, ""); len(files) != 0 {
			t.Fatalf("%s left files %v", what, files)
		}
	}
	loc, err := e.bm.PutCache(CacheBlockID(1, 0), DiskOnly, partition(e.mem, 1, 0))
	if loc != NotStored {
		t.Fatal(loc)
	}
	checkENOSPC("DISK_ONLY put", err)
	t.Logf("error: %v", err)

	// Memory full of a shuffle block and a cache block; more of each must go to disk.
	if err := e.bm.Put(ShuffleBlockID(0, 0, 0), partition(e.mem, 2, 0)); err != nil {
		t.Fatal(err)
	}
	e.put(t, 1, 1, MemoryAndDisk)
	checkENOSPC("shuffle put", e.bm.Put(ShuffleBlockID(0, 1, 0), partition(e.mem, 2, 1)))
	_, err = e.bm.PutCache(CacheBlockID(1, 2), MemoryAndDiskSer, partition(e.mem, 1, 2))
	checkENOSPC("MEMORY_AND_DISK_SER put", err)
	_, err = e.spill.writeEncoded("x", schema, make([]byte, 10)) // not an encoded block
	if !errors.Is(err, ErrCorruptSpill) {
		t.Fatalf("writeEncoded of garbage: %v", err)
	}

	// Eviction cannot return the error: the shuffle block stays in memory, the cache block
	// is dropped (it can be recomputed).
	if freed := e.bm.EvictBlocks(2 * e.size); freed != e.size {
		t.Fatalf("freed %d, want %d", freed, e.size)
	}
	st := e.bm.Stats()
	// Three failed writes: the shuffle block when the MEMORY_AND_DISK_SER put tried to evict
	// it, then both blocks here.
	if st.DiskErrors != 3 || st.Dropped != 1 || st.MemoryBytes != e.size || len(spillFiles(t, e.spill, "")) != 0 {
		t.Fatalf("stats %+v", st)
	}
	got, ok := e.bm.Get(ShuffleBlockID(0, 0, 0))
	if !ok || !slices.Equal(keys(got), wantKeys(blockFrom(2, 0), rowsPerBlock)) {
		t.Fatal("shuffle block lost on a full disk")
	}
	releaseBatches(got)

	// Space again: everything works.
	e.spill.SetWriteLimit(-1)
	if freed := e.bm.EvictBlocks(1); freed != e.size {
		t.Fatalf("freed %d", freed)
	}
	got, loc, err = e.bm.GetCache(t.Context(), ShuffleBlockID(0, 0, 0), e.mem)
	if err != nil || loc != OnDisk || !slices.Equal(keys(got), wantKeys(blockFrom(2, 0), rowsPerBlock)) {
		t.Fatalf("after the disk freed up: %v %v", loc, err)
	}
	releaseBatches(got)
}

func TestSpillWriteLimitAndMissingDirectory(t *testing.T) {
	mem := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	m, err := NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rec := fixedBatch(mem, 0, 5000)
	defer rec.Release()
	write := func() error {
		w, err := m.Create("sort", rec.Schema())
		if err != nil {
			return err
		}
		if err := w.Append(rec); err != nil {
			w.Abort()
			return err
		}
		_, err = w.Finish()
		return err
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	size := m.Stats().Bytes
	m.SetWriteLimit(size + size/2) // one more file fits, not two
	if err := write(); err != nil {
		t.Fatal(err)
	}
	if err := write(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if ents, _ := os.ReadDir(m.Dir()); len(ents) != 2 {
		t.Fatalf("%d files, want the 2 complete ones", len(ents))
	}
	m.SetWriteLimit(-1)
	if err := write(); err != nil {
		t.Fatal(err)
	}

	// The directory vanishing (or becoming unwritable) is named in the error.
	os.RemoveAll(m.Dir())
	_, err = m.Create("sort", rec.Schema())
	if err == nil || !strings.Contains(err.Error(), "not writable") || !strings.Contains(err.Error(), m.Dir()) {
		t.Fatalf("err = %v", err)
	}
	bm := NewBlockManager(memory.NewManager(memory.Config{Limit: 1 << 20}), m)
	defer bm.Close()
	rec.Retain()
	if _, err := bm.PutCache(CacheBlockID(1, 0), DiskOnly, []arrow.RecordBatch{rec}); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("DISK_ONLY put into a missing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(m.Dir())); err != nil {
		t.Fatal(err)
	}
}

func TestBlockManagerConcurrent(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 6 * s })
	levels := []Level{MemoryOnly, MemoryAndDisk, DiskOnly, MemoryOnlySer, MemoryAndDiskSer}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				d, p := (g+i)%3, i%4
				// A dataset has one level, as persist assigns it.
				if _, err := e.bm.PutCache(CacheBlockID(d, p), levels[(d+g%2)%len(levels)], partition(e.mem, d, p)); err != nil {
					errs <- err
					return
				}
				q := (p + 1) % 4
				got, loc, err := e.bm.GetCache(t.Context(), CacheBlockID(d, q), e.mem)
				if err != nil {
					errs <- err
					return
				}
				if loc != NotStored && !slices.Equal(keys(got), wantKeys(blockFrom(d, q), rowsPerBlock)) {
					errs <- fmt.Errorf("cache %d/%d from %v: wrong content", d, q, loc)
				}
				releaseBatches(got)
				sid := ShuffleBlockID(g%2, i%5, 0)
				if err := e.bm.Put(sid, partition(e.mem, 50+g%2, i%5)); err != nil {
					errs <- err
					return
				}
				if got, ok := e.bm.Get(sid); ok {
					if !slices.Equal(keys(got), wantKeys(blockFrom(50+g%2, i%5), rowsPerBlock)) {
						errs <- fmt.Errorf("shuffle %v: wrong content", sid)
					}
					releaseBatches(got)
				}
				switch i % 10 {
				case 3:
					res := e.mgr.NewReservation(fmt.Sprintf("op-%d", g))
					if res.TryGrow(2*e.size) == nil {
						res.Free()
					}
				case 7:
					e.bm.RemoveDataset(d)
				case 9:
					e.bm.EvictBlocks(e.size)
				}
				_ = e.bm.DatasetInfo(d)
				_ = e.bm.Stats()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := e.bm.Stats()
	if st.MemoryBytes != e.mgr.Stats().StorageUsed {
		t.Fatalf("block manager holds %d, manager charges %d", st.MemoryBytes, e.mgr.Stats().StorageUsed)
	}
	t.Logf("stats %+v", st)
}

func TestLocationNames(t *testing.T) {
	for l, want := range map[Location]string{NotStored: "none", InMemory: "memory", OnDisk: "disk", 7: "Location(7)"} {
		if l.String() != want {
			t.Errorf("%d: %s", int(l), l)
		}
	}
}

// PutAll stores what fits in memory and writes the rest to disk as the sections of one
// file; each block reads back its own rows, and the file goes with the last of them. A
// nil batch fails its block, names it, and loses no reference.
func TestBlockManagerPutAllSharesOneFile(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 2 * s })
	const blocks = 6
	ids := make([]BlockID, blocks)
	batches := make([][]arrow.RecordBatch, blocks)
	for m := range blocks {
		ids[m], batches[m] = ShuffleBlockID(4, m, 2), partition(e.mem, 4, m)
	}
	if err := e.bm.PutAll(ids, batches); err != nil {
		t.Fatal(err)
	}
	st := e.bm.Stats()
	if st.MemoryBytes != 2*e.size || st.DiskWrites != 4 || st.EvictedBlocks != 0 {
		t.Fatalf("stats %+v: want two blocks in memory, four on disk", st)
	}
	if files := spillFiles(t, e.spill, ""); len(files) != 1 {
		t.Fatalf("spill files %v, want the four refused blocks in one", files)
	}
	for m := range blocks {
		got, loc, err := e.bm.GetCache(t.Context(), ids[m], e.mem)
		if err != nil {
			t.Fatalf("block %d: %v", m, err)
		}
		if want := map[bool]Location{true: InMemory, false: OnDisk}[m < 2]; loc != want {
			t.Errorf("block %d: %v, want %v", m, loc, want)
		}
		from := blockFrom(4, m)
		if !slices.Equal(keys(got), wantKeys(from, rowsPerBlock)) || !slices.Equal(strs(got), wantStrs(from, rowsPerBlock)) {
			t.Errorf("block %d: wrong content", m)
		}
		releaseBatches(got)
	}
	for m := 2; m < blocks-1; m++ {
		e.bm.Remove(ids[m])
	}
	if files := spillFiles(t, e.spill, ""); len(files) != 1 {
		t.Fatalf("spill files %v with one section still stored, want the file kept", files)
	}
	e.bm.Remove(ids[blocks-1])
	if files := spillFiles(t, e.spill, ""); len(files) != 0 {
		t.Fatalf("spill files %v after removing every section", files)
	}

	bad := ShuffleBlockID(4, 9, 2)
	good := ShuffleBlockID(4, 10, 2)
	err := e.bm.PutAll([]BlockID{bad, good}, [][]arrow.RecordBatch{append(partition(e.mem, 4, 9), nil), partition(e.mem, 4, 10)})
	if err == nil || !strings.Contains(err.Error(), bad.String()) {
		t.Fatalf("PutAll with a nil batch: %v, want an error naming %v", err, bad)
	}
	got, ok := e.bm.Get(good)
	if !ok {
		t.Fatalf("the good block of a failed PutAll was not stored")
	}
	releaseBatches(got)
	e.bm.Remove(good)
}
