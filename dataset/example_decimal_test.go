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

// prices returns a dataset of one batch with a decimal(12,2) column "price" and an int64
// column "qty", given as unscaled cents and counts (nil for NULL).
func prices(s *dataset.Session, cents []any, qty []int64) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range cents {
		if c, ok := cents[i].(int); ok {
			b.Field(0).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(c)))
		} else {
			b.Field(0).AppendNull()
		}
		b.Field(1).(*array.Int64Builder).Append(qty[i])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// printDecimalRows runs d and prints its schema's types, then each row, decimals in
// their plain text.
func printDecimalRows(d *dataset.Dataset) {
	recs, err := d.Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	for i, r := range recs {
		if i == 0 {
			for j, f := range r.Schema().Fields() {
				if j > 0 {
					fmt.Print(" ")
				}
				fmt.Print(f.Type)
			}
			fmt.Println()
		}
	}
	printCells(d, func(col arrow.Array, i int) (string, bool) {
		if dc, ok := col.(*array.Decimal128); ok && dc.IsValid(i) {
			return dc.Value(i).ToString(dc.DataType().(*arrow.Decimal128Type).Scale), true
		}
		return "", false
	})
}

func ExampleLitDecimal() {
	s := newSession()
	defer s.Close()
	ds := prices(s, []any{1999, 250, nil, 100000}, []int64{3, 0, 1, 7})
	printDecimalRows(ds.Select(
		dataset.Col("price"),
		// decimal(12,2) + decimal(3,2) is decimal(13,2); * an int64 (decimal(20,0)) is
		// decimal(33,2); decimal(12,2) / decimal(1,0) is decimal(16,6), and / decimal(20,0)
		// is decimal(33,23). Dividing by zero is NULL.
		dataset.Col("price").Add(dataset.LitDecimal("0.05")).As("plus"),
		dataset.Col("price").Mul(dataset.Col("qty")).As("total"),
		dataset.Col("price").Div(dataset.LitDecimal("3")).As("third"),
		dataset.Col("price").Div(dataset.Col("qty")).As("each"),
	))
	// Output:
	// decimal(12, 2) decimal(13, 2) decimal(33, 2) decimal(16, 6) decimal(33, 23)
	// 19.99 20.04 59.97 6.663333 6.66333333333333333333333
	// 2.50 2.55 0.00 0.833333 (null)
	// (null) (null) (null) (null) (null)
	// 1000.00 1000.05 7000.00 333.333333 142.85714285714285714285714
}

func ExampleLitDecimal_compare() {
	s := newSession()
	defer s.Close()
	ds := prices(s, []any{1999, 250, nil, 100000}, []int64{3, 0, 1, 7})
	// Decimals of different scales, and a decimal with an integer, compare exactly.
	printDecimalRows(ds.Filter(dataset.Col("price").Gt(dataset.LitDecimal("2.5"))).Select(
		dataset.Col("price"),
		dataset.Col("price").Eq(dataset.Lit(1000)).As("is_1000"),
		dataset.Col("price").Cast(arrow.BinaryTypes.String).As("text"),
		dataset.Lit("12.345").Cast(&arrow.Decimal128Type{Precision: 4, Scale: 2}).As("parsed"),
	))
	// Output:
	// decimal(12, 2) bool utf8 decimal(4, 2)
	// 19.99 false 19.99 12.35
	// 1000.00 true 1000.00 12.35
}

func ExampleLitDecimal_math() {
	s := newSession()
	defer s.Close()
	ds := prices(s, []any{1999, -250, nil, 1005}, []int64{3, 0, 1, 7})
	// Over a decimal(12,2): abs keeps the type, floor and ceil are decimal(11,0),
	// round(x, 1) is decimal(12,1) (HALF_UP; BRound is HALF_EVEN), round(x, -1) is
	// decimal(11,0), and coalesce of a decimal with an int64 is decimal(22,2).
	printDecimalRows(ds.Select(
		dataset.Abs(dataset.Col("price")).As("abs"),
		dataset.Floor(dataset.Col("price")).As("floor"),
		dataset.Ceil(dataset.Col("price")).As("ceil"),
		dataset.Round(dataset.Col("price"), 1).As("r1"),
		dataset.BRound(dataset.Col("price"), 1).As("b1"),
		dataset.Round(dataset.Col("price"), -1).As("r_1"),
		dataset.Coalesce(dataset.Col("price"), dataset.Col("qty")).As("c"),
	))
	// Output:
	// decimal(12, 2) decimal(11, 0) decimal(11, 0) decimal(12, 1) decimal(12, 1) decimal(11, 0) decimal(22, 2)
	// 19.99 19 20 20.0 20.0 20 19.99
	// 2.50 -3 -2 -2.5 -2.5 0 -2.50
	// (null) (null) (null) (null) (null) (null) 1.00
	// 10.05 10 11 10.1 10.0 10 10.05
}

func ExampleLitDecimal_invalid() {
	s := newSession()
	defer s.Close()
	ds := prices(s, []any{1999}, []int64{3})
	_, err := ds.Select(dataset.Col("price").Add(dataset.LitDecimal("12,5"))).Collect(context.Background())
	fmt.Println(err)
	// Output:
	// plan: LitDecimal("12,5"): not a decimal number
}
