package beam

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

func TestMain(m *testing.M) {
	Init()
	m.Run()
}

// testWorker keeps the tests' plans small: a few partitions, small batches (so blocks
// are many), broadcasts off unless a test asks. Two tasks at once under a 256 MiB budget
// is what found three window operators over one sort keeping 3/4 of the budget from
// Open and starving the sort (they now share one head start of the task's share).
var testWorker = WorkerConfig{MemoryLimit: 256 << 20, Parallelism: 2, ShufflePartitions: 4, BatchRows: 1024, BroadcastThreshold: -1}

// facts is a deterministic table of 4 partitions: k (int64, some null), g (string), v (float64).
func facts(s *dataset.Session, rows int) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "g", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.PrimitiveTypes.Float64}}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	var parts [][]arrow.RecordBatch
	for p := range 4 {
		b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
		for range rows / 4 {
			if k := rng.IntN(200); k == 0 {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.Int64Builder).Append(int64(k))
			}
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("g%d", rng.IntN(7)))
			b.Field(2).(*array.Float64Builder).Append(float64(rng.IntN(1000)) / 4)
		}
		parts = append(parts, []arrow.RecordBatch{b.NewRecordBatch()})
		b.Release()
		_ = p
	}
	return s.FromPartitions(schema, parts...)
}

// dims is a small table keyed by k (1..150, so some fact keys miss).
func dims(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	defer b.Release()
	for k := 1; k <= 150; k += 1 + k%2 {
		b.Field(0).(*array.Int64Builder).Append(int64(k))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("n%d", k))
	}
	return s.FromRecords(b.NewRecordBatch())
}

var testJobs = map[string]dataset.JobBuilder{
	"test/groupby": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).GroupBy("g").Agg(dataset.Sum("v"), dataset.Count(), dataset.Mean("v")), nil
	},
	"test/groupby-int": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).Filter(dataset.Col("v").Gt(dataset.Lit(10.0))).GroupBy("k").Agg(dataset.Sum("v"), dataset.Count()), nil
	},
	"test/inner": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 8000).Join(dims(s), dataset.On("k"), dataset.Inner), nil
	},
	"test/left": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 8000).Join(dims(s), dataset.On("k"), dataset.LeftOuter), nil
	},
	"test/orderby": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).OrderBy(dataset.Desc("v"), dataset.Asc("k"), dataset.Asc("g")), nil
	},
	"test/facts": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) { return facts(s, 20000), nil },
	// Some of g1's rows: what a rerun of one partition of test/facts writes.
	"test/facts-g1": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).Filter(dataset.Col("g").Eq(dataset.Lit("g1")).And(dataset.Col("v").Gt(dataset.Lit(100.0)))), nil
	},
}

func init() {
	for name, b := range testJobs {
		dataset.RegisterJob(name, b)
	}
}

// local runs the job in a kindling session configured as the workers are.
func local(t *testing.T, job string) []string {
	t.Helper()
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := testJobs[job](s, nil)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	return rowStrings(recs)
}

func rowStrings(recs []arrow.RecordBatch) []string {
	var out []string
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			cells := make([]string, r.NumCols())
			for c := range cells {
				cells[c] = r.Column(c).ValueStr(i)
			}
			out = append(out, strings.Join(cells, "|"))
		}
	}
	return out
}

func TestSameAnswerOnPrism(t *testing.T) {
	for _, tc := range []struct {
		job     string
		ordered bool
	}{{"test/groupby", false}, {"test/groupby-int", false}, {"test/inner", false}, {"test/left", false}, {"test/orderby", true}} {
		t.Run(tc.job, func(t *testing.T) {
			want := local(t, tc.job)
			res, err := Run(context.Background(), tc.job, nil, Options{Worker: testWorker})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			got := rowStrings(res.Batches)
			if !tc.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if len(want) == 0 {
				t.Fatal("the local answer is empty: the test checks nothing")
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: Prism gave %d rows, local %d; first difference at %d", tc.job, len(got), len(want), firstDiff(got, want))
			}
			if res.Metrics.TaskTime <= 0 || len(res.Metrics.Stages) == 0 {
				t.Errorf("no kindling metrics came back: %+v", res.Metrics)
			}
			t.Logf("%s: %d rows, wall %v, kindling task time %v", tc.job, len(got), res.Metrics.Wall, res.Metrics.TaskTime)
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestBroadcastJoinAndCount(t *testing.T) {
	w := testWorker
	w.BroadcastThreshold = 10 << 20 // dims is broadcast: a side input
	want := local(t, "test/inner")
	res, err := Run(context.Background(), "test/inner", nil, Options{Worker: w})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if !strings.Contains(res.Explain, "broadcast") {
		t.Fatalf("the plan has no broadcast join:\n%s", res.Explain)
	}
	got := rowStrings(res.Batches)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("broadcast join: Prism gave %d rows, local %d", len(got), len(want))
	}
	n, err := Run(context.Background(), "test/facts", nil, Options{Worker: testWorker, Action: "count"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Count != 20000 {
		t.Fatalf("count = %d, want 20000", n.Count)
	}
}

func TestRefusedBeforeSubmission(t *testing.T) {
	for _, tc := range []struct {
		job    string
		opts   Options
		reason string
	}{
		{"test/facts", Options{Action: "show"}, `action "show" is not supported`},
		{"no/such/job", Options{}, "no job"},
		{"test/facts", Options{Runner: "flink"}, "needs Options.Endpoint"},
	} {
		_, err := Run(context.Background(), tc.job, nil, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s %+v: err = %v, want it to say %q", tc.job, tc.opts, err, tc.reason)
		}
	}
}

// RunDataset runs the Dataset a program built with Session.Job, with its session's
// configuration, to the answer of its own Collect; a Dataset derived from it is refused.
func TestRunDataset(t *testing.T) {
	ctx := context.Background()
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Job("test/groupby-int")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := rowStrings(recs)
	for _, r := range recs {
		r.Release()
	}
	res, err := RunDataset(ctx, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	got := rowStrings(res.Batches)
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("RunDataset: %d rows, the Dataset's own Collect %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if _, err := RunDataset(ctx, d.Limit(3), Options{}); err == nil || !strings.Contains(err.Error(), "Session.Job") {
		t.Fatalf("a derived Dataset: %v, want it refused", err)
	}
}
