package dataset_test

import (
	"context"
	"log"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// showTexts prints the given columns of a dataset of one string column "txt": dates in
// day/month/year form, one not a date, one NULL.
func showTexts(cols ...dataset.Expr) {
	s := newSession()
	defer s.Close()
	schema := arrow.NewSchema([]arrow.Field{{Name: "txt", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	sb := b.Field(0).(*array.StringBuilder)
	sb.AppendValues([]string{"31/01/2024 08:15", "29/02/2024 23:59", "29/02/2023 12:00", "20/07/1969 20:17"}, nil)
	sb.AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := s.FromRecords(rec).Select(cols...).Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
}

func ExampleToDate() {
	showTexts(dataset.Col("txt"), dataset.ToDate(dataset.Col("txt"), "dd/MM/yyyy HH:mm").As("date"))
	// Output:
	// +------------------+------------+
	// |              txt |       date |
	// +------------------+------------+
	// | 31/01/2024 08:15 | 2024-01-31 |
	// | 29/02/2024 23:59 | 2024-02-29 |
	// | 29/02/2023 12:00 |       null |
	// | 20/07/1969 20:17 | 1969-07-20 |
	// |             null |       null |
	// +------------------+------------+
	// (5 rows)
}

func ExampleToTimestamp() {
	showTexts(dataset.Col("txt"), dataset.ToTimestamp(dataset.Col("txt"), "dd/MM/yyyy HH:mm").As("ts"))
	// Output:
	// +------------------+---------------------+
	// |              txt |                  ts |
	// +------------------+---------------------+
	// | 31/01/2024 08:15 | 2024-01-31 08:15:00 |
	// | 29/02/2024 23:59 | 2024-02-29 23:59:00 |
	// | 29/02/2023 12:00 |                null |
	// | 20/07/1969 20:17 | 1969-07-20 20:17:00 |
	// |             null |                null |
	// +------------------+---------------------+
	// (5 rows)
}

func ExampleUnixTimestamp() {
	showTexts(dataset.Col("txt"), dataset.UnixTimestamp(dataset.Col("txt"), "dd/MM/yyyy HH:mm").As("secs"))
	// Output:
	// +------------------+------------+
	// |              txt |       secs |
	// +------------------+------------+
	// | 31/01/2024 08:15 | 1706688900 |
	// | 29/02/2024 23:59 | 1709251140 |
	// | 29/02/2023 12:00 |       null |
	// | 20/07/1969 20:17 |  -14182980 |
	// |             null |       null |
	// +------------------+------------+
	// (5 rows)
}

func ExampleDateFormat() {
	showEvents(dataset.Col("at"), dataset.DateFormat(dataset.Col("at"), "EEE, d MMM yyyy hh:mm:ss.SS a").As("text"),
		dataset.DateFormat(dataset.Col("day"), "yyyyMMdd").As("day_text"))
	// Output:
	// +-----------------------+---------------------------------+----------+
	// |                    at |                            text | day_text |
	// +-----------------------+---------------------------------+----------+
	// | 2024-01-31 08:15:30.5 | Wed, 31 Jan 2024 08:15:30.50 AM | 20240131 |
	// |   2024-02-29 23:59:59 | Thu, 29 Feb 2024 11:59:59.00 PM | 20240229 |
	// |   2020-12-31 00:00:00 | Thu, 31 Dec 2020 12:00:00.00 AM | 20201231 |
	// |   1969-07-20 20:17:40 | Sun, 20 Jul 1969 08:17:40.00 PM | 19690720 |
	// |                  null |                            null |     null |
	// +-----------------------+---------------------------------+----------+
	// (5 rows)
}

func ExampleFromUnixTime() {
	secs := dataset.UnixTimestamp(dataset.Col("txt"), "dd/MM/yyyy HH:mm")
	showTexts(secs.As("secs"), dataset.FromUnixTime(secs, "yyyy-MM-dd HH:mm:ss").As("text"))
	// Output:
	// +------------+---------------------+
	// |       secs |                text |
	// +------------+---------------------+
	// | 1706688900 | 2024-01-31 08:15:00 |
	// | 1709251140 | 2024-02-29 23:59:00 |
	// |       null |                null |
	// |  -14182980 | 1969-07-20 20:17:00 |
	// |       null |                null |
	// +------------+---------------------+
	// (5 rows)
}

func ExampleDateTrunc() {
	showEvents(dataset.Col("at"), dataset.DateTrunc("week", dataset.Col("at")).As("week"), dataset.DateTrunc("HOUR", dataset.Col("at")).As("hour"))
	// Output:
	// +-----------------------+---------------------+---------------------+
	// |                    at |                week |                hour |
	// +-----------------------+---------------------+---------------------+
	// | 2024-01-31 08:15:30.5 | 2024-01-29 00:00:00 | 2024-01-31 08:00:00 |
	// |   2024-02-29 23:59:59 | 2024-02-26 00:00:00 | 2024-02-29 23:00:00 |
	// |   2020-12-31 00:00:00 | 2020-12-28 00:00:00 | 2020-12-31 00:00:00 |
	// |   1969-07-20 20:17:40 | 1969-07-14 00:00:00 | 1969-07-20 20:00:00 |
	// |                  null |                null |                null |
	// +-----------------------+---------------------+---------------------+
	// (5 rows)
}

func ExampleTrunc() {
	showEvents(dataset.Col("day"), dataset.Trunc(dataset.Col("day"), "quarter").As("quarter"), dataset.Trunc(dataset.Col("at"), "mon").As("month"))
	// Output:
	// +------------+------------+------------+
	// |        day |    quarter |      month |
	// +------------+------------+------------+
	// | 2024-01-31 | 2024-01-01 | 2024-01-01 |
	// | 2024-02-29 | 2024-01-01 | 2024-02-01 |
	// | 2020-12-31 | 2020-10-01 | 2020-12-01 |
	// | 1969-07-20 | 1969-07-01 | 1969-07-01 |
	// |       null |       null |       null |
	// +------------+------------+------------+
	// (5 rows)
}
