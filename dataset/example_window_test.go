package dataset_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// showWindow prints d's rows as a table, failing the example on error.
func showWindow(d *dataset.Dataset) {
	if err := d.Show(context.Background(), 20); err != nil {
		log.Fatal(err)
	}
}

// cdcFeed is a change feed: several versions of each customer row, the latest one
// (largest updated_at) the current state.
func cdcFeed(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "updated_at", Type: arrow.PrimitiveTypes.Int64},
		{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 1, 3, 2, 1}, nil)
	b.Field(1).(*array.Int64Builder).AppendValues([]int64{100, 100, 200, 150, 300, 250}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues(
		[]string{"a@old", "b@old", "a@mid", "c@new", "", "a@new"}, []bool{true, true, true, true, false, true})
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec.NewSlice(0, 3), rec.NewSlice(3, 6))
}

// dailySales is one row per day of January 2024 for two stores, with a gap (no row for
// store "b" on the 4th) and a NULL amount.
func dailySales(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "store", Type: arrow.BinaryTypes.String},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	jan1 := arrow.Date32FromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	for d := range 9 {
		for _, store := range []string{"a", "b"} {
			if store == "b" && d == 3 {
				continue
			}
			b.Field(0).(*array.StringBuilder).Append(store)
			b.Field(1).(*array.Date32Builder).Append(jan1 + arrow.Date32(d))
			if store == "a" && d == 5 {
				b.Field(2).AppendNull()
			} else if store == "a" {
				b.Field(2).(*array.Float64Builder).Append(float64(10 * (d + 1)))
			} else {
				b.Field(2).(*array.Float64Builder).Append(7)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// The latest row per key of a change feed: number each key's versions newest first and
// keep the first.
func ExampleRowNumber() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("id").OrderBy(dataset.Desc("updated_at"))
	latest := cdcFeed(s).
		WithColumn("rn", dataset.RowNumber().Over(w)).
		Filter(dataset.Col("rn").Eq(dataset.Lit(1))).
		Drop("rn").
		OrderBy(dataset.Asc("id"))
	showWindow(latest)
	// Output:
	// +----+------------+-------+
	// | id | updated_at | email |
	// +----+------------+-------+
	// |  1 |        250 | a@new |
	// |  2 |        300 |  null |
	// |  3 |        150 | c@new |
	// +----+------------+-------+
	// (3 rows)
}

// A 7-day moving average over daily rows: the current row and the six before it in the
// store's order by day (a missing day shifts the window by a row).
func ExampleWindowSpec_RowsBetween() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("store").OrderBy(dataset.Asc("day")).RowsBetween(-6, dataset.CurrentRow)
	showWindow(dailySales(s).
		WithColumn("avg7", dataset.Mean("amount").Over(w)).
		Filter(dataset.Col("store").Eq(dataset.Lit("a"))).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +-------+------------+--------+------------------+
	// | store |        day | amount |             avg7 |
	// +-------+------------+--------+------------------+
	// |     a | 2024-01-01 |     10 |               10 |
	// |     a | 2024-01-02 |     20 |               15 |
	// |     a | 2024-01-03 |     30 |               20 |
	// |     a | 2024-01-04 |     40 |               25 |
	// |     a | 2024-01-05 |     50 |               30 |
	// |     a | 2024-01-06 |   null |               30 |
	// |     a | 2024-01-07 |     70 | 36.6666666666667 |
	// |     a | 2024-01-08 |     80 | 48.3333333333333 |
	// |     a | 2024-01-09 |     90 |               60 |
	// +-------+------------+--------+------------------+
	// (9 rows)
}

// A 7-day moving average by date: the rows whose day is within six days before the
// current row's, however many rows that is (store "b" has no row on the 4th).
func ExampleWindowSpec_RangeBetween() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("store").OrderBy(dataset.Asc("day")).RangeBetween(-6, dataset.CurrentRow)
	showWindow(dailySales(s).
		WithColumn("avg7", dataset.Mean("amount").Over(w)).
		WithColumn("days", dataset.Count().Over(w)).
		Filter(dataset.Col("store").Eq(dataset.Lit("b"))).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +-------+------------+--------+------+------+
	// | store |        day | amount | avg7 | days |
	// +-------+------------+--------+------+------+
	// |     b | 2024-01-01 |      7 |    7 |    1 |
	// |     b | 2024-01-02 |      7 |    7 |    2 |
	// |     b | 2024-01-03 |      7 |    7 |    3 |
	// |     b | 2024-01-05 |      7 |    7 |    4 |
	// |     b | 2024-01-06 |      7 |    7 |    5 |
	// |     b | 2024-01-07 |      7 |    7 |    6 |
	// |     b | 2024-01-08 |      7 |    7 |    6 |
	// |     b | 2024-01-09 |      7 |    7 |    6 |
	// +-------+------------+--------+------+------+
	// (8 rows)
}

func ExampleWindow() {
	s := newSession()
	defer s.Close()
	// No PartitionBy: one window over every row (computed in one task).
	w := dataset.Window().OrderBy(dataset.Desc("amount"))
	showWindow(orders(s, 2).Select(dataset.Col("region"), dataset.Col("amount"),
		dataset.Rank().Over(w).As("rank")).OrderBy(dataset.Asc("rank"), dataset.Asc("region")))
	// Output:
	// +--------+--------+------+
	// | region | amount | rank |
	// +--------+--------+------+
	// |   west |    310 |    1 |
	// |   east |  120.5 |    2 |
	// |   east |  99.99 |    3 |
	// |   west |     80 |    4 |
	// |   west |     80 |    4 |
	// |   east |  42.25 |    6 |
	// |   null |  15.75 |    7 |
	// |  north |   null |    8 |
	// +--------+--------+------+
	// (8 rows)
}

func ExamplePartitionBy() {
	s := newSession()
	defer s.Close()
	// Without OrderBy the frame is the whole partition: each row gets its region's total.
	w := dataset.PartitionBy("region")
	showWindow(orders(s, 2).Select(dataset.Col("region"), dataset.Col("amount"),
		dataset.Sum("amount").Over(w).As("region_total"),
		dataset.Col("amount").Div(dataset.Sum("amount").Over(w)).As("share")).
		OrderBy(dataset.Asc("region"), dataset.Desc("amount")))
	// Output:
	// +--------+--------+--------------+-------------------+
	// | region | amount | region_total |             share |
	// +--------+--------+--------------+-------------------+
	// |   null |  15.75 |        15.75 |                 1 |
	// |   east |  120.5 |       262.74 | 0.458628301743168 |
	// |   east |  99.99 |       262.74 | 0.380566339346883 |
	// |   east |  42.25 |       262.74 | 0.160805358909949 |
	// |  north |   null |         null |              null |
	// |   west |    310 |          470 | 0.659574468085106 |
	// |   west |     80 |          470 | 0.170212765957447 |
	// |   west |     80 |          470 | 0.170212765957447 |
	// +--------+--------+--------------+-------------------+
	// (8 rows)
}

func ExampleWindowSpec_PartitionBy() {
	s := newSession()
	defer s.Close()
	w := dataset.Window().PartitionBy("day").OrderBy(dataset.Asc("region"))
	showWindow(orders(s, 2).Select(dataset.Col("day"), dataset.Col("region"),
		dataset.RowNumber().Over(w).As("n")).OrderBy(dataset.Asc("day"), dataset.Asc("n")))
	// Output:
	// +------------+--------+---+
	// |        day | region | n |
	// +------------+--------+---+
	// | 2024-01-01 |   east | 1 |
	// | 2024-01-01 |   west | 2 |
	// | 2024-01-02 |   east | 1 |
	// | 2024-01-02 |  north | 2 |
	// | 2024-01-02 |   west | 3 |
	// | 2024-01-03 |   null | 1 |
	// | 2024-01-03 |   east | 2 |
	// | 2024-01-03 |   west | 3 |
	// +------------+--------+---+
	// (8 rows)
}

func ExampleWindowSpec_OrderBy() {
	s := newSession()
	defer s.Close()
	// The default frame of an ordered window ends at the current row's last peer: the
	// two 80s are ties and both see 80 + 80.
	w := dataset.PartitionBy("region").OrderBy(dataset.Asc("amount"))
	showWindow(orders(s, 2).Filter(dataset.Col("region").Eq(dataset.Lit("west"))).
		Select(dataset.Col("amount"), dataset.Sum("amount").Over(w).As("running")).
		OrderBy(dataset.Asc("amount")))
	// Output:
	// +--------+---------+
	// | amount | running |
	// +--------+---------+
	// |     80 |     160 |
	// |     80 |     160 |
	// |    310 |     470 |
	// +--------+---------+
	// (3 rows)
}

func ExampleWindowSpec_String() {
	w := dataset.PartitionBy("store").OrderBy(dataset.Desc("day")).RowsBetween(dataset.UnboundedPreceding, -1)
	fmt.Println(w)
	// Output:
	// PARTITION BY store ORDER BY day DESC NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
}

func ExampleRank() {
	s := newSession()
	defer s.Close()
	w := dataset.Window().OrderBy(dataset.Asc("amount"))
	showWindow(orders(s, 2).Select(dataset.Col("amount"),
		dataset.Rank().Over(w).As("rank"), dataset.DenseRank().Over(w).As("dense"),
		dataset.PercentRank().Over(w).As("pct"), dataset.CumeDist().Over(w).As("cume")).
		OrderBy(dataset.Asc("amount")))
	// Output:
	// +--------+------+-------+-------------------+-------+
	// | amount | rank | dense |               pct |  cume |
	// +--------+------+-------+-------------------+-------+
	// |   null |    1 |     1 |                 0 | 0.125 |
	// |  15.75 |    2 |     2 | 0.142857142857143 |  0.25 |
	// |  42.25 |    3 |     3 | 0.285714285714286 | 0.375 |
	// |     80 |    4 |     4 | 0.428571428571429 | 0.625 |
	// |     80 |    4 |     4 | 0.428571428571429 | 0.625 |
	// |  99.99 |    6 |     5 | 0.714285714285714 |  0.75 |
	// |  120.5 |    7 |     6 | 0.857142857142857 | 0.875 |
	// |    310 |    8 |     7 |                 1 |     1 |
	// +--------+------+-------+-------------------+-------+
	// (8 rows)
}

func ExampleDenseRank() {
	s := newSession()
	defer s.Close()
	w := dataset.Window().OrderBy(dataset.Desc("day"))
	showWindow(orders(s, 1).Select(dataset.Col("day"), dataset.DenseRank().Over(w).As("days_ago")).
		Distinct().OrderBy(dataset.Asc("days_ago")))
	// Output:
	// +------------+----------+
	// |        day | days_ago |
	// +------------+----------+
	// | 2024-01-03 |        1 |
	// | 2024-01-02 |        2 |
	// | 2024-01-01 |        3 |
	// +------------+----------+
	// (3 rows)
}

func ExamplePercentRank() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("store").OrderBy(dataset.Asc("amount"))
	showWindow(dailySales(s).Filter(dataset.Col("store").Eq(dataset.Lit("a"))).
		Select(dataset.Col("amount"), dataset.PercentRank().Over(w).As("pct")).
		OrderBy(dataset.Asc("amount")).Limit(4))
	// Output:
	// +--------+-------+
	// | amount |   pct |
	// +--------+-------+
	// |   null |     0 |
	// |     10 | 0.125 |
	// |     20 |  0.25 |
	// |     30 | 0.375 |
	// +--------+-------+
	// (4 rows)
}

func ExampleCumeDist() {
	s := newSession()
	defer s.Close()
	w := dataset.Window().OrderBy(dataset.Asc("qty"))
	showWindow(orders(s, 2).Select(dataset.Col("qty"), dataset.CumeDist().Over(w).As("cume")).
		OrderBy(dataset.Asc("qty")))
	// Output:
	// +------+-------+
	// |  qty |  cume |
	// +------+-------+
	// | null | 0.125 |
	// |    1 | 0.375 |
	// |    1 | 0.375 |
	// |    2 | 0.625 |
	// |    2 | 0.625 |
	// |    3 |  0.75 |
	// |    4 | 0.875 |
	// |    5 |     1 |
	// +------+-------+
	// (8 rows)
}

func ExampleNTile() {
	s := newSession()
	defer s.Close()
	w := dataset.Window().OrderBy(dataset.Desc("amount"))
	showWindow(orders(s, 2).Select(dataset.Col("amount"), dataset.NTile(3).Over(w).As("tercile")).
		OrderBy(dataset.Asc("tercile"), dataset.Desc("amount")))
	// Output:
	// +--------+---------+
	// | amount | tercile |
	// +--------+---------+
	// |    310 |       1 |
	// |  120.5 |       1 |
	// |  99.99 |       1 |
	// |     80 |       2 |
	// |     80 |       2 |
	// |  42.25 |       2 |
	// |  15.75 |       3 |
	// |   null |       3 |
	// +--------+---------+
	// (8 rows)
}

func ExampleLag() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("store").OrderBy(dataset.Asc("day"))
	showWindow(dailySales(s).Filter(dataset.Col("store").Eq(dataset.Lit("a"))).
		Select(dataset.Col("day"), dataset.Col("amount"),
			dataset.Col("amount").Sub(dataset.Lag(dataset.Col("amount"), 1, dataset.Lit(0.0)).Over(w)).As("change")).
		OrderBy(dataset.Asc("day")).Limit(4))
	// Output:
	// +------------+--------+--------+
	// |        day | amount | change |
	// +------------+--------+--------+
	// | 2024-01-01 |     10 |     10 |
	// | 2024-01-02 |     20 |     10 |
	// | 2024-01-03 |     30 |     10 |
	// | 2024-01-04 |     40 |     10 |
	// +------------+--------+--------+
	// (4 rows)
}

func ExampleLead() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("id").OrderBy(dataset.Asc("updated_at"))
	// Each version's validity ends where the next version starts (NULL: still current).
	showWindow(cdcFeed(s).Select(dataset.Col("id"), dataset.Col("updated_at").As("valid_from"),
		dataset.Lead(dataset.Col("updated_at"), 1, dataset.Expr{}).Over(w).As("valid_to")).
		OrderBy(dataset.Asc("id"), dataset.Asc("valid_from")))
	// Output:
	// +----+------------+----------+
	// | id | valid_from | valid_to |
	// +----+------------+----------+
	// |  1 |        100 |      200 |
	// |  1 |        200 |      250 |
	// |  1 |        250 |     null |
	// |  2 |        100 |      300 |
	// |  2 |        300 |     null |
	// |  3 |        150 |     null |
	// +----+------------+----------+
	// (6 rows)
}

func ExampleFirstValue() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("id").OrderBy(dataset.Asc("updated_at"))
	showWindow(cdcFeed(s).Select(dataset.Col("id"), dataset.Col("updated_at"),
		dataset.FirstValue(dataset.Col("email"), false).Over(w).As("first_email")).
		OrderBy(dataset.Asc("id"), dataset.Asc("updated_at")))
	// Output:
	// +----+------------+-------------+
	// | id | updated_at | first_email |
	// +----+------------+-------------+
	// |  1 |        100 |       a@old |
	// |  1 |        200 |       a@old |
	// |  1 |        250 |       a@old |
	// |  2 |        100 |       b@old |
	// |  2 |        300 |       b@old |
	// |  3 |        150 |       c@new |
	// +----+------------+-------------+
	// (6 rows)
}

func ExampleLastValue() {
	s := newSession()
	defer s.Close()
	// The last non-NULL email so far: fills the NULL of id 2's latest version.
	w := dataset.PartitionBy("id").OrderBy(dataset.Asc("updated_at"))
	showWindow(cdcFeed(s).Select(dataset.Col("id"), dataset.Col("updated_at"), dataset.Col("email"),
		dataset.LastValue(dataset.Col("email"), true).Over(w).As("filled")).
		OrderBy(dataset.Asc("id"), dataset.Asc("updated_at")))
	// Output:
	// +----+------------+-------+--------+
	// | id | updated_at | email | filled |
	// +----+------------+-------+--------+
	// |  1 |        100 | a@old |  a@old |
	// |  1 |        200 | a@mid |  a@mid |
	// |  1 |        250 | a@new |  a@new |
	// |  2 |        100 | b@old |  b@old |
	// |  2 |        300 |  null |  b@old |
	// |  3 |        150 | c@new |  c@new |
	// +----+------------+-------+--------+
	// (6 rows)
}

func ExampleNthValue() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("id").OrderBy(dataset.Asc("updated_at")).
		RowsBetween(dataset.UnboundedPreceding, dataset.UnboundedFollowing)
	showWindow(cdcFeed(s).Select(dataset.Col("id"), dataset.Col("updated_at"),
		dataset.NthValue(dataset.Col("email"), 2, false).Over(w).As("second_email")).
		OrderBy(dataset.Asc("id"), dataset.Asc("updated_at")))
	// Output:
	// +----+------------+--------------+
	// | id | updated_at | second_email |
	// +----+------------+--------------+
	// |  1 |        100 |        a@mid |
	// |  1 |        200 |        a@mid |
	// |  1 |        250 |        a@mid |
	// |  2 |        100 |         null |
	// |  2 |        300 |         null |
	// |  3 |        150 |         null |
	// +----+------------+--------------+
	// (6 rows)
}

func ExampleAgg_Over() {
	s := newSession()
	defer s.Close()
	w := dataset.PartitionBy("region").OrderBy(dataset.Asc("day")).
		RowsBetween(dataset.UnboundedPreceding, dataset.CurrentRow)
	showWindow(orders(s, 2).Select(dataset.Col("region"), dataset.Col("day"), dataset.Col("qty"),
		dataset.Sum("qty").Over(w).As("running_qty"),
		dataset.MaxExpr(dataset.Col("amount")).Over(w).As("best_so_far"),
		dataset.Count().Over(w).As("orders")).
		OrderBy(dataset.Asc("region"), dataset.Asc("day")))
	// Output:
	// +--------+------------+------+-------------+-------------+--------+
	// | region |        day |  qty | running_qty | best_so_far | orders |
	// +--------+------------+------+-------------+-------------+--------+
	// |   null | 2024-01-03 |    1 |           1 |       15.75 |      1 |
	// |   east | 2024-01-01 |    2 |           2 |       120.5 |      1 |
	// |   east | 2024-01-02 |    3 |           5 |       120.5 |      2 |
	// |   east | 2024-01-03 |    4 |           9 |       120.5 |      3 |
	// |  north | 2024-01-02 |    5 |           5 |        null |      1 |
	// |   west | 2024-01-01 |    1 |           1 |          80 |      1 |
	// |   west | 2024-01-02 | null |           1 |         310 |      2 |
	// |   west | 2024-01-03 |    2 |           3 |         310 |      3 |
	// +--------+------------+------+-------------+-------------+--------+
	// (8 rows)
}

func ExampleWindowFunc_Over() {
	s := newSession()
	defer s.Close()
	// Unnamed, the column is named after the call and its window.
	d := orders(s, 1).Select(dataset.Col("amount"),
		dataset.RowNumber().Over(dataset.Window().OrderBy(dataset.Desc("amount"))))
	schema, err := d.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	// Output:
	// amount float64
	// row_number() OVER (ORDER BY amount DESC NULLS LAST) int32
}
