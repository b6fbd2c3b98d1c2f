package run

import (
	"context"
	"strings"
	"testing"
)

// TestQuestionsAgree runs every question at a small size in both engines, on both load
// paths, and requires the answers to match (or the kindling side to be pending).
func TestQuestionsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("runs DuckDB")
	}
	for _, load := range []string{LoadCSV, LoadMemory} {
		t.Run(load, func(t *testing.T) { questionsAgree(t, load) })
	}
}

func questionsAgree(t *testing.T, load string) {
	o := &Options{N: 100_000, K: 100, Seed: 1, Parts: 3, BatchRows: 4096, Runs: 1, Threads: 2, DuckDB: true, TmpDir: t.TempDir(), Load: load}
	ctx := context.Background()
	for _, section := range []func(context.Context, *Options) (*SectionResult, error){RunGroupBy, RunJoin} {
		res, err := section(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.LoadPath == "" {
			t.Errorf("%s: the report would not state the load path", res.Name)
		}
		if load == LoadCSV && (res.KindlingLoadTime <= 0 || res.InputBytes <= 0) {
			t.Errorf("%s: CSV load %v holding %d bytes", res.Name, res.KindlingLoadTime, res.InputBytes)
		}
		for _, q := range res.Questions {
			if q.Status != "ok" && q.Status != "pending" {
				t.Errorf("%s %s: %s", res.Name, q.Q.Name, q.Status)
			}
			if q.Duck.Answer.Rows == 0 && q.Duck.Err == nil {
				t.Errorf("%s %s: DuckDB answer has no rows", res.Name, q.Q.Name)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	want := Answer{Rows: 3, Sums: map[string]float64{"v": 1e9}}
	if err := Match(Answer{Rows: 3, Sums: map[string]float64{"v": 1e9 + 1}}, want); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	if err := Match(Answer{Rows: 3, Sums: map[string]float64{"v": 1e9 + 1e4}}, want); err == nil || !strings.Contains(err.Error(), "sum(v)") {
		t.Errorf("outside tolerance: %v", err)
	}
	if err := Match(Answer{Rows: 4, Sums: map[string]float64{"v": 1e9}}, want); err == nil {
		t.Error("row counts differ but Match passed")
	}
}
