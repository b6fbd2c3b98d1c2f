package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// hundred is 100 rows over 4 partitions of batches of 7 rows: id 0..99; v NULL where id
// is a multiple of 10, else id; c "a" below 50, "b" below 90, "z" from 90 on. Every
// count the expectations below measure follows from that by hand.
func hundred(t *testing.T, f *fixture, n int) *Dataset {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "c", Type: arrow.BinaryTypes.String},
	}, nil)
	parts := make([][]arrow.RecordBatch, 4)
	for lo := 0; lo < n; lo += 7 {
		b := array.NewRecordBuilder(f.mem, schema)
		for i := lo; i < min(lo+7, n); i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			if i%10 == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.Int64Builder).Append(int64(i))
			}
			c := "z"
			if i < 50 {
				c = "a"
			} else if i < 90 {
				c = "b"
			}
			b.Field(2).(*array.StringBuilder).Append(c)
		}
		p := lo * 4 / max(n, 1)
		parts[p] = append(parts[p], b.NewRecordBatch())
		b.Release()
	}
	d := f.s.FromPartitions(schema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	return d
}

// TestExpectEdges holds each expectation to a bound it meets exactly and to the next
// float64 (or integer) past it: exactly at the bound passes, one step beyond fails.
func TestExpectEdges(t *testing.T) {
	f := newFixture(t, []int{0}, Config{})
	d := hundred(t, f, 100)
	below := func(x float64) float64 { return math.Nextafter(x, 0) }
	above := func(x float64) float64 { return math.Nextafter(x, 1) }
	cases := []struct {
		e      Expectation
		passed bool
	}{
		{NullRatioAtMost("nulls 0.1", "v", 0.1), true},
		{NullRatioAtMost("nulls below 0.1", "v", below(0.1)), false},
		{NullRatioAtMost("no nulls in id", "id", 0), true},
		{PassRatioAtLeast("id<90 at 0.9", Col("id").Lt(Lit(90)), 0.9), true},
		{PassRatioAtLeast("id<90 above 0.9", Col("id").Lt(Lit(90)), above(0.9)), false},
		// v > -1 is NULL on the ten NULL rows, which do not pass.
		{PassRatioAtLeast("v>-1 at 0.9", Col("v").Gt(Lit(-1)), 0.9), true},
		{PassRatioAtLeast("v>-1 above 0.9", Col("v").Gt(Lit(-1)), above(0.9)), false},
		{ValuesIn("c in a,b,z", "c", "a", "b", "z"), true},
		{ValuesIn("c in a,b", "c", "a", "b"), false},
		{ValuesIn("v: NULLs pass", "v", anyRange(1, 100)...), true},
		{ValuesBetween("id in [0,99]", "id", 0, 99), true},
		{ValuesBetween("id in [0,98]", "id", 0, 98), false},
		{ValuesBetween("id in [1,99]", "id", 1, 99), false},
		{ValuesBetween("v in [1,99]: NULLs pass", "v", 1, 99), true},
		{RowCountBetween("rows in [100,100]", 100, 100), true},
		{RowCountBetween("rows in [101,200]", 101, 200), false},
		{RowCountBetween("rows in [0,99]", 0, 99), false},
		{RowCountNotBelow("125 drop 0.2", 125, 0.2), true},
		{RowCountNotBelow("125 drop below 0.2", 125, below(0.2)), false},
		{RowCountNotBelow("100 drop 0", 100, 0), true},
		{RowCountNotBelow("101 drop 0", 101, 0), false},
		{RowCountNotBelow("first run", 0, 0), true},
		{RowCountEquals("equals 100", hundred(t, f, 100)), true},
		{RowCountEquals("equals 99", hundred(t, f, 99)), false},
		{UniqueKey("id unique", "id"), true},
		{UniqueKey("c,id unique", "c", "id"), true},
		{UniqueKey("c not unique", "c"), false},
		{UniqueKey("v: NULLs are one key", "v"), false},
	}
	exps := make([]Expectation, len(cases))
	for i, c := range cases {
		exps[i] = c.e
	}
	rep, err := d.Validate(t.Context(), exps...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(cases) {
		t.Fatalf("%d results for %d expectations", len(rep.Results), len(cases))
	}
	for i, r := range rep.Results {
		if r.Name != cases[i].e.Name() || r.Passed != cases[i].passed {
			t.Errorf("%s: passed %v (observed %v, threshold %s), want %v", r.Name, r.Passed, r.Observed, r.Threshold, cases[i].passed)
		}
	}
	byName := map[string]ExpectationResult{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	for name, want := range map[string]string{
		"c in a,b":             "10 of 100 rows outside, e.g. z",
		"id in [0,98]":         "1 of 100 rows outside, e.g. 99",
		"c not unique":         "3 keys occur more than once, in 100 rows, e.g. c=",
		"v: NULLs are one key": "1 key occurs more than once, in 10 rows, e.g. v=null",
		"125 drop 0.2":         "20% fewer rows than the previous 125",
	} {
		if got := byName[name].Detail; !strings.HasPrefix(got, want) {
			t.Errorf("%s: detail %q, want %q", name, got, want)
		}
	}
	if got := byName["125 drop 0.2"].Threshold; got != ">= 100 (125 - 20%)" {
		t.Errorf("drop threshold %q", got)
	}
}

func anyRange(lo, hi int) []any {
	var out []any
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// goCounts computes over the fixture's rows what the row-level expectations of
// fixtureExpectations measure.
type goCounts struct {
	rows, kNulls, xPos, kOutside, xOutside, dupKeys int64
}

func countInGo(rows []testRow) goCounts {
	var c goCounts
	keys := map[string]int{}
	for _, r := range rows {
		c.rows++
		if r.k == nil {
			c.kNulls++
		} else if *r.k != "a" && *r.k != "b" {
			c.kOutside++
		}
		if r.x != nil && *r.x > 0 {
			c.xPos++
		}
		if r.x != nil && (*r.x < 0 || *r.x > 100) {
			c.xOutside++
		}
		key := "null"
		if r.k != nil {
			key = "k" + *r.k
		}
		if r.g != nil {
			key += fmt.Sprintf("/%d", *r.g)
		} else {
			key += "/null"
		}
		keys[key]++
	}
	for _, n := range keys {
		if n > 1 {
			c.dupKeys++
		}
	}
	return c
}

func fixtureExpectations() []Expectation {
	return []Expectation{
		NullRatioAtMost("k nulls", "k", 0.05),
		PassRatioAtLeast("x positive", Col("x").Gt(Lit(0)), 0.5),
		ValuesIn("k in a,b", "k", "a", "b"),
		ValuesBetween("x in [0,100]", "x", 0, 100),
		RowCountBetween("rows", 1, 2000),
	}
}

// checkFixtureResults compares the results of fixtureExpectations with c.
func checkFixtureResults(t *testing.T, rep ExpectationReport, c goCounts) {
	t.Helper()
	ratio := func(a, b int64, empty float64) float64 {
		if b == 0 {
			return empty
		}
		return float64(a) / float64(b)
	}
	want := map[string]float64{
		"k nulls":      ratio(c.kNulls, c.rows, 0),
		"x positive":   ratio(c.xPos, c.rows, 1),
		"k in a,b":     float64(c.kOutside),
		"x in [0,100]": float64(c.xOutside),
		"rows":         float64(c.rows),
		"k,g unique":   float64(c.dupKeys),
	}
	seen := 0
	for _, r := range rep.Results {
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		seen++
		if r.Observed != w {
			t.Errorf("%s: observed %v, computed in Go %v", r.Name, r.Observed, w)
		}
	}
	if seen == 0 {
		t.Fatalf("no result to check in %v", rep)
	}
}

// jobsDuring returns the actions of the jobs fn ran.
func jobsDuring(s *Session, fn func()) []string {
	before := len(s.Jobs())
	fn()
	var out []string
	for _, j := range s.Jobs()[before:] {
		out = append(out, j.Action)
	}
	return out
}

// TestExpectCountsInTheSameJob: over every partition shape, the counts an action's own
// job measures equal those computed in Go over the same rows, the action's result is
// the dataset's (hidden columns dropped), and no other job ran.
func TestExpectCountsInTheSameJob(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			e := f.ds.Expect(Warn, fixtureExpectations()...)
			var n int64
			jobs := jobsDuring(f.s, func() {
				var err error
				if n, err = e.Count(t.Context()); err != nil {
					t.Fatal(err)
				}
			})
			if !slices.Equal(jobs, []string{"count"}) {
				t.Errorf("jobs %v, want only the count", jobs)
			}
			c := countInGo(f.rows)
			if n != c.rows {
				t.Errorf("count %d, want %d", n, c.rows)
			}
			checkFixtureResults(t, e.ExpectationResults(), c)

			schema, err := e.Schema()
			if err != nil || !schema.Equal(testSchema) {
				t.Fatalf("schema %v (%v), want the input's", schema, err)
			}
			got := collectRows(t, e)
			if len(got) != len(f.rows) {
				t.Errorf("collected %d rows, want %d", len(got), len(f.rows))
			}
			checkFixtureResults(t, e.ExpectationResults(), c)
		})
	}
}

// TestExpectAcrossPlans puts the expecting stage where its partitions are not the
// input's: after a shuffle (adaptive execution coalesces its small partitions), under a
// coalesce, under a limit, under a union with itself, behind a cache. The counts are
// those of the whole dataset, once, whether measured in the action's job or, where it
// could not see every row once, by a job of their own.
func TestExpectAcrossPlans(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{ShufflePartitions: 16})
	c := countInGo(f.rows)
	exps := append(fixtureExpectations(), UniqueKey("k,g unique", "k", "g"))
	shuffled := f.ds.Repartition(16, "k").Expect(Warn, exps...)
	e := f.ds.Expect(Warn, exps...)
	cached := e.Cache()
	for _, tc := range []struct {
		name string
		run  func() error
		ds   *Dataset
		own  bool // the checks need a job of their own
	}{
		{"after a shuffle", func() error { _, err := shuffled.Count(t.Context()); return err }, shuffled, false},
		{"under a coalesce", func() error { _, err := e.Coalesce(2).Count(t.Context()); return err }, e, false},
		{"under a limit", func() error { recs, err := e.Take(t.Context(), 3); releaseAll(recs); return err }, e, true},
		{"in a self-union", func() error { _, err := e.Union(e).Count(t.Context()); return err }, e, true},
		{"caching", func() error { _, err := cached.Count(t.Context()); return err }, cached, false},
		{"from the cache", func() error { _, err := cached.Count(t.Context()); return err }, cached, true},
		{"through SQL", func() error {
			if err := e.CreateOrReplaceTempView("expecting"); err != nil {
				return err
			}
			q, err := f.s.SQL("SELECT k, count(*) FROM expecting GROUP BY k")
			if err != nil {
				return err
			}
			recs, err := q.Collect(t.Context())
			releaseAll(recs)
			return err
		}, e, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			jobs := jobsDuring(f.s, func() { err = tc.run() })
			if err != nil {
				t.Fatal(err)
			}
			// One job for the uniqueness check, one more if the counts needed their own.
			want := 1
			if tc.own {
				want++
			}
			if got := strings.Count(strings.Join(jobs, " "), "expect"); got != want {
				t.Errorf("jobs %v: %d of the checks, want %d", jobs, got, want)
			}
			checkFixtureResults(t, tc.ds.ExpectationResults(), c)
		})
	}
	cached.Unpersist()
}

// TestExpectRetriesCountOnce fails the first attempt of every task of the expecting
// stage, at its first batch or after its last one (when the stage has counted the whole
// partition): the retried attempt counts the partition again, and only it is kept.
func TestExpectRetriesCountOnce(t *testing.T) {
	for _, failAt := range []int{1, 0} {
		t.Run(fmt.Sprintf("failAt=%d", failAt), func(t *testing.T) {
			f := newFixture(t, partitionSizes["mixed"], Config{MaxTaskAttempts: 3})
			e := f.ds.Expect(Fail, fixtureExpectations()[:4]...)
			var mu sync.Mutex
			attempts := map[int]int{}
			flaky := e.MapPartitions("flaky", nil, func(_ context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], _ memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
				mu.Lock()
				attempts[p]++
				first := attempts[p] == 1
				mu.Unlock()
				return func(yield func(arrow.RecordBatch, error) bool) {
					n := 0
					for rec, err := range in {
						if err != nil {
							yield(nil, err)
							return
						}
						if n++; first && n == failAt {
							yield(nil, errors.New("injected failure"))
							return
						}
						rec.Retain()
						if !yield(rec, nil) {
							return
						}
					}
					if first && (failAt == 0 || n < failAt) {
						yield(nil, errors.New("injected failure at the end"))
					}
				}
			})
			_, err := flaky.Count(t.Context())
			var ee *ExpectationError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want the failed expectations", err)
			}
			retries := 0
			for _, s := range f.s.LastJob().Stages {
				retries += s.Retries
			}
			if retries < len(partitionSizes["mixed"]) {
				t.Fatalf("%d retries: the injection did not fail every task once", retries)
			}
			checkFixtureResults(t, ee.Report, countInGo(f.rows))
		})
	}
}

// TestExpectPolicies: under Fail the action fails with every failed expectation (and
// only those) listed with its observed value and threshold, and returns no rows; under
// Warn it succeeds and logs each failure at warn level.
func TestExpectPolicies(t *testing.T) {
	var logs strings.Builder
	f := newFixture(t, []int{0}, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	d := hundred(t, f, 100)
	exps := []Expectation{
		RowCountBetween("rows", 0, 50),
		NullRatioAtMost("v nulls", "v", 0.5),
		ValuesIn("c known", "c", "a", "b"),
	}
	recs, err := d.Expect(Fail, exps...).Collect(t.Context())
	if recs != nil {
		t.Errorf("a failed action returned %d batches", len(recs))
	}
	var ee *ExpectationError
	if !errors.Is(err, ErrExpectationFailed) || !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an ExpectationError", err)
	}
	var names []string
	for _, r := range ee.Failed() {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"rows", "c known"}) || len(ee.Report.Results) != 3 {
		t.Errorf("failed %v of %d results", names, len(ee.Report.Results))
	}
	for _, w := range []string{"collect: 2 expectations failed", "rows (row count): observed 100, want in [0, 50]",
		"c known (c in {a, b}): observed 10, want == 0 (10 of 100 rows outside, e.g. z)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("Fail logged: %s", logs.String())
	}

	warned := d.Expect(Warn, exps...)
	if n, err := warned.Count(t.Context()); err != nil || n != 100 {
		t.Fatalf("Warn: count %d, %v", n, err)
	}
	if got := strings.Count(logs.String(), "level=WARN msg=\"dataset: expectation failed\""); got != 2 {
		t.Errorf("%d warnings logged, want 2:\n%s", got, logs.String())
	}
	for _, w := range []string{"action=count expectation=rows", "observed=100", `threshold="in [0, 50]"`, "expectation=\"c known\""} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logs.String())
		}
	}
	if rep := warned.ExpectationResults(); len(rep.Results) != 3 || len(rep.Failed()) != 2 || rep.Passed() {
		t.Errorf("results after Warn: %v", rep)
	}

	// Two gates in one lineage: both evaluated by the one job, each with its policy.
	logs.Reset()
	both := d.Expect(Warn, exps[0]).Filter(Col("id").Lt(Lit(60))).Expect(Fail, RowCountBetween("filtered", 60, 60))
	if _, err := both.Count(t.Context()); err != nil {
		t.Fatalf("nested gates: %v", err)
	}
	if rep := both.ExpectationResults(); len(rep.Results) != 2 || rep.Results[0].Name != "rows" || !rep.Results[1].Passed {
		t.Errorf("nested gates' results %v", rep)
	}
	if !strings.Contains(logs.String(), "expectation=rows") {
		t.Errorf("the inner Warn gate logged nothing")
	}
}

// deferringSink collects, and defers the expectations' policies as a write's sink does.
type deferringSink struct{ collectSink }

func (*deferringSink) defersExpectations() {}

// TestExpectationsGate drives the gate a write calls between its job and its commit.
func TestExpectationsGate(t *testing.T) {
	var logs strings.Builder
	f := newFixture(t, []int{0}, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	d := hundred(t, f, 100)
	failing := d.Expect(Fail, RowCountBetween("rows", 0, 50), NullRatioAtMost("v nulls", "v", 0.5))

	ctx, cancel := context.WithCancel(t.Context())
	sink := &deferringSink{}
	if _, err := failing.run(ctx, "writeTest", sink); err != nil {
		t.Fatalf("the job failed before the gate: %v", err)
	}
	sink.release()
	var gateErr error
	jobs := jobsDuring(f.s, func() { gateErr = failing.expectationsGate(ctx, "writeTest") })
	if !errors.Is(gateErr, ErrExpectationFailed) || !strings.Contains(gateErr.Error(), "writeTest: 1 expectation failed: rows") {
		t.Errorf("gate: %v", gateErr)
	}
	if len(jobs) != 0 {
		t.Errorf("the gate ran jobs %v over counts the job had", jobs)
	}
	cancel()

	// Without a job of its context to read, the gate runs the checks by one of their own.
	jobs = jobsDuring(f.s, func() { gateErr = failing.expectationsGate(t.Context(), "writeTest") })
	if !errors.Is(gateErr, ErrExpectationFailed) || !slices.Equal(jobs, []string{"writeTest"}) {
		t.Errorf("gate without a job: %v, jobs %v", gateErr, jobs)
	}

	warned := d.Expect(Warn, RowCountBetween("rows", 0, 50))
	if _, err := warned.run(t.Context(), "writeTest", sink); err != nil {
		t.Fatal(err)
	}
	sink.release()
	if logs.Len() != 0 {
		t.Errorf("the job applied a deferred Warn policy: %s", logs.String())
	}
	if err := warned.expectationsGate(t.Context(), "writeTest"); err != nil || !strings.Contains(logs.String(), "expectation=rows") {
		t.Errorf("Warn gate: %v, logged %q", err, logs.String())
	}
	if err := d.expectationsGate(t.Context(), "writeTest"); err != nil {
		t.Errorf("gate of a dataset without expectations: %v", err)
	}

	// A deferred result that no gate took goes with its context.
	ctx, cancel = context.WithCancel(t.Context())
	if _, err := failing.run(ctx, "writeTest", sink); err != nil {
		t.Fatal(err)
	}
	sink.release()
	cancel()
	for range 1000 {
		deferred.mu.Lock()
		left := len(deferred.m)
		deferred.mu.Unlock()
		if left == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("a deferred result outlived its context")
}

// TestExpectConcurrentActions runs actions over one expecting dataset at once: each
// job's counts stay its own.
func TestExpectConcurrentActions(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	e := f.ds.Expect(Warn, fixtureExpectations()...)
	c := countInGo(f.rows)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			rep, err := e.Validate(t.Context())
			if err != nil {
				t.Error(err)
				return
			}
			checkFixtureResults(t, rep, c)
		})
	}
	wg.Wait()
}

// TestExpectErrors: mistakes are reported by the action, naming Expect's call site,
// before any task runs; bad arguments when the expectation is built.
func TestExpectErrors(t *testing.T) {
	f := newFixture(t, []int{5}, Config{})
	for _, tc := range []struct {
		d    *Dataset
		want string
	}{
		{f.ds.Expect(Fail, NullRatioAtMost("n", "nope", 0.1)), `expect@expect_test.go`},
		{f.ds.Expect(Fail, UniqueKey("u", "k", "nope")), `unknown column "nope"`},
		{f.ds.Expect(Fail, PassRatioAtLeast("p", Col("x"), 0.5)), "AND needs boolean operands"},
		{f.ds.Expect(Fail, NullRatioAtMost("n", "k", 1.5)), "not within [0, 1]"},
		{f.ds.Expect(Fail, PassRatioAtLeast("p", Col("x").Gt(Lit(0)), math.NaN())), "not within [0, 1]"},
		{f.ds.Expect(Fail, RowCountBetween("r", 5, 4)), "min 5 > max 4"},
		{f.ds.Expect(Fail, UniqueKey("u")), "no key column"},
		{f.ds.Expect(Fail, RowCountEquals("r", nil)), "nil dataset"},
		{f.ds.Expect(Fail, NullRatioAtMost("", "k", 0.1)), "needs a name"},
		{f.ds.Expect(Fail), "no expectation"},
		{f.ds.Expect(Policy(7), RowCountBetween("r", 0, 1)), "unknown policy"},
	} {
		var err error
		jobs := jobsDuring(f.s, func() { _, err = tc.d.Count(t.Context()) })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
		if len(jobs) != 0 {
			t.Errorf("%q: jobs %v ran", tc.want, jobs)
		}
	}
}

// TestParquetRowCount counts a written table from its footers, and tells a missing one.
func TestParquetRowCount(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	dir := filepath.Join(t.TempDir(), "table")
	if err := f.ds.WriteParquet(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	n, err := f.s.ParquetRowCount(t.Context(), dir)
	if err != nil || n != int64(len(f.rows)) {
		t.Errorf("ParquetRowCount = %d, %v; want %d", n, err, len(f.rows))
	}
	if _, err := f.s.ParquetRowCount(t.Context(), filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing table: %v, want fs.ErrNotExist", err)
	}
	rep, err := f.ds.Validate(t.Context(), RowCountNotBelow("no drop", n, 0))
	if err != nil || !rep.Passed() {
		t.Errorf("the same rows against their own count: %v %v", rep, err)
	}
}

// TestExpectAdaptive: an expecting stage after a shuffle is still re-planned by adaptive
// execution (its small partitions coalesced into fewer tasks), and counts in the same job
// what Go computes over the groups.
func TestExpectAdaptive(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{ShufflePartitions: 16, Parallelism: 2})
	groups := map[string]int{}
	nullK := map[string]bool{}
	for _, r := range f.rows {
		key := fmt.Sprint(orNil(r.k), orNil(r.g))
		groups[key]++
		if r.k == nil {
			nullK[key] = true
		}
	}
	multi := 0
	for _, n := range groups {
		if n > 1 {
			multi++
		}
	}
	e := f.ds.GroupBy("k", "g").Agg(Count().As("n")).Expect(Warn,
		RowCountBetween("groups", 0, 0), NullRatioAtMost("k nulls", "k", 0), PassRatioAtLeast("n>1", Col("n").Gt(Lit(1)), 0))
	jobs := jobsDuring(f.s, func() {
		if _, err := e.Count(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	if !slices.Equal(jobs, []string{"count"}) {
		t.Errorf("jobs %v, want the count alone", jobs)
	}
	replanned := false
	for _, s := range f.s.LastJob().Stages {
		replanned = replanned || strings.Contains(strings.Join(s.Adaptive, " "), "coalesced")
	}
	if !replanned {
		t.Errorf("the expecting stage was not coalesced: %+v", f.s.LastJob().Stages)
	}
	want := map[string]float64{
		"groups":  float64(len(groups)),
		"k nulls": float64(len(nullK)) / float64(len(groups)),
		"n>1":     float64(multi) / float64(len(groups)),
	}
	for _, r := range e.ExpectationResults().Results {
		if r.Observed != want[r.Name] {
			t.Errorf("%s: observed %v, computed in Go %v", r.Name, r.Observed, want[r.Name])
		}
	}
}

func orNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
