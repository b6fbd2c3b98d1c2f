package datasource

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// writeG1JSON writes the rows writeG1CSV writes (the same generator and seed) as JSON lines.
func writeG1JSON(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	const k = 100
	nk := max(1, n/k)
	for range n {
		fmt.Fprintf(w, `{"id1":"id%03d","id2":"id%03d","id3":"id%010d","id4":%d,"id5":%d,"id6":%d,"v1":%d,"v2":%d,"v3":%.6f}`+"\n",
			1+rng.IntN(k), 1+rng.IntN(k), 1+rng.IntN(nk), 1+rng.IntN(k), 1+rng.IntN(k), 1+rng.IntN(nk),
			1+rng.IntN(5), 1+rng.IntN(15), float64(rng.IntN(100_000_000))/1e6)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// BenchmarkReadJSON reads 300k G1 rows as one split: as JSON lines with OpenJSON and with
// arrow-go's JSONReader (which decodes token by token through goccy/go-json), and as CSV
// with OpenCSV (the id columns as plain strings in both formats). It reports MB/s of
// text and rows per CPU second (the machine may be shared): JSON text is about twice the
// bytes of the same CSV rows.
func BenchmarkReadJSON(b *testing.B) {
	const n = 300_000
	dir := b.TempDir()
	jp, cp := filepath.Join(dir, "g1.json"), filepath.Join(dir, "g1.csv")
	jsize, csize := writeG1JSON(b, jp, n), writeG1CSV(b, cp, n)
	schema, err := InferJSONSchema([]string{jp}, JSONOptions{})
	if err != nil {
		b.Fatal(err)
	}
	csvSchema, err := InferCSVSchema(cp, CSVOptions{})
	if err != nil {
		b.Fatal(err)
	}
	type opener func(mem memory.Allocator) (batchIter, func(), error)
	run := func(b *testing.B, size int64, open opener) {
		b.SetBytes(size)
		cpu0 := cpuTime()
		for b.Loop() {
			it, closeIt, err := open(memory.NewGoAllocator())
			if err != nil {
				b.Fatal(err)
			}
			rows := 0
			for {
				batch, err := it.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				rows += int(batch.NumRows())
				batch.Release()
			}
			closeIt()
			if rows != n {
				b.Fatalf("%d rows, want %d", rows, n)
			}
		}
		cpu := (cpuTime() - cpu0).Seconds()
		b.ReportMetric(float64(size)*float64(b.N)/cpu/1e6, "MB/cpu-s")
		b.ReportMetric(float64(n)*float64(b.N)/cpu, "rows/cpu-s")
	}
	b.Run("kindling", func(b *testing.B) {
		run(b, jsize, func(mem memory.Allocator) (batchIter, func(), error) {
			r, err := OpenJSON(context.Background(), FileSplit{Path: jp, End: jsize, FileSize: jsize}, schema, JSONOptions{}, nil, mem)
			if err != nil {
				return nil, nil, err
			}
			return r, func() { r.Close() }, nil
		})
	})
	b.Run("arrow-go", func(b *testing.B) {
		run(b, jsize, func(mem memory.Allocator) (batchIter, func(), error) {
			f, err := os.Open(jp)
			if err != nil {
				return nil, nil, err
			}
			r := array.NewJSONReader(bufio.NewReaderSize(f, 1<<20), schema, array.WithAllocator(mem), array.WithChunk(DefaultBatchRows))
			return arrowJSONIter{r}, func() { r.Release(); f.Close() }, nil
		})
	})
	b.Run("csv", func(b *testing.B) {
		run(b, csize, func(mem memory.Allocator) (batchIter, func(), error) {
			r, err := OpenCSV(context.Background(), FileSplit{Path: cp, End: csize, FileSize: csize}, csvSchema, CSVOptions{}, nil, mem)
			if err != nil {
				return nil, nil, err
			}
			return r, func() { r.Close() }, nil
		})
	})
}

// arrowJSONIter adapts arrow-go's JSONReader to batchIter.
type arrowJSONIter struct{ r *array.JSONReader }

func (a arrowJSONIter) Next() (arrow.RecordBatch, error) {
	if !a.r.Next() {
		if err := a.r.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	rec := a.r.RecordBatch()
	rec.Retain()
	return rec, nil
}

// BenchmarkWriteJSON writes 300k G1 rows as JSON lines.
func BenchmarkWriteJSON(b *testing.B) {
	const n = 300_000
	dir := b.TempDir()
	jp := filepath.Join(dir, "g1.json")
	size := writeG1JSON(b, jp, n)
	schema, err := InferJSONSchema([]string{jp}, JSONOptions{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := OpenJSON(context.Background(), FileSplit{Path: jp, End: size, FileSize: size}, schema, JSONOptions{BatchRows: n}, nil, memory.NewGoAllocator())
	if err != nil {
		b.Fatal(err)
	}
	rec, err := r.Next()
	r.Close()
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	b.SetBytes(size)
	out := filepath.Join(dir, "out.json")
	for b.Loop() {
		w, err := NewJSONFileWriter(out, schema)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
