package dataset_test

import (
	"context"
	"log"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// events is a small dataset of s for the date examples: a zone-less timestamp "at" (as
// a CSV reader infers it), its date "day", and an integer "n"; one row is all NULL
// timestamps and one has a NULL n.
func events(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, e := range []struct {
		at string
		n  any
	}{
		{"2024-01-31 08:15:30.5", int64(1)},
		{"2024-02-29 23:59:59", int64(-1)},
		{"2020-12-31 00:00:00", int64(12)},
		{"1969-07-20 20:17:40", nil},
		{"", int64(3)},
	} {
		if e.at == "" {
			b.Field(0).AppendNull()
			b.Field(1).AppendNull()
		} else {
			t, err := time.Parse("2006-01-02 15:04:05", e.at)
			if err != nil {
				log.Fatal(err)
			}
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(t))
		}
		if e.n == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int64Builder).Append(e.n.(int64))
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// showEvents prints the given columns of the events dataset.
func showEvents(cols ...dataset.Expr) {
	s := newSession()
	defer s.Close()
	if err := events(s).Select(cols...).Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
}

func ExampleYear() {
	showEvents(dataset.Col("at"), dataset.Year(dataset.Col("at")).As("year"), dataset.Year(dataset.Col("day")).As("year_of_day"))
	// Output:
	// +-----------------------+------+-------------+
	// |                    at | year | year_of_day |
	// +-----------------------+------+-------------+
	// | 2024-01-31 08:15:30.5 | 2024 |        2024 |
	// |   2024-02-29 23:59:59 | 2024 |        2024 |
	// |   2020-12-31 00:00:00 | 2020 |        2020 |
	// |   1969-07-20 20:17:40 | 1969 |        1969 |
	// |                  null | null |        null |
	// +-----------------------+------+-------------+
	// (5 rows)
}

func ExampleQuarter() {
	showEvents(dataset.Col("day"), dataset.Quarter(dataset.Col("day")).As("quarter"))
	// Output:
	// +------------+---------+
	// |        day | quarter |
	// +------------+---------+
	// | 2024-01-31 |       1 |
	// | 2024-02-29 |       1 |
	// | 2020-12-31 |       4 |
	// | 1969-07-20 |       3 |
	// |       null |    null |
	// +------------+---------+
	// (5 rows)
}

func ExampleMonth() {
	showEvents(dataset.Col("day"), dataset.Month(dataset.Col("day")).As("month"))
	// Output:
	// +------------+-------+
	// |        day | month |
	// +------------+-------+
	// | 2024-01-31 |     1 |
	// | 2024-02-29 |     2 |
	// | 2020-12-31 |    12 |
	// | 1969-07-20 |     7 |
	// |       null |  null |
	// +------------+-------+
	// (5 rows)
}

func ExampleDayOfMonth() {
	showEvents(dataset.Col("day"), dataset.DayOfMonth(dataset.Col("day")).As("dom"))
	// Output:
	// +------------+------+
	// |        day |  dom |
	// +------------+------+
	// | 2024-01-31 |   31 |
	// | 2024-02-29 |   29 |
	// | 2020-12-31 |   31 |
	// | 1969-07-20 |   20 |
	// |       null | null |
	// +------------+------+
	// (5 rows)
}

func ExampleDayOfWeek() {
	// 1 is Sunday, 7 Saturday.
	showEvents(dataset.Col("day"), dataset.DayOfWeek(dataset.Col("day")).As("dow"))
	// Output:
	// +------------+------+
	// |        day |  dow |
	// +------------+------+
	// | 2024-01-31 |    4 |
	// | 2024-02-29 |    5 |
	// | 2020-12-31 |    5 |
	// | 1969-07-20 |    1 |
	// |       null | null |
	// +------------+------+
	// (5 rows)
}

func ExampleDayOfYear() {
	showEvents(dataset.Col("day"), dataset.DayOfYear(dataset.Col("day")).As("doy"))
	// Output:
	// +------------+------+
	// |        day |  doy |
	// +------------+------+
	// | 2024-01-31 |   31 |
	// | 2024-02-29 |   60 |
	// | 2020-12-31 |  366 |
	// | 1969-07-20 |  201 |
	// |       null | null |
	// +------------+------+
	// (5 rows)
}

func ExampleWeekOfYear() {
	// ISO weeks: 2020-12-31 is a Thursday of week 53.
	showEvents(dataset.Col("day"), dataset.WeekOfYear(dataset.Col("day")).As("week"))
	// Output:
	// +------------+------+
	// |        day | week |
	// +------------+------+
	// | 2024-01-31 |    5 |
	// | 2024-02-29 |    9 |
	// | 2020-12-31 |   53 |
	// | 1969-07-20 |   29 |
	// |       null | null |
	// +------------+------+
	// (5 rows)
}

func ExampleHour() {
	showEvents(dataset.Col("at"), dataset.Hour(dataset.Col("at")).As("hour"), dataset.Hour(dataset.Col("day")).As("hour_of_day"))
	// Output:
	// +-----------------------+------+-------------+
	// |                    at | hour | hour_of_day |
	// +-----------------------+------+-------------+
	// | 2024-01-31 08:15:30.5 |    8 |           0 |
	// |   2024-02-29 23:59:59 |   23 |           0 |
	// |   2020-12-31 00:00:00 |    0 |           0 |
	// |   1969-07-20 20:17:40 |   20 |           0 |
	// |                  null | null |        null |
	// +-----------------------+------+-------------+
	// (5 rows)
}

func ExampleMinute() {
	showEvents(dataset.Col("at"), dataset.Minute(dataset.Col("at")).As("minute"))
	// Output:
	// +-----------------------+--------+
	// |                    at | minute |
	// +-----------------------+--------+
	// | 2024-01-31 08:15:30.5 |     15 |
	// |   2024-02-29 23:59:59 |     59 |
	// |   2020-12-31 00:00:00 |      0 |
	// |   1969-07-20 20:17:40 |     17 |
	// |                  null |   null |
	// +-----------------------+--------+
	// (5 rows)
}

func ExampleSecond() {
	// Fractions of a second are dropped.
	showEvents(dataset.Col("at"), dataset.Second(dataset.Col("at")).As("second"))
	// Output:
	// +-----------------------+--------+
	// |                    at | second |
	// +-----------------------+--------+
	// | 2024-01-31 08:15:30.5 |     30 |
	// |   2024-02-29 23:59:59 |     59 |
	// |   2020-12-31 00:00:00 |      0 |
	// |   1969-07-20 20:17:40 |     40 |
	// |                  null |   null |
	// +-----------------------+--------+
	// (5 rows)
}

func ExampleDateAdd() {
	// days may be a literal or an integer column; a NULL gives NULL.
	showEvents(dataset.Col("day"), dataset.Col("n"),
		dataset.DateAdd(dataset.Col("day"), dataset.Lit(1)).As("next_day"),
		dataset.DateAdd(dataset.Col("day"), dataset.Col("n")).As("plus_n"))
	// Output:
	// +------------+------+------------+------------+
	// |        day |    n |   next_day |     plus_n |
	// +------------+------+------------+------------+
	// | 2024-01-31 |    1 | 2024-02-01 | 2024-02-01 |
	// | 2024-02-29 |   -1 | 2024-03-01 | 2024-02-28 |
	// | 2020-12-31 |   12 | 2021-01-01 | 2021-01-12 |
	// | 1969-07-20 | null | 1969-07-21 |       null |
	// |       null |    3 |       null |       null |
	// +------------+------+------------+------------+
	// (5 rows)
}

func ExampleDateSub() {
	showEvents(dataset.Col("day"), dataset.DateSub(dataset.Col("day"), dataset.Lit(30)).As("minus_30"))
	// Output:
	// +------------+------------+
	// |        day |   minus_30 |
	// +------------+------------+
	// | 2024-01-31 | 2024-01-01 |
	// | 2024-02-29 | 2024-01-30 |
	// | 2020-12-31 | 2020-12-01 |
	// | 1969-07-20 | 1969-06-20 |
	// |       null |       null |
	// +------------+------------+
	// (5 rows)
}

func ExampleDateDiff() {
	// A string is read as a date.
	showEvents(dataset.Col("day"), dataset.DateDiff(dataset.Lit("2024-03-01"), dataset.Col("day")).As("days_to_march"))
	// Output:
	// +------------+---------------+
	// |        day | days_to_march |
	// +------------+---------------+
	// | 2024-01-31 |            30 |
	// | 2024-02-29 |             1 |
	// | 2020-12-31 |          1156 |
	// | 1969-07-20 |         19948 |
	// |       null |          null |
	// +------------+---------------+
	// (5 rows)
}

func ExampleAddMonths() {
	// 2024-01-31 plus one month is clamped to 2024-02-29.
	showEvents(dataset.Col("day"), dataset.Col("n"), dataset.AddMonths(dataset.Col("day"), dataset.Col("n")).As("plus_n_months"))
	// Output:
	// +------------+------+---------------+
	// |        day |    n | plus_n_months |
	// +------------+------+---------------+
	// | 2024-01-31 |    1 |    2024-02-29 |
	// | 2024-02-29 |   -1 |    2024-01-29 |
	// | 2020-12-31 |   12 |    2021-12-31 |
	// | 1969-07-20 | null |          null |
	// |       null |    3 |          null |
	// +------------+------+---------------+
	// (5 rows)
}

func ExampleLastDay() {
	showEvents(dataset.Col("day"), dataset.LastDay(dataset.Col("at")).As("month_end"))
	// Output:
	// +------------+------------+
	// |        day |  month_end |
	// +------------+------------+
	// | 2024-01-31 | 2024-01-31 |
	// | 2024-02-29 | 2024-02-29 |
	// | 2020-12-31 | 2020-12-31 |
	// | 1969-07-20 | 1969-07-31 |
	// |       null |       null |
	// +------------+------------+
	// (5 rows)
}

func ExampleMonthsBetween() {
	// Whole months between the same days of the month (or two month ends), otherwise a
	// fraction of a 31-day month; dates count from midnight.
	showEvents(dataset.Col("at"), dataset.MonthsBetween(dataset.Col("at"), dataset.Lit("2024-01-31")).As("months"))
	// Output:
	// +-----------------------+---------------+
	// |                    at |        months |
	// +-----------------------+---------------+
	// | 2024-01-31 08:15:30.5 |             0 |
	// |   2024-02-29 23:59:59 |             1 |
	// |   2020-12-31 00:00:00 |           -37 |
	// |   1969-07-20 20:17:40 | -654.32756123 |
	// |                  null |          null |
	// +-----------------------+---------------+
	// (5 rows)
}
