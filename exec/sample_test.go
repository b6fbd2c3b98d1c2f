package exec

import (
	"context"
	"iter"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

// TestSampleConformance: the kept rows are those whose draw, one per row in order from
// the (seed, partition) generator, falls in the range, however the input is cut.
func TestSampleConformance(t *testing.T) {
	rows := confRows(0, 200)
	for _, r := range [][2]float64{{0, 0.3}, {0.3, 1}, {0, 1}, {0.5, 0.5}} {
		node := &plan.PSample{Lower: r[0], Upper: r[1], Seed: 5}
		p := uint64(2)
		rng := rand.New(rand.NewPCG(5, p*0x9e3779b97f4a7c15+1))
		var want [][]any
		for _, row := range rows {
			if u := rng.Float64(); u >= r[0] && u < r[1] {
				want = append(want, row)
			}
		}
		build := func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
			return NewSample(ins[0], node, 2, colop.Options{Mem: mem}), nil
		}
		exectest.RunTests(t, []exectest.Input{exectest.Rows(confSchema, rows)}, want, build)
	}
}

// TestMapPartitionsConformance passes every other input batch's rows through a
// function that holds state across the stream (a running row count).
func TestMapPartitionsConformance(t *testing.T) {
	rows := confRows(0, 60)
	fn := func(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			seen := int64(0)
			for rec, err := range in {
				if err != nil {
					yield(nil, err)
					return
				}
				// Keep the rows at even positions of the whole stream.
				first := seen % 2
				seen += rec.NumRows()
				for i := first; i < rec.NumRows(); i += 2 {
					if !yield(rec.NewSlice(i, i+1), nil) {
						return
					}
				}
			}
		}
	}
	var want [][]any
	for i := 0; i < len(rows); i += 2 {
		want = append(want, rows[i])
	}
	build := func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
		return NewMapPartitions(ins[0], &plan.PMapPartitions{Fn: fn, Name: "evens", OutSchema: confSchema}, 0, colop.Options{Mem: mem}), nil
	}
	exectest.RunTests(t, []exectest.Input{exectest.Rows(confSchema, rows)}, want, build)
}
