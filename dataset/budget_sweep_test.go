package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// newBudgetSession is a session on a checked allocator whose Close and zero-byte check
// run at the end of the test.
func newBudgetSession(t *testing.T, cfg Config) fixtureSession {
	t.Helper()
	mem := memtest.Checked()
	cfg.Allocator = mem
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	return fixtureSession{s: s, mem: mem}
}

// TestFinalAggregateSpillsUnderTightBudget groups 400 000 distinct string keys under a
// 6 MiB budget. The final aggregate sizes its tables from the shuffle's row count when it
// opens; that room must be given back when the first batch is refused, so the aggregate
// spills and finishes as the sort and the join do at this budget, instead of failing with
// its whole reservation held for 0 groups.
func TestFinalAggregateSpillsUnderTightBudget(t *testing.T) {
	leakcheck.Check(t)
	fs := newBudgetSession(t, Config{MemoryLimit: 6 << 20})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	const parts, batches, rows = 4, 10, 10_000
	var data [][]arrow.RecordBatch
	for p := range parts {
		var bs []arrow.RecordBatch
		for b := range batches {
			bld := array.NewRecordBuilder(fs.mem, schema)
			for i := range rows {
				k := (p*batches+b)*rows + i
				bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("key-%08d", k))
				bld.Field(1).(*array.Int64Builder).Append(int64(k))
			}
			bs = append(bs, bld.NewRecordBatch())
			bld.Release()
		}
		data = append(data, bs)
	}
	d := fs.s.FromPartitions(schema, data...)
	for _, p := range data {
		releaseAll(p)
	}
	start := time.Now()
	recs, err := d.GroupBy("s").Agg(Count(), Sum("v"), Max("s"), Mean("v")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	t.Logf("job %v", time.Since(start))
	// Every key is its own group: count 1, sum and mean its v, max its key.
	seen := make([]bool, parts*batches*rows)
	for _, r := range recs {
		key, n, sum := r.Column(0).(*array.String), r.Column(1).(*array.Int64), r.Column(2).(*array.Int64)
		mx, mean := r.Column(3).(*array.String), r.Column(4).(*array.Float64)
		for i := range int(r.NumRows()) {
			k, err := strconv.Atoi(strings.TrimPrefix(key.Value(i), "key-"))
			if err != nil || k < 0 || k >= len(seen) || seen[k] {
				t.Fatalf("unexpected or repeated group %q", key.Value(i))
			}
			seen[k] = true
			if n.Value(i) != 1 || sum.Value(i) != int64(k) || mx.Value(i) != key.Value(i) || mean.Value(i) != float64(k) {
				t.Fatalf("group %q: count %d sum %d max %q mean %v", key.Value(i), n.Value(i), sum.Value(i), mx.Value(i), mean.Value(i))
			}
		}
	}
	for k, ok := range seen {
		if !ok {
			t.Fatalf("group key-%08d missing", k)
		}
	}
	job := fs.s.LastJob()
	if job.Totals().SpillCount == 0 {
		t.Fatalf("no spill under a 6 MiB budget:\n%s", job)
	}
	if peak := job.Memory.PeakExecution; peak > 6<<20 {
		t.Fatalf("peak execution %d over the budget", peak)
	}
}
