package dataset

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// cacheBenchBatch is n rows of a 10-column table: a dictionary key k, a date-like d,
// three floats and five integers.
func cacheBenchBatch(mem memory.Allocator, start, n int) arrow.RecordBatch {
	fields := []arrow.Field{
		{Name: "k", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "d", Type: arrow.PrimitiveTypes.Int64},
	}
	for _, name := range []string{"a", "b", "c"} {
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
	}
	for _, name := range []string{"p0", "p1", "p2", "p3", "p4"} {
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64})
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	keys := []string{"A|F", "N|F", "N|O", "R|F"}
	for i := start; i < start+n; i++ {
		if err := b.Field(0).(*array.BinaryDictionaryBuilder).AppendString(keys[i%4]); err != nil {
			panic(err)
		}
		b.Field(1).(*array.Int64Builder).Append(int64(i*7919) % 2500)
		for c := 2; c < 5; c++ {
			b.Field(c).(*array.Float64Builder).Append(float64(i%1000) * float64(c))
		}
		for c := 5; c < 10; c++ {
			b.Field(c).(*array.Int64Builder).Append(int64(i * c))
		}
	}
	return b.NewRecordBatch()
}

// BenchmarkCacheFilter is TPC-H Q1's shape over a persisted 10-column table: a filter
// keeping about 96% of the rows, a group-by and a sum, using 3 of the columns. "whole"
// plans it as before column pruning reached cached data (every column read and gathered
// by the filter), "pruned" as now.
func BenchmarkCacheFilter(b *testing.B) {
	const parts, rows = 8, 1 << 17
	for _, bc := range []struct {
		name  string
		whole bool
	}{{"whole", true}, {"pruned", false}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := NewSession(Config{Parallelism: 2, TestingKnobs: TestingKnobs{WholeReads: bc.whole}})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batches := make([][]arrow.RecordBatch, parts)
			for p := range batches {
				batches[p] = []arrow.RecordBatch{cacheBenchBatch(memory.DefaultAllocator, p*rows, rows)}
			}
			cached := s.FromPartitions(batches[0][0].Schema(), batches...).Persist(MemoryOnly)
			for _, p := range batches {
				p[0].Release()
			}
			if n, err := cached.Count(b.Context()); err != nil || n != parts*rows {
				b.Fatalf("count %d, %v", n, err)
			}
			q := cached.Filter(Col("d").Le(Lit(int64(2400)))).GroupBy("k").Agg(Sum("a").As("sa"))
			b.ResetTimer()
			for range b.N {
				recs, err := q.Collect(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				releaseAll(recs)
			}
			if m := s.LastJob().Totals(); m.RecomputedPartitions != 0 {
				b.Fatalf("%d partitions recomputed: the cache did not hold the table", m.RecomputedPartitions)
			}
		})
	}
}
