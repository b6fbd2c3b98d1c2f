package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

var idSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// idSession is a session over rows id = 0..n-1, k = id % 10, in parts partitions, on a
// checked allocator whose cleanup closes the session and asserts nothing is left.
func idSession(t *testing.T, cfg Config, n, parts int) (*Session, *Dataset) {
	t.Helper()
	leakcheck.Check(t)
	mem := memtest.Checked()
	s := checkedSession(t, mem, cfg)
	return s, idDataset(s, mem, n, parts)
}

func idDataset(s *Session, mem memory.Allocator, n, parts int) *Dataset {
	batches := make([][]arrow.RecordBatch, parts)
	per := (n + parts - 1) / parts
	for p := range batches {
		lo, hi := min(p*per, n), min((p+1)*per, n)
		ids, ks := array.NewInt64Builder(mem), array.NewInt64Builder(mem)
		for i := lo; i < hi; i++ {
			ids.Append(int64(i))
			ks.Append(int64(i % 10))
		}
		a, b := ids.NewArray(), ks.NewArray()
		rec := array.NewRecordBatch(idSchema, []arrow.Array{a, b}, int64(hi-lo))
		a.Release()
		b.Release()
		ids.Release()
		ks.Release()
		batches[p] = []arrow.RecordBatch{rec}
	}
	d := s.FromPartitions(idSchema, batches...)
	for _, p := range batches {
		releaseAll(p)
	}
	return d
}

// idAction is one action on an id dataset, run repeatedly by one goroutine: run returns
// nil only if the action succeeded with the complete, correct result.
type idAction struct {
	name string
	run  func(ctx context.Context) error
}

// idActions are eight different actions on d (n rows), each checking its own result
// against arithmetic on 0..n-1. out is a directory the writes may use.
func idActions(t *testing.T, d *Dataset, n int64, out string) []idAction {
	wantSum := n * (n - 1) / 2
	dim := d.Filter(Col("id").Lt(Lit(int64(10)))).Select(Col("id").As("k"), Col("id").Add(Lit(int64(100))).As("label"))
	grouped := d.GroupBy("k").Agg(Sum("id").As("total")).Persist(MemoryOnly)
	sumIDs := func(recs []arrow.RecordBatch, col int) (rows, sum int64) {
		for _, r := range recs {
			c := r.Column(col).(*array.Int64)
			for i := 0; i < c.Len(); i++ {
				sum += c.Value(i)
			}
			rows += r.NumRows()
		}
		return rows, sum
	}
	var writes atomic.Int64
	return []idAction{
		{"collect", func(ctx context.Context) error {
			recs, err := d.Collect(ctx)
			if err != nil {
				return err
			}
			defer releaseAll(recs)
			if rows, sum := sumIDs(recs, 0); rows != n || sum != wantSum {
				return fmt.Errorf("%d rows summing to %d, want %d summing to %d", rows, sum, n, wantSum)
			}
			return nil
		}},
		{"sort", func(ctx context.Context) error {
			recs, err := d.OrderBy(Desc("id")).Collect(ctx)
			if err != nil {
				return err
			}
			defer releaseAll(recs)
			next := n - 1
			for _, r := range recs {
				c := r.Column(0).(*array.Int64)
				for i := 0; i < c.Len(); i++ {
					if c.Value(i) != next {
						return fmt.Errorf("sorted row %d is %d", n-1-next, c.Value(i))
					}
					next--
				}
			}
			if next != -1 {
				return fmt.Errorf("sort returned %d rows of %d", n-1-next, n)
			}
			return nil
		}},
		{"count", func(ctx context.Context) error {
			got, err := d.Filter(Col("id").Gt(Lit(n / 2))).Count(ctx)
			if err == nil && got != n-n/2-1 {
				return fmt.Errorf("count %d, want %d", got, n-n/2-1)
			}
			return err
		}},
		{"take", func(ctx context.Context) error {
			recs, err := d.Take(ctx, 7)
			if err != nil {
				return err
			}
			defer releaseAll(recs)
			if rows, _ := sumIDs(recs, 0); rows != 7 {
				return fmt.Errorf("take 7 returned %d rows", rows)
			}
			return nil
		}},
		{"show", func(ctx context.Context) error {
			s, err := d.Select(Col("k")).ShowString(ctx, 3)
			want := "+---+\n| k |\n+---+\n| 0 |\n| 1 |\n| 2 |\n+---+\nonly showing the first 3 rows\n"
			if err == nil && s != want {
				return fmt.Errorf("show printed\n%s", s)
			}
			return err
		}},
		{"forEachBatch", func(ctx context.Context) error {
			var rows, sum atomic.Int64
			err := d.ForEachBatch(ctx, func(_ int, rec arrow.RecordBatch) error {
				r, s := sumIDs([]arrow.RecordBatch{rec}, 0)
				rows.Add(r)
				sum.Add(s)
				return nil
			})
			if err == nil && (rows.Load() != n || sum.Load() != wantSum) {
				return fmt.Errorf("forEachBatch saw %d rows summing to %d", rows.Load(), sum.Load())
			}
			return err
		}},
		{"join", func(ctx context.Context) error {
			recs, err := d.Join(dim, On("k"), Inner).Select(Col("label")).Collect(ctx)
			if err != nil {
				return err
			}
			defer releaseAll(recs)
			// Every row matches the one dim row of its k: label = k + 100.
			if rows, sum := sumIDs(recs, 0); rows != n || sum != 100*n+(n/10)*45 {
				return fmt.Errorf("join: %d rows summing to %d", rows, sum)
			}
			return nil
		}},
		{"cached", func(ctx context.Context) error {
			recs, err := grouped.Collect(ctx)
			if err != nil {
				return err
			}
			defer releaseAll(recs)
			if rows, sum := sumIDs(recs, 1); rows != 10 || sum != wantSum {
				return fmt.Errorf("cached group-by: %d groups summing to %d", rows, sum)
			}
			return nil
		}},
		{"write", func(ctx context.Context) error {
			// Parquet and CSV by turns.
			i := writes.Add(1)
			dir := filepath.Join(out, fmt.Sprint(i))
			write, read := d.WriteParquet, (*Session).ReadParquet
			if i%2 == 0 {
				write, read = d.WriteCSV, (*Session).ReadCSV
			}
			if err := write(ctx, dir); err != nil {
				return err
			}
			// Read back by a session of its own: this one may be closing.
			s2, err := NewSession(Config{})
			if err != nil {
				return err
			}
			defer s2.Close()
			got, err := read(s2, dir).Count(context.Background())
			if err == nil && got != n {
				return fmt.Errorf("wrote %d rows, want %d", got, n)
			}
			return err
		}},
	}
}

// TestConcurrentActions runs nine different actions from nine goroutines on one session
// at once, several times each; every result is complete and correct.
func TestConcurrentActions(t *testing.T) {
	const n = 20_000
	s, d := idSession(t, Config{Parallelism: 4, ShufflePartitions: 4, BatchRows: 1024, BroadcastThreshold: -1}, n, 6)
	actions := idActions(t, d, n, t.TempDir())
	var wg sync.WaitGroup
	for _, a := range actions {
		wg.Go(func() {
			for i := 0; i < 3; i++ {
				if err := a.run(t.Context()); err != nil {
					t.Errorf("%s run %d: %v", a.name, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := len(s.Jobs()); got < 3*len(actions) {
		t.Fatalf("%d jobs recorded, want at least %d", got, 3*len(actions))
	}
}

// TestCloseWhileJobsRun closes the session while every kind of action runs in a loop:
// each call either returns its complete, correct result or fails with ErrSessionClosed;
// Close returns only after the jobs ended (the checked allocator is back to zero and
// Close reports no reservation held).
func TestCloseWhileJobsRun(t *testing.T) {
	for round, delay := range []time.Duration{0, 5 * time.Millisecond, 30 * time.Millisecond} {
		t.Run(fmt.Sprint(delay), func(t *testing.T) {
			const n = 50_000
			s, d := idSession(t, Config{Parallelism: 4, ShufflePartitions: 4, BatchRows: 1024, BroadcastThreshold: -1}, n, 6)
			actions := idActions(t, d, n, t.TempDir())
			var wg sync.WaitGroup
			var succeeded, closed atomic.Int64
			for _, a := range actions {
				wg.Go(func() {
					for {
						err := a.run(t.Context())
						switch {
						case err == nil:
							succeeded.Add(1)
							continue
						case errors.Is(err, ErrSessionClosed):
							closed.Add(1)
						default:
							t.Errorf("%s: %v (neither the whole result nor ErrSessionClosed)", a.name, err)
						}
						return
					}
				})
			}
			time.Sleep(delay)
			// Two Close calls at once: both return after the jobs ended and everything
			// was freed.
			var closers sync.WaitGroup
			for range 2 {
				closers.Go(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
					if st := s.MemoryStats(); st.ExecutionUsed != 0 || st.StorageUsed != 0 {
						t.Errorf("Close returned with memory in use: %+v", st)
					}
				})
			}
			closers.Wait()
			wg.Wait()
			if closed.Load() != int64(len(actions)) {
				t.Fatalf("%d of %d loops ended with ErrSessionClosed", closed.Load(), len(actions))
			}
			t.Logf("round %d: %d jobs succeeded before Close", round, succeeded.Load())
		})
	}
}

// TestDatasetAfterClose: every entry point of a dataset whose session is closed fails
// with ErrSessionClosed instead of panicking or returning nothing.
func TestDatasetAfterClose(t *testing.T) {
	s, d := idSession(t, Config{}, 100, 2)
	persisted := d.Persist(MemoryOnly)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, ErrSessionClosed) {
			t.Errorf("%s after Close: err = %v, want ErrSessionClosed", name, err)
		}
	}
	var err error
	_, err = d.Collect(t.Context())
	check("Collect", err)
	_, err = d.Count(t.Context())
	check("Count", err)
	_, err = d.Take(t.Context(), 1)
	check("Take", err)
	_, err = d.ShowString(t.Context(), 1)
	check("ShowString", err)
	check("ForEachBatch", d.ForEachBatch(t.Context(), func(int, arrow.RecordBatch) error { return nil }))
	check("WriteParquet", d.WriteParquet(t.Context(), filepath.Join(dir, "p")))
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a write after Close left %v", entries)
	}
	check("WriteCSV", d.WriteCSV(t.Context(), filepath.Join(dir, "c")))
	_, err = d.Schema()
	check("Schema", err)
	_, err = d.LocalCheckpoint(t.Context())
	check("LocalCheckpoint", err)
	_, err = persisted.Collect(t.Context())
	check("Collect of a persisted dataset", err)
	_, err = d.GroupBy("k").Count().Join(d, On("k"), Inner).Collect(t.Context())
	check("Collect of a join", err)
	_, err = s.ReadCSV(filepath.Join(dir, "x.csv")).Count(t.Context())
	check("Count of a new CSV dataset", err)
	rec := array.NewRecordBatch(idSchema, []arrow.Array{
		array.NewInt64Builder(memory.NewGoAllocator()).NewArray(), array.NewInt64Builder(memory.NewGoAllocator()).NewArray()}, 0)
	_, err = s.FromRecords(rec).Collect(t.Context())
	check("Collect of FromRecords", err)
	if ex := d.Explain(); !strings.Contains(ex, ErrSessionClosed.Error()) {
		t.Errorf("Explain after Close: %q", ex)
	}
	persisted.Unpersist()
	_ = s.StorageInfo()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.ReadParquet(dir).Collect(context.Background()); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("ReadParquet after Close: %v", err)
	}
}
