package dataset

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sampleWant draws as the sample operator documents: one uniform per row, in partition
// order, from a generator seeded by (seed, partition).
func sampleWant(f *fixture, sizes []int, seed int64, lo, hi float64) [][]any {
	var want [][]any
	at := 0
	for p, n := range sizes {
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(p)*0x9e3779b97f4a7c15+1))
		for _, r := range f.rows[at : at+n] {
			if u := rng.Float64(); u >= lo && u < hi {
				want = append(want, []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})
			}
		}
		at += n
	}
	return want
}

func TestSampleMatchesPlainGo(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			got := collectRows(t, f.ds.Sample(0.3, 7))
			want := sampleWant(f, sizes, 7, 0, 0.3)
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range got { // the kept rows, in their input order
				if !sameRow(got[i], want[i]) {
					t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
				}
			}
			if n := len(f.rows); n >= 1000 && (len(got) < n*25/100 || len(got) > n*35/100) {
				t.Errorf("kept %d of %d rows at fraction 0.3", len(got), n)
			}
			// Pruned to one column, the same rows are kept.
			xs := collectRows(t, f.ds.Sample(0.3, 7).SelectColumns("x"))
			for i := range xs {
				if xs[i][0] != want[i][2] {
					t.Fatalf("pruned sample row %d: %v, want %v", i, xs[i][0], want[i][2])
				}
			}
		})
	}
}

func TestRandomSplitPartitionsTheRows(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			splits := f.ds.Filter(Col("x").IsNotNull().Or(Lit(true))).RandomSplit([]float64{1, 2, 3}, 11)
			var all [][]any
			bounds := []float64{0, 1.0 / 6, 3.0 / 6, 1}
			for i, s := range splits {
				got := collectRows(t, s)
				assertSameRows(t, got, sampleWant(f, sizes, 11, bounds[i], bounds[i+1]))
				all = append(all, got...)
			}
			var want [][]any
			for _, r := range f.rows {
				want = append(want, []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})
			}
			assertSameRows(t, all, want)
		})
	}
}

func TestSampleErrors(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	for _, d := range []*Dataset{f.ds.Sample(1.5, 1), f.ds.Sample(-0.1, 1), f.ds.RandomSplit([]float64{1, -1}, 1)[0], f.ds.RandomSplit(nil, 1)[0]} {
		if _, err := d.Count(t.Context()); err == nil || !strings.Contains(err.Error(), "helpers_sample_test.go") {
			t.Errorf("want an error naming the call site, got %v", err)
		}
	}
}

var countSchema = arrow.NewSchema([]arrow.Field{{Name: "partition", Type: arrow.PrimitiveTypes.Int64}, {Name: "rows", Type: arrow.PrimitiveTypes.Int64}}, nil)

// partitionRowCounts yields one batch per partition: its number and its row count.
func partitionRowCounts(stopped *atomic.Int64) PartitionFunc {
	return func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			defer stopped.Add(1)
			var n int64
			for rec, err := range in {
				if err != nil {
					yield(nil, err)
					return
				}
				n += rec.NumRows()
			}
			b := array.NewRecordBuilder(mem, countSchema)
			defer b.Release()
			b.Field(0).(*array.Int64Builder).Append(int64(p))
			b.Field(1).(*array.Int64Builder).Append(n)
			yield(b.NewRecordBatch(), nil)
		}
	}
}

func TestMapPartitionsSeesWholePartitions(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			var stopped atomic.Int64
			got := collectRows(t, f.ds.MapPartitions("count", countSchema, partitionRowCounts(&stopped)))
			var want [][]any
			for p, n := range sizes {
				want = append(want, []any{int64(p), int64(n)})
			}
			assertSameRows(t, got, want)
			if int(stopped.Load()) != len(sizes) {
				t.Errorf("%d functions ended, want %d", stopped.Load(), len(sizes))
			}
		})
	}
}

func TestMapPartitionsStopsEarlyAndFails(t *testing.T) {
	f := newFixture(t, []int{300, 300, 300}, Config{MaxTaskAttempts: 1})
	var stopped atomic.Int64
	// Pass batches through, retained; a limit above stops the function early.
	passThrough := func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			defer stopped.Add(1)
			for rec, err := range in {
				if err != nil {
					yield(nil, err)
					return
				}
				rec.Retain()
				if !yield(rec, nil) {
					return
				}
			}
		}
	}
	got := collectRows(t, f.ds.MapPartitions("pass", nil, passThrough).Limit(5))
	if len(got) != 5 {
		t.Errorf("%d rows", len(got))
	}
	if stopped.Load() == 0 {
		t.Error("no function ended")
	}
	boom := func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			for range in {
				panic("boom")
			}
		}
	}
	if _, err := f.ds.MapPartitions("boom", nil, boom).Count(t.Context()); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panic: %v", err)
	}
	failing := func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) { yield(nil, errors.New("no luck")) }
	}
	if _, err := f.ds.MapPartitions("failing", nil, failing).Count(t.Context()); err == nil || !strings.Contains(err.Error(), "no luck") {
		t.Errorf("error: %v", err)
	}
	wrong := f.ds.MapPartitions("wrong", countSchema, func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			for rec := range in {
				rec.Retain()
				yield(rec, nil)
				return
			}
		}
	})
	if _, err := wrong.Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("wrong schema: %v", err)
	}
}

// TestMapPartitionsCancellation: cancelling the job's context reaches the function,
// which stops waiting, and the job ends with the cancellation, leaving nothing behind.
func TestMapPartitionsCancellation(t *testing.T) {
	f := newFixture(t, []int{50, 50, 50}, Config{MaxTaskAttempts: 1})
	slow := func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			for range in {
				<-ctx.Done() // a function waiting on something slow
				yield(nil, ctx.Err())
				return
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.ds.MapPartitions("slow", nil, slow).Count(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
	// The same through Batches: the loop ends with the cancellation.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel2()
	var last error
	for _, err := range f.ds.MapPartitions("slow", nil, slow).Batches(ctx2) {
		last = err
	}
	if !errors.Is(last, context.DeadlineExceeded) {
		t.Errorf("Batches after cancel: %v", last)
	}
}

// TestBatchesStreamsBeforeTheJobEnds: partition 1 cannot finish until the loop has seen
// partition 0's rows, which only a streaming Batches allows.
func TestBatchesStreamsBeforeTheJobEnds(t *testing.T) {
	f := newFixture(t, []int{20, 20}, Config{Parallelism: 2, MaxTaskAttempts: 1})
	seen := make(chan struct{})
	gate := func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			if p == 1 {
				select {
				case <-seen:
				case <-time.After(10 * time.Second):
					yield(nil, errors.New("partition 0 was not streamed"))
					return
				}
			}
			for rec, err := range in {
				if err == nil {
					rec.Retain()
				}
				if !yield(rec, err) {
					return
				}
			}
		}
	}
	rows, once := 0, false
	for rec, err := range f.ds.MapPartitions("gate", nil, gate).Batches(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		rows += int(rec.NumRows())
		if !once {
			once = true
			close(seen)
		}
	}
	if rows != 40 {
		t.Errorf("%d rows", rows)
	}
}
