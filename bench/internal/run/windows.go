package run

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

// The windows-and-sketches section (issue 12's benchmarks): window functions, a range
// join and an approximate distinct count, in kindling and DuckDB on the same data.
//
// Unlike the group-by and join sections, kindling reads its inputs the way a user's
// program does: the generated tables are written once as Parquet through kindling's own
// writer (Dataset.WriteParquet) and every timed kindling query starts from
// Session.ReadParquet with the default reader settings, so kindling's times include
// reading and decoding the files. DuckDB loads the same files into its tables before
// timing, as the other sections do, so its times do not: the ratios are an upper bound
// of kindling's query cost against DuckDB's. The section's notes give DuckDB's time for
// the same question reading the Parquet files in the query as well (read_parquet in
// place of each table), the like-for-like figure for a query that starts from files.
//
// Both engines' answers are checked against an exact computation in Go over the
// generated columns (not against each other): for w1..w3 exactly (relative 1e-6), for
// w4, whose HyperLogLog estimates differ between engines, within windowSketchTolerance.
//
// Tables, for N rows (-n):
//
//	w       N rows: k (N/100 keys, uniform), t (a permutation of 0..N-1, so that every
//	        key's rows have distinct times and the order is unique; rows are not stored
//	        in t order), v (int64 in [0, 1000)), g (100 groups), x (int64 in [0, N/10))
//	events  N/10 rows: ts (int64, uniform in [0, 1e9))
//	ranges  1000 rows: id, lo, hi with hi - lo = 1e6, so that each range holds about
//	        0.1% of the events (kindling joins them through an interval index on the
//	        broadcast ranges: sorted by lo with a running max of hi, so each event
//	        visits only the ranges that can hold it)
//
// Questions:
//
//	w1  row_number() over (partition by k order by t desc), filtered to rn = 1: the latest
//	    row per key (N/100 rows; sums of v and t checked)
//	w2  sum(v) over (partition by k order by t rows between unbounded preceding and
//	    current row), reduced to its sum and the row count so that the answer is small
//	w3  events ⋈ ranges on ts BETWEEN lo AND hi, counted per range
//	w4  approx_count_distinct(x) by g (kindling's default rsd 0.05; DuckDB's
//	    approx_count_distinct)
//	w5  row_number() over (partition by k order by t) on every row, reduced to
//	    sum(rn * v) (which checks each row's number, not only the counts) and the count
//
// Semantics: the columns have no NULLs, the window order keys are unique and the int64
// sums are far from overflow, so DuckDB's answers are Spark's on this data and the SQL
// is the plain translation. The differences that remain, and how the check absorbs them:
//
//	Function                 DuckDB                              Spark (kindling)                    DuckDB SQL used
//	sum(BIGINT) (w2's rs)    HUGEINT result                      BIGINT result (wraps on overflow)   sum(v), compared as DOUBLE
//	approx_count_distinct    its own HyperLogLog: estimates      HyperLogLog with rsd 0.05 (Spark's  approx_count_distinct(x); both
//	                         differ from Spark's                 default), hashed with kindling's    checked against the exact count
//	                                                             hash, not Murmur3                   (3% on the sum, 25% per group)
//	ORDER BY t (w1, w2)      NULLS LAST, ASC and DESC alike      ASC NULLS FIRST, DESC NULLS LAST    t has no NULLs: no rewrite

// windowSketchTolerance is w4's relative tolerance on the sum of the per-group estimates.
// Each group's estimate has a relative standard error of about 5% (kindling's default
// rsd 0.05; DuckDB's HyperLogLog is more precise), and the sum over 100 independent
// groups about 0.5%; 3% is six standard errors of the sum, and a per-group bound
// (windowSketchGroupTolerance, 5 standard errors of one group) catches a wrong group
// that the sum would average away.
const (
	windowSketchTolerance      = 0.03
	windowSketchGroupTolerance = 0.25
)

// windowQuestion is one question of the windows section: its DuckDB SQL (in Q), its
// kindling query over the Parquet files, the exact answer and the check's tolerance.
// Q.Kindling stays nil: the section runs the query through build (it needs the
// session to read the files).
type windowQuestion struct {
	Q     Question
	build func(s *dataset.Session, f windowFiles) *dataset.Dataset
	// tol is the relative tolerance of the sums against exact (Tolerance if 0).
	tol float64
	// groupCheck, if set, checks the result's rows one by one (w4's per-group bound).
	groupCheck func(recs []arrow.RecordBatch) error
}

// windowFiles are the Parquet directories kindling's writer produced.
type windowFiles struct{ W, Events, Ranges string }

// windowData is the section's generated data as Go slices.
type windowData struct {
	N, Keys, Groups int
	K, T, V, G, X   []int64
	TS              []int64
	ID, Lo, Hi      []int64
}

const (
	windowGroups  = 100
	windowTSRange = 1_000_000_000
	windowRangeW  = 1_000_000
)

// newWindowData generates the section's tables for n rows with seed.
func newWindowData(n int, seed uint64) *windowData {
	d := &windowData{N: n, Keys: max(1, n/100), Groups: windowGroups}
	r := rand.New(rand.NewPCG(seed, 0x77696e646f7773))
	d.K, d.T, d.V, d.G, d.X = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	// t = i*p mod n is a permutation of 0..n-1 for p prime to n (a prime larger than n).
	const p = 1_000_000_007
	distinct := max(1, n/10)
	for i := range n {
		d.K[i] = int64(r.IntN(d.Keys))
		d.T[i] = int64((uint64(i) * p) % uint64(n))
		d.V[i] = int64(r.IntN(1000))
		d.G[i] = int64(r.IntN(d.Groups))
		d.X[i] = int64(r.IntN(distinct))
	}
	ne := max(1, n/10)
	d.TS = make([]int64, ne)
	for i := range d.TS {
		d.TS[i] = r.Int64N(windowTSRange)
	}
	const nr = 1000
	d.ID, d.Lo, d.Hi = make([]int64, nr), make([]int64, nr), make([]int64, nr)
	for i := range nr {
		d.ID[i] = int64(i)
		d.Lo[i] = r.Int64N(windowTSRange - windowRangeW)
		d.Hi[i] = d.Lo[i] + windowRangeW
	}
	return d
}

// record builds one record batch of int64 columns (zero-copy over the slices).
func int64Record(names []string, cols ...[]int64) arrow.RecordBatch {
	fields := make([]arrow.Field, len(names))
	arrs := make([]arrow.Array, len(names))
	for i, name := range names {
		fields[i] = arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64}
		arrs[i] = gen.Int64Array(cols[i])
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(cols[0])))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// writeFiles writes the tables as Parquet directories under dir through kindling's
// writer, each in parts partitions (part files), as a user's earlier job would have.
func (d *windowData) writeFiles(ctx context.Context, dir string, parts int) (windowFiles, error) {
	f := windowFiles{W: filepath.Join(dir, "w"), Events: filepath.Join(dir, "events"), Ranges: filepath.Join(dir, "ranges")}
	s, err := dataset.NewSession(dataset.Config{})
	if err != nil {
		return f, err
	}
	defer s.Close()
	for _, t := range []struct {
		path  string
		names []string
		cols  [][]int64
		parts int
	}{
		{f.W, []string{"k", "t", "v", "g", "x"}, [][]int64{d.K, d.T, d.V, d.G, d.X}, parts},
		{f.Events, []string{"ts"}, [][]int64{d.TS}, parts},
		{f.Ranges, []string{"id", "lo", "hi"}, [][]int64{d.ID, d.Lo, d.Hi}, 1},
	} {
		if err := os.RemoveAll(t.path); err != nil {
			return f, err
		}
		n := len(t.cols[0])
		var ps [][]arrow.RecordBatch
		for _, rg := range (gen.Layout{Partitions: t.parts, ChunkRows: 1 << 20}).Ranges(n) {
			var p []arrow.RecordBatch
			for _, c := range rg {
				cols := make([][]int64, len(t.cols))
				for j := range t.cols {
					cols[j] = t.cols[j][c[0]:c[1]]
				}
				p = append(p, int64Record(t.names, cols...))
			}
			ps = append(ps, p)
		}
		err := s.FromPartitions(ps[0][0].Schema(), ps...).WriteParquet(ctx, t.path)
		gen.Release(ps)
		if err != nil {
			return f, fmt.Errorf("run: writing %s: %w", t.path, err)
		}
	}
	return f, nil
}

// exact computes every question's answer directly from the slices: the independent
// reference both engines are checked against.
func (d *windowData) exact() map[string]Answer {
	out := map[string]Answer{}
	// w1: per key, the row with the largest t.
	best := make([]int, d.Keys)
	for i := range best {
		best[i] = -1
	}
	for i, k := range d.K {
		if b := best[k]; b < 0 || d.T[i] > d.T[b] {
			best[k] = i
		}
	}
	var a1 Answer
	a1.Sums = map[string]float64{"v": 0, "t": 0}
	for _, b := range best {
		if b >= 0 {
			a1.Rows++
			a1.Sums["v"] += float64(d.V[b])
			a1.Sums["t"] += float64(d.T[b])
		}
	}
	out["w1"] = a1
	// w2: rows in t order (t is a permutation: order[t] = row), a running sum per key.
	order := make([]int32, d.N)
	for i, t := range d.T {
		order[t] = int32(i)
	}
	run := make([]int64, d.Keys)
	var total int64
	for _, i := range order {
		run[d.K[i]] += d.V[i]
		total += run[d.K[i]]
	}
	out["w2"] = Answer{Rows: 1, Sums: map[string]float64{"rs": float64(total), "n": float64(d.N)}}
	// w5: row numbers per key in the same t order.
	seen := make([]int64, d.Keys)
	var rnv int64
	for _, i := range order {
		seen[d.K[i]]++
		rnv += seen[d.K[i]] * d.V[i]
	}
	out["w5"] = Answer{Rows: 1, Sums: map[string]float64{"s": float64(rnv), "n": float64(d.N)}}
	// w3: events per range, by binary search over the sorted times.
	ts := slices.Clone(d.TS)
	slices.Sort(ts)
	var a3 Answer
	var pairs int64
	for i := range d.ID {
		lo, _ := slices.BinarySearch(ts, d.Lo[i])
		hi, _ := slices.BinarySearch(ts, d.Hi[i]+1)
		if hi > lo {
			a3.Rows++
			pairs += int64(hi - lo)
		}
	}
	a3.Sums = map[string]float64{"n": float64(pairs)}
	out["w3"] = a3
	// w4: distinct x per group, with one bitmap per group.
	exact := d.distinctPerGroup()
	var a4 Answer
	var sum4 float64
	for _, c := range exact {
		if c > 0 {
			a4.Rows++
			sum4 += float64(c)
		}
	}
	a4.Sums = map[string]float64{"n": sum4}
	out["w4"] = a4
	return out
}

// distinctPerGroup is the exact count of distinct x in each group g.
func (d *windowData) distinctPerGroup() []int64 {
	words := (max(1, d.N/10) + 63) / 64
	bits := make([][]uint64, d.Groups)
	for i := range bits {
		bits[i] = make([]uint64, words)
	}
	counts := make([]int64, d.Groups)
	for i, x := range d.X {
		w, m := &bits[d.G[i]][x>>6], uint64(1)<<(x&63)
		if *w&m == 0 {
			*w |= m
			counts[d.G[i]]++
		}
	}
	return counts
}

// windowQuestions are the section's questions; exactPerGroup is w4's exact distinct
// count per group (for its per-group check).
func windowQuestions(exactPerGroup []int64) []windowQuestion {
	byKT := dataset.PartitionBy("k").OrderBy(dataset.Desc("t"))
	running := dataset.PartitionBy("k").OrderBy(dataset.Asc("t")).RowsBetween(dataset.UnboundedPreceding, dataset.CurrentRow)
	return []windowQuestion{
		{Q: Question{Name: "w1", Desc: "row_number = 1 by k (latest row)", Check: []string{"v", "t"},
			SQL: "SELECT k, t, v FROM (SELECT k, t, v, row_number() OVER (PARTITION BY k ORDER BY t DESC) AS rn FROM w) WHERE rn = 1"},
			build: func(s *dataset.Session, f windowFiles) *dataset.Dataset {
				return s.ReadParquet(f.W).
					WithColumn("rn", dataset.RowNumber().Over(byKT)).
					Filter(col("rn").Eq(dataset.Lit(int64(1)))).
					Select(col("k"), col("t"), col("v"))
			}},
		{Q: Question{Name: "w2", Desc: "running sum v by k, summed", Check: []string{"rs", "n"},
			SQL: "SELECT sum(rs) AS rs, count(*) AS n FROM (SELECT sum(v) OVER (PARTITION BY k ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS rs FROM w)"},
			build: func(s *dataset.Session, f windowFiles) *dataset.Dataset {
				return s.ReadParquet(f.W).
					WithColumn("rs", dataset.Sum("v").Over(running)).
					GroupBy().Agg(sum("rs").As("rs"), dataset.Count().As("n"))
			}},
		{Q: Question{Name: "w3", Desc: "range join ts between lo and hi, count", Check: []string{"n"},
			SQL: "SELECT id, count(*) AS n FROM events JOIN ranges ON ts BETWEEN lo AND hi GROUP BY id"},
			build: func(s *dataset.Session, f windowFiles) *dataset.Dataset {
				return s.ReadParquet(f.Events).
					JoinWhere(s.ReadParquet(f.Ranges), col("ts").Between(col("lo"), col("hi")), inner).
					GroupBy("id").Agg(dataset.Count().As("n"))
			}},
		{Q: Question{Name: "w4", Desc: "approx_count_distinct x by g", Check: []string{"n"},
			SQL: "SELECT g, approx_count_distinct(x) AS n FROM w GROUP BY g"},
			tol: windowSketchTolerance,
			build: func(s *dataset.Session, f windowFiles) *dataset.Dataset {
				return s.ReadParquet(f.W).GroupBy("g").Agg(dataset.ApproxCountDistinct("x", 0).As("n"))
			},
			groupCheck: func(recs []arrow.RecordBatch) error { return checkPerGroup(recs, exactPerGroup) }},
		{Q: Question{Name: "w5", Desc: "row_number by k on every row, sum(rn*v)", Check: []string{"s", "n"},
			SQL: "SELECT sum(rn * v) AS s, count(*) AS n FROM (SELECT v, row_number() OVER (PARTITION BY k ORDER BY t) AS rn FROM w)"},
			build: func(s *dataset.Session, f windowFiles) *dataset.Dataset {
				byT := dataset.PartitionBy("k").OrderBy(dataset.Asc("t"))
				return s.ReadParquet(f.W).
					WithColumn("rn", dataset.RowNumber().Over(byT)).
					GroupBy().Agg(dataset.SumExpr(col("rn").Mul(col("v"))).As("s"), dataset.Count().As("n"))
			}},
	}
}

// checkPerGroup checks every group's estimate n against the exact count of its group g.
func checkPerGroup(recs []arrow.RecordBatch, exact []int64) error {
	for _, r := range recs {
		gi, ni := r.Schema().FieldIndices("g"), r.Schema().FieldIndices("n")
		if len(gi) == 0 || len(ni) == 0 {
			return fmt.Errorf("run: result has no column g or n (has %s)", r.Schema())
		}
		g, ok1 := r.Column(gi[0]).(*array.Int64)
		n, ok2 := r.Column(ni[0]).(*array.Int64)
		if !ok1 || !ok2 {
			return fmt.Errorf("run: g, n are %s, %s, want int64", r.Column(gi[0]).DataType(), r.Column(ni[0]).DataType())
		}
		for i := range g.Len() {
			k := g.Value(i)
			if k < 0 || int(k) >= len(exact) {
				return fmt.Errorf("run: unknown group %d", k)
			}
			e := float64(exact[k])
			if math.Abs(float64(n.Value(i))-e) > windowSketchGroupTolerance*e {
				return fmt.Errorf("group %d: estimate %d, exact %d (beyond %.0f%%)", k, n.Value(i), exact[k], 100*windowSketchGroupTolerance)
			}
		}
	}
	return nil
}

// matchTol is Match with a relative tolerance tol instead of Tolerance.
func matchTol(got, want Answer, tol float64) error {
	if tol <= 0 {
		return Match(got, want)
	}
	var bad []string
	if got.Rows != want.Rows {
		bad = append(bad, fmt.Sprintf("rows %d, want %d", got.Rows, want.Rows))
	}
	for name, w := range want.Sums {
		if g := got.Sums[name]; math.Abs(g-w) > tol*max(1, math.Abs(w)) {
			bad = append(bad, fmt.Sprintf("sum(%s) = %.10g, want %.10g ± %g%%", name, g, w, 100*tol))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("answers differ: %v", bad)
	}
	return nil
}

// RunWindows generates the windows section's tables, writes them as Parquet with
// kindling, loads them into DuckDB and runs the questions in DuckDB, then in kindling
// (reading the files), checking each engine's answers against the exact ones.
func RunWindows(ctx context.Context, o *Options) (*SectionResult, error) {
	start := time.Now()
	d := newWindowData(o.N, o.Seed)
	want := d.exact()
	wqs := windowQuestions(d.distinctPerGroup())
	res := &SectionResult{Name: "windows", Title: fmt.Sprintf("Windows, range join and sketches (%s rows)", sizeName(o.N)),
		LoadPath: "Load path (the user's): kindling reads the Parquet files its writer wrote in every question (ReadParquet, default config; " +
			"the read is in the time); DuckDB's times are over its tables loaded from the same files.",
		Notes: []string{"Answers of both are checked against an exact computation in Go (w4: within 3% on the sum, 25% per group)."}}
	dir, err := os.MkdirTemp(o.TmpDir, "windows-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files, err := d.writeFiles(ctx, dir, o.Parts)
	if err != nil {
		return nil, err
	}
	res.GenTime = time.Since(start)
	o.logf("windows: generated and wrote %d rows (%d keys), %d events, %d ranges in %v", d.N, d.Keys, len(d.TS), len(d.ID), res.GenTime.Round(time.Millisecond))
	res.InputBytes = 8 * int64(5*len(d.K)+len(d.TS)+3*len(d.ID))
	d = nil // the slices are no longer needed: let the engines have the memory

	var qs []windowQuestion
	for _, q := range wqs {
		if len(o.Only) == 0 || o.Only[q.Q.Name] {
			qs = append(qs, q)
		}
	}
	var duck []Measure
	parquetTimes := make([]Measure, len(qs))
	noteOf := make([]int, len(qs)) // the index in res.Notes of each question's note
	if o.DuckDB {
		start = time.Now()
		db, err := OpenDuck(ctx, o.Threads)
		if err != nil {
			return nil, err
		}
		for name, path := range map[string]string{"w": files.W, "events": files.Events, "ranges": files.Ranges} {
			if err := db.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM read_parquet('%s/*.parquet')", name, path)); err != nil {
				db.Close()
				return nil, err
			}
		}
		res.LoadTime = time.Since(start)
		res.DuckInputBytes = db.MemoryUsage(ctx)
		o.logf("windows: DuckDB loaded in %v", res.LoadTime.Round(time.Millisecond))
		plain := make([]Question, len(qs))
		for i, q := range qs {
			plain[i] = q.Q
		}
		duck = runDuck(ctx, o, db, plain)
		for i, q := range plain {
			pq := q
			pq.SQL = fromParquet(q.SQL, files)
			ms := make([]Measure, 0, o.Runs)
			for r := 0; r < o.Runs; r++ {
				ms = append(ms, duckRun(ctx, db, pq, r == 0))
			}
			m := best(ms)
			note := fmt.Sprintf("%s: DuckDB reading the Parquet files in the query: ", q.Name)
			if m.Err != nil {
				note += "error: " + m.Err.Error()
			} else {
				note += secs(m.Time) + " s"
				if err := matchTol(m.Answer, want[q.Name], qs[i].tol); err != nil {
					note += ", MISMATCH: " + err.Error()
				}
			}
			parquetTimes[i] = m
			noteOf[i] = len(res.Notes)
			res.Notes = append(res.Notes, note)
		}
		db.Close()
	}
	cfg := dataset.Config{Parallelism: o.Threads}
	for i, q := range qs {
		r := QuestionResult{Q: q.Q}
		var groupErr error
		ms := make([]Measure, 0, o.Runs)
		for run := 0; run < o.Runs; run++ {
			profile := ""
			if o.ProfileDir != "" && run == o.Runs-1 {
				profile = filepath.Join(o.ProfileDir, fmt.Sprintf("kindling-windows-%s.pprof", q.Q.Name))
			}
			var check func([]arrow.RecordBatch)
			if q.groupCheck != nil && run == 0 {
				check = func(recs []arrow.RecordBatch) { groupErr = q.groupCheck(recs) }
			}
			ms = append(ms, kindlingRunFiles(ctx, cfg, q.Q.Check, runSpec{profile: profile, fresh: run == 0}, check,
				func(s *dataset.Session) *dataset.Dataset { return q.build(s, files) }))
		}
		r.Kindling = best(ms)
		if duck != nil {
			r.Duck = duck[i]
		}
		w := want[q.Q.Name]
		switch {
		case r.Kindling.Err != nil:
			r.Status = "kindling error: " + r.Kindling.Err.Error()
		case matchTol(r.Kindling.Answer, w, q.tol) != nil:
			r.Status = "kindling MISMATCH: " + matchTol(r.Kindling.Answer, w, q.tol).Error()
		case groupErr != nil:
			r.Status = "kindling MISMATCH: " + groupErr.Error()
		case duck == nil:
			r.Status = "unchecked"
		case r.Duck.Err != nil:
			r.Status = "DuckDB error: " + r.Duck.Err.Error()
		case matchTol(r.Duck.Answer, w, q.tol) != nil:
			r.Status = "DuckDB MISMATCH: " + matchTol(r.Duck.Answer, w, q.tol).Error()
		default:
			r.Status = "ok"
		}
		if pt := parquetTimes[i]; pt.Err == nil && pt.Time > 0 && r.Kindling.Err == nil {
			res.Notes[noteOf[i]] += fmt.Sprintf(" (kindling / that: %s)", ratio(r.Kindling.Time, pt.Time))
		}
		o.logf("  kindling %-4s %-28s %9.3fs  %s", q.Q.Name, q.Q.Desc, r.Kindling.Time.Seconds(), r.Status)
		res.Questions = append(res.Questions, r)
	}
	return res, nil
}

// kindlingRunFiles is kindlingRun for a query that reads files: build gets the fresh
// session. check, if set, sees the result batches before they are released.
func kindlingRunFiles(ctx context.Context, cfg dataset.Config, cols []string, rs runSpec,
	check func([]arrow.RecordBatch), build func(s *dataset.Session) *dataset.Dataset) Measure {
	m := kindlingRun(ctx, cfg, nil, cols, rs, func(s *dataset.Session, _ Inputs) *dataset.Dataset {
		return build(s)
	})
	if check != nil && m.Err == nil {
		// kindlingRun releases its batches; the check runs the query once more, untimed.
		s, err := dataset.NewSession(cfg)
		if err != nil {
			return Measure{Err: err}
		}
		defer s.Close()
		recs, err := build(s).Collect(ctx)
		if err != nil {
			return Measure{Err: err}
		}
		check(recs)
		for _, r := range recs {
			r.Release()
		}
	}
	return m
}

// fromParquet rewrites a question's SQL to read the Parquet directories in place of the
// loaded tables (the table names occur only as FROM and JOIN targets).
func fromParquet(sql string, f windowFiles) string {
	for _, t := range []struct{ name, dir string }{{"w", f.W}, {"events", f.Events}, {"ranges", f.Ranges}} {
		src := fmt.Sprintf("read_parquet('%s/*.parquet')", t.dir)
		sql = strings.ReplaceAll(sql, "FROM "+t.name+" ", "FROM "+src+" ")
		sql = strings.ReplaceAll(sql, "FROM "+t.name+")", "FROM "+src+")")
		sql = strings.ReplaceAll(sql, "JOIN "+t.name+" ", "JOIN "+src+" ")
		if strings.HasSuffix(sql, "FROM "+t.name) {
			sql = strings.TrimSuffix(sql, t.name) + src
		}
	}
	return sql
}
