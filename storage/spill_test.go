package storage

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

func spillBatch(mem memory.Allocator, start, n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := start; i < start+n; i++ {
		if i%7 == 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
		}
		b.Field(1).(*array.StringBuilder).Append("row-" + string(rune('a'+i%26)))
	}
	return b.NewRecordBatch()
}

func TestSpillRoundTrip(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	m, err := NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var want []arrow.RecordBatch
	probe := spillBatch(mem, 0, 1)
	schema := probe.Schema()
	probe.Release()
	w, err := m.Create("sort/s1 t2", schema)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		rec := spillBatch(mem, i*1000, 1000+i)
		if err := w.Append(rec); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec)
	}
	f, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows() != 5010 || f.Bytes() <= 0 || f.RawBytes() <= f.Bytes() {
		t.Fatalf("rows %d bytes %d raw %d: want 5010 rows, compressed smaller than raw", f.Rows(), f.Bytes(), f.RawBytes())
	}
	r, err := f.Open(t.Context(), mem)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("read %d batches, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !array.RecordEqual(rec, want[i]) {
			t.Fatalf("batch %d differs", i)
		}
		rec.Release()
	}
	r.Close()
	for _, rec := range want {
		rec.Release()
	}
	if st := m.Stats(); st.Files != 1 || st.Rows != 5010 {
		t.Fatalf("stats %+v", st)
	}
	dir := m.Dir()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Close left the spill directory: %v", err)
	}
}

func TestSpillCorruption(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	m, err := NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rec := spillBatch(mem, 0, 5000)
	defer rec.Release()
	w, _ := m.Create("x", rec.Schema())
	w.Append(rec)
	f, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f.Path())
	data[len(data)/2] ^= 0xff
	os.WriteFile(f.Path(), data, 0o644)
	r, err := f.Open(t.Context(), mem)
	if err == nil {
		for {
			var b arrow.RecordBatch
			b, err = r.Next()
			if err != nil {
				break
			}
			b.Release()
		}
		r.Close()
	}
	if !errors.Is(err, ErrCorruptSpill) {
		t.Fatalf("err = %v, want ErrCorruptSpill", err)
	}
	os.WriteFile(f.Path(), data[:len(data)-3], 0o644)
	if _, err := f.Open(t.Context(), mem); !errors.Is(err, ErrCorruptSpill) {
		t.Fatalf("truncated: err = %v, want ErrCorruptSpill", err)
	}
}

func TestSpillUnwritableDirectory(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(parent, 0o500)
	if os.Geteuid() == 0 {
		// root ignores permissions; a file where a directory should be fails for everyone.
		parent = filepath.Join(t.TempDir(), "file")
		os.WriteFile(parent, []byte("x"), 0o644)
	}
	_, err := NewSpillManager(parent)
	if err == nil {
		t.Fatal("no error for an unusable spill directory")
	}
	t.Logf("error: %v", err)
}
