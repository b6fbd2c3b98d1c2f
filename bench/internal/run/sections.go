package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

// Options configure a kbench run.
type Options struct {
	N, K int
	Seed uint64
	// Parts is the source partition count of in-memory tables; BatchRows their chunk
	// size (and kindling's Config.BatchRows).
	Parts, BatchRows int
	// Runs is how many times each question runs; the fastest run is reported.
	Runs int
	// Threads bounds both engines' parallelism (kindling's Parallelism, DuckDB's threads).
	Threads int
	// DuckDB runs the DuckDB side (otherwise kindling only, answers unchecked).
	DuckDB bool
	// ProfileDir, if set, receives a CPU profile per kindling question.
	ProfileDir string
	// Only, if not empty, restricts the group-by, join and windows sections to these
	// questions (by name: q1..q10, j1..j5, w1..w4).
	Only map[string]bool
	// SF is the TPC-H section's scale factor.
	SF float64
	// Load is the group-by and join sections' load path: LoadCSV (default) or LoadMemory.
	Load string
	// MemoryLimit is kindling's Config.MemoryLimit in the user's-path sections (CSV
	// loads) and TPC-H; 0 keeps the default.
	MemoryLimit int64
	// TmpDir holds the Parquet and CSV files the harness writes.
	TmpDir string
	Log    io.Writer
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// selected returns the questions of qs that Only admits.
func (o *Options) selected(qs []Question) []Question {
	if len(o.Only) == 0 {
		return qs
	}
	var out []Question
	for _, q := range qs {
		if o.Only[q.Name] {
			out = append(out, q)
		}
	}
	return out
}

func (o *Options) config() dataset.Config {
	return dataset.Config{Parallelism: o.Threads, BatchRows: o.BatchRows}
}

// QuestionResult is one question's figures in both engines.
type QuestionResult struct {
	Q              Question
	Kindling, Duck Measure
	// Status is "ok", "pending" (kindling API not there yet), "unchecked" (no DuckDB),
	// or what went wrong.
	Status string
}

// SectionResult is the outcome of the group-by or join section.
type SectionResult struct {
	Name string
	// Title heads the section in the report (the group-by and join sections' titles are
	// db-benchmark's table names, built from N).
	Title     string
	Questions []QuestionResult
	// InputBytes is the in-memory size of kindling's inputs; DuckInputBytes DuckDB's
	// memory after loading (duckdb_memory()).
	InputBytes, DuckInputBytes int64
	// LoadTime is DuckDB's load, KindlingLoadTime kindling's (0: the tables were in
	// memory already).
	GenTime, LoadTime, KindlingLoadTime time.Duration
	// LoadPath says how each engine got the tables the section times.
	LoadPath string
	// Notes are remarks the report lists under the section's table.
	Notes []string
}

// RunGroupBy generates the group-by table and runs its questions in DuckDB, then in
// kindling.
func RunGroupBy(ctx context.Context, o *Options) (*SectionResult, error) {
	start := time.Now()
	g, err := gen.NewGroupBy(o.N, o.K, o.Seed)
	if err != nil {
		return nil, err
	}
	res := &SectionResult{Name: "groupby", GenTime: time.Since(start)}
	o.logf("groupby: generated %d rows in %v", o.N, res.GenTime.Round(time.Millisecond))
	qs := o.selected(GroupByQuestions())
	if o.Load != LoadMemory {
		return res, runGroupByCSV(ctx, o, g, res, qs)
	}
	res.LoadPath = memoryLoadNote
	var duck []Measure
	if o.DuckDB {
		start = time.Now()
		path := filepath.Join(o.TmpDir, "groupby.parquet")
		schema, parts := g.Batches(memory.DefaultAllocator, gen.Layout{Partitions: 1, ChunkRows: 65536})
		err := gen.WriteParquet(path, schema, parts, 1<<20)
		gen.Release(parts)
		if err != nil {
			return nil, err
		}
		d, err := OpenDuck(ctx, o.Threads)
		if err != nil {
			return nil, err
		}
		if err := d.LoadGroupBy(ctx, path); err != nil {
			d.Close()
			return nil, err
		}
		res.LoadTime = time.Since(start)
		res.DuckInputBytes = d.MemoryUsage(ctx)
		o.logf("groupby: DuckDB %s loaded in %v", d.Version(ctx), res.LoadTime.Round(time.Millisecond))
		duck = runDuck(ctx, o, d, qs)
		d.Close()
	}
	schema, parts := g.Batches(memory.DefaultAllocator, gen.Layout{Partitions: o.Parts, ChunkRows: o.BatchRows, Dictionary: true, SharedDictionary: true})
	defer gen.Release(parts)
	res.InputBytes = tableBytes(parts)
	tables := map[string]Table{"x": {Schema: schema, Parts: parts}}
	res.Questions = runKindlingQuestions(ctx, o, "groupby", qs, duck, inMemory(ctx, o, tables))
	return res, nil
}

// memoryLoadNote states the in-memory load path.
const memoryLoadNote = "Load path: in memory (-load memory, not a user's path): kindling reads partitions the generator built " +
	"(FromPartitions; string keys dictionary<int32, utf8> with one dictionary per partition and column, as kindling's CSV reader shares one per split); " +
	"DuckDB its tables loaded from Parquet (id1, id2 ENUM, id3 VARCHAR as in db-benchmark)."

// inMemory runs each question on a fresh session over the in-memory tables.
func inMemory(ctx context.Context, o *Options, tables map[string]Table) func(Question, runSpec) Measure {
	return func(q Question, rs runSpec) Measure {
		return kindlingRun(ctx, o.config(), tables, q.Check, rs,
			func(_ *dataset.Session, in Inputs) *dataset.Dataset { return q.Kindling(in) })
	}
}

// runGroupByCSV runs the group-by section on the user's path (LoadCSV).
func runGroupByCSV(ctx context.Context, o *Options, g *gen.GroupBy, res *SectionResult, qs []Question) error {
	path, err := writeCSVFile(o, fmt.Sprintf("G1_%s_%s_0_0", sizeName(o.N), sizeName(o.K)), g.WriteCSV)
	if err != nil {
		return err
	}
	// The generator's columns (6 GiB at 1e8 rows) are garbage from here: hand their
	// pages back before either engine loads the file.
	g = nil
	runtime.GC()
	debug.FreeOSMemory()
	defer os.Remove(path)
	var duck []Measure
	if o.DuckDB {
		start := time.Now()
		d, err := openDuckFor(ctx, o, res.Name)
		if err != nil {
			return err
		}
		if err := d.LoadGroupByCSV(ctx, path); err != nil {
			d.Close()
			return err
		}
		res.LoadTime = time.Since(start)
		res.DuckInputBytes = d.MemoryUsage(ctx)
		o.logf("groupby: DuckDB read the CSV in %v", res.LoadTime.Round(time.Millisecond))
		duck = runDuck(ctx, o, d, qs)
		d.Close()
	}
	u, err := openCSVTables(ctx, o, []csvTable{{"x", path, gen.GroupBySchema(true)}})
	if err != nil {
		return err
	}
	defer u.close()
	res.KindlingLoadTime, res.InputBytes = u.load, u.bytes
	o.logf("groupby: kindling read and cached the CSV in %v", u.load.Round(time.Millisecond))
	res.LoadPath = csvLoadNote(res, "ReadCSVWith (id1..id3 dictionary<int32, utf8>, the rest int64 and float64)")
	res.Questions = runKindlingQuestions(ctx, o, "groupby", qs, duck, func(q Question, rs runSpec) Measure { return u.run(ctx, q, rs) })
	if note := budgetNote(o, u, res.Questions); note != "" {
		res.Notes = append(res.Notes, note)
	}
	return nil
}

// RunJoin generates the join tables and runs the join questions in DuckDB, then in
// kindling.
func RunJoin(ctx context.Context, o *Options) (*SectionResult, error) {
	start := time.Now()
	j, err := gen.NewJoin(o.N, o.Seed)
	if err != nil {
		return nil, err
	}
	res := &SectionResult{Name: "join", GenTime: time.Since(start)}
	o.logf("join: generated x, big (%d rows), medium (%d), small (%d) in %v", o.N, j.Medium.Rows, j.Small.Rows, res.GenTime.Round(time.Millisecond))
	jts := []*gen.JoinTable{&j.X, &j.Small, &j.Medium, &j.Big}
	qs := o.selected(JoinQuestions())
	if o.Load != LoadMemory {
		return res, runJoinCSV(ctx, o, j, jts, res, qs)
	}
	res.LoadPath = memoryLoadNote
	var duck []Measure
	if o.DuckDB {
		start = time.Now()
		d, err := OpenDuck(ctx, o.Threads)
		if err != nil {
			return nil, err
		}
		for _, t := range jts {
			path := filepath.Join(o.TmpDir, "join_"+t.Name+".parquet")
			schema, parts := j.Batches(t, memory.DefaultAllocator, gen.Layout{Partitions: 1, ChunkRows: 65536})
			err := gen.WriteParquet(path, schema, parts, 1<<20)
			gen.Release(parts)
			if err == nil {
				var cols []string
				for _, f := range schema.Fields() {
					cols = append(cols, f.Name)
				}
				err = d.LoadJoinTable(ctx, t.Name, path, cols)
			}
			if err != nil {
				d.Close()
				return nil, err
			}
		}
		res.LoadTime = time.Since(start)
		res.DuckInputBytes = d.MemoryUsage(ctx)
		o.logf("join: DuckDB loaded in %v", res.LoadTime.Round(time.Millisecond))
		duck = runDuck(ctx, o, d, qs)
		d.Close()
	}
	tables := map[string]Table{}
	for _, t := range jts {
		schema, parts := j.Batches(t, memory.DefaultAllocator, gen.Layout{Partitions: o.Parts, ChunkRows: o.BatchRows, Dictionary: true, SharedDictionary: true})
		defer gen.Release(parts)
		tables[t.Name] = Table{Schema: schema, Parts: parts}
		res.InputBytes += tableBytes(parts)
	}
	res.Questions = runKindlingQuestions(ctx, o, "join", qs, duck, inMemory(ctx, o, tables))
	return res, nil
}

// runJoinCSV runs the join section on the user's path (LoadCSV).
func runJoinCSV(ctx context.Context, o *Options, j *gen.Join, jts []*gen.JoinTable, res *SectionResult, qs []Question) error {
	var tables []csvTable
	defer func() {
		for _, t := range tables {
			os.Remove(t.path)
		}
	}()
	for _, t := range jts {
		batches := func(mem memory.Allocator, l gen.Layout) (*arrow.Schema, [][]arrow.RecordBatch) {
			return j.Batches(t, mem, l)
		}
		path, err := writeCSVTable(o, "J1_"+sizeName(o.N)+"_"+t.Name, batches)
		if err != nil {
			return err
		}
		tables = append(tables, csvTable{t.Name, path, gen.JoinSchema(t, true)})
	}
	var duck []Measure
	if o.DuckDB {
		start := time.Now()
		d, err := openDuckFor(ctx, o, res.Name)
		if err != nil {
			return err
		}
		for _, t := range tables {
			var cols []string
			for _, f := range t.schema.Fields() {
				cols = append(cols, f.Name)
			}
			if err := d.LoadJoinTableCSV(ctx, t.name, t.path, cols); err != nil {
				d.Close()
				return err
			}
		}
		res.LoadTime = time.Since(start)
		res.DuckInputBytes = d.MemoryUsage(ctx)
		o.logf("join: DuckDB read the CSVs in %v", res.LoadTime.Round(time.Millisecond))
		duck = runDuck(ctx, o, d, qs)
		d.Close()
	}
	u, err := openCSVTables(ctx, o, tables)
	if err != nil {
		return err
	}
	defer u.close()
	res.KindlingLoadTime, res.InputBytes = u.load, u.bytes
	o.logf("join: kindling read and cached the CSVs in %v", u.load.Round(time.Millisecond))
	res.LoadPath = csvLoadNote(res, "ReadCSVWith (string keys dictionary<int32, utf8>)")
	res.Questions = runKindlingQuestions(ctx, o, "join", qs, duck, func(q Question, rs runSpec) Measure { return u.run(ctx, q, rs) })
	if note := budgetNote(o, u, res.Questions); note != "" {
		res.Notes = append(res.Notes, note)
	}
	return nil
}

func runDuck(ctx context.Context, o *Options, d *Duck, qs []Question) []Measure {
	out := make([]Measure, len(qs))
	for i, q := range qs {
		ms := make([]Measure, 0, o.Runs)
		for r := 0; r < o.Runs; r++ {
			ms = append(ms, duckRun(ctx, d, q, r == 0))
		}
		out[i] = best(ms)
		o.logf("  duckdb   %-4s %-28s %9.3fs  %v", q.Name, q.Desc, out[i].Time.Seconds(), errOrOK(out[i].Err))
	}
	return out
}

// runKindlingQuestions runs each question o.Runs times with run and checks the best
// against DuckDB's answer.
func runKindlingQuestions(ctx context.Context, o *Options, section string, qs []Question, duck []Measure, run func(q Question, rs runSpec) Measure) []QuestionResult {
	out := make([]QuestionResult, len(qs))
	for i, q := range qs {
		r := QuestionResult{Q: q}
		if duck != nil {
			r.Duck = duck[i]
		}
		if q.Pending() {
			r.Status = "pending"
			out[i] = r
			o.logf("  kindling %-4s %-28s pending (API not in the library yet)", q.Name, q.Desc)
			continue
		}
		ms := make([]Measure, 0, o.Runs)
		for i := 0; i < o.Runs; i++ {
			profile := ""
			if o.ProfileDir != "" && i == o.Runs-1 {
				profile = filepath.Join(o.ProfileDir, fmt.Sprintf("kindling-%s-%s.pprof", section, q.Name))
			}
			ms = append(ms, run(q, runSpec{profile: profile, fresh: i == 0}))
		}
		r.Kindling = best(ms)
		switch {
		case r.Kindling.Err != nil:
			r.Status = "kindling error: " + r.Kindling.Err.Error()
		case duck == nil:
			r.Status = "unchecked"
		case r.Duck.Err != nil:
			r.Status = "DuckDB error: " + r.Duck.Err.Error()
		default:
			if err := Match(r.Kindling.Answer, r.Duck.Answer); err != nil {
				r.Status = "MISMATCH: " + err.Error()
			} else {
				r.Status = "ok"
			}
		}
		o.logf("  kindling %-4s %-28s %9.3fs  %s", q.Name, q.Desc, r.Kindling.Time.Seconds(), r.Status)
		out[i] = r
	}
	return out
}

func errOrOK(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// tableBytes is the size of the buffers the partitions hold, each buffer counted once
// (a dictionary shared by a partition's batches, or a buffer sliced into several).
func tableBytes(parts [][]arrow.RecordBatch) int64 {
	seen := map[*memory.Buffer]bool{}
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil && !seen[b] {
				seen[b] = true
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
		if d.DataType().ID() == arrow.DICTIONARY {
			walk(d.Dictionary())
		}
	}
	for _, p := range parts {
		for _, b := range p {
			for _, col := range b.Columns() {
				walk(col.Data())
			}
		}
	}
	return n
}
