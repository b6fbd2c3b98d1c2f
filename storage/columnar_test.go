package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	amem "github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/internal/vfs"
)

var wideSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "comment", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "mode", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
}, nil)

// wideBatch returns n rows from from: NULLs in every column, a dictionary column whose
// dictionary depends on the batch (so that the file holds several generations).
func wideBatch(mem amem.Allocator, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, wideSchema)
	defer b.Release()
	modes := []string{"AIR", "MAIL", "RAIL", "SHIP", "TRUCK"}
	for i := from; i < from+n; i++ {
		if i%11 == 0 {
			for f := range b.Fields() {
				b.Field(f).AppendNull()
			}
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Float64Builder).Append(float64(i) / 4)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("comment %d of a long text", i))
		if err := b.Field(3).(*array.BinaryDictionaryBuilder).AppendString(modes[(i+from)%len(modes)]); err != nil {
			panic(err)
		}
	}
	return b.NewRecordBatch()
}

// cellsOf renders the columns cols of recs, row by row, as a plain-Go reference.
func cellsOf(recs []arrow.RecordBatch, cols []int) []string {
	var out []string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			var row []string
			for _, c := range cols {
				row = append(row, r.Column(c).ValueStr(i))
			}
			out = append(out, strings.Join(row, "|"))
		}
	}
	return out
}

func readStream(t *testing.T, s BatchStream) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for {
		rec, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			releaseAll(out)
			s.Close()
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A cached block on disk is a columnar file: OpenCache of some columns returns exactly
// those columns' values (NULLs, dictionary strings, an empty batch included) and reads
// only their segments; no columns at all still returns every batch's rows.
func TestColumnarCacheProjected(t *testing.T) {
	e := newBMEnv(t, func(size int64) int64 { return 100 * size })
	var src []arrow.RecordBatch
	for k, n := range []int{1000, 0, 700, 1300} {
		src = append(src, wideBatch(e.mem, k*2000, n))
	}
	want := map[string][]string{}
	cases := map[string][]int{"all": nil, "mode,id": {3, 0}, "price": {1}, "none": {}}
	for name, cols := range cases {
		c := cols
		if c == nil {
			c = []int{0, 1, 2, 3}
		}
		want[name] = cellsOf(src, c)
	}
	id := CacheBlockID(4, 0)
	if loc, err := e.bm.PutCache(id, DiskOnly, src); err != nil || loc != OnDisk {
		t.Fatalf("put: %v, %v", loc, err)
	}
	e.bm.mu.Lock()
	f := e.bm.blocks[id].file
	e.bm.mu.Unlock()
	if f.columns == nil || len(f.columns.chunks) != 1 || len(f.columns.chunks[0].segs) != 4 {
		t.Fatalf("the block was not written as a columnar file: %+v", f.columns)
	}
	for name, cols := range cases {
		before := e.bm.Stats().DiskBytesRead
		s, loc, err := e.bm.OpenCache(t.Context(), id, e.mem, cols)
		if err != nil || loc != OnDisk {
			t.Fatalf("%s: open: %v, %v", name, loc, err)
		}
		got := readStream(t, s)
		read := e.bm.Stats().DiskBytesRead - before
		var rows int64
		for _, r := range got {
			rows += r.NumRows()
			if cols != nil && int(r.NumCols()) != len(cols) {
				t.Fatalf("%s: batch of %d columns", name, r.NumCols())
			}
		}
		c := cols
		if c == nil {
			c = []int{0, 1, 2, 3}
		}
		proj := make([]int, len(c))
		for j := range proj {
			proj[j] = j
		}
		if name == "none" {
			if rows != 3000 {
				t.Fatalf("none: %d rows, want 3000", rows)
			}
		} else if g := cellsOf(got, proj); strings.Join(g, "\n") != strings.Join(want[name], "\n") {
			t.Fatalf("%s: read back %d rows that differ from the %d written", name, len(g), len(want[name]))
		}
		if name != "all" && read >= f.Bytes()/2 {
			t.Errorf("%s: read %d bytes of a %d-byte file", name, read, f.Bytes())
		}
		releaseAll(got)
	}
	// GetCache reads every column.
	all, _, err := e.bm.GetCache(t.Context(), id, e.mem)
	if err != nil {
		t.Fatal(err)
	}
	if g := cellsOf(all, []int{0, 1, 2, 3}); strings.Join(g, "\n") != strings.Join(want["all"], "\n") {
		t.Fatal("GetCache of a columnar file differs from what was written")
	}
	releaseAll(all)
	if _, _, err := e.bm.OpenCache(t.Context(), id, e.mem, []int{4}); err == nil {
		t.Fatal("a column beyond the block's was read")
	}
}

// A damaged segment is reported when that column is read, naming the file and the
// segment; the other columns still read; a damaged index fails every read.
func TestColumnarCorruptSegment(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	m, err := NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	recs := []arrow.RecordBatch{wideBatch(mem, 0, 500), wideBatch(mem, 500, 500)}
	f, err := m.writeColumnar("cache_1_0", wideSchema, recs)
	releaseAll(recs)
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(f.Path())
	if err != nil {
		t.Fatal(err)
	}
	read := func(cols []int) error {
		r, err := f.OpenColumns(t.Context(), mem, cols)
		if err != nil {
			return err
		}
		out, err := readAll(r)
		releaseAll(out)
		return err
	}
	seg := f.columns.chunks[0].segs[2]
	os.WriteFile(f.Path(), flipAt(good, int(seg.off+seg.size/2)), 0o644)
	if err := read([]int{0, 3}); err != nil {
		t.Fatalf("intact columns: %v", err)
	}
	err = read([]int{2})
	if !errors.Is(err, ErrCorruptSpill) || !strings.Contains(err.Error(), f.Path()+` chunk 0 segment 2 (column "comment")`) {
		t.Fatalf("damaged segment: %v", err)
	}
	os.WriteFile(f.Path(), flipAt(good, len(good)-colFooterBytes-3), 0o644)
	if err := read([]int{0}); !errors.Is(err, ErrCorruptSpill) || !strings.Contains(err.Error(), "index checksum") {
		t.Fatalf("damaged index: %v", err)
	}
	os.WriteFile(f.Path(), good[:len(good)-5], 0o644)
	if err := read(nil); !errors.Is(err, ErrCorruptSpill) {
		t.Fatalf("truncated: %v", err)
	}
}

// FuzzColumnarFile reads arbitrary bytes as a columnar cache file, whole and projected:
// an error is fine, a panic, a leak or an invalid batch is not, and a read without error
// returns the seed's rows.
func FuzzColumnarFile(f *testing.F) {
	mem := amem.NewGoAllocator()
	m, err := NewSpillManager(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	// The seed has two chunks, as a partition written while it is computed.
	recs := []arrow.RecordBatch{wideBatch(mem, 0, 40), wideBatch(mem, 40, 0), wideBatch(mem, 40, 30)}
	w, err := m.createColumnar("seed", wideSchema)
	if err == nil {
		err = w.writeChunk(recs[:2])
	}
	if err == nil {
		err = w.writeChunk(recs[2:])
	}
	releaseAll(recs)
	if err != nil {
		f.Fatal(err)
	}
	sf, err := w.finish()
	if err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(sf.Path())
	if err != nil {
		f.Fatal(err)
	}
	const validRows = 70
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte(colMagic))
	for _, n := range []int{8, 40, len(valid) / 2, len(valid) - colFooterBytes, len(valid) - 1} {
		f.Add(valid[:n])
	}
	for _, at := range []int{0, 9, 20, len(valid) / 3, len(valid) / 2, len(valid) - colFooterBytes - 9, len(valid) - 20, len(valid) - 12, len(valid) - 1} {
		f.Add(flipAt(valid, at))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.spill")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cols := range [][]int{nil, {3, 1}, {}} {
			fuzzReadColumnar(t, p, cols, validRows)
		}
	})
}

func fuzzReadColumnar(t *testing.T, path string, cols []int, validRows int64) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r, err := openColumnar(context.Background(), vfs.Default, path, wideSchema, mem, cols)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "storage: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
		return
	}
	defer r.Close()
	var rows int64
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrCorruptSpill) {
				t.Fatalf("error that is not ErrCorruptSpill: %v", err)
			}
			return
		}
		if err := array.ValidateRecordFull(b); err != nil {
			b.Release()
			t.Fatalf("invalid batch: %v", err)
		}
		rows += b.NumRows()
		b.Release()
	}
	if rows != validRows {
		t.Fatalf("read %d rows without error, the seed file has %d", rows, validRows)
	}
}

// Serialized levels hold the columnar format too: a projected read of a block held in
// memory, or evicted to disk and read there, decompresses only its columns' segments.
func TestColumnarSerializedProjected(t *testing.T) {
	for _, level := range []Level{MemoryOnlySer, MemoryAndDiskSer} {
		t.Run(level.String(), func(t *testing.T) {
			e := newBMEnv(t, func(size int64) int64 { return 100 * size })
			src := []arrow.RecordBatch{wideBatch(e.mem, 0, 900), wideBatch(e.mem, 900, 0), wideBatch(e.mem, 900, 1100)}
			want := cellsOf(src, []int{3, 0})
			id := CacheBlockID(2, 1)
			if loc, err := e.bm.PutCache(id, level, src); err != nil || loc != InMemory {
				t.Fatalf("put: %v, %v", loc, err)
			}
			e.bm.mu.Lock()
			columnar := isColumnar(e.bm.blocks[id].ser)
			e.bm.mu.Unlock()
			if !columnar {
				t.Fatal("the serialized block is not in the columnar format")
			}
			wantLoc := []Location{InMemory}
			if level.UseDisk() {
				wantLoc = append(wantLoc, OnDisk)
			}
			for _, loc := range wantLoc {
				if loc == OnDisk {
					e.bm.EvictBlocks(1 << 40)
				}
				s, got, err := e.bm.OpenCache(t.Context(), id, e.mem, []int{3, 0})
				if err != nil || got != loc {
					t.Fatalf("open: %v, %v; want %v", got, err, loc)
				}
				if s.Rows() != int64(len(want)) {
					t.Errorf("%v: the stream says %d rows, the block has %d", loc, s.Rows(), len(want))
				}
				recs := readStream(t, s)
				if g := cellsOf(recs, []int{0, 1}); strings.Join(g, "\n") != strings.Join(want, "\n") {
					t.Fatalf("%v: read back %d rows that differ from the %d written", loc, len(g), len(want))
				}
				releaseAll(recs)
			}
		})
	}
}

// A serialized block that memory cannot hold is written to disk as it is and read there,
// a column at a time.
func TestColumnarSerializedOnDisk(t *testing.T) {
	e := newBMEnv(t, func(size int64) int64 { return 1024 })
	src := []arrow.RecordBatch{wideBatch(e.mem, 0, 900), wideBatch(e.mem, 900, 1100)}
	want := cellsOf(src, []int{1})
	id := CacheBlockID(3, 0)
	if loc, err := e.bm.PutCache(id, MemoryAndDiskSer, src); err != nil || loc != OnDisk {
		t.Fatalf("put: %v, %v", loc, err)
	}
	before := e.bm.Stats().DiskBytesRead
	s, loc, err := e.bm.OpenCache(t.Context(), id, e.mem, []int{1})
	if err != nil || loc != OnDisk {
		t.Fatalf("open: %v, %v", loc, err)
	}
	recs := readStream(t, s)
	defer releaseAll(recs)
	if g := cellsOf(recs, []int{0}); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("read back %d rows that differ from the %d written", len(g), len(want))
	}
	if read, size := e.bm.Stats().DiskBytesRead-before, e.bm.DatasetInfo(3).DiskBytes; read*2 > size {
		t.Errorf("read %d bytes of a %d-byte file for one of 4 columns", read, size)
	}
}
