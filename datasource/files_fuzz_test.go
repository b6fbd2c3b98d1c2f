package datasource

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
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// damaged returns a valid file and broken variants of it: truncated at several points,
// bytes flipped across it, and the magic at either end replaced.
func damaged(valid []byte) [][]byte {
	out := [][]byte{valid, nil, []byte("PAR1"), []byte("ARROW1")}
	for _, n := range []int{1, 4, 8, len(valid) / 3, len(valid) / 2, len(valid) - 12, len(valid) - 4, len(valid) - 1} {
		if n > 0 && n < len(valid) {
			out = append(out, valid[:n])
		}
	}
	for _, at := range []int{6, 12, len(valid) / 4, len(valid) / 2, 3 * len(valid) / 4, len(valid) - 10, len(valid) - 6} {
		if at >= 0 && at < len(valid) {
			b := append([]byte(nil), valid...)
			b[at] ^= 0xFF
			out = append(out, b)
		}
	}
	for _, at := range []int{0, len(valid) - 4} {
		b := append([]byte(nil), valid...)
		copy(b[at:], "XXXX")
		out = append(out, b)
	}
	return out
}

// seedFile writes a small valid file with write and returns its bytes.
func seedFile(f *testing.F, name string, write func(mem memory.Allocator, path string)) []byte {
	p := filepath.Join(f.TempDir(), name)
	mem := memory.NewGoAllocator()
	write(mem, p)
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// fuzzDrain reads every batch of it, checking each, and returns the rows read; the error
// is the reader's first other than io.EOF.
func fuzzDrain(t *testing.T, it batchIter) (int64, error) {
	var rows int64
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "datasource: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return rows, err
		}
		if err := array.ValidateRecordFull(b); err != nil {
			t.Fatalf("invalid batch: %v", err)
		}
		rows += b.NumRows()
		b.Release()
	}
}

// FuzzParquet opens and reads arbitrary bytes as a Parquet file: an error is a fine answer,
// a panic or a leaked buffer is not, and every batch read must be valid.
func FuzzParquet(f *testing.F) {
	valid := seedFile(f, "s.parquet", func(mem memory.Allocator, p string) {
		w, err := NewParquetFileWriter(p, testSchema, mem)
		if err != nil {
			f.Fatal(err)
		}
		for k := range 2 {
			b, _ := testBatch(mem, k*20, 20)
			if err := w.Write(b); err != nil {
				f.Fatal(err)
			}
			b.Release()
			if err := w.FlushRowGroup(); err != nil {
				f.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
	})
	for _, b := range damaged(valid) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ParquetSchema(p); err != nil {
			return
		}
		splits, err := PlanParquetSplits([]string{p}, 0, 1)
		if err != nil {
			return
		}
		mem := memtest.Checked()
		defer mem.AssertSize(t, 0)
		for _, sp := range splits {
			for _, cols := range [][]int{nil, {}} {
				r, err := OpenParquet(context.Background(), sp, cols, 7, nil, mem)
				if err != nil {
					continue
				}
				fuzzDrain(t, r)
				if err := r.Close(); err != nil && !strings.HasPrefix(err.Error(), "datasource: ") {
					t.Fatalf("close: %v", err)
				}
			}
		}
	})
}

// FuzzIPC opens and reads arbitrary bytes as an Arrow IPC file, with the same promises as
// FuzzParquet.
func FuzzIPC(f *testing.F) {
	valid := seedFile(f, "s.arrow", func(mem memory.Allocator, p string) {
		w, err := NewIPCFileWriter(p, testSchema, mem)
		if err != nil {
			f.Fatal(err)
		}
		for k := range 3 {
			b, _ := testBatch(mem, k*10, 10)
			if err := w.Write(b); err != nil {
				f.Fatal(err)
			}
			b.Release()
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
	})
	for _, b := range damaged(valid) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.arrow")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := IPCSchema(p); err != nil {
			return
		}
		splits, err := PlanIPCSplits([]string{p}, 0, 1)
		if err != nil {
			return
		}
		mem := memtest.Checked()
		defer mem.AssertSize(t, 0)
		for _, sp := range splits {
			for _, cols := range [][]int{nil, {0}} {
				r, err := OpenIPC(context.Background(), sp, cols, mem)
				if err != nil {
					continue
				}
				fuzzDrain(t, r)
				r.Close()
			}
		}
	})
}

// Fields nested deeper than arrow/ipc can safely recurse are refused before it decodes
// them (a damaged file can make a field its own child); shallower nesting reads.
func TestIPCNestingDepth(t *testing.T) {
	dir := t.TempDir()
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, depth := range []int{10, maxFieldDepth + 5} {
		typ := arrow.DataType(arrow.PrimitiveTypes.Int64)
		for range depth {
			typ = arrow.StructOf(arrow.Field{Name: "x", Type: typ, Nullable: true})
		}
		schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: typ, Nullable: true}}, nil)
		p := filepath.Join(dir, fmt.Sprintf("d%d.arrow", depth))
		w, err := NewIPCFileWriter(p, schema, mem)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = IPCSchema(p)
		if deep := depth > maxFieldDepth; deep != (err != nil) || deep && !strings.Contains(err.Error(), "nested more than") {
			t.Errorf("depth %d: %v", depth, err)
		}
	}
}
