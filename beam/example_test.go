package beam_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/beam"
	"github.com/kindling-data/kindling/dataset"
)

// A job is registered once per binary (in init, so that remote workers know it too) and
// built by the same function on the driver and on every worker.
func init() {
	dataset.RegisterJob("example/revenue", func(s *dataset.Session, _ []string) (*dataset.Dataset, error) {
		schema := arrow.NewSchema([]arrow.Field{{Name: "region", Type: arrow.BinaryTypes.String},
			{Name: "amount", Type: arrow.PrimitiveTypes.Float64}}, nil)
		b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
		defer b.Release()
		b.Field(0).(*array.StringBuilder).AppendValues([]string{"north", "south", "north", "east"}, nil)
		b.Field(1).(*array.Float64Builder).AppendValues([]float64{10, 5, 2.5, 7}, nil)
		orders := s.FromRecords(b.NewRecordBatch())
		return orders.Filter(dataset.Col("amount").Gt(dataset.Lit(3.0))).
			GroupBy("region").Agg(dataset.Sum("amount")).
			OrderBy(dataset.Asc("region")), nil
	})
}

// Run the job on Beam's Prism runner, in this process. Options.Runner "flink" or "spark"
// with an Endpoint (and a shared ResultDir) runs the same job on a cluster.
func ExampleRun() {
	res, err := beam.Run(context.Background(), "example/revenue", nil, beam.Options{Runner: "prism"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Release()
	for _, b := range res.Batches {
		region, sum := b.Column(0).(*array.String), b.Column(1).(*array.Float64)
		for i := range int(b.NumRows()) {
			fmt.Println(region.Value(i), sum.Value(i))
		}
	}
	// Output:
	// east 7
	// north 10
	// south 5
}
