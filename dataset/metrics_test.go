package dataset

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	kmemory "github.com/kindling-data/kindling/memory"
)

// TestJobTotalsMatchStages: the job-level totals of real jobs (a pruned Parquet scan, a
// shuffle) equal the stages' totals combined, for every field, and the fields the defect
// dropped are non-zero.
func TestJobTotalsMatchStages(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{ShufflePartitions: 4})
	dir := filepath.Join(t.TempDir(), "table")
	if err := f.ds.Repartition(4, "g").WriteParquet(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	recs, err := f.s.ReadParquet(dir).Filter(Col("g").Eq(Lit(2))).GroupBy("k").Count().Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	job := f.s.LastJob()
	got := job.Totals()
	var want TaskMetrics
	for i := range job.Stages {
		s := job.Stages[i].Totals()
		w, v := reflect.ValueOf(&want).Elem(), reflect.ValueOf(s)
		for k := 0; k < w.NumField(); k++ {
			name := w.Type().Field(k).Name
			switch {
			case name == "Partition" || name == "Attempt" || name == "Start":
			case len(name) > 4 && name[:4] == "Peak":
				w.Field(k).SetInt(max(w.Field(k).Int(), v.Field(k).Int()))
			default:
				w.Field(k).SetInt(w.Field(k).Int() + v.Field(k).Int())
			}
		}
	}
	if got != want {
		t.Fatalf("job totals %+v\nwant the stages' %+v", got, want)
	}
	if got.BytesIn == 0 || got.BytesOut == 0 || got.RowGroupsPruned == 0 || got.ShuffleBytesRead == 0 || got.ShuffleBytesWritten == 0 {
		t.Fatalf("job totals miss counters the stages have: %+v", got)
	}
}

// TestActionLabels: every action's job carries the action's name.
func TestActionLabels(t *testing.T) {
	f := newFixture(t, []int{10, 10}, Config{})
	var out bytes.Buffer
	dir := t.TempDir()
	cases := []struct {
		action string
		run    func() error
	}{
		{"collect", func() error { r, err := f.ds.Collect(t.Context()); releaseAll(r); return err }},
		{"count", func() error { _, err := f.ds.Count(t.Context()); return err }},
		{"take", func() error { r, err := f.ds.Take(t.Context(), 3); releaseAll(r); return err }},
		{"show", func() error { s, err := f.ds.ShowString(t.Context(), 3); out.WriteString(s); return err }},
		{"forEachBatch", func() error {
			return f.ds.ForEachBatch(t.Context(), func(int, arrow.RecordBatch) error { return nil })
		}},
		{"writeParquet", func() error { return f.ds.WriteParquet(t.Context(), filepath.Join(dir, "p")) }},
		{"writeCSV", func() error { return f.ds.WriteCSV(t.Context(), filepath.Join(dir, "c")) }},
		{"localCheckpoint", func() error { _, err := f.ds.LocalCheckpoint(t.Context()); return err }},
	}
	for _, tc := range cases {
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.action, err)
		}
		if got := f.s.LastJob().Action; got != tc.action {
			t.Errorf("%s ran a job labelled %q", tc.action, got)
		}
	}
}

// TestConfigReportsEffectiveValues: zero MemoryLimit and StorageFraction take defaults,
// and Config says which.
func TestConfigReportsEffectiveValues(t *testing.T) {
	// A session of its own: the test fixture's metamorphic draws may set the budget.
	s, err := NewSession(Config{SpillDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := s.Config()
	want := kmemory.Config{}
	want.EnsureDefaults()
	if cfg.MemoryLimit != want.Limit || cfg.MemoryLimit != s.MemoryStats().Limit || cfg.StorageFraction != 0.5 {
		t.Fatalf("Config() MemoryLimit %d StorageFraction %v; the manager runs with %d and 0.5",
			cfg.MemoryLimit, cfg.StorageFraction, s.MemoryStats().Limit)
	}
	if cfg.Parallelism <= 0 || cfg.BatchRows <= 0 || cfg.ShufflePartitions <= 0 || cfg.MaxTaskAttempts <= 0 {
		t.Fatalf("Config() has zero defaults: %+v", cfg)
	}
}
