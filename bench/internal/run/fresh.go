package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/bench/internal/tpch"
	"github.com/kindling-data/kindling/dataset"
)

// The memory section measures each question's resident memory in a process of its own:
// the process loads the tables through the engine's CSV path, as a user's program
// would, and runs the one question. The group-by and join sections measure memory in
// one long process that runs both engines one after the other, where what a query adds
// depends on what the earlier work left mapped: DuckDB keeps the pages of its buffer pool
// from the load and reuses them (its q10 figure there moves between 135 and 785 MiB over
// runs), while kindling's probe first hands Go's free pages back. A fresh process per
// engine and question holds both to the same start.

// FreshChildEnv names the environment variable that turns kbench into one fresh-process
// measurement: its value is a freshSpec in JSON, and the process prints a FreshPeak.
const FreshChildEnv = "KBENCH_FRESH_CHILD"

// freshSpec is what a child process measures.
type freshSpec struct {
	Engine   string // "kindling" or "duckdb"
	Section  string // "groupby", "join" or "tpch"
	Question string
	Tables   []freshTable
	TPCHDir  string // the TPC-H tables' directory (section tpch)
	Threads  int
	Batch    int
	Limit    int64
	TmpDir   string
}

// freshTable is one CSV table a child loads: its name, file, and for a join table the
// number of key columns and the value column's name (which give its schema).
type freshTable struct {
	Name, Path string
	Keys       int
	VName      string
}

// schema is the schema the section's table is read with (dictionary string keys).
func (t freshTable) schema(section string) *arrow.Schema {
	if section == "groupby" {
		return gen.GroupBySchema(true)
	}
	jt := &gen.JoinTable{VName: t.VName}
	for i, ids := range []*[]int64{&jt.ID1, &jt.ID2, &jt.ID3} {
		if i < t.Keys {
			*ids = []int64{}
		}
	}
	return gen.JoinSchema(jt, true)
}

// FreshPeak is one engine's memory on one question in a process of its own.
type FreshPeak struct {
	Engine, Section, Question string
	// Load is the time of loading the tables; LoadPeak the process's RSS high-water
	// mark by its end and Loaded its RSS just after it.
	Load     time.Duration
	LoadPeak int64
	Loaded   int64
	// Peak is the process's RSS high-water mark while the question ran (the tables
	// included); Time the question's time.
	Peak   int64
	Time   time.Duration
	Answer Answer
	Err    string
}

// Added is the resident memory the question added to the loaded process.
func (p FreshPeak) Added() int64 { return max(0, p.Peak-p.Loaded) }

// RunFreshChild runs the measurement the environment describes and prints its result as
// JSON on stdout. It is kbench's entry point in a child process.
func RunFreshChild(ctx context.Context, specJSON string) error {
	var spec freshSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return fmt.Errorf("run: %s: %w", FreshChildEnv, err)
	}
	p := measureFresh(ctx, spec)
	return json.NewEncoder(os.Stdout).Encode(p)
}

func measureFresh(ctx context.Context, spec freshSpec) FreshPeak {
	p := FreshPeak{Engine: spec.Engine, Section: spec.Section, Question: spec.Question}
	if spec.Section == "tpch" {
		return measureFreshTPCH(ctx, spec, p)
	}
	q, err := questionNamed(spec.Section, spec.Question)
	if err != nil {
		p.Err = err.Error()
		return p
	}
	o := &Options{Threads: spec.Threads, BatchRows: spec.Batch, MemoryLimit: spec.Limit, TmpDir: spec.TmpDir, DuckDB: true}
	start := time.Now()
	var runQuery func() Measure
	switch spec.Engine {
	case "kindling":
		var tables []csvTable
		for _, t := range spec.Tables {
			tables = append(tables, csvTable{t.Name, t.Path, t.schema(spec.Section)})
		}
		u, err := openCSVTables(ctx, o, tables)
		if err != nil {
			p.Err = err.Error()
			return p
		}
		defer u.close()
		runQuery = func() Measure { return u.run(ctx, q, runSpec{}) }
	case "duckdb":
		d, err := openDuckFor(ctx, o, spec.Section)
		if err == nil {
			err = loadDuckCSV(ctx, d, spec)
		}
		if err != nil {
			p.Err = err.Error()
			return p
		}
		defer d.Close()
		runQuery = func() Measure { return probed(func() (time.Duration, Answer, error) { return d.Run(ctx, q) }) }
	default:
		p.Err = fmt.Sprintf("unknown engine %q", spec.Engine)
		return p
	}
	return finishFresh(p, start, runQuery)
}

// probed runs a question, measuring the process's resident-set high-water mark while it
// runs.
func probed(run func() (time.Duration, Answer, error)) Measure {
	probe := startRSS(false)
	dur, a, err := run()
	return Measure{Time: dur, Answer: a, Err: err, ProcessPeak: probe.High()}
}

// finishFresh records the load that began at start and runs the question.
func finishFresh(p FreshPeak, start time.Time, runQuery func() Measure) FreshPeak {
	p.Load = time.Since(start)
	p.Loaded, p.LoadPeak = procStatus()
	m := runQuery()
	p.Time, p.Peak, p.Answer = m.Time, m.ProcessPeak, m.Answer
	if m.Err != nil {
		p.Err = m.Err.Error()
	}
	return p
}

// measureFreshTPCH measures TPC-H query spec.Question ("Q1".."Q22") over the tables in
// spec.TPCHDir: kindling reads them with ReadParquet, persists and counts them, as the
// tpch section does; DuckDB loads them into its tables.
func measureFreshTPCH(ctx context.Context, spec freshSpec, p FreshPeak) FreshPeak {
	var n int
	if _, err := fmt.Sscanf(spec.Question, "Q%d", &n); err != nil || n < 1 || n > tpch.Queries {
		p.Err = fmt.Sprintf("no TPC-H query %q", spec.Question)
		return p
	}
	start := time.Now()
	var runQuery func() Measure
	switch spec.Engine {
	case "kindling":
		sess, err := dataset.NewSession(dataset.Config{Parallelism: spec.Threads, MemoryLimit: spec.Limit, BatchRows: spec.Batch})
		if err != nil {
			p.Err = err.Error()
			return p
		}
		defer sess.Close()
		tables := tpch.Open(sess, spec.TPCHDir, true)
		defer tables.Unpersist()
		if err := warm(ctx, tables); err != nil {
			p.Err = err.Error()
			return p
		}
		runQuery = func() Measure {
			return probed(func() (time.Duration, Answer, error) {
				res, dur, err := tpch.Run(ctx, tables, n)
				return dur, Answer{Rows: int64(len(res.Rows))}, err
			})
		}
	case "duckdb":
		d, err := tpch.OpenDuckLimited(ctx, spec.TPCHDir, spec.Threads, "", 0)
		if err != nil {
			p.Err = err.Error()
			return p
		}
		defer d.Close()
		runQuery = func() Measure {
			return probed(func() (time.Duration, Answer, error) {
				res, dur, err := d.Query(ctx, tpch.SQL(n))
				return dur, Answer{Rows: int64(len(res.Rows))}, err
			})
		}
	default:
		p.Err = fmt.Sprintf("unknown engine %q", spec.Engine)
		return p
	}
	return finishFresh(p, start, runQuery)
}

// loadDuckCSV loads the spec's tables into d with read_csv.
func loadDuckCSV(ctx context.Context, d *Duck, spec freshSpec) error {
	for _, t := range spec.Tables {
		if spec.Section == "groupby" {
			if err := d.LoadGroupByCSV(ctx, t.Path); err != nil {
				return err
			}
			continue
		}
		var cols []string
		for _, f := range t.schema(spec.Section).Fields() {
			cols = append(cols, f.Name)
		}
		if err := d.LoadJoinTableCSV(ctx, t.Name, t.Path, cols); err != nil {
			return err
		}
	}
	return nil
}

func questionNamed(section, name string) (Question, error) {
	qs := GroupByQuestions()
	if section == "join" {
		qs = JoinQuestions()
	}
	for _, q := range qs {
		if q.Name == name {
			return q, nil
		}
	}
	return Question{}, fmt.Errorf("no %s question %q", section, name)
}

// RunFresh measures every selected question of the group-by, join and TPC-H sections
// (o.Only) for both engines (kindling only without DuckDB), each in a child process: it
// writes the group-by and join tables as CSV files, as those sections do, and finds or
// generates the TPC-H tables of scale factor o.SF.
func RunFresh(ctx context.Context, o *Options) ([]FreshPeak, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	type section struct {
		name   string
		qs     []string
		tables []freshTable
		dir    string
	}
	var secs []section
	if qs := questionNames(o.selected(GroupByQuestions())); len(qs) > 0 {
		path, err := writeFreshGroupBy(o)
		if err != nil {
			return nil, err
		}
		defer os.Remove(path)
		secs = append(secs, section{name: "groupby", qs: qs, tables: []freshTable{{Name: "x", Path: path}}})
	}
	if qs := questionNames(o.selected(JoinQuestions())); len(qs) > 0 {
		tables, err := writeFreshJoin(o)
		defer func() {
			for _, t := range tables {
				os.Remove(t.Path)
			}
		}()
		if err != nil {
			return nil, err
		}
		secs = append(secs, section{name: "join", qs: qs, tables: tables})
	}
	var tqs []string
	for n := 1; n <= tpch.Queries; n++ {
		if name := fmt.Sprintf("Q%d", n); len(o.Only) == 0 || o.Only[name] {
			tqs = append(tqs, name)
		}
	}
	if len(tqs) > 0 {
		dir, _, err := tpch.Generate(ctx, tpch.DefaultRoot(), max(o.SF, 0.01))
		if err != nil {
			return nil, err
		}
		secs = append(secs, section{name: "tpch", qs: tqs, dir: dir})
	}
	runtime.GC()
	debug.FreeOSMemory()
	engines := []string{"kindling"}
	if o.DuckDB {
		engines = append(engines, "duckdb")
	}
	var out []FreshPeak
	for _, sec := range secs {
		for _, q := range sec.qs {
			for _, e := range engines {
				spec := freshSpec{Engine: e, Section: sec.name, Question: q, Tables: sec.tables, TPCHDir: sec.dir,
					Threads: o.Threads, Batch: o.BatchRows, Limit: o.MemoryLimit, TmpDir: o.TmpDir}
				p := runFreshChild(ctx, self, spec)
				o.logf("  fresh %-8s %-4s load peak %9s, question peak %9s (+%s) %v", e, q,
					fmtBytes(p.LoadPeak), fmtBytes(p.Peak), fmtBytes(p.Added()), p.Err)
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func questionNames(qs []Question) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Name)
	}
	return out
}

// writeFreshGroupBy writes the group-by table as the group-by section does.
func writeFreshGroupBy(o *Options) (string, error) {
	g, err := gen.NewGroupBy(o.N, o.K, o.Seed)
	if err != nil {
		return "", err
	}
	return writeCSVFile(o, fmt.Sprintf("G1_%s_%s_0_0", sizeName(o.N), sizeName(o.K)), g.WriteCSV)
}

// writeFreshJoin writes the join tables as the join section does; on an error it
// returns the files written so far, for the caller to remove.
func writeFreshJoin(o *Options) ([]freshTable, error) {
	j, err := gen.NewJoin(o.N, o.Seed)
	if err != nil {
		return nil, err
	}
	var tables []freshTable
	for _, t := range []*gen.JoinTable{&j.X, &j.Small, &j.Medium, &j.Big} {
		batches := func(mem memory.Allocator, l gen.Layout) (*arrow.Schema, [][]arrow.RecordBatch) {
			return j.Batches(t, mem, l)
		}
		path, err := writeCSVTable(o, "J1_"+sizeName(o.N)+"_"+t.Name, batches)
		if err != nil {
			return tables, err
		}
		keys := 0
		for _, ids := range [][]int64{t.ID1, t.ID2, t.ID3} {
			if ids != nil {
				keys++
			}
		}
		tables = append(tables, freshTable{t.Name, path, keys, t.VName})
	}
	return tables, nil
}

// runFreshChild runs self as a child measuring spec.
func runFreshChild(ctx context.Context, self string, spec freshSpec) FreshPeak {
	fail := FreshPeak{Engine: spec.Engine, Section: spec.Section, Question: spec.Question}
	b, err := json.Marshal(spec)
	if err != nil {
		fail.Err = err.Error()
		return fail
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), FreshChildEnv+"="+string(b))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		fail.Err = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
		return fail
	}
	var p FreshPeak
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		fail.Err = fmt.Sprintf("child output: %v", err)
		return fail
	}
	return p
}

// fresh writes the memory section: per question, each engine's load and question peaks.
func (r *Report) fresh(b *strings.Builder) {
	b.WriteString("## Memory in fresh processes\n\n" +
		"Each engine and question in a process of its own (`kbench -sections memory`): the process loads the tables from the CSV files " +
		"(kindling: ReadCSVWith, Cache, Count with the default config; DuckDB: read_csv into tables), then runs the one question. " +
		"**loaded** is the process's resident set after the load, **question peak** its high-water mark while the question ran (the tables " +
		"included), **added** the difference. Unlike the sections above, neither engine starts a question from memory that other work left mapped.\n\n")
	b.WriteString("| question | kindling loaded | kindling question peak | added | DuckDB loaded | DuckDB question peak | added | peak ratio | check |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	byKey := map[string]FreshPeak{}
	var order []string
	for _, p := range r.Fresh {
		k := p.Section + "/" + p.Question
		if _, ok := byKey[k+"/kindling"]; !ok && p.Engine == "kindling" {
			order = append(order, k)
		}
		byKey[k+"/"+p.Engine] = p
	}
	cell := func(p FreshPeak, ok bool) (string, string, string) {
		if !ok {
			return "–", "–", "–"
		}
		if p.Err != "" {
			return "failed: " + shorten(strings.ReplaceAll(p.Err, "|", "/")), "–", "–"
		}
		return fmtBytes(p.Loaded), fmtBytes(p.Peak), fmtBytes(p.Added())
	}
	var worst float64
	var worstQ string
	for _, k := range order {
		kp, kok := byKey[k+"/kindling"]
		dp, dok := byKey[k+"/duckdb"]
		kl, kq, ka := cell(kp, kok)
		dl, dq, da := cell(dp, dok)
		ratio, check := "–", "–"
		if kok && dok && kp.Err == "" && dp.Err == "" && dp.Peak > 0 {
			ratio, check = fmt.Sprintf("%.2f", float64(kp.Peak)/float64(dp.Peak)), "ok"
			if err := Match(kp.Answer, dp.Answer); err != nil {
				check = shorten(strings.ReplaceAll(err.Error(), "|", "/"))
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", kp.Question, kl, kq, ka, dl, dq, da, ratio, check)
		if ratio != "–" && float64(kp.Peak)/float64(dp.Peak) > worst {
			worst, worstQ = float64(kp.Peak)/float64(dp.Peak), kp.Question
		}
	}
	b.WriteString("\n")
	if worstQ != "" {
		fmt.Fprintf(b, "Largest ratio of the question peaks: %s at %.2f×.\n\n", worstQ, worst)
	}
}
