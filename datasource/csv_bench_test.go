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
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// writeG1CSV writes db-benchmark's groupby G1 table of n rows (K = 100): id1..id3
// strings, id4..id6 and v1, v2 integers, v3 a float with up to six decimals.
func writeG1CSV(tb testing.TB, path string, n int) int64 {
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
	fmt.Fprintln(w, "id1,id2,id3,id4,id5,id6,v1,v2,v3")
	for range n {
		fmt.Fprintf(w, "id%03d,id%03d,id%010d,%d,%d,%d,%d,%d,%.6f\n",
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

// BenchmarkReadCSV reads a 1e6-row G1 file as one split, the id columns as dictionaries
// (as the db-benchmark runs read it), and reports MB/s of CSV text.
func BenchmarkReadCSV(b *testing.B) {
	const n = 1_000_000
	p := filepath.Join(b.TempDir(), "g1.csv")
	size := writeG1CSV(b, p, n)
	opts := CSVOptions{DictionaryColumns: []string{"id1", "id2", "id3"}}
	schema, err := InferCSVSchema(p, opts)
	if err != nil {
		b.Fatal(err)
	}
	split := FileSplit{Path: p, End: size, FileSize: size}
	b.SetBytes(size)
	cpu0 := cpuTime()
	for b.Loop() {
		r, err := OpenCSV(context.Background(), split, schema, opts, nil, memory.NewGoAllocator())
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			batch, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
			rows += int(batch.NumRows())
			batch.Release()
		}
		r.Close()
		if rows != n {
			b.Fatalf("%d rows, want %d", rows, n)
		}
	}
	// The machine may be shared: CPU time measures the reader, not its neighbours.
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(size)*float64(b.N)/cpu/1e6, "MB/cpu-s")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
