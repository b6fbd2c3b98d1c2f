package dataset

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestJobEndingsLeaveNothing runs one spilling job of each ending (success, failure,
// cancellation, timeout) on one session that also holds a cached dataset, and checks
// after each what the issue promises: no execution memory held, storage memory exactly
// the cached partitions', no file in the spill directory, no goroutine beyond those the
// session had before its first job.
func TestJobEndingsLeaveNothing(t *testing.T) {
	const rows = 100_000
	s, mem := newCacheSession(t, Config{MemoryLimit: 512 << 10, BatchRows: 1024, ShufflePartitions: 4, BroadcastThreshold: -1})
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var parts [][]arrow.RecordBatch
	for p := 0; p < 4; p++ {
		var part []arrow.RecordBatch
		for lo := p * rows / 4; lo < (p+1)*rows/4; lo += 2500 {
			b := array.NewRecordBuilder(mem, schema)
			for i := lo; i < lo+2500; i++ {
				b.Field(0).(*array.Int64Builder).Append(int64((i * 7919) % rows)) // a permutation of 0..rows-1
				b.Field(1).(*array.Int64Builder).Append(int64(i))
			}
			part = append(part, b.NewRecordBatch())
			b.Release()
		}
		parts = append(parts, part)
	}
	base := s.FromPartitions(schema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	cached := base.Filter(Col("k").Lt(Lit(int64(1000)))).Persist(MemoryOnly)
	if n, err := cached.Count(t.Context()); err != nil || n != 1000 {
		t.Fatalf("cached Count = %d, %v; want 1000", n, err)
	}
	// The session's own goroutines, after a first job started whatever it keeps.
	baseline := runtime.NumGoroutine()

	sorted := base.OrderBy(Desc("k")) // spills under the budget
	failing := errors.New("user function failed")
	endings := []struct {
		name string
		run  func() error
		want func(err error) bool
	}{
		{"success", func() error {
			recs, err := sorted.Collect(t.Context())
			if err != nil {
				return err
			}
			defer releaseAll(recs)
			want := int64(rows - 1)
			for _, r := range recs {
				for _, k := range r.Column(0).(*array.Int64).Int64Values() {
					if k != want {
						t.Fatalf("sorted key %d, want %d", k, want)
					}
					want--
				}
			}
			if want != -1 {
				t.Fatalf("sorted output ends before key %d", want)
			}
			return nil
		}, func(err error) bool { return err == nil }},
		{"failure", func() error {
			_, err := mapAfterSort(sorted, func(ctx context.Context, in arrow.RecordBatch) error { return failing }).Count(t.Context())
			return err
		}, func(err error) bool { return errors.Is(err, failing) || strings.Contains(fmtErr(err), failing.Error()) }},
		{"cancel", func() error {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			_, err := mapAfterSort(sorted, func(context.Context, arrow.RecordBatch) error { cancel(); return nil }).Count(ctx)
			return err
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"timeout", func() error {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, err := mapAfterSort(sorted, func(ctx context.Context, _ arrow.RecordBatch) error {
				<-ctx.Done() // a slow user function: the deadline ends it
				return ctx.Err()
			}).Count(ctx)
			return err
		}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, e := range endings {
		start := time.Now()
		err := e.run()
		if !e.want(err) {
			t.Fatalf("%s: job ended with %v", e.name, err)
		}
		if e.name == "success" && s.LastJob().Totals().SpillCount == 0 {
			t.Fatalf("success: the sort did not spill under the budget:\n%s", s.LastJob())
		}
		st := s.MemoryStats()
		var cachedBytes int64
		for _, c := range s.StorageInfo() {
			cachedBytes += c.MemoryBytes
		}
		if st.ExecutionUsed != 0 || st.StorageUsed != cachedBytes {
			t.Errorf("%s: execution memory %d (want 0), storage %d (want the cached %d)", e.name, st.ExecutionUsed, st.StorageUsed, cachedBytes)
		}
		if ents, err := os.ReadDir(s.SpillDir()); err != nil || len(ents) != 0 {
			t.Errorf("%s: spill directory holds %d entries (%v) after the job", e.name, len(ents), err)
		}
		if n := waitGoroutinesAtMost(baseline, 2*time.Second); n > baseline {
			t.Errorf("%s: %d goroutines after the job, %d before", e.name, n, baseline)
		}
		t.Logf("%s in %v (%d cached bytes): %v", e.name, time.Since(start).Round(time.Millisecond), cachedBytes, err)
	}
	// The cache still answers, and gives its memory back when unpersisted.
	if n, err := cached.Count(t.Context()); err != nil || n != 1000 {
		t.Fatalf("cached Count after the jobs = %d, %v; want 1000", n, err)
	}
	cached.Unpersist()
	if st := s.MemoryStats(); st.ExecutionUsed != 0 || st.StorageUsed != 0 {
		t.Errorf("after Unpersist: execution %d, storage %d bytes held", st.ExecutionUsed, st.StorageUsed)
	}
}

// mapAfterSort runs fn on each sorted batch (after the sort spilled) and passes it on.
func mapAfterSort(d *Dataset, fn func(ctx context.Context, in arrow.RecordBatch) error) *Dataset {
	schema, _ := d.Schema()
	return d.MapBatches("ending", schema, func(ctx context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		if err := fn(ctx, in); err != nil {
			return nil, err
		}
		in.Retain()
		return in, nil
	})
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// waitGoroutinesAtMost waits up to grace for the goroutine count to fall to n and
// returns the last count.
func waitGoroutinesAtMost(n int, grace time.Duration) int {
	deadline := time.Now().Add(grace)
	for {
		got := runtime.NumGoroutine()
		if got <= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}
