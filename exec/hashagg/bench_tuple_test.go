package hashagg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// BenchmarkHashAggTupleKeys groups 1e6 rows by three int64 keys of 100, 100 and groups/1e4
// values, the tuples drawn from a domain of groups (db-benchmark q10's shape: few values
// per column, a tuple table larger than the caches; at 1e8 nearly every row is a new
// group), in 8192-row batches.
func BenchmarkHashAggTupleKeys(b *testing.B) {
	for _, groups := range []int{100_000, 1_000_000, 100_000_000} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			fields := []arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.PrimitiveTypes.Int64},
				{Name: "c", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}
			schema := arrow.NewSchema(fields, nil)
			r := rand.New(rand.NewPCG(3, 4))
			var batches []arrow.RecordBatch
			for done := 0; done < benchAggRows; done += 8192 {
				bld := array.NewRecordBuilder(mem, schema)
				for i := 0; i < min(8192, benchAggRows-done); i++ {
					g := r.IntN(groups)
					bld.Field(0).(*array.Int64Builder).Append(int64(g%100) * 7919)
					bld.Field(1).(*array.Int64Builder).Append(int64(g/100%100) * 31)
					bld.Field(2).(*array.Int64Builder).Append(int64(g/10000) * 1000003)
					bld.Field(3).(*array.Int64Builder).Append(int64(i))
				}
				batches = append(batches, bld.NewRecordBatch())
				bld.Release()
			}
			defer func() {
				for _, rec := range batches {
					rec.Release()
				}
			}()
			aggs := []plan.AggExpr{{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "v"}, Name: "s"}}
			_, _, complete := aggNodes(b, schema, []string{"a", "b", "c"}, aggs)
			b.ResetTimer()
			for b.Loop() {
				benchAggOnce(b, mem, batches, complete)
			}
			b.ReportMetric(float64(benchAggRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
