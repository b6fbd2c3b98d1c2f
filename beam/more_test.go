package beam

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// moreJobs are the differential cases beyond TestSameAnswerOnPrism's: every other join
// kind, windows, union, distinct, coalesce and repartition, a narrow chain.
var moreJobs = map[string]dataset.JobBuilder{
	"more/right": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 8000).Join(dims(s), dataset.On("k"), dataset.RightOuter), nil
	},
	"more/full": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 8000).Join(dims(s), dataset.On("k"), dataset.FullOuter), nil
	},
	"more/semi": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 8000).Join(dims(s), dataset.On("k"), dataset.LeftSemi), nil
	},
	"more/anti": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 8000).Join(dims(s), dataset.On("k"), dataset.LeftAnti), nil
	},
	// Rows equal in (g, v, k) are equal in every column, so a tie's order cannot change
	// the multiset of rows.
	"more/window": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		w := dataset.PartitionBy("g").OrderBy(dataset.Desc("v"), dataset.Asc("k"))
		return facts(s, 20000).
			WithColumn("rn", dataset.RowNumber().Over(w)).
			WithColumn("rank", dataset.Rank().Over(dataset.PartitionBy("g").OrderBy(dataset.Desc("v")))).
			WithColumn("prev", dataset.Lag(dataset.Col("v"), 1, dataset.Expr{}).Over(w)), nil
	},
	"more/union": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		f := facts(s, 8000)
		return f.Filter(dataset.Col("g").Eq(dataset.Lit("g1"))).Union(f.GroupBy("g", "k").Agg(dataset.Max("v")).Drop("max(v)").
			Join(dims(s), dataset.On("k"), dataset.Inner).Select(dataset.Col("k"), dataset.Col("g"), dataset.Lit(1.0).As("v"))), nil
	},
	"more/distinct": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).SelectColumns("g", "k").Distinct(), nil
	},
	"more/coalesce": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).Repartition(8, "k").Coalesce(3).GroupBy("g").Agg(dataset.Count(), dataset.Sum("v")), nil
	},
	"more/repartition": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).Repartition(5), nil
	},
	"more/chain": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 20000).Filter(dataset.Col("v").Gt(dataset.Lit(50.0))).
			WithColumn("w", dataset.Col("v").Mul(dataset.Lit(2.0))).
			Select(dataset.Col("g"), dataset.Col("w")).
			Filter(dataset.Col("g").NotEq(dataset.Lit("g3"))), nil
	},
	// What must be refused before submission.
	"refuse/local-checkpoint": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		return facts(s, 100).LocalCheckpoint(context.Background())
	},
	"refuse/fails": func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		f := facts(s, 2000)
		schema, err := f.Schema()
		if err != nil {
			return nil, err
		}
		return f.MapBatches("boom", schema, func(_ context.Context, _ arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
			return nil, errors.New("boom: a task failed")
		}), nil
	},
}

func init() {
	for name, b := range moreJobs {
		dataset.RegisterJob(name, b)
		testJobs[name] = b
	}
}

func TestMoreSameAnswerOnPrism(t *testing.T) {
	for _, job := range []string{"more/right", "more/full", "more/semi", "more/anti", "more/window",
		"more/union", "more/distinct", "more/coalesce", "more/repartition", "more/chain"} {
		t.Run(job, func(t *testing.T) {
			want := local(t, job)
			res, err := Run(context.Background(), job, nil, Options{Worker: testWorker})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Release()
			got := rowStrings(res.Batches)
			slices.Sort(got)
			slices.Sort(want)
			if len(want) == 0 {
				t.Fatal("the local answer is empty: the test checks nothing")
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: Prism gave %d rows, local %d; first difference at %d", job, len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func TestMoreRefusals(t *testing.T) {
	for _, tc := range []struct {
		job    string
		opts   Options
		reason string
	}{
		{"refuse/local-checkpoint", Options{}, "local checkpoint"},
		{"test/facts", Options{Runner: "dataflow"}, "staging_location"},
		{"test/facts", Options{Flags: map[string]string{"no_such_flag": "1"}}, "no such flag"},
		{"test/facts", Options{Runner: "nimbus"}, "unknown runner"},
		{"test/facts", Options{Action: "writeParquet"}, "needs Options.OutputDir"},
		{"test/facts", Options{Action: "writeCSV", OutputDir: filepath.Join(t.TempDir(), "t"), PartitionedBy: []string{"nope"}}, "nope"},
		{"test/facts", Options{Action: "writeParquet", OutputDir: filepath.Join(t.TempDir(), "t"), ParquetCompression: "rar"}, "rar"},
		{"test/facts", Options{Action: "writeCSV", OutputDir: t.TempDir()}, "exists"},
	} {
		_, err := Run(context.Background(), tc.job, nil, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s %+v: err = %v, want it to say %q", tc.job, tc.opts, err, tc.reason)
		}
	}
}
