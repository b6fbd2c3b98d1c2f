package storage

import (
	"slices"
	"testing"
)

// TestEvictShuffleBlocksShareAFile evicts several shuffle blocks at once: they go to one
// file, a section each, every block reads back whole, and the file goes with the last
// of its blocks.
func TestEvictShuffleBlocksShareAFile(t *testing.T) {
	e := newBMEnv(t, func(s int64) int64 { return 8 * s })
	const maps = 3
	for m := range maps {
		if err := e.bm.Put(ShuffleBlockID(5, m, 0), partition(e.mem, 5, m)); err != nil {
			t.Fatal(err)
		}
	}
	e.put(t, 1, 0, MemoryAndDisk) // a cached partition keeps a file of its own
	e.evictAll(t)
	if st := e.bm.Stats(); st.EvictedToDisk != maps+1 || st.DiskWrites != maps+1 {
		t.Fatalf("stats %+v", st)
	}
	if files := spillFiles(t, e.spill, ""); len(files) != 2 {
		t.Fatalf("files %v, want one for the shuffle blocks and one for the cached partition", files)
	}
	for m := range maps {
		got, loc, err := e.bm.GetCache(t.Context(), ShuffleBlockID(5, m, 0), e.mem)
		if err != nil || loc != OnDisk {
			t.Fatalf("map %d: %v %v", m, loc, err)
		}
		from := blockFrom(5, m)
		if !slices.Equal(keys(got), wantKeys(from, rowsPerBlock)) || !slices.Equal(strs(got), wantStrs(from, rowsPerBlock)) {
			t.Fatalf("map %d: wrong content", m)
		}
		releaseBatches(got)
	}
	e.bm.Remove(ShuffleBlockID(5, 0, 0))
	if files := spillFiles(t, e.spill, ""); len(files) != 2 {
		t.Fatalf("after removing one block: files %v", files)
	}
	if e.get(t, 1, 0) != OnDisk {
		t.Fatal("cached partition lost")
	}
	e.bm.RemoveIf(func(id BlockID) bool { return id.Kind == ShuffleBlock })
	if files := spillFiles(t, e.spill, ""); len(files) != 1 {
		t.Fatalf("after removing the shuffle: files %v", files)
	}
}
