package dataset

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var aqeSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Float64},
	{Name: "s", Type: arrow.BinaryTypes.String},
	{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
}, nil)

// aqeRows builds rows in 4 partitions: id unique, k in [0, keys) (every 17th NULL; with
// hot set, half the rows have k = 0), v random, s and the dictionary string d from k.
func aqeRows(mem memory.Allocator, rows, keys int, hot bool, seed uint64) [][]arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(seed, 3))
	parts := make([][]arrow.RecordBatch, 4)
	per := rows / len(parts)
	for p := range parts {
		b := array.NewRecordBuilder(mem, aqeSchema)
		for i := range per {
			id := int64(p*per + i)
			b.Field(0).(*array.Int64Builder).Append(id)
			k := rng.Int64N(int64(keys))
			if hot && rng.IntN(2) == 0 {
				k = 0
			}
			if id%17 == 5 {
				b.Field(1).(*array.Int64Builder).AppendNull()
			} else {
				b.Field(1).(*array.Int64Builder).Append(k)
			}
			b.Field(2).(*array.Float64Builder).Append(float64(rng.IntN(100)) / 4)
			b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("s%03d", k%50))
			if err := b.Field(4).(*array.BinaryDictionaryBuilder).AppendString(fmt.Sprintf("d%02d", k%30)); err != nil {
				panic(err)
			}
		}
		parts[p] = []arrow.RecordBatch{b.NewRecordBatch()}
		b.Release()
	}
	return parts
}

func aqeData(s *Session, mem memory.Allocator, rows, keys int, hot bool, seed uint64) *Dataset {
	parts := aqeRows(mem, rows, keys, hot, seed)
	d := s.FromPartitions(aqeSchema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	return d
}

// aqeCells renders the rows, sorted unless ordered.
func aqeCells(t *testing.T, d *Dataset, ordered bool) []string {
	t.Helper()
	out := cells(collectRows(t, d))
	if !ordered {
		slices.Sort(out)
	}
	return out
}

// TestAdaptiveSameResults runs group-by, distinct, sort, window and every join kind with
// adaptive execution on and off (the same 16 shuffle partitions): the results are equal,
// and with it on the reduce stages ran fewer tasks, as the metrics say.
func TestAdaptiveSameResults(t *testing.T) {
	queries := map[string]struct {
		q       func(a, b *Dataset) *Dataset
		ordered bool
	}{
		"group-by": {q: func(a, _ *Dataset) *Dataset {
			return a.GroupBy("k").Agg(Sum("v").As("sv"), Count().As("n"), Max("s").As("ms"))
		}},
		"distinct": {q: func(a, _ *Dataset) *Dataset { return a.SelectColumns("k", "s").Distinct() }},
		"group-by dictionary": {q: func(a, _ *Dataset) *Dataset {
			return a.GroupBy("d").Agg(Sum("v").As("sv"), Count().As("n"), Min("id").As("mi"))
		}},
		"join dictionary": {q: func(a, b *Dataset) *Dataset {
			return a.Join(b.Filter(Col("id").Mod(Lit(int64(10))).Eq(Lit(int64(0)))).Select(Col("d"), Col("id").As("bid")), On("d"), LeftOuter)
		}},
		"sort": {q: func(a, _ *Dataset) *Dataset { return a.OrderBy(Asc("s"), Desc("k"), Asc("id")) }, ordered: true},
		"window": {q: func(a, _ *Dataset) *Dataset {
			return a.WithColumn("rn", RowNumber().Over(PartitionBy("k").OrderBy(Asc("id"))))
		}},
	}
	for _, kind := range []JoinKind{Inner, LeftOuter, RightOuter, FullOuter, LeftSemi, LeftAnti} {
		queries["join "+kind.String()] = struct {
			q       func(a, b *Dataset) *Dataset
			ordered bool
		}{q: func(a, b *Dataset) *Dataset {
			return a.Join(b.Select(Col("k"), Col("id").As("bid"), Col("s").As("bs")), On("k"), kind)
		}}
	}
	for _, empty := range []bool{false, true} {
		for name, tc := range queries {
			t.Run(fmt.Sprintf("%s/empty=%v", name, empty), func(t *testing.T) {
				rows := 4000
				if empty {
					rows = 0
				}
				run := func(disable bool) ([]string, *JobMetrics) {
					s, mem := newCacheSession(t, Config{ShufflePartitions: 16, DisableAdaptive: disable, BroadcastThreshold: -1})
					s.env.Parallelism = 2
					s.env.Adaptive.MinPartitions = 2
					a := aqeData(s, mem, rows, 40, false, 1)
					b := aqeData(s, mem, rows/4, 60, false, 2)
					return aqeCells(t, tc.q(a, b), tc.ordered), s.LastJob()
				}
				want, _ := run(true)
				got, jm := run(false)
				t.Logf("%s", jm)
				if !slices.Equal(got, want) {
					t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
				}
				if !strings.Contains(jm.String(), "adaptive: coalesced 16 → ") {
					t.Errorf("no coalescing in the metrics:\n%s", jm)
				}
			})
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: %q vs %q", i, a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// TestAdaptiveBroadcastSwitch: a join side the planner estimated large (its raw input) is
// small once aggregated; the reduce stage reads it whole in every task as a broadcast
// join, for the join kinds whose build side's unmatched rows are not emitted, with the
// same results as the shuffled join.
func TestAdaptiveBroadcastSwitch(t *testing.T) {
	type tc struct {
		kind     JoinKind
		swap     bool // the aggregated side on the left
		switched bool
	}
	cases := []tc{{Inner, false, true}, {LeftOuter, false, true}, {LeftSemi, false, true}, {LeftAnti, false, true},
		{RightOuter, false, false}, {FullOuter, false, false}, {RightOuter, true, true}, {FullOuter, true, false}}
	for _, c := range cases {
		kind, switched := c.kind, c.switched
		t.Run(fmt.Sprintf("%s/swap=%v", kind, c.swap), func(t *testing.T) {
			run := func(disable bool) ([]string, *JobMetrics) {
				s, mem := newCacheSession(t, Config{ShufflePartitions: 16, DisableAdaptive: disable, BroadcastThreshold: 50 << 10})
				s.env.Adaptive.MinPartitions = 2
				a := aqeData(s, mem, 4000, 40, false, 1)
				b := aqeData(s, mem, 8000, 60, false, 2).GroupBy("k").Agg(Count().As("bn"), Sum("v").As("bv"))
				if c.swap {
					return aqeCells(t, b.Join(a, On("k"), kind), false), s.LastJob()
				}
				return aqeCells(t, a.Join(b, On("k"), kind), false), s.LastJob()
			}
			want, _ := run(true)
			got, jm := run(false)
			t.Logf("%s", jm)
			if !slices.Equal(got, want) {
				t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
			}
			if has := strings.Contains(jm.String(), "join switched to broadcast (build side "); has != switched {
				t.Errorf("switched to broadcast: %v, want %v\n%s", has, switched, jm)
			}
		})
	}
}

// TestAdaptiveSkewJoin: half the left rows have one key. The partition holding it is
// split by map output into tasks that each read the other side's partition whole, for the
// join kinds that allow it; results equal the join without adaptive execution, and an
// inner join's pair counts equal a plain-Go count.
func TestAdaptiveSkewJoin(t *testing.T) {
	type tc struct {
		kind JoinKind
		swap bool // the skewed side on the right
		// split: the skewed partition is split (the kind allows splitting that side)
		split bool
	}
	cases := []tc{{Inner, false, true}, {Inner, true, true}, {LeftOuter, false, true}, {LeftSemi, false, true},
		{LeftAnti, false, true}, {RightOuter, true, true}, {RightOuter, false, false}, {FullOuter, false, false}, {LeftOuter, true, false}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/swap=%v", c.kind, c.swap), func(t *testing.T) {
			run := func(disable bool) ([]string, *JobMetrics) {
				s, mem := newCacheSession(t, Config{ShufflePartitions: 16, DisableAdaptive: disable, BroadcastThreshold: -1,
					SkewedPartitionBytes: 1 << 10, AdvisoryPartitionBytes: 8 << 10})
				s.env.Parallelism = 2
				s.env.Adaptive.MinPartitions = 2
				a := aqeData(s, mem, 8000, 40, true, 1)
				b := aqeData(s, mem, 600, 60, false, 2).Select(Col("k"), Col("id").As("bid"))
				q := a.Join(b, On("k"), c.kind)
				if c.swap {
					q = b.Join(a, On("k"), c.kind)
				}
				return aqeCells(t, q, false), s.LastJob()
			}
			want, _ := run(true)
			got, jm := run(false)
			t.Logf("%s", jm)
			if !slices.Equal(got, want) {
				t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
			}
			if has := strings.Contains(jm.String(), "skewed ("); has != c.split {
				t.Errorf("skewed partition split: %v, want %v\n%s", has, c.split, jm)
			}
		})
	}
	t.Run("spill", func(t *testing.T) {
		// A budget of 256 KiB: shuffle blocks move to disk, and the coalesced and split
		// tasks read their ranges and pieces back from there.
		run := func(cfg Config) ([]string, *JobMetrics) {
			cfg.ShufflePartitions, cfg.BroadcastThreshold = 16, -1
			cfg.SkewedPartitionBytes, cfg.AdvisoryPartitionBytes = 1<<10, 8<<10
			s, mem := newCacheSession(t, cfg)
			s.env.Adaptive.MinPartitions = 2
			a := aqeData(s, mem, 8000, 40, true, 1)
			b := aqeData(s, mem, 3000, 60, false, 2).Select(Col("k"), Col("id").As("bid"), Col("s").As("bs"))
			return aqeCells(t, a.Join(b, On("k"), LeftOuter), false), s.LastJob()
		}
		want, _ := run(Config{DisableAdaptive: true})
		got, jm := run(Config{MemoryLimit: 256 << 10, BatchRows: 256})
		if !slices.Equal(got, want) {
			t.Fatalf("adaptive, spilling: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
		}
		if jm.Spill.Files == 0 || !strings.Contains(jm.String(), "skewed (") {
			t.Errorf("want split tasks reading spilled shuffle blocks:\n%s", jm)
		}
	})
	t.Run("vs Go", func(t *testing.T) {
		s, mem := newCacheSession(t, Config{ShufflePartitions: 16, BroadcastThreshold: -1,
			SkewedPartitionBytes: 1 << 10, AdvisoryPartitionBytes: 8 << 10})
		s.env.Adaptive.MinPartitions = 2
		counts := func(parts [][]arrow.RecordBatch) map[int64]int64 {
			m := map[int64]int64{}
			for _, p := range parts {
				for _, r := range p {
					k := r.Column(1).(*array.Int64)
					for i := range k.Len() {
						if k.IsValid(i) {
							m[k.Value(i)]++
						}
					}
				}
			}
			return m
		}
		ap, bp := aqeRows(mem, 8000, 40, true, 1), aqeRows(mem, 600, 60, false, 2)
		ca, cb := counts(ap), counts(bp)
		var want []string
		for k, n := range ca {
			if cb[k] > 0 {
				want = append(want, fmt.Sprintf("%d|%d", k, n*cb[k]))
			}
		}
		slices.Sort(want)
		a, b := s.FromPartitions(aqeSchema, ap...), s.FromPartitions(aqeSchema, bp...)
		for _, p := range append(ap, bp...) {
			releaseAll(p)
		}
		// No aggregate in the join's stage: one by the join key would need whole key groups.
		pairs := map[int64]int64{}
		for _, row := range collectRows(t, a.Join(b.Select(Col("k"), Col("id").As("bid")), On("k"), Inner)) {
			pairs[row[1].(int64)]++
		}
		var got []string
		for k, n := range pairs {
			got = append(got, fmt.Sprintf("%d|%d", k, n))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("pairs per key: %d keys, want %d\n%s", len(got), len(want), firstDiff(got, want))
		}
		if !strings.Contains(s.LastJob().String(), "skewed (") {
			t.Errorf("no skewed partition split:\n%s", s.LastJob())
		}
	})
}

// TestAdaptiveRetryAndCancel: coalesced and split tasks are retried whole after a
// failure (the result is the one without failures), and cancelling the job stops them
// with nothing leaked.
func TestAdaptiveRetryAndCancel(t *testing.T) {
	newJoin := func(s *Session, mem memory.Allocator, fn BatchFunc) *Dataset {
		a := aqeData(s, mem, 8000, 40, true, 1)
		b := aqeData(s, mem, 600, 60, false, 2).Select(Col("k"), Col("id").As("bid"))
		return a.Join(b, On("k"), Inner).MapBatches("flaky", nil, fn)
	}
	cfg := Config{ShufflePartitions: 16, BroadcastThreshold: -1, SkewedPartitionBytes: 1 << 10, AdvisoryPartitionBytes: 8 << 10}
	pass := func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		in.Retain()
		return in, nil
	}
	s, mem := newCacheSession(t, cfg)
	s.env.Adaptive.MinPartitions = 2
	want := aqeCells(t, newJoin(s, mem, pass), false)

	var calls atomic.Int64
	got := aqeCells(t, newJoin(s, mem, func(ctx context.Context, in arrow.RecordBatch, m memory.Allocator) (arrow.RecordBatch, error) {
		if n := calls.Add(1); n == 2 || n == 9 || n == 15 { // three failures: no task exhausts its attempts
			return nil, errors.New("transient failure")
		}
		return pass(ctx, in, m)
	}), false)
	jm := s.LastJob()
	if !slices.Equal(got, want) {
		t.Fatalf("with retries: %d rows, want %d\n%s", len(got), len(want), firstDiff(got, want))
	}
	last := jm.Stages[len(jm.Stages)-1]
	if last.Retries == 0 || !strings.Contains(jm.String(), "skewed (") {
		t.Fatalf("want retried attempts of split tasks:\n%s", jm)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := newJoin(s, mem, func(c context.Context, in arrow.RecordBatch, m memory.Allocator) (arrow.RecordBatch, error) {
		cancel()
		return pass(c, in, m)
	}).Collect(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled job: %v", err)
	}
}
