package dataset_test

import (
	"context"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// Aggregates over a decimal(12,2) column keep exact decimals, with Spark's types: sum is
// decimal(22,2), mean decimal(16,6) (rounded half up), min and max decimal(12,2); NULLs
// are skipped, and a group of NULLs only sums to NULL.
func ExampleSum_decimal() {
	s := newSession()
	defer s.Close()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"east", "east", "east", "north", "west", "west"}, nil)
	b.Field(1).(*array.Decimal128Builder).AppendValues(
		// Unscaled: 10.10, 0.20, -3.33, NULL, 99999.99, 0.01.
		[]decimal128.Num{decimal128.FromI64(1010), decimal128.FromI64(20), decimal128.FromI64(-333),
			{}, decimal128.FromI64(9999999), decimal128.FromI64(1)},
		[]bool{true, true, true, false, true, true})
	rec := b.NewRecordBatch()
	defer rec.Release()

	byRegion := s.FromRecords(rec).GroupBy("region").Agg(
		dataset.Sum("price").As("total"),
		dataset.Mean("price").As("avg"),
		dataset.Min("price").As("min"),
		dataset.Max("price").As("max"),
	).OrderBy(dataset.Asc("region"))
	schemaOut, err := byRegion.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schemaOut.Fields()[1:] {
		fmt.Printf("%s: %s\n", f.Name, f.Type)
	}
	recs, err := byRegion.Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			for c := 0; c < int(r.NumCols()); c++ {
				if c > 0 {
					fmt.Print(" ")
				}
				switch col := r.Column(c).(type) {
				case *array.Decimal128:
					if col.IsValid(i) { // all the scale's digits
						fmt.Print(col.Value(i).ToString(col.DataType().(*arrow.Decimal128Type).Scale))
						continue
					}
				}
				fmt.Print(r.Column(c).ValueStr(i))
			}
			fmt.Println()
		}
	}
	// Output:
	// total: decimal(22, 2)
	// avg: decimal(16, 6)
	// min: decimal(12, 2)
	// max: decimal(12, 2)
	// east 6.97 2.323333 -3.33 10.10
	// north (null) (null) (null) (null)
	// west 100000.00 50000.000000 0.01 99999.99
}
