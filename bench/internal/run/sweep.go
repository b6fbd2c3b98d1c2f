package run

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

// Sweep is one partition-sizing experiment: a time per (series, x) point.
type Sweep struct {
	Name, Title, XTitle string
	Xs                  []string
	// Mark is the index of the default setting in Xs (-1: none).
	Mark   int
	Series []Series // seconds; NaN where the point failed
	// CPU is the process's CPU seconds at each point of each series (same names as
	// Series): on a shared machine wall time moves with the other load, CPU time far less.
	CPU []Series
	// Notes are per-point remarks (partition counts, errors).
	Notes []string
}

// SweepOptions are the grids of the sweeps.
type SweepOptions struct {
	ShufflePartitions []int
	BatchRows         []int
	SourcePartitions  []int
	MaxPartitionBytes []int64
}

// DefaultSweep is the grid kbench uses unless told otherwise.
func DefaultSweep() SweepOptions {
	return SweepOptions{
		ShufflePartitions: []int{2, 4, 8, 16, 32, 64},
		BatchRows:         []int{1024, 8192, 65536},
		SourcePartitions:  []int{1, 2, 4, 8, 16, 64},
		MaxPartitionBytes: []int64{4 << 20, 16 << 20, 32 << 20, 64 << 20, 128 << 20, 256 << 20},
	}
}

func indexOf[T comparable](xs []T, v T) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return -1
}

func q3(in Inputs) *dataset.Dataset {
	return in.X.GroupBy("id3").Agg(dataset.Sum("v1").As("v1"), dataset.Mean("v3").As("v3"))
}

func j2(in Inputs) *dataset.Dataset { return in.X.Join(in.Medium, dataset.On("id2"), dataset.Inner) }

// RunSweeps runs the partition-sizing sweeps: the q3 group-by and the j2 join (forced to
// a shuffled hash join: medium would be broadcast otherwise, and no shuffle setting would
// matter) over ShufflePartitions × BatchRows, over source partitions, and q3 over a
// Parquet and a CSV file scan by MaxPartitionBytes. The points of one sweep are measured
// in interleaved rounds (measureInterleaved).
func RunSweeps(ctx context.Context, o *Options, so SweepOptions) ([]Sweep, error) {
	g, err := gen.NewGroupBy(o.N, o.K, o.Seed)
	if err != nil {
		return nil, err
	}
	j, err := gen.NewJoin(o.N, o.Seed)
	if err != nil {
		return nil, err
	}
	def := dataset.Config{Parallelism: o.Threads}
	def.EnsureDefaults()
	sc := sweepContext{ctx: ctx, o: o, so: so, def: def, g: g, j: j}
	var out []Sweep
	for _, exp := range []sweepExperiment{
		{"shuffle-groupby", "q3 group-by (sum v1, mean v3 by id3): time by shuffle partitions and batch rows", sc.groupTables, q3, 0},
		{"shuffle-join", "j2 join (x ⋈ medium on id2, shuffled hash join): time by shuffle partitions and batch rows", sc.joinTables, j2, -1},
	} {
		out = append(out, sc.shuffleSweep(exp))
	}
	out = append(out, sc.sourceSweep([]sweepExperiment{{"q3 group-by", "", sc.groupTables, q3, 0}, {"j2 join (shuffled)", "", sc.joinTables, j2, -1}}))
	scan, err := sc.fileScanSweep()
	if err != nil {
		return out, err
	}
	return append(out, scan), nil
}

// sweepContext is what the sweeps share: the generators, the grids and the defaults.
type sweepContext struct {
	ctx context.Context
	o   *Options
	so  SweepOptions
	def dataset.Config
	g   *gen.GroupBy
	j   *gen.Join
}

// sweepExperiment is one query over tables of a layout; broadcast is its
// Config.BroadcastThreshold.
type sweepExperiment struct {
	name, title string
	tables      func(gen.Layout) (map[string]Table, func())
	build       func(Inputs) *dataset.Dataset
	broadcast   int64
}

// groupTables and joinTables have the shape kindling's CSV reader gives (string keys
// dictionary-encoded, one dictionary per partition and column), so that a sweep point
// costs what it would on the user's path without reading the file once per point.
func (sc *sweepContext) groupTables(l gen.Layout) (map[string]Table, func()) {
	l.Dictionary, l.SharedDictionary = true, true
	schema, parts := sc.g.Batches(memory.DefaultAllocator, l)
	return map[string]Table{"x": {Schema: schema, Parts: parts}}, func() { gen.Release(parts) }
}

func (sc *sweepContext) joinTables(l gen.Layout) (map[string]Table, func()) {
	l.Dictionary, l.SharedDictionary = true, true
	tables := map[string]Table{}
	var all [][][]arrow.RecordBatch
	for _, t := range []*gen.JoinTable{&sc.j.X, &sc.j.Medium} {
		schema, parts := sc.j.Batches(t, memory.DefaultAllocator, l)
		tables[t.Name] = Table{Schema: schema, Parts: parts}
		all = append(all, parts)
	}
	return tables, func() {
		for _, p := range all {
			gen.Release(p)
		}
	}
}

// point returns a sweep point running build over tables with cfg.
func (sc *sweepContext) point(cfg dataset.Config, tables map[string]Table, build func(Inputs) *dataset.Dataset) *sweepPoint {
	return &sweepPoint{run: func() Measure {
		return kindlingRun(sc.ctx, cfg, tables, []string{}, runSpec{}, func(_ *dataset.Session, in Inputs) *dataset.Dataset { return build(in) })
	}}
}

// record appends point p's time and CPU to s and c, a note on sw if it failed, and logs it.
func (sc *sweepContext) record(sw *Sweep, s, c *Series, p *sweepPoint, label string) {
	if p.best.Err != nil {
		s.Values, c.Values = append(s.Values, nan), append(c.Values, nan)
		sw.Notes = append(sw.Notes, fmt.Sprintf("%s: %v", label, p.best.Err))
		return
	}
	t, cpu := p.best.Time.Seconds(), p.best.CPU.Seconds()
	s.Values, c.Values = append(s.Values, t), append(c.Values, cpu)
	sc.o.logf("  %s %s: %.3fs, %.3f CPU s (best of %d)", sw.Name, label, t, cpu, p.runs)
}

func xsOf(ns []int) []string {
	xs := make([]string, len(ns))
	for i, n := range ns {
		xs[i] = strconv.Itoa(n)
	}
	return xs
}

// shuffleSweep times exp over ShufflePartitions × BatchRows (the batch rows of the input
// tables and of Config.BatchRows).
func (sc *sweepContext) shuffleSweep(exp sweepExperiment) Sweep {
	so := sc.so
	sw := Sweep{Name: exp.name, Title: exp.title, XTitle: "Config.ShufflePartitions", Xs: xsOf(so.ShufflePartitions),
		Mark: indexOf(so.ShufflePartitions, sc.def.ShufflePartitions)}
	points := make([][]*sweepPoint, len(so.BatchRows))
	var all []*sweepPoint
	for i, br := range so.BatchRows {
		tables, release := exp.tables(gen.Layout{Partitions: sc.o.Parts, ChunkRows: br})
		defer release()
		for _, sp := range so.ShufflePartitions {
			cfg := dataset.Config{Parallelism: sc.o.Threads, ShufflePartitions: sp, BatchRows: br, BroadcastThreshold: exp.broadcast}
			points[i] = append(points[i], sc.point(cfg, tables, exp.build))
		}
		all = append(all, points[i]...)
	}
	measureInterleaved(sc.o.Runs, all)
	for i, br := range so.BatchRows {
		s := Series{Name: fmt.Sprintf("BatchRows %d", br)}
		if br == sc.def.BatchRows {
			s.Name += " (default)"
		}
		c := Series{Name: s.Name}
		for k, sp := range so.ShufflePartitions {
			sc.record(&sw, &s, &c, points[i][k], fmt.Sprintf("batch %d shuffle %d", br, sp))
		}
		sw.Series, sw.CPU = append(sw.Series, s), append(sw.CPU, c)
	}
	if exp.broadcast < 0 {
		tables, release := exp.tables(gen.Layout{Partitions: sc.o.Parts, ChunkRows: sc.def.BatchRows})
		p := sc.point(dataset.Config{Parallelism: sc.o.Threads}, tables, exp.build)
		measureInterleaved(sc.o.Runs, []*sweepPoint{p})
		release()
		sw.Notes = append(sw.Notes, fmt.Sprintf("with the default broadcast hash join (medium broadcast), j2 takes %.3f s", p.best.Time.Seconds()))
	}
	return sw
}

// sourceSweep times each experiment by the partitions of its in-memory source.
func (sc *sweepContext) sourceSweep(exps []sweepExperiment) Sweep {
	so := sc.so
	sw := Sweep{Name: "source-partitions", Title: "time by source (in-memory) partitions", XTitle: "source partitions",
		Xs: xsOf(so.SourcePartitions), Mark: indexOf(so.SourcePartitions, sc.o.Parts)}
	for _, exp := range exps {
		// One experiment's tables at a time: all of them at once would hold gigabytes.
		points, release := sc.sourcePoints(exp)
		measureInterleaved(sc.o.Runs, points)
		release()
		s, c := Series{Name: exp.name}, Series{Name: exp.name}
		for k, p := range so.SourcePartitions {
			sc.record(&sw, &s, &c, points[k], fmt.Sprintf("%s %d", exp.name, p))
		}
		sw.Series, sw.CPU = append(sw.Series, s), append(sw.CPU, c)
	}
	return sw
}

// sourcePoints returns exp's points by source partitions, and what releases their tables.
func (sc *sweepContext) sourcePoints(exp sweepExperiment) ([]*sweepPoint, func()) {
	var points []*sweepPoint
	var releases []func()
	for _, p := range sc.so.SourcePartitions {
		tables, release := exp.tables(gen.Layout{Partitions: p, ChunkRows: sc.def.BatchRows})
		releases = append(releases, release)
		points = append(points, sc.point(dataset.Config{Parallelism: sc.o.Threads, BroadcastThreshold: exp.broadcast}, tables, exp.build))
	}
	return points, func() {
		for _, r := range releases {
			r()
		}
	}
}

// fileScanSweep times q3 over a Parquet and a CSV file by MaxPartitionBytes.
func (sc *sweepContext) fileScanSweep() (Sweep, error) {
	o, so := sc.o, sc.so
	start := time.Now()
	schema, parts := sc.g.Batches(memory.DefaultAllocator, gen.Layout{Partitions: 1, ChunkRows: 65536})
	pq, csv := filepath.Join(o.TmpDir, "sweep.parquet"), filepath.Join(o.TmpDir, "sweep.csv")
	err := gen.WriteParquet(pq, schema, parts, 128*1024)
	if err == nil {
		err = gen.WriteCSV(csv, schema, parts)
	}
	gen.Release(parts)
	if err != nil {
		return Sweep{}, err
	}
	o.logf("  file-scan: wrote Parquet and CSV in %v", time.Since(start).Round(time.Millisecond))
	xs := make([]string, len(so.MaxPartitionBytes))
	for i, b := range so.MaxPartitionBytes {
		xs[i] = fmt.Sprintf("%d MiB", b>>20)
	}
	sw := Sweep{Name: "file-scan", Title: "q3 over a file scan: time by MaxPartitionBytes", XTitle: "Config.MaxPartitionBytes",
		Xs: xs, Mark: indexOf(so.MaxPartitionBytes, sc.def.MaxPartitionBytes)}
	csvOpts := dataset.CSVOptions{Schema: gen.GroupBySchema(true)}
	exps := []struct {
		name string
		read func(s *dataset.Session) *dataset.Dataset
	}{
		{"Parquet (128Ki-row groups, snappy)", func(s *dataset.Session) *dataset.Dataset { return s.ReadParquet(pq) }},
		{"CSV (id1..id3 dictionary)", func(s *dataset.Session) *dataset.Dataset { return s.ReadCSVWith(csvOpts, csv) }},
	}
	points := make([][]*sweepPoint, len(exps))
	var all []*sweepPoint
	for i, exp := range exps {
		for _, mpb := range so.MaxPartitionBytes {
			cfg := dataset.Config{Parallelism: o.Threads, MaxPartitionBytes: mpb}
			points[i] = append(points[i], &sweepPoint{run: func() Measure {
				return kindlingRun(sc.ctx, cfg, nil, nil, runSpec{}, func(s *dataset.Session, _ Inputs) *dataset.Dataset {
					return q3(Inputs{X: exp.read(s)})
				})
			}})
		}
		all = append(all, points[i]...)
	}
	measureInterleaved(o.Runs, all)
	for i, exp := range exps {
		s, c := Series{Name: exp.name}, Series{Name: exp.name}
		var counts []string
		for k, mpb := range so.MaxPartitionBytes {
			p := points[i][k]
			sc.record(&sw, &s, &c, p, fmt.Sprintf("%s %d MiB", exp.name, mpb>>20))
			if m := p.best; m.Err == nil && m.Job != nil && len(m.Job.Stages) > 0 {
				counts = append(counts, strconv.Itoa(len(m.Job.Stages[0].Tasks)))
			}
		}
		sw.Series, sw.CPU = append(sw.Series, s), append(sw.CPU, c)
		sw.Notes = append(sw.Notes, fmt.Sprintf("%s: scan partitions %s", exp.name, strings.Join(counts, ", ")))
	}
	return sw, nil
}
