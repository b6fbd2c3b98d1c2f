package storage

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	amem "github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/vfs"
)

func TestStreamWriterVerify(t *testing.T) {
	mem := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := fixedBatch(mem, 0, 5000)
	defer rec.Release()
	var buf bytes.Buffer
	w, err := NewStreamWriter(&buf, rec.Schema())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	path := filepath.Join(t.TempDir(), "part-00000.kcp")
	check := func(data []byte) (int64, error) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return VerifySpillFile(vfs.Default, path)
	}
	if rows, err := check(good); err != nil || rows != 15000 {
		t.Fatalf("intact stream: rows %d, %v", rows, err)
	}
	r, err := OpenSpillFile(t.Context(), vfs.Default, path, mem)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !array.RecordEqual(got[2], rec) {
		t.Fatalf("read back %d batches", len(got))
	}
	releaseAll(got)
	for name, bad := range map[string][]byte{
		"bit flip":  flipAt(good, len(good)/2),
		"truncated": good[:len(good)-7],
		"no header": append([]byte("XXXXXXXX"), good[8:]...),
	} {
		if _, err := check(bad); !errors.Is(err, ErrCorruptSpill) {
			t.Errorf("%s: err = %v, want ErrCorruptSpill", name, err)
		}
	}
}

func flipAt(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0x04
	return out
}

func TestBlockManagerDropsCorruptCacheBlock(t *testing.T) {
	// A cache block whose file is damaged is dropped and counted (the caller recomputes
	// it); a shuffle block is kept and its error names the file, whatever the reader.
	e := newBMEnv(t, func(size int64) int64 { return 100 * size })
	cid, sid := CacheBlockID(1, 0), ShuffleBlockID(2, 0, 1)
	if _, err := e.bm.PutCache(cid, DiskOnly, partition(e.mem, 1, 0)); err != nil {
		t.Fatal(err)
	}
	e.bm.mu.Lock()
	cpath := e.bm.blocks[cid].file.Path()
	e.bm.mu.Unlock()
	if err := e.bm.Put(sid, partition(e.mem, 2, 0)); err != nil {
		t.Fatal(err)
	}
	e.bm.EvictBlocks(math.MaxInt64) // the shuffle block goes to disk
	e.bm.mu.Lock()
	spath := e.bm.blocks[sid].file.Path()
	e.bm.mu.Unlock()
	for _, p := range []string{cpath, spath} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, flipAt(data, len(data)/2), 0o644)
	}

	_, _, err := e.bm.GetCache(t.Context(), cid, e.mem)
	if !errors.Is(err, ErrCorruptSpill) || !bytes.Contains([]byte(err.Error()), []byte(cpath)) {
		t.Fatalf("corrupt cache block: %v", err)
	}
	if st := e.bm.Stats(); st.Lost != 1 || e.bm.DatasetInfo(1).Partitions != 0 {
		t.Fatalf("after a corrupt read: lost %d, info %+v", st.Lost, e.bm.DatasetInfo(1))
	}
	if _, err := os.Stat(cpath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the dropped block's file is still there: %v", err)
	}
	if _, loc, err := e.bm.GetCache(t.Context(), cid, e.mem); loc != NotStored || err != nil {
		t.Fatalf("the dropped block reads as %v, %v; want a miss", loc, err)
	}

	for i := 0; i < 2; i++ {
		_, ok, err := e.bm.Read(t.Context(), sid)
		if ok || !errors.Is(err, ErrCorruptSpill) || !bytes.Contains([]byte(err.Error()), []byte(spath)) {
			t.Fatalf("corrupt shuffle block read %d: %v, %v", i, ok, err)
		}
	}
	if e.bm.Stats().Lost != 1 {
		t.Fatal("a shuffle block was counted lost")
	}
	e.bm.Remove(sid)
}
