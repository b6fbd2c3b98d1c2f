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
