package dataset

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/plan"
)

// TestCacheSampleRows: a persisted dataset shows the planner the first rows of its
// stored partitions, an equal share of each and only the columns asked for, when they
// are held in memory as Arrow batches; nothing from disk or serialized blocks (planning
// reads and decodes nothing), nothing before it is materialized or after Unpersist;
// every batch it reads is released (the checked allocator of newCacheSession ends at
// zero).
func TestCacheSampleRows(t *testing.T) {
	for _, level := range []StorageLevel{MemoryAndDisk, DiskOnly, MemoryOnlySer} {
		t.Run(level.String(), func(t *testing.T) {
			s, mem := newCacheSession(t, Config{})
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "id", Type: arrow.PrimitiveTypes.Int64},
				{Name: "part", Type: arrow.PrimitiveTypes.Int64},
			}, nil)
			parts := make([][]arrow.RecordBatch, 3)
			for p := range parts {
				ids := int64Batch(mem, arrow.NewSchema(schema.Fields()[:1], nil), 1000)
				b := array.NewInt64Builder(mem)
				for range 1000 {
					b.Append(int64(p))
				}
				pc := b.NewArray()
				b.Release()
				parts[p] = []arrow.RecordBatch{array.NewRecordBatch(schema, []arrow.Array{ids.Column(0), pc}, 1000)}
				ids.Release()
				pc.Release()
			}
			d := s.FromPartitions(schema, parts...).Persist(level)
			for _, p := range parts {
				p[0].Release()
			}
			st := d.node.(*plan.Cache).Status.(plan.CacheSampler)
			sample := func(cols []int, rows int) (got [][]int64, ok bool) {
				ok = st.SampleRows(cols, rows, func(b arrow.RecordBatch) {
					if int(b.NumCols()) != len(cols) {
						t.Fatalf("sample of %d columns, asked for %v", b.NumCols(), cols)
					}
					for r := 0; r < int(b.NumRows()); r++ {
						var row []int64
						for c := range cols {
							row = append(row, b.Column(c).(*array.Int64).Value(r))
						}
						got = append(got, row)
					}
				})
				return got, ok
			}
			if _, ok := sample([]int{0}, 100); ok {
				t.Fatal("a dataset not yet computed must show no rows")
			}
			if n := countRows(t, d); n != 3000 {
				t.Fatalf("count %d", n)
			}
			got, ok := sample([]int{1, 0}, 90)
			if level != MemoryAndDisk {
				if ok || len(got) > 0 {
					t.Fatalf("%s: sampled %d rows, want none", level, len(got))
				}
				return
			}
			if !ok || len(got) != 90 {
				t.Fatalf("sampled %d rows (%v), want 90", len(got), ok)
			}
			// Independently: 30 rows of each partition, its first ones (ids 0..29).
			for i, row := range got {
				if want := []int64{int64(i / 30), int64(i % 30)}; row[0] != want[0] || row[1] != want[1] {
					t.Fatalf("row %d = %v, want (part, id) %v", i, row, want)
				}
			}
			d.Unpersist()
			if _, ok := sample([]int{0}, 10); ok {
				t.Error("an unpersisted dataset must show no rows")
			}
		})
	}
}
