package dataset

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// wideRow is one row of the wide cached table, kept in plain Go for the independent
// computation: NULLs are nil pointers.
type wideRow struct {
	id   int64
	k    *string // a dictionary string
	s    *string
	f    *float64
	g    *int64
	pads [4]int64
}

var wideSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "k", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "p0", Type: arrow.PrimitiveTypes.Int64},
	{Name: "p1", Type: arrow.PrimitiveTypes.Int64},
	{Name: "p2", Type: arrow.PrimitiveTypes.Int64},
	{Name: "p3", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// wideRows makes parts×n rows with NULLs in k, s, f and g, and many ties in g and k.
func wideRows(parts, n int) [][]wideRow {
	out := make([][]wideRow, parts)
	x := uint64(12345)
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for p := range out {
		out[p] = make([]wideRow, n)
		for i := range out[p] {
			r := wideRow{id: int64(p*n + i)}
			v := next()
			if v%7 != 0 {
				k := fmt.Sprintf("k%d", v%5)
				r.k = &k
			}
			if v%11 != 0 {
				s := fmt.Sprintf("s-%d", v%1000)
				r.s = &s
			}
			if v%13 != 0 {
				f := float64(v%10000) / 100
				r.f = &f
			}
			if v%3 != 0 {
				g := int64(v % 100)
				r.g = &g
			}
			for j := range r.pads {
				r.pads[j] = int64(v>>j) % 1000
			}
			out[p][i] = r
		}
	}
	return out
}

func wideBatch(mem memory.Allocator, rows []wideRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, wideSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		kb := b.Field(1).(*array.BinaryDictionaryBuilder)
		if r.k == nil {
			kb.AppendNull()
		} else if err := kb.AppendString(*r.k); err != nil {
			panic(err)
		}
		if r.s == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(*r.s)
		}
		if r.f == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(*r.f)
		}
		if r.g == nil {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Int64Builder).Append(*r.g)
		}
		for j, p := range r.pads {
			b.Field(5 + j).(*array.Int64Builder).Append(p)
		}
	}
	return b.NewRecordBatch()
}

// wideDataset is the rows as a dataset whose partitions count their computations.
func wideDataset(s *Session, mem memory.Allocator, rows [][]wideRow, calls *atomic.Int64) *Dataset {
	parts := make([][]arrow.RecordBatch, len(rows))
	for p, rs := range rows {
		parts[p] = []arrow.RecordBatch{wideBatch(mem, rs)}
	}
	d := s.FromPartitions(wideSchema, parts...)
	for _, p := range parts {
		p[0].Release()
	}
	return d.MapBatches("count-calls", nil, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		calls.Add(1)
		in.Retain()
		return in, nil
	})
}

func strOrNil(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestCacheReadPrunesColumns reads a persisted 9-column table with two queries using
// different columns: each read passes on only its columns (Explain lists them), the
// stored blocks keep every column, and the rows match a plain-Go filter, at every level,
// for blocks read from memory, from disk, and recomputed after eviction.
func TestCacheReadPrunesColumns(t *testing.T) {
	rows := wideRows(5, 6000)
	// Query 1: the predicate's column g is not in the output.
	var want1, want2 [][]any
	for _, part := range rows {
		for _, r := range part {
			if r.g != nil && *r.g > 40 {
				want1 = append(want1, []any{r.id, strOrNil(r.k)})
			}
			if r.f == nil || *r.f < 10 {
				var f any
				if r.f != nil {
					f = *r.f
				}
				want2 = append(want2, []any{r.id, strOrNil(r.s), f, r.pads[3]})
			}
		}
	}
	for _, tc := range []struct {
		name  string
		level StorageLevel
		limit int64 // the session's memory; 0 for ample
		check func(t *testing.T, m TaskMetrics, calls int64)
	}{
		{"memory", MemoryOnly, 0, noRecompute},
		{"memory-ser", MemoryOnlySer, 0, noRecompute},
		{"disk", DiskOnly, 0, noRecompute},
		{"memory-and-disk-tight", MemoryAndDisk, 1 << 20, func(t *testing.T, m TaskMetrics, calls int64) {
			noRecompute(t, m, calls)
			if m.CacheDiskHits == 0 {
				t.Errorf("no partition was read from disk: the budget did not push any there")
			}
		}},
		{"memory-evicted", MemoryOnly, 1 << 20, func(t *testing.T, m TaskMetrics, calls int64) {
			if m.RecomputedPartitions == 0 || calls == 0 {
				t.Errorf("no partition was recomputed (metric %d, %d calls): the budget held them all", m.RecomputedPartitions, calls)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, mem := newCacheSession(t, Config{MemoryLimit: tc.limit, BatchRows: 2048})
			var calls atomic.Int64
			cached := wideDataset(s, mem, rows, &calls).Persist(tc.level)
			if n := countRows(t, cached); n != 5*6000 {
				t.Fatalf("count %d", n)
			}
			q1 := cached.Filter(Col("g").Gt(Lit(int64(40)))).Select(Col("id"), Col("k"))
			q2 := cached.Filter(Col("f").IsNull().Or(Col("f").Lt(Lit(10.0)))).Select(Col("id"), Col("s"), Col("f"), Col("p3"))
			for _, q := range []struct {
				d          *Dataset
				want       [][]any
				cols, keep string
			}{
				{q1, want1, "columns=[id, k, g]", "keep=[id, k]"},
				{q2, want2, "columns=[id, s, f, p3]", ""},
			} {
				ex := q.d.Explain()
				if !strings.Contains(ex, q.cols) || !strings.Contains(ex, q.keep) {
					t.Fatalf("Explain does not read %s (%s) from the cache:\n%s", q.cols, q.keep, ex)
				}
				calls.Store(0)
				assertSameRows(t, collectRows(t, q.d), q.want)
				tc.check(t, s.LastJob().Totals(), calls.Load())
			}
			// The stored blocks are whole: the whole table reads back without lineage.
			if tc.level != MemoryOnly {
				calls.Store(0)
				if n := len(collectRows(t, cached)); n != 5*6000 || calls.Load() != 0 {
					t.Fatalf("whole read: %d rows, %d recomputations", n, calls.Load())
				}
				if sch, err := cached.Schema(); err != nil || sch.NumFields() != wideSchema.NumFields() {
					t.Fatalf("cached schema %v", sch)
				}
			}
		})
	}
}

func noRecompute(t *testing.T, m TaskMetrics, calls int64) {
	t.Helper()
	if calls != 0 || m.RecomputedPartitions != 0 || m.CacheHits == 0 {
		t.Errorf("%d recomputations (metric %d), %d hits: want every partition read from the cache", calls, m.RecomputedPartitions, m.CacheHits)
	}
}

// TestCacheReadPrunedAggregate is TPC-H Q1's shape over a cached table: a filter on one
// column, a group-by on a dictionary key, sums over two others.
func TestCacheReadPrunedAggregate(t *testing.T) {
	rows := wideRows(4, 5000)
	type acc struct {
		n    int64
		sumG int64
		nG   int64
	}
	groups := map[any]*acc{}
	for _, part := range rows {
		for _, r := range part {
			if r.f == nil || *r.f < 50 {
				continue
			}
			k := strOrNil(r.k)
			a := groups[k]
			if a == nil {
				a = &acc{}
				groups[k] = a
			}
			a.n++
			if r.g != nil {
				a.sumG += *r.g
				a.nG++
			}
		}
	}
	var want [][]any
	for k, a := range groups {
		var sum any
		if a.nG > 0 {
			sum = a.sumG
		}
		want = append(want, []any{k, sum, a.n})
	}
	s, mem := newCacheSession(t, Config{BatchRows: 1024})
	var calls atomic.Int64
	cached := wideDataset(s, mem, rows, &calls).Cache()
	countRows(t, cached)
	q := cached.Filter(Col("f").Ge(Lit(50.0))).GroupBy("k").Agg(Sum("g").As("sg"), Count().As("n"))
	if ex := q.Explain(); !strings.Contains(ex, "columns=[k, f, g]") || !strings.Contains(ex, "keep=[k, g]") {
		t.Fatalf("Explain:\n%s", ex)
	}
	calls.Store(0)
	assertSameRows(t, collectRows(t, q), want)
	if calls.Load() != 0 {
		t.Fatalf("%d recomputations", calls.Load())
	}
	// Unpersisted, the input is computed again, pruned like any other.
	cached.Unpersist()
	if _, phys, _ := strings.Cut(q.Explain(), "== Physical Plan =="); strings.Contains(phys, "Cache") {
		t.Fatalf("the physical plan after Unpersist reads a cache:\n%s", phys)
	}
	assertSameRows(t, collectRows(t, q), want)
	if calls.Load() == 0 {
		t.Fatal("the unpersisted dataset was not computed")
	}
}
