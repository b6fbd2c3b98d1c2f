package dataset_test

import (
	"context"
	"log"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// readings is a small dataset of s with NaNs and NULLs: a sensor name and two
// float64 readings x and y.
func readings(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "sensor", Type: arrow.BinaryTypes.String},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", "b", "c", "d"}, nil)
	b.Field(1).(*array.Float64Builder).AppendValues(
		[]float64{1.5, math.NaN(), 0, -2}, []bool{true, true, false, true})
	b.Field(2).(*array.Float64Builder).AppendValues(
		[]float64{3, 7, 4, 0}, []bool{true, true, true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// show prints ds's first rows as a table.
func show(ds *dataset.Dataset) {
	if err := ds.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
}

func ExampleWhen() {
	s := newSession()
	defer s.Close()
	qty := dataset.Col("qty")
	// The first true condition wins; a NULL qty takes no branch and gets the ELSE value.
	size := dataset.When(qty.Ge(dataset.Lit(4)), dataset.Lit("large")).
		When(qty.Ge(dataset.Lit(2)), dataset.Lit("medium")).
		Otherwise(dataset.Lit("small"))
	show(orders(s, 2).Select(qty, size.As("size")))
	// Output:
	// +------+--------+
	// |  qty |   size |
	// +------+--------+
	// |    2 | medium |
	// |    1 |  small |
	// |    3 | medium |
	// |    5 |  large |
	// | null |  small |
	// |    1 |  small |
	// |    4 |  large |
	// |    2 | medium |
	// +------+--------+
	// (8 rows)
}

func ExampleCaseExpr_End() {
	s := newSession()
	defer s.Close()
	region := dataset.Col("region")
	// Without Otherwise, rows that take no branch are NULL.
	code := dataset.When(region.Eq(dataset.Lit("east")), dataset.Lit(1)).
		When(region.Eq(dataset.Lit("west")), dataset.Lit(2)).
		End()
	show(orders(s, 1).Select(region, code.As("code")))
	// Output:
	// +--------+------+
	// | region | code |
	// +--------+------+
	// |   east |    1 |
	// |   west |    2 |
	// |   east |    1 |
	// |  north | null |
	// |   west |    2 |
	// |   null | null |
	// |   east |    1 |
	// |   west |    2 |
	// +--------+------+
	// (8 rows)
}

func ExampleIf() {
	s := newSession()
	defer s.Close()
	amount := dataset.Col("amount")
	// A NULL condition (NULL amount) takes the else branch.
	show(orders(s, 1).Select(amount,
		dataset.If(amount.Gt(dataset.Lit(100)), dataset.Lit("big"), dataset.Lit("small")).As("kind")))
	// Output:
	// +--------+-------+
	// | amount |  kind |
	// +--------+-------+
	// |  120.5 |   big |
	// |     80 | small |
	// |  42.25 | small |
	// |   null | small |
	// |    310 |   big |
	// |  15.75 | small |
	// |  99.99 | small |
	// |     80 | small |
	// +--------+-------+
	// (8 rows)
}

func ExampleNullIf() {
	s := newSession()
	defer s.Close()
	// An amount of 80 becomes NULL.
	show(orders(s, 1).Select(dataset.Col("amount"),
		dataset.NullIf(dataset.Col("amount"), dataset.Lit(80)).As("not_80")))
	// Output:
	// +--------+--------+
	// | amount | not_80 |
	// +--------+--------+
	// |  120.5 |  120.5 |
	// |     80 |   null |
	// |  42.25 |  42.25 |
	// |   null |   null |
	// |    310 |    310 |
	// |  15.75 |  15.75 |
	// |  99.99 |  99.99 |
	// |     80 |   null |
	// +--------+--------+
	// (8 rows)
}

func ExampleIfNull() {
	s := newSession()
	defer s.Close()
	show(orders(s, 1).Select(dataset.Col("qty"),
		dataset.IfNull(dataset.Col("qty"), dataset.Lit(-1)).As("qty_or_minus_1")).Limit(5))
	// Output:
	// +------+----------------+
	// |  qty | qty_or_minus_1 |
	// +------+----------------+
	// |    2 |              2 |
	// |    1 |              1 |
	// |    3 |              3 |
	// |    5 |              5 |
	// | null |             -1 |
	// +------+----------------+
	// (5 rows)
}

func ExampleNvl() {
	s := newSession()
	defer s.Close()
	show(readings(s).Select(dataset.Col("sensor"),
		dataset.Nvl(dataset.Col("y"), dataset.Col("x")).As("y_else_x")))
	// Output:
	// +--------+----------+
	// | sensor | y_else_x |
	// +--------+----------+
	// |      a |        3 |
	// |      b |        7 |
	// |      c |        4 |
	// |      d |       -2 |
	// +--------+----------+
	// (4 rows)
}

func ExampleNaNvl() {
	s := newSession()
	defer s.Close()
	// A NaN x is replaced by y; a NULL x stays NULL.
	show(readings(s).Select(dataset.Col("sensor"), dataset.Col("x"),
		dataset.NaNvl(dataset.Col("x"), dataset.Col("y")).As("x_not_nan")))
	// Output:
	// +--------+------+-----------+
	// | sensor |    x | x_not_nan |
	// +--------+------+-----------+
	// |      a |  1.5 |       1.5 |
	// |      b |  NaN |         7 |
	// |      c | null |      null |
	// |      d |   -2 |        -2 |
	// +--------+------+-----------+
	// (4 rows)
}

func ExampleIsNaN() {
	s := newSession()
	defer s.Close()
	// isnan of a NULL is false, never NULL.
	show(readings(s).Select(dataset.Col("sensor"), dataset.Col("x"),
		dataset.IsNaN(dataset.Col("x")).As("x_is_nan")))
	// Output:
	// +--------+------+----------+
	// | sensor |    x | x_is_nan |
	// +--------+------+----------+
	// |      a |  1.5 |    false |
	// |      b |  NaN |     true |
	// |      c | null |    false |
	// |      d |   -2 |    false |
	// +--------+------+----------+
	// (4 rows)
}

func ExampleGreatest() {
	s := newSession()
	defer s.Close()
	// NULLs are skipped; NaN is greater than any number.
	show(readings(s).Select(dataset.Col("sensor"),
		dataset.Greatest(dataset.Col("x"), dataset.Col("y"), dataset.Lit(2)).As("greatest")))
	// Output:
	// +--------+----------+
	// | sensor | greatest |
	// +--------+----------+
	// |      a |        3 |
	// |      b |      NaN |
	// |      c |        4 |
	// |      d |        2 |
	// +--------+----------+
	// (4 rows)
}

func ExampleLeast() {
	s := newSession()
	defer s.Close()
	show(readings(s).Select(dataset.Col("sensor"),
		dataset.Least(dataset.Col("x"), dataset.Col("y")).As("least")))
	// Output:
	// +--------+-------+
	// | sensor | least |
	// +--------+-------+
	// |      a |   1.5 |
	// |      b |     7 |
	// |      c |     4 |
	// |      d |    -2 |
	// +--------+-------+
	// (4 rows)
}

func ExampleExpr_Between() {
	s := newSession()
	defer s.Close()
	qty := dataset.Col("qty")
	show(orders(s, 1).Filter(qty.Between(dataset.Lit(2), dataset.Lit(4))).
		Select(dataset.Col("region"), qty))
	// Output:
	// +--------+-----+
	// | region | qty |
	// +--------+-----+
	// |   east |   2 |
	// |   east |   3 |
	// |   east |   4 |
	// |   west |   2 |
	// +--------+-----+
	// (4 rows)
}

func ExampleExpr_IsIn() {
	s := newSession()
	defer s.Close()
	region := dataset.Col("region")
	// With a NULL in the list, a region in none of the values is NULL, not false.
	show(orders(s, 1).Select(region,
		region.IsIn("east", "north").As("east_or_north"),
		region.IsIn("east", nil).As("east_or_null"),
		dataset.Col("qty").IsIn(1, 2.0).As("qty_1_or_2")))
	// Output:
	// +--------+---------------+--------------+------------+
	// | region | east_or_north | east_or_null | qty_1_or_2 |
	// +--------+---------------+--------------+------------+
	// |   east |          true |         true |       true |
	// |   west |         false |         null |       true |
	// |   east |          true |         true |      false |
	// |  north |          true |         null |      false |
	// |   west |         false |         null |       null |
	// |   null |          null |         null |       true |
	// |   east |          true |         true |      false |
	// |   west |         false |         null |       true |
	// +--------+---------------+--------------+------------+
	// (8 rows)
}
