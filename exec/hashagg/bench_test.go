package hashagg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

const benchAggRows = 1_000_000

// benchAggBatches makes 1e6 rows of (key, v int64) in 8192-row batches, keys drawn
// uniformly from groups values, and counts the distinct keys drawn.
func benchAggBatches(b *testing.B, mem memory.Allocator, groups int, str bool) (*arrow.Schema, []arrow.RecordBatch, int) {
	keyType := arrow.DataType(arrow.PrimitiveTypes.Int64)
	if str {
		keyType = arrow.BinaryTypes.String
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: keyType}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	names := make([]string, groups)
	for i := range names {
		names[i] = fmt.Sprintf("customer-%08d", i*7919)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var out []arrow.RecordBatch
	seen := make([]bool, groups)
	distinct := 0
	for done := 0; done < benchAggRows; {
		n := min(8192, benchAggRows-done)
		bld := array.NewRecordBuilder(mem, schema)
		for i := 0; i < n; i++ {
			g := r.IntN(groups)
			if !seen[g] {
				seen[g] = true
				distinct++
			}
			if str {
				bld.Field(0).(*array.StringBuilder).Append(names[g])
			} else {
				bld.Field(0).(*array.Int64Builder).Append(int64(g) * 7919)
			}
			bld.Field(1).(*array.Int64Builder).Append(int64(i))
		}
		out = append(out, bld.NewRecordBatch())
		bld.Release()
		done += n
	}
	return schema, out, distinct
}

func benchHashAgg(b *testing.B, str bool) {
	for _, groups := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			schema, batches, distinct := benchAggBatches(b, mem, groups, str)
			defer func() {
				for _, rec := range batches {
					rec.Release()
				}
			}()
			aggs := []plan.AggExpr{
				{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "v"}, Name: "s"},
				{Func: plan.AggCountAll, Name: "n"},
			}
			_, _, complete := aggNodes(b, schema, []string{"k"}, aggs)
			b.ResetTimer()
			for b.Loop() {
				if n := benchAggOnce(b, mem, batches, complete); n != distinct {
					b.Fatalf("%d groups, want %d", n, distinct)
				}
			}
			b.ReportMetric(float64(benchAggRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchAggOnce aggregates batches (keeping them) with node and returns the groups.
func benchAggOnce(b *testing.B, mem memory.Allocator, batches []arrow.RecordBatch, node *plan.PHashAggregate) int {
	for _, rec := range batches {
		rec.Retain()
	}
	op := NewHashAggregate(&exectest.Source{Batches: append([]arrow.RecordBatch(nil), batches...)}, node, colop.Options{Mem: mem})
	defer op.Close()
	if err := op.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		out, err := op.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += int(out.NumRows())
		out.Release()
	}
}

func BenchmarkHashAggInt64Keys(b *testing.B)  { benchHashAgg(b, false) }
func BenchmarkHashAggStringKeys(b *testing.B) { benchHashAgg(b, true) }
