package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
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
}, nil)

// aqeRows builds rows in 4 partitions: id unique, k in [0, keys) (every 17th NULL; with
// hot set, half the rows have k = 0), v and s from k and id.
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
		"sort":     {q: func(a, _ *Dataset) *Dataset { return a.OrderBy(Asc("s"), Desc("k"), Asc("id")) }, ordered: true},
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
