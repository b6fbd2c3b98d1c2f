// Command kbench benchmarks kindling against DuckDB on db-benchmark's group-by and join
// questions, sweeps partition sizing, and measures skew. It prints Markdown tables and
// writes report.md with SVG plots into the output directory:
//
//	cd bench && go run ./cmd/kbench -n 1e7 -out results/
//
// Sections (-sections): groupby, join, windows (window functions, a range join and
// approx_count_distinct; its tables have -n rows, so -n 1e5 runs it small), sweep, skew, observe
// (each question with the web UI and a listener off and on, not run by default), and tpch
// (the 22 TPC-H queries at scale factor -sf, not run by default: -sections tpch -sf 1). Data is generated deterministically
// (-seed) and loaded before any timing; the engines run one after the other.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kindling-data/kindling/bench/internal/run"
	"github.com/kindling-data/kindling/dataset"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintln(os.Stderr, "kbench:", err)
		os.Exit(1)
	}
}

func mainErr() error {
	if spec := os.Getenv(run.FreshChildEnv); spec != "" {
		return run.RunFreshChild(context.Background(), spec)
	}
	n := flag.String("n", "1e6", "rows of the group-by table and of the join tables x and big (e.g. 1e6, 1e7)")
	k := flag.Int("k", 100, "db-benchmark's K: groups of id1, id2, id4, id5")
	seed := flag.Uint64("seed", 1, "seed of the data generators")
	parts := flag.Int("parts", 4, "source partitions of the in-memory tables")
	batch := flag.Int("batch", dataset.DefaultBatchRows, "rows per input batch (and kindling's Config.BatchRows; default the library's default)")
	runs := flag.Int("runs", 2, "runs per question; the fastest is reported")
	threads := flag.Int("threads", runtime.NumCPU(), "threads of both engines")
	sections := flag.String("sections", "groupby,join,windows,sweep,skew", "comma-separated sections to run: groupby, join, windows, sweep, skew, tpch, observe (the web UI's and listeners' cost), memory (each group-by, join and TPC-H question's resident memory, each engine in a process of its own)")
	out := flag.String("out", "results", "directory for report.md and the SVG plots")
	profile := flag.Bool("profile", false, "write a CPU profile of every kindling question into <out>/profiles")
	heapProfile := flag.Bool("heapprofile", false, "with -profile, also a heap profile at each question's and the load's resident-set peak (collecting garbage at each snapshot)")
	duck := flag.Bool("duckdb", true, "run the DuckDB side (answers are checked against it)")
	only := flag.String("questions", "", "comma-separated questions of the groupby, join, windows and tpch sections to run (e.g. q10,j5,w3,Q6; default all)")
	skew := flag.String("skew", "0,0.5,1,1.5", "Zipf exponents of the skew section")
	load := flag.String("load", run.LoadCSV, "how the group-by and join tables are loaded: csv (the user's path: each engine reads a CSV file; kindling with ReadCSVWith, then Cache) or memory (kindling gets the generator's in-memory partitions)")
	sf := flag.Float64("sf", 1, "scale factor of the tpch section (1, 10, or below 1: 0.01, 0.1)")
	memLimit := flag.String("memory-limit", "", "kindling's Config.MemoryLimit in the groupby, join (CSV path) and tpch sections, in bytes or with a unit (512MiB, 4GiB); empty keeps the default")
	flag.Parse()

	limit, err := parseBytes(*memLimit)
	if err != nil {
		return fmt.Errorf("-memory-limit %q: %w", *memLimit, err)
	}

	if *load != run.LoadCSV && *load != run.LoadMemory {
		return fmt.Errorf("-load %q: want csv or memory", *load)
	}
	rows, err := strconv.ParseFloat(*n, 64)
	if err != nil || rows < 1000 {
		return fmt.Errorf("-n %q: need a number of rows >= 1000", *n)
	}
	tmp, err := os.MkdirTemp("", "kbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	o := &run.Options{N: int(rows), K: *k, Seed: *seed, Parts: *parts, BatchRows: *batch, Runs: max(1, *runs),
		Threads: *threads, DuckDB: *duck, TmpDir: tmp, Log: os.Stderr, SF: *sf, Load: *load, MemoryLimit: limit}
	if *profile {
		run.HeapAtPeak = *heapProfile
		o.ProfileDir = filepath.Join(*out, "profiles")
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return err
		}
	}
	if *only != "" {
		o.Only = map[string]bool{}
		for _, q := range strings.Split(*only, ",") {
			o.Only[strings.TrimSpace(q)] = true
		}
	}
	var ss []float64
	for _, f := range strings.Split(*skew, ",") {
		s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return fmt.Errorf("-skew %q: %w", *skew, err)
		}
		ss = append(ss, s)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*sections, ",") {
		s = strings.TrimSpace(s)
		switch s {
		case "groupby", "join", "windows", "sweep", "skew", "tpch", "observe", "memory":
			want[s] = true
		case "":
		default:
			return fmt.Errorf("-sections: unknown section %q (want groupby, join, windows, sweep, skew, tpch, observe, memory)", s)
		}
	}

	ctx := context.Background()
	start := time.Now()
	rep := &run.Report{Machine: run.ThisMachine(), Opts: *o}
	rep.Machine.DuckDB = "not run"
	if *duck {
		if d, err := run.OpenDuck(ctx, 1); err == nil {
			rep.Machine.DuckDB = d.Version(ctx)
			d.Close()
		}
	}
	for _, s := range []struct {
		name string
		fn   func(context.Context, *run.Options) (*run.SectionResult, error)
	}{{"groupby", run.RunGroupBy}, {"join", run.RunJoin}, {"windows", run.RunWindows}, {"tpch", run.RunTPCH}} {
		if !want[s.name] {
			continue
		}
		res, err := s.fn(ctx, o)
		if err != nil {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: %v", s.name, err))
			fmt.Fprintf(os.Stderr, "kbench: %s: %v\n", s.name, err)
			continue
		}
		rep.Sections = append(rep.Sections, res)
	}
	if want["sweep"] {
		sw, err := run.RunSweeps(ctx, o, run.DefaultSweep())
		rep.Sweeps = sw
		if err != nil {
			rep.Failures = append(rep.Failures, fmt.Sprintf("sweep: %v", err))
		}
	}
	if want["skew"] {
		rep.Skew = run.RunSkew(ctx, o, ss)
	}
	if want["memory"] {
		fresh, err := run.RunFresh(ctx, o)
		rep.Fresh = fresh
		if err != nil {
			rep.Failures = append(rep.Failures, fmt.Sprintf("memory: %v", err))
		}
	}
	if want["observe"] {
		obs, err := run.RunObserve(ctx, o)
		rep.Observe = obs
		if err != nil {
			rep.Failures = append(rep.Failures, fmt.Sprintf("observe: %v", err))
		}
	}
	rep.Elapsed = time.Since(start)
	files := rep.Files()
	fmt.Print(files["report.md"])
	if err := rep.Write(*out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "kbench: wrote %s (report.md and %d plots) in %v\n", *out, len(files)-1, rep.Elapsed.Round(time.Second))
	return nil
}

// parseBytes reads a byte count with an optional binary unit (KiB, MiB, GiB); "" is 0.
func parseBytes(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("want a positive size such as 4GiB")
	}
	return int64(f * float64(mult)), nil
}
