package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

// Load paths of the group-by and join sections (Options.Load).
const (
	// LoadCSV is the user's path and the default: each table is written once as a CSV
	// file; kindling reads it with ReadCSVWith (string keys as dictionary columns, the
	// other columns typed by the schema, default Config), persists it and counts it
	// before the questions, as a program caching its input would; DuckDB reads the same
	// file with read_csv. Both loads are timed.
	LoadCSV = "csv"
	// LoadMemory hands kindling tables the generator built in memory (FromPartitions,
	// one string dictionary per partition and column): a shape no reader produces, kept
	// to time the operators alone. DuckDB loads them from Parquet.
	LoadMemory = "memory"
)

// csvTable is one table of the CSV path: its name in Inputs, its file and the schema
// kindling reads it with.
type csvTable struct {
	name, path string
	schema     *arrow.Schema
}

// userTables is kindling's side of the CSV path: one session holding the persisted
// tables that every question reads.
type userTables struct {
	sess  *dataset.Session
	alloc *countingAllocator
	in    Inputs
	// load is the time of reading, caching and counting every table; bytes what the
	// cache holds (memory and disk).
	load  time.Duration
	bytes int64
	// loadPeak is the process's RSS high-water mark while loading.
	loadPeak int64
}

// writeCSVTable writes the batches the generator builds into dir/name.csv.
func writeCSVTable(o *Options, name string, batches func(memory.Allocator, gen.Layout) (*arrow.Schema, [][]arrow.RecordBatch)) (string, error) {
	return writeCSVFile(o, name, func(path string) error {
		schema, parts := batches(memory.DefaultAllocator, gen.Layout{Partitions: 1, ChunkRows: 65536})
		defer gen.Release(parts)
		return gen.WriteCSV(path, schema, parts)
	})
}

// writeCSVFile writes dir/name.csv with write and logs its size.
func writeCSVFile(o *Options, name string, write func(path string) error) (string, error) {
	start := time.Now()
	path := filepath.Join(o.TmpDir, name+".csv")
	if err := write(path); err != nil {
		return "", err
	}
	if st, err := os.Stat(path); err == nil {
		o.logf("  wrote %s (%s) in %v", path, fmtBytes(st.Size()), time.Since(start).Round(time.Millisecond))
	}
	return path, nil
}

// openCSVTables reads, persists and counts the tables in a new session with the
// default config (Parallelism set to the bench's threads, BatchRows to its batch rows, so
// that -batch sets the reader's batches and the engine's as a user's Config would).
func openCSVTables(ctx context.Context, o *Options, tables []csvTable) (*userTables, error) {
	u := &userTables{alloc: newCountingAllocator()}
	s, err := dataset.NewSession(dataset.Config{Parallelism: o.Threads, Allocator: u.alloc, MemoryLimit: o.MemoryLimit, BatchRows: o.BatchRows})
	if err != nil {
		return nil, err
	}
	u.sess = s
	probe := startRSS(true)
	if o.ProfileDir != "" {
		heap := startHeapAtPeak()
		defer heap.Stop(filepath.Join(o.ProfileDir, "kindling-load.pprof"))
	}
	start := time.Now()
	for _, t := range tables {
		d := s.ReadCSVWith(dataset.CSVOptions{Schema: t.schema}, t.path).Cache()
		if _, err := d.Count(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("run: reading %s: %w", t.path, err)
		}
		switch t.name {
		case "x":
			u.in.X = d
		case "small":
			u.in.Small = d
		case "medium":
			u.in.Medium = d
		case "big":
			u.in.Big = d
		}
	}
	u.load = time.Since(start)
	u.loadPeak = probe.High()
	for _, c := range s.StorageInfo() {
		u.bytes += c.MemoryBytes + c.DiskBytes
	}
	return u, nil
}

// run times question q over the persisted tables.
func (u *userTables) run(ctx context.Context, q Question, rs runSpec) Measure {
	return timeQuery(ctx, u.sess, u.alloc, q.Kindling(u.in), q.Check, rs)
}

func (u *userTables) close() { u.sess.Close() }

// csvLoadNote states the CSV path's loads and their ratio.
func csvLoadNote(res *SectionResult, reader string) string {
	return fmt.Sprintf("Load path (the user's): each table written once as CSV; kindling %s, Cache() and Count() in one session with the default config, "+
		"then every question over the cached tables; DuckDB reads the same files with read_csv. Load: kindling %s s, DuckDB %s s (%s×).",
		reader, secs(res.KindlingLoadTime), secs(res.LoadTime), ratio(res.KindlingLoadTime, res.LoadTime))
}

// budgetNote states, when the run sets a memory limit, the process's RSS high-water marks
// against it: while loading and over the questions.
func budgetNote(o *Options, u *userTables, qs []QuestionResult) string {
	if o.MemoryLimit <= 0 {
		return ""
	}
	var high int64
	for _, q := range qs {
		high = max(high, q.Kindling.ProcessPeak)
	}
	return fmt.Sprintf("kindling ran with MemoryLimit %s: the process's resident set peaked at %s (%.2f× the limit) while loading and caching, "+
		"and at %s (%.2f×) over the questions (the whole process: kindling, the Go runtime and heap, and what DuckDB's run left mapped).",
		fmtBytes(o.MemoryLimit), fmtBytes(u.loadPeak), float64(u.loadPeak)/float64(o.MemoryLimit), fmtBytes(high), float64(high)/float64(o.MemoryLimit))
}
