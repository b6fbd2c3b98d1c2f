package storage

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	amem "github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/memory"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// makeBatch builds n rows starting at key from; every fifth row is NULL.
func makeBatch(mem amem.Allocator, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		if i%5 == 0 {
			b.Field(0).AppendNull()
			b.Field(1).AppendNull()
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("v%d", i))
	}
	return b.NewRecordBatch()
}

// keys returns the k column with NULL as -1, for comparison with a plain-Go expectation.
func keys(batches []arrow.RecordBatch) []int64 {
	var out []int64
	for _, b := range batches {
		c := b.Column(0).(*array.Int64)
		for i := range c.Len() {
			if c.IsNull(i) {
				out = append(out, -1)
			} else {
				out = append(out, c.Value(i))
			}
		}
	}
	return out
}

func wantKeys(from, n int) []int64 {
	var out []int64
	for i := from; i < from+n; i++ {
		if i%5 == 0 {
			out = append(out, -1)
		} else {
			out = append(out, int64(i))
		}
	}
	return out
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

func TestBlockIDAndLevelNames(t *testing.T) {
	if got := ShuffleBlockID(3, 1, 7).String(); got != "shuffle_3_1_7" {
		t.Error(got)
	}
	if got := CacheBlockID(5, 2).String(); got != "cache_5_2" {
		t.Error(got)
	}
	names := map[Level]string{None: "NONE", MemoryOnly: "MEMORY_ONLY", MemoryAndDisk: "MEMORY_AND_DISK",
		DiskOnly: "DISK_ONLY", MemoryOnlySer: "MEMORY_ONLY_SER", MemoryAndDiskSer: "MEMORY_AND_DISK_SER"}
	for l, want := range names {
		if l.String() != want {
			t.Errorf("%d: %s", l, l)
		}
	}
	if !MemoryAndDisk.UseDisk() || !MemoryAndDisk.UseMemory() || MemoryOnly.UseDisk() || DiskOnly.UseMemory() ||
		!MemoryOnlySer.Serialized() || None.UseMemory() {
		t.Error("level flags")
	}
}

func TestMemoryStorePutGetRemove(t *testing.T) {
	mem := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mgr := memory.NewManager(memory.Config{Limit: 1 << 30})
	s := NewMemoryStore(mgr)

	a := []arrow.RecordBatch{makeBatch(mem, 0, 100), makeBatch(mem, 100, 1)}
	size := util.TotalRecordSize(a[0]) + util.TotalRecordSize(a[1])
	id := ShuffleBlockID(1, 0, 2)
	if err := s.Put(id, a); err != nil {
		t.Fatal(err)
	}
	if s.Bytes() != size || mgr.Stats().StorageUsed != size {
		t.Fatalf("bytes %d, storage used %d, want %d", s.Bytes(), mgr.Stats().StorageUsed, size)
	}
	got, ok := s.Get(id)
	if !ok || !slices.Equal(keys(got), wantKeys(0, 101)) {
		t.Fatalf("Get: %v %v", ok, keys(got))
	}
	// The caller's batches outlive the block.
	s.Remove(id)
	if !slices.Equal(keys(got), wantKeys(0, 101)) {
		t.Fatal("batches from Get changed after Remove")
	}
	releaseBatches(got)
	if _, ok := s.Get(id); ok || s.Bytes() != 0 || mgr.Stats().StorageUsed != 0 {
		t.Fatal("block survived Remove")
	}
	s.Remove(id) // absent: no-op

	// Replacing a block releases the old one; an empty block is legal.
	if err := s.Put(id, []arrow.RecordBatch{makeBatch(mem, 0, 10)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(id, []arrow.RecordBatch{makeBatch(mem, 50, 3)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(CacheBlockID(1, 1), nil); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(id)
	if !slices.Equal(keys(got), wantKeys(50, 3)) {
		t.Fatalf("after replace: %v", keys(got))
	}
	releaseBatches(got)
	if err := s.Put(CacheBlockID(9, 9), []arrow.RecordBatch{makeBatch(mem, 0, 1), nil}); err == nil {
		t.Fatal("nil batch accepted")
	}
	if s.Len() != 2 {
		t.Fatalf("len %d", s.Len())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(id, []arrow.RecordBatch{makeBatch(mem, 0, 1)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	if err := mgr.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryStoreOverBudgetKeepsShuffleBlocks(t *testing.T) {
	mem := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	one := makeBatch(mem, 0, 1000)
	size := util.TotalRecordSize(one)
	mgr := memory.NewManager(memory.Config{Limit: size + size/2})
	s := NewMemoryStore(mgr)
	if err := s.Put(ShuffleBlockID(0, 0, 0), []arrow.RecordBatch{one}); err != nil {
		t.Fatal(err)
	}
	two := makeBatch(mem, 1000, 1000)
	size2 := util.TotalRecordSize(two)
	if err := s.Put(ShuffleBlockID(0, 1, 0), []arrow.RecordBatch{two}); err != nil {
		t.Fatal(err)
	}
	if s.OverBudgetBytes() != size2 || s.Bytes() != size+size2 || mgr.Stats().StorageUsed != size {
		t.Fatalf("over budget %d, bytes %d, storage used %d (size %d)", s.OverBudgetBytes(), s.Bytes(), mgr.Stats().StorageUsed, size)
	}
	got, ok := s.Get(ShuffleBlockID(0, 1, 0))
	if !ok || !slices.Equal(keys(got), wantKeys(1000, 1000)) {
		t.Fatal("over-budget block not readable")
	}
	releaseBatches(got)
	s.RemoveIf(func(id BlockID) bool { return id.MapID == 1 })
	if s.OverBudgetBytes() != 0 || s.Bytes() != size {
		t.Fatalf("after RemoveIf: over %d bytes %d", s.OverBudgetBytes(), s.Bytes())
	}
	s.Close()
	if err := mgr.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryStoreLRUOrder(t *testing.T) {
	mem := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := NewMemoryStore(memory.NewManager(memory.Config{Limit: 1 << 30}))
	defer s.Close()
	for p := range 3 {
		if err := s.Put(CacheBlockID(1, p), []arrow.RecordBatch{makeBatch(mem, p, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Get(CacheBlockID(1, 0))
	releaseBatches(got)
	want := []BlockID{CacheBlockID(1, 1), CacheBlockID(1, 2), CacheBlockID(1, 0)}
	s.mu.Lock()
	order := s.blocks.Keys()
	s.mu.Unlock()
	if !slices.Equal(order, want) {
		t.Fatalf("LRU order %v, want %v", order, want)
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	mem := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mgr := memory.NewManager(memory.Config{Limit: 1 << 20})
	s := NewMemoryStore(mgr)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := ShuffleBlockID(g%2, i%7, i%3)
				if err := s.Put(id, []arrow.RecordBatch{makeBatch(mem, i, i%17+1)}); err != nil {
					t.Error(err)
					return
				}
				if got, ok := s.Get(ShuffleBlockID(g%2, (i+1)%7, i%3)); ok {
					releaseBatches(got)
				}
				if i%11 == 0 {
					s.RemoveIf(func(id BlockID) bool { return id.MapID == i%7 })
				}
			}
		}()
	}
	wg.Wait()
	s.Close()
	if s.Bytes() != 0 || s.OverBudgetBytes() != 0 {
		t.Fatalf("bytes %d over %d after Close", s.Bytes(), s.OverBudgetBytes())
	}
	if err := mgr.Close(); err != nil {
		t.Fatal(err)
	}
}
