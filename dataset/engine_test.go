package dataset

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingMap is a MapBatches that counts its calls and passes batches through.
func countingMap(d *Dataset, calls *atomic.Int64) *Dataset {
	return d.MapBatches("count", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		calls.Add(1)
		in.Retain()
		return in, nil
	})
}

func TestLazy(t *testing.T) {
	f := newFixture(t, []int{10, 10}, Config{})
	// A CSV source over a file that does not exist yet: defining the dataset reads nothing.
	dir := t.TempDir()
	path := filepath.Join(dir, "later.csv")
	var calls atomic.Int64
	d := countingMap(f.s.ReadCSV(path), &calls).Filter(Col("a").Gt(Lit(1))).GroupBy("a").Count()
	if calls.Load() != 0 {
		t.Fatal("a transform ran user code before any action")
	}
	if err := os.WriteFile(path, []byte("a,b\n1,x\n2,y\n3,z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := d.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || calls.Load() == 0 {
		t.Fatalf("count %d (want 2), map calls %d (want > 0)", n, calls.Load())
	}
	// Building datasets on the in-memory source runs nothing either.
	before := len(f.s.Jobs())
	_ = countingMap(f.ds, &calls).Filter(Col("x").Gt(Lit(0))).GroupBy("k").Count().Union(f.ds.GroupBy("k").Count())
	if len(f.s.Jobs()) != before {
		t.Fatal("building a dataset ran a job")
	}
}

func TestStagesPipelining(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{ShufflePartitions: 4})
	narrow := f.ds.Filter(Col("x").Gt(Lit(0))).WithColumn("z", Col("x").Add(Lit(1))).
		Select(Col("k"), Col("z")).Drop("z").Limit(1000000).Coalesce(3)
	// Limit adds a single-partition exchange; without it, a chain of narrow transforms is one stage.
	chain := f.ds.Filter(Col("x").Gt(Lit(0))).WithColumn("z", Col("x").Add(Lit(1))).
		Select(Col("k"), Col("z")).Rename("z", "w").Coalesce(3)
	for _, tc := range []struct {
		name   string
		d      *Dataset
		stages int
	}{
		{"narrow chain", chain, 1},
		{"group-by", chain.GroupBy("k").Count(), 2},
		{"two group-bys", chain.GroupBy("k").Count().GroupBy("count").Agg(Count().As("groups")), 3},
		{"limit", narrow, 2},
	} {
		recs, err := tc.d.Collect(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		releaseAll(recs)
		job := f.s.LastJob()
		if len(job.Stages) != tc.stages {
			t.Errorf("%s: %d stages, want %d\n%s", tc.name, len(job.Stages), tc.stages, tc.d.Explain())
		}
	}
	// The group-by's map stage records the size of every reduce partition.
	recs, err := chain.GroupBy("k").Count().Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	job := f.s.LastJob()
	m := job.Stages[0]
	if m.Kind != "map" || len(m.ShufflePartitionRows) != 4 {
		t.Fatalf("map stage %+v: want 4 recorded reduce partitions", m)
	}
	var rows int64
	for _, r := range m.ShufflePartitionRows {
		rows += r
	}
	if rows != m.Totals().RowsOut || rows == 0 {
		t.Fatalf("shuffle partition rows sum to %d, map stage wrote %d", rows, m.Totals().RowsOut)
	}
	if m.Totals().ShuffleBytesWritten == 0 || job.Stages[1].Totals().ShuffleBytesRead == 0 {
		t.Fatalf("shuffle bytes not recorded: %s", job)
	}
	if ex := chain.GroupBy("k").Count().Explain(); !strings.Contains(ex, "== Stages ==") || !strings.Contains(ex, "Exchange") {
		t.Fatalf("Explain lacks stages or exchange:\n%s", ex)
	}
}

func TestTaskRetry(t *testing.T) {
	f := newFixture(t, []int{5, 5, 5}, Config{Parallelism: 2})
	var failures atomic.Int64
	flaky := f.ds.MapBatches("flaky", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		if failures.Add(1) <= 2 {
			return nil, errors.New("transient failure")
		}
		in.Retain()
		return in, nil
	})
	n, err := flaky.Count(t.Context())
	if err != nil || n != 15 {
		t.Fatalf("Count = %d, %v; want 15 after retries", n, err)
	}
	if r := f.s.LastJob().Stages[0].Retries; r < 1 {
		t.Fatalf("retries = %d, want >= 1", r)
	}
}

func TestTaskFailureNamesStagePartitionCause(t *testing.T) {
	f := newFixture(t, []int{5, 5, 5}, Config{Parallelism: 2, MaxTaskAttempts: 3})
	var calls atomic.Int64
	boom := f.ds.MapBatches("boom", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		calls.Add(1)
		panic("kaboom")
	})
	_, err := boom.GroupBy("k").Count().Collect(t.Context())
	if err == nil {
		t.Fatal("a panicking task did not fail the job")
	}
	msg := err.Error()
	for _, want := range []string{"stage 1", "partition", "after 3 attempts", "kaboom"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestCancellation(t *testing.T) {
	f := newFixture(t, []int{50, 50, 50, 50, 50, 50}, Config{Parallelism: 2})
	ctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{})
	var once atomic.Bool
	slow := f.ds.MapBatches("block", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	go func() { <-started; cancel() }()
	_, err := slow.GroupBy("k").Count().Collect(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.csv", "id,amount\n1,2.5\n2,3.0\n3,12x\n4,1\n")
	empty := write("empty.csv", "")
	other := f.s.FromRecords(buildBatch(memory.NewGoAllocator(), genRows(nil2rng(), 2))).Drop("s")
	cases := []struct {
		name string
		run  func() error
		want []string
	}{
		{"malformed row", func() error {
			_, err := f.s.ReadCSVWith(CSVOptions{Schema: arrow.NewSchema([]arrow.Field{
				{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64}}, nil)}, bad).Collect(t.Context())
			return err
		}, []string{"bad.csv", ":4", "amount", "12x"}},
		{"missing file", func() error {
			_, err := f.s.ReadCSV(filepath.Join(dir, "nope.csv")).Count(t.Context())
			return err
		}, []string{"nope.csv"}},
		{"empty file", func() error {
			_, err := f.s.ReadCSV(empty).Count(t.Context())
			return err
		}, []string{"empty.csv", "empty"}},
		{"unknown column", func() error {
			_, err := f.ds.Filter(Col("amout").Gt(Lit(1))).Count(t.Context())
			return err
		}, []string{"amout", "k, g, x, y, s", "engine_test.go"}},
		{"union mismatch", func() error {
			_, err := f.ds.Union(other).Count(t.Context())
			return err
		}, []string{"union", "s"}},
		{"type error", func() error {
			_, err := f.ds.Filter(Col("s").Add(Lit(1)).Gt(Lit(0))).Count(t.Context())
			return err
		}, []string{"s", "string"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panicked: %v", r)
					}
				}()
				err = tc.run()
			}()
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(w)) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func nil2rng() *rand.Rand { return rand.New(rand.NewPCG(9, 9)) }

func TestFailedJobReleasesMemory(t *testing.T) {
	// newFixture's cleanup asserts the checked allocator is back at zero: a job that fails
	// in its result stage, after its map stage wrote shuffle blocks, leaves nothing behind.
	f := newFixture(t, partitionSizes["mixed"], Config{MaxTaskAttempts: 2})
	d := f.ds.GroupBy("k").Agg(Sum("x")).MapBatches("fail-late", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		return nil, fmt.Errorf("late failure")
	})
	if _, err := d.Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "late failure") {
		t.Fatalf("err = %v, want the late failure", err)
	}
	if err := d.WriteParquet(t.Context(), filepath.Join(t.TempDir(), "out")); err == nil {
		t.Fatal("a failing write succeeded")
	}
}
