package beam

import (
	"context"
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/dataset"
)

// persistJobs check persist levels on Beam: persisted but not materialized runs as if not
// persisted; materialized in the builder's session is refused.
var persistJobs = map[string]dataset.JobBuilder{
	// The persisted dataset is read twice in the job (a self-union after a shuffle), as a
	// job reusing a Persist would locally.
	"persist/pending": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		p := facts(s, 20000).GroupBy("g", "k").Agg(dataset.Sum("v")).Persist(dataset.MemoryAndDisk)
		return p.Union(p.Filter(dataset.Col("g").Eq(dataset.Lit("g2")))), nil
	},
	"refuse/materialized-cache": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		c := facts(s, 100).Cache()
		if _, err := c.Count(context.Background()); err != nil {
			return nil, err
		}
		return c, nil
	},
}

func init() {
	for name, b := range persistJobs {
		dataset.RegisterJob(name, b)
		testJobs[name] = b
	}
}

func TestPersistNotMaterializedOnPrism(t *testing.T) {
	want := local(t, "persist/pending")
	res, err := Run(context.Background(), "persist/pending", nil, Options{Worker: testWorker})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	got := rowStrings(res.Batches)
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("persisted, not materialized: Prism gave %d rows, local %d", len(got), len(want))
	}
}

func TestRefusedPersistAndDataflow(t *testing.T) {
	for _, tc := range []struct {
		job    string
		opts   Options
		reason string
	}{
		{"refuse/materialized-cache", Options{}, "materialized in this session's cache"},
		{"refuse/local-checkpoint", Options{}, "local checkpoint"},
		{"test/facts", Options{Runner: "dataflow", Flags: map[string]string{"staging_location": "gs://b/s"}, ResultDir: t.TempDir()}, "ResultDir on gs://"},
		{"test/facts", Options{Runner: "dataflow", Flags: map[string]string{"staging_location": "gs://b/s"}, Action: "writeParquet", OutputDir: t.TempDir() + "/out"}, "only to gs:// outputs"},
	} {
		_, err := Run(context.Background(), tc.job, nil, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s %+v: err = %v, want it to say %q", tc.job, tc.opts, err, tc.reason)
		}
	}
}

// TestJobMetricsOnPrism checks that Beam's counters map onto kindling's JobMetrics: one
// TaskMetrics per task, the first stage reading the input rows, the result stage
// outputting the collected rows, the map stages' shuffle bytes those the result read.
func TestJobMetricsOnPrism(t *testing.T) {
	res, err := Run(context.Background(), "test/groupby-int", nil, Options{Worker: testWorker})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	j := res.Job
	if j == nil || len(j.Stages) < 2 {
		t.Fatalf("no job metrics: %+v", j)
	}
	var collected int64
	for _, b := range res.Batches {
		collected += b.NumRows()
	}
	first, last := j.Stages[0], j.Stages[len(j.Stages)-1]
	if in := first.Totals().RowsIn; in != 20000 {
		t.Errorf("rows in of stage %d = %d, want the 20000 input rows", first.StageID, in)
	}
	if out := last.Totals().RowsOut; out != collected {
		t.Errorf("rows out of the result stage = %d, want the %d collected", out, collected)
	}
	var written, read int64
	for i, st := range j.Stages {
		if len(st.Tasks) == 0 || int64(len(st.Tasks)) != res.Metrics.Stages[i].Tasks {
			t.Errorf("stage %d: %d task metrics, want one per task (%d)", st.StageID, len(st.Tasks), res.Metrics.Stages[i].Tasks)
		}
		for p, tm := range st.Tasks {
			if tm.Partition != p || tm.Duration <= 0 || tm.Start.IsZero() {
				t.Errorf("stage %d task %d: %+v", st.StageID, p, tm)
			}
		}
		tot := st.Totals()
		written += tot.ShuffleBytesWritten
		read += tot.ShuffleBytesRead
		if want := map[bool]string{true: "result", false: "map"}[i == len(j.Stages)-1]; st.Kind != want {
			t.Errorf("stage %d kind %q, want %q", st.StageID, st.Kind, want)
		}
	}
	if written == 0 || written != read {
		t.Errorf("shuffle bytes written %d, read %d: want the same blocks, some", written, read)
	}
	// Each operator's rows equal a local run's of the same plan.
	ls, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	d, err := ls.Job("test/groupby-int")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	lj := ls.LastJob()
	if len(lj.Stages) != len(j.Stages) {
		t.Fatalf("%d stages locally, %d on Beam", len(lj.Stages), len(j.Stages))
	}
	for i, st := range j.Stages {
		want := lj.Stages[i]
		if !slices.Equal(st.Operators, want.Operators) || !slices.Equal(st.OperatorRows, want.OperatorRows) || len(want.OperatorRows) == 0 {
			t.Errorf("stage %d operators on Beam %q rows %v, locally %q rows %v", st.StageID, st.Operators, st.OperatorRows, want.Operators, want.OperatorRows)
		}
	}
	s := j.String()
	if !strings.Contains(s, "result") || !strings.Contains(s, "rows out") || !strings.Contains(j.Explain(), "Stage") {
		t.Errorf("JobMetrics.String:\n%s\nExplain:\n%s", s, j.Explain())
	}
	t.Logf("\n%s", s)
}

// In-process Prism runs share one job server (Prism never stops one it started), and
// each leaves Beam's flags as it found them, so that a later run on another runner does
// not inherit Prism's endpoint or loopback environment.
func TestOnePrismServerPerProcess(t *testing.T) {
	var endpoints []string
	for range 2 {
		res, err := Run(context.Background(), "test/facts", nil, Options{Worker: testWorker, Action: "count"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Count != 20000 {
			t.Fatalf("count = %d, want 20000", res.Count)
		}
		for _, f := range []string{"endpoint", "environment_type"} {
			if v := flag.Lookup(f).Value.String(); v != "" {
				t.Fatalf("flag %s is %q after the run, want it empty again", f, v)
			}
		}
		inProcessPrism.mu.Lock()
		endpoints = append(endpoints, inProcessPrism.endpoint)
		inProcessPrism.mu.Unlock()
	}
	if endpoints[0] == "" || endpoints[0] != endpoints[1] {
		t.Fatalf("the runs used job servers %q, want one", endpoints)
	}
}
