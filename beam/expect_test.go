package beam

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kindling-data/kindling/dataset"
)

// expectJob checks facts after a shuffle (the checks count in the group-by's reduce
// stage) and before one (in the map stage): a null ratio, a value range, a pass ratio
// and a row count, under policy; "strict" bounds fail, the others pass.
func expectJob(policy dataset.Policy, strict bool) dataset.JobBuilder {
	maxNulls, maxV := 0.05, 250.0
	if strict {
		maxNulls, maxV = 0.001, 200.0
	}
	return func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		f := facts(s, 20000).Expect(policy,
			dataset.NullRatioAtMost("few null keys", "k", maxNulls),
			dataset.ValuesBetween("v in range", "v", 0.0, maxV))
		return f.GroupBy("g").Agg(dataset.Sum("v"), dataset.Count()).Expect(policy,
			dataset.RowCountBetween("seven groups", 7, 7),
			dataset.PassRatioAtLeast("positive sums", dataset.Col("sum(v)").Gt(dataset.Lit(0.0)), 1)), nil
	}
}

func init() {
	for name, b := range map[string]dataset.JobBuilder{
		"expect/warn":        expectJob(dataset.Warn, false),
		"expect/warn-strict": expectJob(dataset.Warn, true),
		"expect/fail-strict": expectJob(dataset.Fail, true),
		"expect/own-jobs":    ownJobsJob,
	} {
		dataset.RegisterJob(name, b)
		testJobs[name] = b
	}
}

// ownJobsJob has the expectations that run jobs of their own: dims with its first row
// twice fails UniqueKey (one duplicated key, so the example is fixed) and RowCountEquals
// against dims; one row per name after the group-by passes both.
func ownJobsJob(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
	twice := dims(s).Union(dims(s).Filter(dataset.Col("k").Eq(dataset.Lit(int64(1)))))
	return twice.Expect(dataset.Warn, dataset.UniqueKey("one row per k", "k"), dataset.RowCountEquals("as many as dims", dims(s))).
		GroupBy("name").Agg(dataset.Count()).
		Expect(dataset.Warn, dataset.UniqueKey("one row per name", "name"), dataset.RowCountEquals("one per dim", dims(s))), nil
}

// TestExpectationsOnPrism: a job's expectations are counted by the Beam tasks and
// evaluated by the driver to the same results as a local Validate (observed values,
// verdicts, failing examples), those that run jobs of their own (UniqueKey,
// RowCountEquals) through pipelines of their own; under Warn the job returns its rows with the results;
// under Fail a collect fails with the expectation error and a write commits nothing.
func TestExpectationsOnPrism(t *testing.T) {
	ctx := context.Background()
	for _, job := range []string{"expect/warn", "expect/warn-strict", "expect/own-jobs"} {
		s, err := dataset.NewSession(testWorker.SessionConfig())
		if err != nil {
			t.Fatal(err)
		}
		d, err := testJobs[job](s, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := d.Validate(ctx)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(ctx, job, nil, Options{Worker: testWorker})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Batches) == 0 {
			t.Errorf("%s: no rows", job)
		}
		res.Release()
		if len(res.Expectations) != len(rep.Results) {
			t.Fatalf("%s: %d results on Beam, %d locally", job, len(res.Expectations), len(rep.Results))
		}
		passed := 0
		for i, want := range rep.Results {
			got := res.Expectations[i]
			if got.Name != want.Name || got.Passed != want.Passed || got.Observed != want.Observed ||
				got.Threshold != want.Threshold || got.Detail != want.Detail {
				t.Errorf("%s: %+v on Beam, %+v locally", job, got, want)
			}
			if got.Passed {
				passed++
			}
			t.Logf("%s: %s: passed %v, observed %v, %s", job, got.Name, got.Passed, got.Observed, got.Detail)
		}
		if allPass := job == "expect/warn"; allPass != (passed == len(rep.Results)) {
			t.Errorf("%s: %d of %d passed", job, passed, len(rep.Results))
		}
	}

	_, err := Run(ctx, "expect/fail-strict", nil, Options{Worker: testWorker})
	var ee *dataset.ExpectationError
	if !errors.As(err, &ee) || !errors.Is(err, dataset.ErrExpectationFailed) || len(ee.Failed()) == 0 {
		t.Fatalf("collect under Fail: err = %v, want the expectation error", err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	_, err = Run(ctx, "expect/fail-strict", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out})
	if !errors.Is(err, dataset.ErrExpectationFailed) {
		t.Fatalf("write under Fail: err = %v, want the expectation error", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("a write stopped by its expectations left %s", e.Name())
	}
}
