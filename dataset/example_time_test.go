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

// instants is a dataset of s with one zone-less timestamp column "at": instants around
// New York's 2024 spring-forward and fall-back transitions, and a NULL.
func instants(s *dataset.Session) *dataset.Dataset {
	b := array.NewTimestampBuilder(memory.DefaultAllocator, &arrow.TimestampType{Unit: arrow.Microsecond})
	defer b.Release()
	for _, t := range []time.Time{
		time.Date(2024, 3, 10, 6, 30, 0, 0, time.UTC),
		time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC),
		time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC),
		time.Date(2024, 11, 3, 6, 30, 0, 0, time.UTC),
	} {
		b.Append(arrow.Timestamp(t.UnixMicro()))
	}
	b.AppendNull()
	arr := b.NewArray()
	defer arr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "at", Type: arr.DataType(), Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return s.FromRecords(rec)
}

// The session time zone: the same instants read on New York's wall clock.
func ExampleConfig_timeZone() {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, TimeZone: "America/New_York"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	at := dataset.Col("at")
	err = instants(s).Select(
		dataset.DateFormat(at, "yyyy-MM-dd HH:mm").As("utc_text_in_ny"),
		dataset.Hour(at).As("hour"),
		at.Cast(arrow.FixedWidthTypes.Date32).As("day"),
		dataset.DateTrunc("day", at).Cast(arrow.BinaryTypes.String).As("midnight"),
	).Show(context.Background(), 10)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// +------------------+------+------------+---------------------+
	// |   utc_text_in_ny | hour |        day |            midnight |
	// +------------------+------+------------+---------------------+
	// | 2024-03-10 01:30 |    1 | 2024-03-10 | 2024-03-10 00:00:00 |
	// | 2024-03-10 03:30 |    3 | 2024-03-10 | 2024-03-10 00:00:00 |
	// | 2024-11-03 01:30 |    1 | 2024-11-03 | 2024-11-03 00:00:00 |
	// | 2024-11-03 01:30 |    1 | 2024-11-03 | 2024-11-03 00:00:00 |
	// |             null | null |       null |                null |
	// +------------------+------+------------+---------------------+
	// (5 rows)
}

func ExampleCurrentDate() {
	s := newSession()
	defer s.Close()
	// One value for the whole job: every row and partition sees the same date, the
	// date of CurrentTimestamp in the session time zone.
	today := dataset.CurrentDate()
	err := orders(s, 3).Select(
		today.Eq(dataset.CurrentTimestamp().Cast(arrow.FixedWidthTypes.Date32)).As("same_day"),
		dataset.Year(today).Ge(dataset.Lit(int64(2024))).As("recent"),
	).Distinct().Show(context.Background(), 10)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// +----------+--------+
	// | same_day | recent |
	// +----------+--------+
	// |     true |   true |
	// +----------+--------+
	// (1 row)
}

func ExampleCurrentTimestamp() {
	s := newSession()
	defer s.Close()
	before := time.Now()
	recs, err := orders(s, 3).Select(dataset.CurrentTimestamp().As("now")).Distinct().Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	now := recs[0].Column(0).(*array.Timestamp).Value(0).ToTime(arrow.Microsecond)
	fmt.Println("distinct values:", recs[0].NumRows(), "during the job:", !now.Before(before.Truncate(time.Microsecond)) && !now.After(time.Now()))
	// Output:
	// distinct values: 1 during the job: true
}

func ExampleNow() {
	s := newSession()
	defer s.Close()
	err := orders(s, 2).Select(dataset.Now().Eq(dataset.CurrentTimestamp()).As("same")).Distinct().Show(context.Background(), 10)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// +------+
	// | same |
	// +------+
	// | true |
	// +------+
	// (1 row)
}

// Interval arithmetic in the session time zone: a day is a calendar day (23 or 25 hours
// across a DST change), a month keeps the day of the month, an exact duration is exact.
func ExampleLitInterval() {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, TimeZone: "America/New_York"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	at := dataset.Col("at")
	local := func(e dataset.Expr) dataset.Expr { return dataset.DateFormat(e, "MM-dd HH:mm") }
	nextDay := at.Add(dataset.LitInterval(0, 1, 0))
	err = instants(s).Select(
		local(at).As("at"),
		local(nextDay).As("plus_1_day"),
		nextDay.Sub(at).Cast(arrow.BinaryTypes.String).As("elapsed"),
		local(at.Sub(dataset.LitInterval(1, 0, 90*time.Minute))).As("minus_1_month_90_min"),
	).Show(context.Background(), 10)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// +-------------+-------------+----------+----------------------+
	// |          at |  plus_1_day |  elapsed | minus_1_month_90_min |
	// +-------------+-------------+----------+----------------------+
	// | 03-10 01:30 | 03-11 01:30 | 23 hours |          02-10 00:00 |
	// | 03-10 03:30 | 03-11 03:30 | 24 hours |          02-10 02:00 |
	// | 11-03 01:30 | 11-04 01:30 | 25 hours |          10-03 00:00 |
	// | 11-03 01:30 | 11-04 01:30 | 24 hours |          10-03 00:00 |
	// |        null |        null |     null |                 null |
	// +-------------+-------------+----------+----------------------+
	// (5 rows)
}

func ExampleMakeInterval() {
	s := newSession()
	defer s.Close()
	n := func(v int64) dataset.Expr { return dataset.Lit(v) }
	err := instants(s).Select(
		dataset.MakeInterval(n(1), n(2), n(1), n(3), dataset.Hour(dataset.Col("at")), n(5), dataset.Lit(6.5)).Cast(arrow.BinaryTypes.String).As("interval"),
	).Show(context.Background(), 10)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------------------------------------------------------+
	// |                                               interval |
	// +--------------------------------------------------------+
	// | 1 years 2 months 10 days 6 hours 5 minutes 6.5 seconds |
	// | 1 years 2 months 10 days 7 hours 5 minutes 6.5 seconds |
	// | 1 years 2 months 10 days 5 hours 5 minutes 6.5 seconds |
	// | 1 years 2 months 10 days 6 hours 5 minutes 6.5 seconds |
	// |                                                   null |
	// +--------------------------------------------------------+
	// (5 rows)
}
