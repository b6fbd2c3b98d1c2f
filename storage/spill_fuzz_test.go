package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/internal/vfs"
)

// FuzzSpillFile reads arbitrary bytes as a spill (or disk cache, or checkpoint) file. An
// error is a fine answer; a panic, a leaked buffer or an invalid batch is not, and a file
// read to the end without error must be the valid file it was seeded with (any other
// change is caught by the checksum).
func FuzzSpillFile(f *testing.F) {
	mem := memory.NewGoAllocator()
	m, err := NewSpillManager(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	first := spillBatch(mem, 0, 50)
	w, err := m.Create("seed", first.Schema())
	if err != nil {
		f.Fatal(err)
	}
	for k := range 3 {
		b := spillBatch(mem, k*50, 50)
		if err := w.Append(b); err != nil {
			f.Fatal(err)
		}
		b.Release()
	}
	first.Release()
	sf, err := w.Finish()
	if err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(sf.Path())
	if err != nil {
		f.Fatal(err)
	}
	const validRows = 150
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte(spillMagic))
	for _, n := range []int{8, 9, 16, len(valid) / 2, len(valid) - trailerBytes, len(valid) - 1} {
		f.Add(valid[:n])
	}
	for _, at := range []int{0, 8, 9, 12, 20, len(valid) / 3, len(valid) / 2, len(valid) - trailerBytes - 1, len(valid) - 20, len(valid) - 4, len(valid) - 1} {
		b := append([]byte(nil), valid...)
		b[at] ^= 0x5A
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.spill")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mem := memtest.Checked()
		defer mem.AssertSize(t, 0)
		r, err := OpenSpillFile(context.Background(), vfs.Default, p, mem)
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
	})
}
