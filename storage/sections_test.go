package storage

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// readSection reads every batch of f and checks them against want.
func readSection(t *testing.T, f *SpillFile, mem memory.Allocator, want []arrow.RecordBatch) {
	t.Helper()
	r, err := f.Open(t.Context(), mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("read %d batches, want %d", i, len(want))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		eq := array.RecordEqual(rec, want[i])
		rec.Release()
		if !eq {
			t.Fatalf("batch %d differs", i)
		}
	}
}

// TestSectionsRoundTrip: sections of one file read back as separate spill files, in
// any order; the file goes when its last section is removed; a damaged section is
// reported as corrupt.
func TestSectionsRoundTrip(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	m, err := NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	probe := spillBatch(mem, 0, 1)
	schema := probe.Schema()
	probe.Release()
	w, err := m.CreateSections("hashagg", schema)
	if err != nil {
		t.Fatal(err)
	}
	var want [3][]arrow.RecordBatch
	var files [3]*SpillFile
	for s := range want {
		for i := 0; i <= s; i++ {
			rec := spillBatch(mem, s*1000+i*100, 50+s)
			if err := w.Append(rec); err != nil {
				t.Fatal(err)
			}
			want[s] = append(want[s], rec)
		}
		if files[s], err = w.EndSection(); err != nil || files[s] == nil {
			t.Fatalf("section %d: %v, %v", s, files[s], err)
		}
	}
	if f, err := w.EndSection(); f != nil || err != nil {
		t.Fatalf("EndSection with nothing appended: %v, %v; want nil, nil", f, err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	w.Abort() // a no-op after Finish
	if st := m.Stats(); st.Files != 1 || st.Rows != 50+2*51+3*52 {
		t.Errorf("stats %+v: want one file of %d rows", st, 50+2*51+3*52)
	}
	for _, s := range []int{2, 0, 1} {
		readSection(t, files[s], mem, want[s])
		if files[s].Rows() != int64(len(want[s])*(50+s)) {
			t.Errorf("section %d: %d rows", s, files[s].Rows())
		}
	}
	path := files[0].Path()
	for _, s := range []int{1, 0, 0} { // removing the same section twice counts once
		if err := files[s].Remove(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the file went before its last section: %v", err)
	}
	// Damage the last section: it is reported corrupt, not decoded.
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteAt([]byte{0xff, 0xee}, files[2].off+20); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	if r, err := files[2].Open(t.Context(), mem); !errors.Is(err, ErrCorruptSpill) {
		if r != nil {
			r.Close()
		}
		t.Errorf("damaged section: %v, want ErrCorruptSpill", err)
	}
	if err := files[2].Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file outlived its sections: %v", err)
	}
	for _, ws := range want {
		for _, rec := range ws {
			rec.Release()
		}
	}
	// Abort removes the unfinished file.
	w, err = m.CreateSections("aborted", schema)
	if err != nil {
		t.Fatal(err)
	}
	rec := spillBatch(mem, 0, 10)
	if err := w.Append(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	w.Abort()
	entries, err := os.ReadDir(m.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("abort left %d files", len(entries))
	}
}
