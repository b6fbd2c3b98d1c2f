package dataset_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// Cast follows Spark's non-ANSI casts: dates and timestamps print as yyyy-MM-dd and
// yyyy-MM-dd HH:mm:ss[.ffffff] (UTC), timestamps read as numbers are seconds since the
// Unix epoch (floored for integers, fractional for doubles) and numbers read as
// timestamps are seconds; a value that does not convert is NULL.
func ExampleExpr_Cast() {
	at, day, n := dataset.Col("at"), dataset.Col("day"), dataset.Col("n")
	showEvents(
		day.Cast(arrow.BinaryTypes.String).As("day_str"),
		at.Cast(arrow.BinaryTypes.String).As("at_str"),
		at.Cast(arrow.PrimitiveTypes.Int64).As("secs"),
		at.Cast(arrow.PrimitiveTypes.Float64).As("secs_f"),
		day.Cast(&arrow.TimestampType{Unit: arrow.Microsecond}).As("midnight"),
		n.Mul(dataset.Lit(86400)).Cast(&arrow.TimestampType{Unit: arrow.Microsecond}).As("n_days"),
		n.Gt(dataset.Lit(0)).Cast(arrow.BinaryTypes.String).As("positive"),
	)
	// Output:
	// +------------+-----------------------+------------+--------------+---------------------+---------------------+----------+
	// |    day_str |                at_str |       secs |       secs_f |            midnight |              n_days | positive |
	// +------------+-----------------------+------------+--------------+---------------------+---------------------+----------+
	// | 2024-01-31 | 2024-01-31 08:15:30.5 | 1706688930 | 1706688930.5 | 2024-01-31 00:00:00 | 1970-01-02 00:00:00 |     true |
	// | 2024-02-29 |   2024-02-29 23:59:59 | 1709251199 |   1709251199 | 2024-02-29 00:00:00 | 1969-12-31 00:00:00 |    false |
	// | 2020-12-31 |   2020-12-31 00:00:00 | 1609372800 |   1609372800 | 2020-12-31 00:00:00 | 1970-01-13 00:00:00 |     true |
	// | 1969-07-20 |   1969-07-20 20:17:40 |  -14182940 |    -14182940 | 1969-07-20 00:00:00 |                null |     null |
	// |       null |                  null |       null |         null |                null | 1970-01-04 00:00:00 |     true |
	// +------------+-----------------------+------------+--------------+---------------------+---------------------+----------+
	// (5 rows)
}

// Strings become booleans as in Spark: t, true, y, yes, 1 and f, false, n, no, 0 in any
// case, surrounding spaces ignored; anything else is NULL. Booleans become 1.0/0.0 as
// doubles, and a number is true unless it is zero.
func ExampleExpr_Cast_booleans() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	for _, e := range []dataset.Expr{
		dataset.Lit(" YES ").Cast(arrow.FixedWidthTypes.Boolean),
		dataset.Lit("0").Cast(arrow.FixedWidthTypes.Boolean),
		dataset.Lit("maybe").Cast(arrow.FixedWidthTypes.Boolean),
		dataset.Lit(true).Cast(arrow.PrimitiveTypes.Float64),
		dataset.Lit(0.0).Cast(arrow.FixedWidthTypes.Boolean),
		dataset.Lit(-2.5).Cast(arrow.FixedWidthTypes.Boolean),
		dataset.Lit(1.7e9).Cast(&arrow.TimestampType{Unit: arrow.Second}).Cast(arrow.BinaryTypes.String),
	} {
		recs, err := orders(s, 1).Select(e.As("v")).Limit(1).Collect(ctx)
		if err != nil {
			log.Fatal(err)
		}
		col := recs[0].Column(0)
		fmt.Println(col.ValueStr(0))
		release(recs)
	}
	// Output:
	// true
	// false
	// (null)
	// 1
	// false
	// true
	// 2023-11-14 22:13:20
}

// Add on a date and an integer adds days (Spark's date + int, like DateAdd), in either
// order; the result is a date, NULL when either side is NULL.
func ExampleExpr_Add() {
	day, n := dataset.Col("day"), dataset.Col("n")
	showEvents(day, n, day.Add(n).As("day_plus_n"), dataset.Lit(7).Add(day).As("week_later"))
	// Output:
	// +------------+------+------------+------------+
	// |        day |    n | day_plus_n | week_later |
	// +------------+------+------------+------------+
	// | 2024-01-31 |    1 | 2024-02-01 | 2024-02-07 |
	// | 2024-02-29 |   -1 | 2024-02-28 | 2024-03-07 |
	// | 2020-12-31 |   12 | 2021-01-12 | 2021-01-07 |
	// | 1969-07-20 | null |       null | 1969-07-27 |
	// |       null |    3 |       null |       null |
	// +------------+------+------------+------------+
	// (5 rows)
}

// Sub on a date and an integer subtracts days; date - date is the number of days from
// the right date to the left one as int32 (what datediff gives: Spark 3 returns an
// interval there, which kindling does not have).
func ExampleExpr_Sub() {
	day, n := dataset.Col("day"), dataset.Col("n")
	ref := dataset.Lit(arrow.Date32(19723)) // 2024-01-01
	showEvents(day, day.Sub(n).As("day_minus_n"), day.Sub(ref).As("days_since_2024"))
	// Output:
	// +------------+-------------+-----------------+
	// |        day | day_minus_n | days_since_2024 |
	// +------------+-------------+-----------------+
	// | 2024-01-31 |  2024-01-30 |              30 |
	// | 2024-02-29 |  2024-03-01 |              59 |
	// | 2020-12-31 |  2020-12-19 |           -1096 |
	// | 1969-07-20 |        null |          -19888 |
	// |       null |        null |            null |
	// +------------+-------------+-----------------+
	// (5 rows)
}

// Date arithmetic is typed when the plan is analyzed: a date takes only + and - with an
// integer, and - with another date.
func ExampleExpr_Sub_errors() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	day := dataset.Col("day")
	for _, e := range []dataset.Expr{day.Add(day), day.Mul(dataset.Lit(2)), day.Add(dataset.Lit(1.5)), day.Cast(arrow.PrimitiveTypes.Int64)} {
		_, err := events(s).Select(e).Collect(ctx)
		// The message starts with the package and the call site (file:line); keep the rest.
		fmt.Println(strings.SplitN(err.Error(), ": ", 3)[2])
	}
	// Output:
	// (day + day): cannot apply + to date32 and date32 (date arithmetic takes date + integer, integer + date, date - integer or date - date)
	// (day * 2): cannot apply * to date32 and int64
	// (day + 1.5): cannot apply + to date32 and float64 (date arithmetic takes date + integer, integer + date, date - integer or date - date)
	// CAST(day AS int64): cannot cast date32 to int64
}
