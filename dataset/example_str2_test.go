package dataset_test

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleFormatNumber() {
	s := newSession()
	defer s.Close()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "d", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues([]float64{1234567.891, 2.5, -0.001, 0.125, 0}, []bool{true, true, true, true, false})
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{2, 0, 2, -1, 3}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	x, d := dataset.Col("x"), dataset.Col("d")
	printQuoted(s.FromRecords(rec).Select(x,
		dataset.FormatNumber(x, d).As("by_column"),
		dataset.FormatNumber(x, dataset.Lit(2)).As("two_places")))
	// Output:
	// 1.234567891e+06 "1,234,567.89" "1,234,567.89"
	// 2.5 "2" "2.50"
	// -0.001 "-0.00" "-0.00"
	// 0.125 (null) "0.12"
	// (null) (null) (null)
}
