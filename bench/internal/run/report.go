package run

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where a report was made.
type Machine struct {
	CPUs     int
	CPUModel string
	RAM      int64
	Go       string
	OS       string
	Date     time.Time
	DuckDB   string
}

// ThisMachine reads the machine's description from the runtime and /proc.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Date: time.Now(), CPUModel: "?"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.RAM = kb << 10
			}
		}
	}
	return m
}

// Report is everything one kbench run measured.
type Report struct {
	Machine  Machine
	Opts     Options
	Sections []*SectionResult
	Sweeps   []Sweep
	Skew     []SkewPoint
	Observe  []ObservePoint
	// Fresh is the memory section: each question's resident memory in fresh processes.
	Fresh   []FreshPeak
	Elapsed time.Duration
	// Failures lists sections that could not run.
	Failures []string
}

func fmtBytes(n int64) string {
	if n < 0 {
		return "n/a"
	}
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func ratio(a, b time.Duration) string {
	if b <= 0 || a <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a.Seconds()/b.Seconds())
}

// sizeName renders N as db-benchmark does (1e7).
// loadName names the group-by and join sections' load path for the report's settings.
func loadName(load string, parts, batchRows int) string {
	if load == LoadMemory {
		return fmt.Sprintf("in memory (%d partitions of %d-row batches)", parts, batchRows)
	}
	return "from CSV by each engine's reader"
}

func sizeName(n int) string {
	e := math.Log10(float64(n))
	if e == math.Trunc(e) {
		return fmt.Sprintf("1e%d", int(e))
	}
	return strconv.Itoa(n)
}

// Files returns the report's files: report.md and the SVG plots, by name.
func (r *Report) Files() map[string]string {
	files := map[string]string{}
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# kindling vs DuckDB: db-benchmark questions, partition sizing, skew\n\n")
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s RAM, %s, %s; DuckDB %s (duckdb-go v2.10505.0). Run on %s, took %v.\n\n",
		m.CPUs, m.CPUModel, fmtBytes(m.RAM), m.OS, m.Go, m.DuckDB, m.Date.Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	o := r.Opts
	fmt.Fprintf(&b, "Settings: N = %s rows, K = %d, %d threads for both engines, best of %d runs per question, group-by and join tables loaded %s. "+
		"Each section states its load path. A DuckDB query is timed as `CREATE TABLE ans AS …`, a kindling query as `Collect`. "+
		"The engines run one after the other, never at once.\n\n",
		sizeName(o.N), o.K, o.Threads, o.Runs, loadName(o.Load, o.Parts, o.BatchRows))
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "**Failed:** %s\n\n", f)
	}
	for _, s := range r.Sections {
		r.section(&b, files, s)
	}
	if len(r.Sweeps) > 0 {
		b.WriteString("## Partition sizing\n\nLoad path: the group-by and join sweeps over the generator's in-memory tables (FromPartitions) in the shape " +
			"kindling's CSV reader gives (string keys dictionary-encoded, one dictionary per partition and column), so that only the swept setting " +
			"changes; the file-scan sweep reads Parquet and CSV files with kindling's readers.\n\n")
		for _, sw := range r.Sweeps {
			r.sweep(&b, files, sw)
		}
	}
	if len(r.Skew) > 0 {
		r.skew(&b, files)
	}
	if len(r.Fresh) > 0 {
		r.fresh(&b)
	}
	if len(r.Observe) > 0 {
		r.observe(&b)
	}
	b.WriteString(memoryNote)
	files["report.md"] = b.String()
	return files
}

const memoryNote = `
### How memory is measured

- **peak RSS** (both engines): the process's resident-set high-water mark during a
  question's first run, less the resident set just before it (after a Go GC and
  FreeOSMemory; the kernel's mark is reset by writing 5 to /proc/self/clear_refs). The
  later runs start after a Go GC only and keep the heap pages freed before, as a program
  running one query after another does (and as DuckDB keeps its buffer pool); the time is
  the fastest run's. Both engines live in the same process, so
  this is the memory the query adds, wherever it was allocated. Go's figure includes garbage
  not yet collected (GOGC=100 lets the heap grow to twice its live size, and the live heap
  holds the generated inputs).
- **Arrow peak** (kindling): the most bytes held at once by the session's Arrow allocator
  (every buffer kindling's operators allocate), **exec peak**: the most execution memory
  its memory manager granted (hash tables, sort buffers).
- **input**: kindling's in-memory partitions (Arrow buffer sizes); DuckDB's tables as
  duckdb_memory() reports them after loading.
`

func (r *Report) section(b *strings.Builder, files map[string]string, s *SectionResult) {
	title := map[string]string{"groupby": fmt.Sprintf("Group-by (G1_%s_1e2_0_0)", sizeName(r.Opts.N)), "join": fmt.Sprintf("Join (J1_%s_NA_0_0)", sizeName(r.Opts.N))}[s.Name]
	if s.Title != "" {
		title = s.Title
	}
	fmt.Fprintf(b, "## %s\n\n", title)
	fmt.Fprintf(b, "Input: kindling %s, DuckDB %s. Generated in %v.\n\n",
		fmtBytes(s.InputBytes), fmtBytes(s.DuckInputBytes), s.GenTime.Round(time.Millisecond))
	if s.LoadPath != "" {
		fmt.Fprintf(b, "%s\n\n", s.LoadPath)
	}
	b.WriteString("| question | | kindling s | DuckDB s | ratio | check | kindling peak RSS | Arrow peak | exec peak | DuckDB peak RSS |\n")
	b.WriteString("|---|---|--:|--:|--:|---|--:|--:|--:|--:|\n")
	var tk, td time.Duration
	var worst float64
	worstQ := ""
	var memK, memD int64
	var names []string
	kt, dt := Series{Name: "kindling"}, Series{Name: "DuckDB"}
	for _, q := range s.Questions {
		k, d := q.Kindling, q.Duck
		kTime, rssK, arrow, exec := "–", "–", "–", "–"
		if q.Status != "pending" && k.Err == nil {
			kTime, rssK, arrow, exec = secs(k.Time), fmtBytes(k.RSSPeak), fmtBytes(k.AllocPeak), fmtBytes(k.ExecPeak)
		}
		dTime, rssD := "–", "–"
		if d.Time > 0 && d.Err == nil {
			dTime, rssD = secs(d.Time), fmtBytes(d.RSSPeak)
		}
		status := q.Status
		if len(status) > 160 {
			status = status[:157] + "..."
		}
		rt := "–"
		if q.Status == "ok" || q.Status == "unchecked" {
			rt = ratio(k.Time, d.Time)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", q.Q.Name, q.Q.Desc, kTime, dTime, rt,
			strings.ReplaceAll(status, "|", "/"), rssK, arrow, exec, rssD)
		names = append(names, q.Q.Name)
		kv, dv := nan, nan
		if kTime != "–" {
			kv = k.Time.Seconds()
		}
		if dTime != "–" {
			dv = d.Time.Seconds()
		}
		kt.Values, dt.Values = append(kt.Values, kv), append(dt.Values, dv)
		if q.Status == "ok" {
			tk += k.Time
			td += d.Time
			if x := k.Time.Seconds() / d.Time.Seconds(); x > worst {
				worst, worstQ = x, q.Q.Name
			}
			memK, memD = max(memK, k.RSSPeak), max(memD, d.RSSPeak)
		}
	}
	if td > 0 {
		fmt.Fprintf(b, "| **total** (questions both ran) | | **%s** | **%s** | **%s** | | %s | | | %s |\n\n", secs(tk), secs(td), ratio(tk, td), fmtBytes(memK), fmtBytes(memD))
		fmt.Fprintf(b, "Worst ratio: %s at %.2f×. Largest peak RSS: kindling %s, DuckDB %s (%.2f×).\n\n", worstQ, worst, fmtBytes(memK), fmtBytes(memD), float64(memK)/float64(max(1, memD)))
	} else {
		b.WriteString("\n")
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	if len(s.Notes) > 0 {
		b.WriteString("\n")
	}
	name := s.Name + "-times.svg"
	files[name] = BarChart(title+": seconds per question (lower is better)", "seconds", names, []Series{kt, dt})
	fmt.Fprintf(b, "![%s times](%s)\n\n", s.Name, name)
}

func (r *Report) sweep(b *strings.Builder, files map[string]string, sw Sweep) {
	fmt.Fprintf(b, "### %s\n\n", sw.Title)
	sweepTable(b, sw, sw.Series)
	fmt.Fprintf(b, "\nSeconds; %s; bold: the default.\n\n", sw.XTitle)
	if len(sw.CPU) > 0 {
		sweepTable(b, sw, sw.CPU)
		fmt.Fprintf(b, "\nCPU seconds (user and system, the least of the runs): on a shared machine they move less than wall time, "+
			"but do not show cores left idle.\n\n")
	}
	for _, n := range sw.Notes {
		fmt.Fprintf(b, "- %s\n", n)
	}
	name := "sweep-" + sw.Name + ".svg"
	files[name] = LineChart(sw.Title, sw.XTitle, "seconds", sw.Xs, sw.Series, sw.Mark)
	fmt.Fprintf(b, "\n![%s](%s)\n\n", sw.Name, name)
}

// sweepTable writes one table of a sweep: a row per series, the default's cell in bold.
func sweepTable(b *strings.Builder, sw Sweep, series []Series) {
	b.WriteString("| | " + strings.Join(sw.Xs, " | ") + " |\n|---|" + strings.Repeat("--:|", len(sw.Xs)) + "\n")
	for _, s := range series {
		cells := make([]string, len(sw.Xs))
		for i := range cells {
			cells[i] = "–"
			if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
				cells[i] = fmt.Sprintf("%.3f", s.Values[i])
				if i == sw.Mark {
					cells[i] = "**" + cells[i] + "**"
				}
			}
		}
		fmt.Fprintf(b, "| %s | %s |\n", s.Name, strings.Join(cells, " | "))
	}
}

func (r *Report) skew(b *strings.Builder, files map[string]string) {
	fmt.Fprintf(b, "## Skew\n\nA group-by (sum, count of v by k over N/10 = %d keys) and a shuffled hash join (N rows ⋈ N/10 rows with unique keys, on k), "+
		"keys drawn from Zipf(s) (s = 0 is uniform). Largest partition: the largest reduce partition's share of the rows a map stage shuffled "+
		"(the group-by shuffles partial aggregates, one row per key and map partition). Seconds: the fastest of the runs; CPU s: the least CPU time of the runs. Task times: min / median / max per stage. "+
		"Load path: tables the harness builds in memory (FromPartitions, int64 keys), not a reader's shape: the section isolates the shuffle.\n\n", max(1, r.Opts.N/10))
	b.WriteString("| query | s | seconds | CPU s | top key's share | largest partition | stages: tasks, min / median / max |\n|---|--:|--:|--:|--:|--:|---|\n")
	var ss []string
	series := map[string]*Series{}
	shares := map[string]*Series{}
	for _, p := range r.Skew {
		if p.Err != nil {
			fmt.Fprintf(b, "| %s | %.1f | error: %v | | | | |\n", p.Kind, p.S, p.Err)
			continue
		}
		var st []string
		for _, s := range p.Stages {
			st = append(st, fmt.Sprintf("%d %s: %d, %s / %s / %s", s.StageID, s.Kind, s.Tasks, durString(s.Min), durString(s.Median), durString(s.Max)))
		}
		fmt.Fprintf(b, "| %s | %.1f | %s | %.3f | %.2f%% | %.1f%% | %s |\n", p.Kind, p.S, secs(p.Time), p.CPU.Seconds(), 100*p.TopKeyShare, 100*p.MaxShare, strings.Join(st, "; "))
		label := fmt.Sprintf("s=%.1f", p.S)
		if len(ss) == 0 || ss[len(ss)-1] != label {
			ss = append(ss, label)
		}
		if series[p.Kind] == nil {
			series[p.Kind] = &Series{Name: p.Kind}
			shares[p.Kind] = &Series{Name: p.Kind}
		}
		series[p.Kind].Values = append(series[p.Kind].Values, p.Time.Seconds())
		shares[p.Kind].Values = append(shares[p.Kind].Values, 100*p.MaxShare)
	}
	var ts, sh []Series
	for _, k := range []string{"groupby", "join"} {
		if series[k] != nil {
			ts, sh = append(ts, *series[k]), append(sh, *shares[k])
		}
	}
	files["skew-times.svg"] = BarChart("Skew: seconds by Zipf exponent", "seconds", ss, ts)
	files["skew-partition-share.svg"] = BarChart("Skew: largest shuffle partition's share of rows (%)", "percent", ss, sh)
	b.WriteString("\n![skew times](skew-times.svg)\n\n![skew partition share](skew-partition-share.svg)\n\n")
}

// Write writes the report's files into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for name, text := range r.Files() {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	return nil
}
