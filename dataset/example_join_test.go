package dataset_test

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// marchAt is 2024-03-01 at hh:mm UTC, as an arrow timestamp in microseconds.
func marchAt(hh, mm int) arrow.Timestamp {
	return arrow.Timestamp(time.Date(2024, 3, 1, hh, mm, 0, 0, time.UTC).UnixMicro())
}

// eventLog is a log of events with their times.
func eventLog(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "event", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"login", "click", "buy", "logout"}, nil)
	b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{marchAt(8, 55), marchAt(9, 10), marchAt(9, 59), marchAt(11, 30)}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// timeWindows is a set of named time windows, start and end included.
func timeWindows(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "window", Type: arrow.BinaryTypes.String},
		{Name: "start", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "end", Type: arrow.FixedWidthTypes.Timestamp_us},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"early", "promo", "midday"}, nil)
	b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{marchAt(8, 0), marchAt(9, 0), marchAt(12, 0)}, nil)
	b.Field(2).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{marchAt(9, 0), marchAt(10, 0), marchAt(13, 0)}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

func ExampleDataset_JoinWhere() {
	s := newSession()
	defer s.Close()
	// A range join: each event with the windows its time falls in. There is no equal
	// key, so the windows (small) are broadcast and compared with every event; the left
	// outer join keeps the event that falls in no window.
	ts := dataset.Col("ts")
	show(eventLog(s).
		JoinWhere(timeWindows(s), ts.Between(dataset.Col("start"), dataset.Col("end")), dataset.LeftOuter).
		Select(dataset.Col("event"), dataset.Col("window")).
		OrderBy(dataset.Asc("event")))
	// Output:
	// +--------+--------+
	// |  event | window |
	// +--------+--------+
	// |    buy |  promo |
	// |  click |  promo |
	// |  login |  early |
	// | logout |   null |
	// +--------+--------+
	// (4 rows)
}

func ExampleDataset_CrossJoin() {
	s := newSession()
	defer s.Close()
	// Every region with every window: 3 x 3 rows.
	regions := orders(s, 2).Filter(dataset.Col("region").IsNotNull()).Select(dataset.Col("region")).Distinct()
	show(regions.CrossJoin(timeWindows(s).Select(dataset.Col("window"))).
		OrderBy(dataset.Asc("region"), dataset.Asc("window")))
	// Output:
	// +--------+--------+
	// | region | window |
	// +--------+--------+
	// |   east |  early |
	// |   east | midday |
	// |   east |  promo |
	// |  north |  early |
	// |  north | midday |
	// |  north |  promo |
	// |   west |  early |
	// |   west | midday |
	// |   west |  promo |
	// +--------+--------+
	// (9 rows)
}

func ExampleJoinOn_And() {
	s := newSession()
	defer s.Close()
	// Orders of 100 or more with their region's manager. The condition is part of the
	// join: a smaller order is kept by the left outer join, with a NULL manager, rather
	// than dropped as a Filter after the join would.
	show(orders(s, 2).
		Join(managers(s), dataset.On("region").And(dataset.Col("amount").Ge(dataset.Lit(100))), dataset.LeftOuter).
		Select(dataset.Col("region"), dataset.Col("amount"), dataset.Col("manager")).
		OrderBy(dataset.Asc("region"), dataset.Asc("amount")))
	// Output:
	// +--------+--------+---------+
	// | region | amount | manager |
	// +--------+--------+---------+
	// |   null |  15.75 |    null |
	// |   east |  42.25 |    null |
	// |   east |  99.99 |    null |
	// |   east |  120.5 |    Ines |
	// |  north |   null |    null |
	// |   west |     80 |    null |
	// |   west |     80 |    null |
	// |   west |    310 |      Wu |
	// +--------+--------+---------+
	// (8 rows)
}

func ExampleLeftCol() {
	s := newSession()
	defer s.Close()
	// Both sides have a region column: LeftCol and RightCol say which one is meant. The
	// equality becomes the hash join's key, the rest is checked on the matching pairs.
	managersOf := managers(s)
	show(orders(s, 2).
		JoinWhere(managersOf, dataset.LeftCol("region").Eq(dataset.RightCol("region")).
			And(dataset.Col("manager").NotEq(dataset.Lit("Wu"))), dataset.Inner).
		Select(dataset.Col("day"), dataset.Col("region"), dataset.Col("manager")).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+--------+---------+
	// |        day | region | manager |
	// +------------+--------+---------+
	// | 2024-01-01 |   east |    Ines |
	// | 2024-01-02 |   east |    Ines |
	// | 2024-01-03 |   east |    Ines |
	// +------------+--------+---------+
	// (3 rows)
}

func ExampleRightCol() {
	s := newSession()
	defer s.Close()
	// The managers whose region has no order above 300 (a left anti join over a
	// condition that names the right side's region).
	big := orders(s, 2).Filter(dataset.Col("amount").Gt(dataset.Lit(300)))
	show(managers(s).JoinWhere(big, dataset.LeftCol("region").Eq(dataset.RightCol("region")), dataset.LeftAnti).
		OrderBy(dataset.Asc("region")))
	// Output:
	// +--------+---------+
	// | region | manager |
	// +--------+---------+
	// |   east |    Ines |
	// |  south |     Sam |
	// +--------+---------+
	// (2 rows)
}

func ExampleWithSuffix() {
	s := newSession()
	defer s.Close()
	// Both sides have a region column; the right one is renamed region_mgr.
	show(orders(s, 2).
		JoinWhere(managers(s), dataset.LeftCol("region").Eq(dataset.RightCol("region")), dataset.Inner, dataset.WithSuffix("_mgr")).
		Select(dataset.Col("day"), dataset.Col("region"), dataset.Col("region_mgr"), dataset.Col("manager")).
		OrderBy(dataset.Asc("day"), dataset.Asc("manager")))
	// Output:
	// +------------+--------+------------+---------+
	// |        day | region | region_mgr | manager |
	// +------------+--------+------------+---------+
	// | 2024-01-01 |   east |       east |    Ines |
	// | 2024-01-01 |   west |       west |      Wu |
	// | 2024-01-02 |   east |       east |    Ines |
	// | 2024-01-02 |   west |       west |      Wu |
	// | 2024-01-03 |   east |       east |    Ines |
	// | 2024-01-03 |   west |       west |      Wu |
	// +------------+--------+------------+---------+
	// (6 rows)
}

// trades and quotes are a few trades and the bid quotes of two symbols, by time.
func trades(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "sym", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"ACME", "ACME", "BOLT", "ACME", "BOLT"}, nil)
	b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{
		marchAt(9, 0), marchAt(9, 31), marchAt(9, 45), marchAt(10, 15), marchAt(11, 0)}, nil)
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{100, 50, 10, 75, 20}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

func quotes(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "sym", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "bid", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"ACME", "ACME", "BOLT", "ACME"}, nil)
	b.Field(1).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{
		marchAt(9, 10), marchAt(9, 30), marchAt(9, 40), marchAt(10, 0)}, nil)
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{10.5, 10.75, 3.2, 11}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

func ExampleDataset_JoinAsOf() {
	s := newSession()
	defer s.Close()
	// Each trade with the bid in force when it happened: the latest quote of its symbol
	// at or before it. The first ACME trade precedes every ACME quote.
	show(trades(s).JoinAsOf(quotes(s), "ts", []string{"sym"}).OrderBy(dataset.Asc("ts")))
	// Output:
	// +------+---------------------+-----+-------+
	// |  sym |                  ts | qty |   bid |
	// +------+---------------------+-----+-------+
	// | ACME | 2024-03-01 09:00:00 | 100 |  null |
	// | ACME | 2024-03-01 09:31:00 |  50 | 10.75 |
	// | BOLT | 2024-03-01 09:45:00 |  10 |   3.2 |
	// | ACME | 2024-03-01 10:15:00 |  75 |    11 |
	// | BOLT | 2024-03-01 11:00:00 |  20 |   3.2 |
	// +------+---------------------+-----+-------+
	// (5 rows)
}

func ExampleForward() {
	s := newSession()
	defer s.Close()
	// The next quote after each trade instead.
	show(trades(s).JoinAsOf(quotes(s), "ts", []string{"sym"}, dataset.Forward()).OrderBy(dataset.Asc("ts")))
	// Output:
	// +------+---------------------+-----+------+
	// |  sym |                  ts | qty |  bid |
	// +------+---------------------+-----+------+
	// | ACME | 2024-03-01 09:00:00 | 100 | 10.5 |
	// | ACME | 2024-03-01 09:31:00 |  50 |   11 |
	// | BOLT | 2024-03-01 09:45:00 |  10 | null |
	// | ACME | 2024-03-01 10:15:00 |  75 | null |
	// | BOLT | 2024-03-01 11:00:00 |  20 | null |
	// +------+---------------------+-----+------+
	// (5 rows)
}

func ExampleTolerance() {
	s := newSession()
	defer s.Close()
	// A quote older than 30 minutes is stale: the trade gets no bid.
	show(trades(s).JoinAsOf(quotes(s), "ts", []string{"sym"}, dataset.Tolerance(30*time.Minute)).OrderBy(dataset.Asc("ts")))
	// Output:
	// +------+---------------------+-----+-------+
	// |  sym |                  ts | qty |   bid |
	// +------+---------------------+-----+-------+
	// | ACME | 2024-03-01 09:00:00 | 100 |  null |
	// | ACME | 2024-03-01 09:31:00 |  50 | 10.75 |
	// | BOLT | 2024-03-01 09:45:00 |  10 |   3.2 |
	// | ACME | 2024-03-01 10:15:00 |  75 |    11 |
	// | BOLT | 2024-03-01 11:00:00 |  20 |  null |
	// +------+---------------------+-----+-------+
	// (5 rows)
}

func ExampleToleranceValue() {
	s := newSession()
	defer s.Close()
	// A numeric time: sequence numbers, matched to the closest earlier one at most 2 away.
	seq := func(vals ...int64) *dataset.Dataset {
		schema := arrow.NewSchema([]arrow.Field{{Name: "seq", Type: arrow.PrimitiveTypes.Int64}}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).AppendValues(vals, nil)
		rec := b.NewRecordBatch()
		defer rec.Release()
		return s.FromRecords(rec)
	}
	marks := seq(3, 10).WithColumn("mark", dataset.Col("seq"))
	show(seq(1, 4, 6, 11).JoinAsOf(marks, "seq", nil, dataset.ToleranceValue(2)).OrderBy(dataset.Asc("seq")))
	// Output:
	// +-----+------+
	// | seq | mark |
	// +-----+------+
	// |   1 | null |
	// |   4 |    3 |
	// |   6 | null |
	// |  11 |   10 |
	// +-----+------+
	// (4 rows)
}
