package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestPlanUnitsExpectations: a job with expectations plans to the same fingerprint in two
// fresh sessions (a driver's and a worker's), whatever other sessions did meanwhile; its
// tasks' counts, shipped as JSON and evaluated, give the local Validate's results and
// apply the policy; the expectations that run jobs of their own are refused.
func TestPlanUnitsExpectations(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	build := func(policy Policy) (*Units, *Dataset) {
		_, d := idSession(t, Config{DisableAdaptive: true, Logger: slog.New(slog.DiscardHandler)}, 100, 2)
		d = d.Expect(policy, RowCountBetween("rows", 1, 50), ValuesBetween("small ids", "id", int64(0), int64(89)))
		u, err := PlanUnits(d, "collect", now)
		if err != nil {
			t.Fatal(err)
		}
		return u, d
	}
	driver, d := build(Warn)
	_, _ = build(Warn) // another session's gates must not shift the next one's names
	worker, _ := build(Warn)
	if driver.Fingerprint != worker.Fingerprint || driver.Expectations() != 1 {
		t.Fatalf("fingerprints %.12s and %.12s, %d Expect stages", driver.Fingerprint, worker.Fingerprint, driver.Expectations())
	}
	want, err := d.Validate(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The worker runs every task under ObserveExpectations; the driver evaluates.
	var counts []ExpectationCounts
	metrics := &JobMetrics{}
	for _, st := range worker.Stages {
		sm := StageMetrics{StageID: st.ID}
		for task := range st.Tasks {
			tctx, counted := worker.ObserveExpectations(ctx)
			m, _, err := worker.RunTask(tctx, st.ID, task, nil, nil, func(_ int, rec arrow.RecordBatch) error { rec.Release(); return nil })
			if err != nil {
				t.Fatal(err)
			}
			sm.Tasks = append(sm.Tasks, m)
			data, err := json.Marshal(counted())
			if err != nil {
				t.Fatal(err)
			}
			var cs []ExpectationCounts
			if err := json.Unmarshal(data, &cs); err != nil {
				t.Fatal(err)
			}
			counts = append(counts, cs...)
		}
		metrics.Stages = append(metrics.Stages, sm)
	}
	got, err := driver.EvaluateExpectations(ctx, "collect", counts, nil, metrics)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want.Results) {
		t.Fatalf("%d results, want %d", len(got), len(want.Results))
	}
	for i := range got {
		if got[i] != want.Results[i] {
			t.Errorf("result %d: %+v, want %+v", i, got[i], want.Results[i])
		}
	}
	if got[0].Passed || got[1].Passed {
		t.Errorf("both expectations should fail: %+v", got)
	}
	strict, _ := build(Fail)
	if _, err := strict.EvaluateExpectations(ctx, "collect", counts, nil, metrics); !errors.Is(err, ErrExpectationFailed) {
		t.Errorf("under Fail: err = %v, want the expectation error", err)
	}
	if _, err := driver.EvaluateExpectations(ctx, "collect", counts[:len(counts)-1], nil, metrics); err == nil || !strings.Contains(err.Error(), "did not report every partition") {
		t.Errorf("a partition missing: err = %v", err)
	}

	// UniqueKey and RowCountEquals run jobs of their own: planned apart, each a collect
	// with no Expect stage of its own to count; without their results the evaluation fails.
	s2, d2 := idSession(t, Config{DisableAdaptive: true}, 100, 2)
	d2 = d2.Expect(Fail, UniqueKey("ids", "id"), RowCountEquals("as many", idDataset(s2, memory.DefaultAllocator, 100, 1)))
	u, err := PlanUnits(d2, "collect", now)
	if err != nil {
		t.Fatal(err)
	}
	if u.ExpectationJobs() != 2 {
		t.Fatalf("%d expectation jobs, want 2", u.ExpectationJobs())
	}
	for i := range 2 {
		eu, err := PlanExpectationJob(d2, i, now)
		if err != nil {
			t.Fatal(err)
		}
		if eu.Expectations() != 0 || eu.ExpectationJobs() != 0 || len(eu.Stages) == 0 {
			t.Fatalf("expectation job %d: %d Expect stages, %d jobs, %d stages", i, eu.Expectations(), eu.ExpectationJobs(), len(eu.Stages))
		}
	}
	if _, err := PlanExpectationJob(d2, 2, now); err == nil {
		t.Fatal("a third expectation job was planned")
	}
	if _, err := u.EvaluateExpectations(ctx, "collect", nil, nil, metrics); err == nil || !strings.Contains(err.Error(), "expectation jobs") {
		t.Fatalf("no results for the expectation jobs: err = %v", err)
	}
}

// InputFiles names every file the job's scans read, once, across the stages (a join's
// two sides here, whether or not small files share a task), and none for in-memory
// records.
func TestUnitsInputFiles(t *testing.T) {
	s, ids := idSession(t, Config{DisableAdaptive: true, ShufflePartitions: 2, BroadcastThreshold: -1}, 10, 2)
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		f := filepath.Join(dir, fmt.Sprintf("part-%d.csv", i))
		if err := os.WriteFile(f, fmt.Appendf(nil, "id,name\n%d,n%d\n", i, i), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	u, err := PlanUnits(s.ReadCSV(dir).Join(ids, On("id"), Inner), "collect", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := u.InputFiles()
	slices.Sort(got)
	if !slices.Equal(got, files) {
		t.Fatalf("InputFiles %v, want %v", got, files)
	}
	u, err = PlanUnits(ids, "count", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := u.InputFiles(); len(got) != 0 {
		t.Fatalf("in-memory records: InputFiles %v, want none", got)
	}
}

func init() {
	RegisterJob("units-test/ids", func(s *Session, args []string) (*Dataset, error) {
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return nil, err
		}
		return idDataset(s, memory.DefaultAllocator, n, 2), nil
	})
}

// Session.Job builds a registered job's Dataset, which remembers the job and its
// arguments (and answers as the builder's); a Dataset derived from it does not.
func TestSessionJob(t *testing.T) {
	s, _ := idSession(t, Config{}, 1, 1)
	d, err := s.Job("units-test/ids", "7")
	if err != nil {
		t.Fatal(err)
	}
	name, args, ok := d.JobOrigin()
	if !ok || name != "units-test/ids" || !slices.Equal(args, []string{"7"}) {
		t.Fatalf("JobOrigin = %q %v %v, want units-test/ids [7]", name, args, ok)
	}
	if n, err := d.Count(context.Background()); err != nil || n != 7 {
		t.Fatalf("Count = %d, %v; want 7", n, err)
	}
	if _, _, ok := d.Filter(Col("id").Gt(Lit(int64(2)))).JobOrigin(); ok {
		t.Fatal("a Dataset derived from a job's remembers the job")
	}
	if _, err := s.Job("units-test/none"); err == nil || !strings.Contains(err.Error(), "no job") {
		t.Fatalf("an unknown job: %v", err)
	}
	if _, err := s.Job("units-test/ids", "x"); err == nil || !strings.Contains(err.Error(), "building job") {
		t.Fatalf("a builder's error: %v", err)
	}
}

// PlanningMemory sizes the plan instead of MemoryLimit: a session with a large budget
// planning for a small one plans a big group-by as the small one does (its shuffle has
// more partitions), where its own budget alone would not; distributed runners rely on it.
func TestPlanningMemoryPinsThePlan(t *testing.T) {
	now := time.Now()
	plan := func(cfg Config) *Units {
		t.Helper()
		cfg.DisableAdaptive, cfg.Parallelism, cfg.ShufflePartitions = true, 2, 4
		_, d := idSession(t, cfg, 2_000_000, 2)
		u, err := PlanUnits(d.GroupBy("id").Agg(Count()), "collect", now)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	small := plan(Config{MemoryLimit: 16 << 20})
	pinned := plan(Config{MemoryLimit: 1 << 30, PlanningMemory: 16 << 20})
	large := plan(Config{MemoryLimit: 1 << 30})
	if small.Stages[0].OutputPartitions <= 4 {
		t.Fatalf("under a 16 MiB budget the group-by's shuffle has %d partitions, want more than 4", small.Stages[0].OutputPartitions)
	}
	if pinned.Fingerprint != small.Fingerprint {
		t.Fatalf("planning for 16 MiB under 1 GiB: %d partitions, the 16 MiB session's %d", pinned.Stages[0].OutputPartitions, small.Stages[0].OutputPartitions)
	}
	if large.Stages[0].OutputPartitions != 4 {
		t.Fatalf("under 1 GiB: %d partitions, want the configured 4", large.Stages[0].OutputPartitions)
	}
}
