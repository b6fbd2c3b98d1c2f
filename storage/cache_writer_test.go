package storage

import (
	"os"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// A partition written a chunk at a time reads back as the batches written, whole and
// projected, from one columnar file of as many chunks; an aborted writer leaves no file
// and no block.
func TestCacheWriterChunks(t *testing.T) {
	e := newBMEnv(t, func(size int64) int64 { return 100 * size })
	chunks := [][]arrow.RecordBatch{
		{wideBatch(e.mem, 0, 900), wideBatch(e.mem, 900, 0)},
		{wideBatch(e.mem, 900, 1100)},
		{wideBatch(e.mem, 2000, 500), wideBatch(e.mem, 2500, 64)},
	}
	var all []arrow.RecordBatch
	for _, c := range chunks {
		all = append(all, c...)
	}
	want := map[string][]string{"all": cellsOf(all, []int{0, 1, 2, 3}), "mode,id": cellsOf(all, []int{3, 0})}

	id := CacheBlockID(3, 1)
	w, err := e.bm.CreateCache(id, MemoryAndDisk, wideSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
		releaseAll(c) // Write borrows
	}
	if _, ok := e.bm.Get(id); ok {
		t.Fatal("the block is visible before Commit")
	}
	if loc, err := w.Commit(); err != nil || loc != OnDisk {
		t.Fatalf("commit: %v, %v", loc, err)
	}
	e.bm.mu.Lock()
	f := e.bm.blocks[id].file
	e.bm.mu.Unlock()
	if f == nil || f.columns == nil || len(f.columns.chunks) != 3 || f.Rows() != 2564 {
		t.Fatalf("file: %+v", f)
	}
	for name, cols := range map[string][]int{"all": nil, "mode,id": {3, 0}} {
		s, _, err := e.bm.OpenCache(t.Context(), id, e.mem, cols)
		if err != nil {
			t.Fatal(err)
		}
		if s.Rows() != 2564 {
			t.Errorf("%s: the stream says %d rows, the block has 2564", name, s.Rows())
		}
		got := readStream(t, s)
		n := 4
		if cols != nil {
			n = len(cols)
		}
		proj := make([]int, n)
		for j := range proj {
			proj[j] = j
		}
		if g := cellsOf(got, proj); !slices.Equal(g, want[name]) {
			t.Fatalf("%s: %d cells read back, %d written", name, len(g), len(want[name]))
		}
		releaseAll(got)
	}

	// Abort: nothing stored, no file left.
	other := CacheBlockID(3, 2)
	w, err = e.bm.CreateCache(other, DiskOnly, wideSchema)
	if err != nil {
		t.Fatal(err)
	}
	rec := wideBatch(e.mem, 0, 100)
	if err := w.Write([]arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	w.Abort()
	if _, err := w.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if _, ok := e.bm.Get(other); ok {
		t.Fatal("an aborted block is stored")
	}
	files, err := os.ReadDir(e.spill.Dir())
	if err != nil || len(files) != 1 {
		t.Fatalf("spill directory holds %d files (want the committed one): %v", len(files), err)
	}
	if _, err := e.bm.CreateCache(other, MemoryOnly, wideSchema); err == nil {
		t.Fatal("a MEMORY_ONLY block was written to disk")
	}
}
