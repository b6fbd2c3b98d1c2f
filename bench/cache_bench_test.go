package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// clicks generates n rows of (user, page, ms) in parts partitions.
func clicks(n, users, parts int) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(1, 1))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "user", Type: arrow.PrimitiveTypes.Int64},
		{Name: "page", Type: arrow.BinaryTypes.String},
		{Name: "ms", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	out := make([]arrow.RecordBatch, parts)
	for p := range out {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := 0; i < n/parts; i++ {
			b.Field(0).(*array.Int64Builder).Append(rng.Int64N(int64(users)))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("/products/%05d?ref=campaign-%03d", rng.IntN(50000), rng.IntN(500)))
			b.Field(2).(*array.Int64Builder).Append(rng.Int64N(5000))
		}
		out[p] = b.NewRecordBatch()
		b.Release()
	}
	return out
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// BenchmarkReuseUnderPressure reuses a dataset three times under a budget smaller than
// the dataset: None recomputes everything each time, MemoryOnly recomputes what did not
// fit, MemoryAndDisk and DiskOnly read from disk. The lineage is a real cost: a string
// parse (contains, substring, cast) over every row.
func BenchmarkReuseUnderPressure(b *testing.B) {
	const rows = 1_000_000
	raw := clicks(rows, 20_000, 8)
	defer release(raw)
	for _, level := range []dataset.StorageLevel{dataset.None, dataset.MemoryOnly, dataset.MemoryAndDisk, dataset.DiskOnly} {
		b.Run(level.String(), func(b *testing.B) {
			var recomputed, diskHits int64
			for b.Loop() {
				s, err := dataset.NewSession(dataset.Config{MemoryLimit: 8 << 20})
				if err != nil {
					b.Fatal(err)
				}
				parsed := s.FromRecords(raw...).
					Filter(dataset.Contains(dataset.Col("page"), "campaign-1")).
					WithColumn("product", dataset.Substring(dataset.Col("page"), 11, 5).Cast(arrow.PrimitiveTypes.Int64)).
					Persist(level)
				for q := 0; q < 3; q++ {
					n, err := parsed.Filter(dataset.Col("product").Gt(dataset.Lit(q * 1000))).Count(context.Background())
					if err != nil || n == 0 {
						b.Fatalf("count %d, %v", n, err)
					}
					t := s.LastJob().Totals()
					recomputed += t.RecomputedPartitions
					diskHits += t.CacheDiskHits
				}
				s.Close()
			}
			b.ReportMetric(float64(recomputed)/float64(b.N), "recomputed/op")
			b.ReportMetric(float64(diskHits)/float64(b.N), "disk-reads/op")
			b.ReportMetric(float64(3*rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkOutOfCoreGroupBy runs the same group-by with an ample budget and with one
// about a tenth of the data, where the aggregation spills.
func BenchmarkOutOfCoreGroupBy(b *testing.B) {
	const rows = 2_000_000
	raw := clicks(rows, 500_000, 8)
	defer release(raw)
	var bytes int64
	for _, r := range raw {
		for _, c := range r.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					bytes += int64(buf.Len())
				}
			}
		}
	}
	for _, tc := range []struct {
		name   string
		budget int64
	}{{"in-memory", 0}, {"budget-tenth", bytes / 10}} {
		b.Run(tc.name, func(b *testing.B) {
			var spilled int64
			for b.Loop() {
				s, err := dataset.NewSession(dataset.Config{MemoryLimit: tc.budget, BroadcastThreshold: -1})
				if err != nil {
					b.Fatal(err)
				}
				d := s.FromRecords(raw...).GroupBy("user").Agg(dataset.Sum("ms").As("ms"), dataset.Count().As("n"), dataset.Max("page").As("last"))
				n, err := d.Count(context.Background())
				if err != nil || n == 0 {
					b.Fatalf("count %d, %v", n, err)
				}
				spilled += s.LastJob().Totals().SpilledBytes
				s.Close()
			}
			b.SetBytes(bytes)
			b.ReportMetric(float64(spilled)/float64(b.N), "spilled-B/op")
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
