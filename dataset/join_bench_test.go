package dataset

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkRangeJoin joins 200k events to 2k windows by ts between start and end (a
// broadcast nested-loop join through the interval index on the windows) and reports the
// pairs a plain nested loop would evaluate (400M) per second, to compare the two.
func BenchmarkRangeJoin(b *testing.B) {
	s, err := NewSession(Config{Parallelism: 2, ShufflePartitions: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const nEvents, nWindows = 200_000, 2_000
	mk := func(schema *arrow.Schema, n int, fill func(b *array.RecordBuilder, i int)) *Dataset {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer bld.Release()
		for i := range n {
			fill(bld, i)
		}
		rec := bld.NewRecordBatch()
		defer rec.Release()
		half := int64(n / 2)
		l, r := rec.NewSlice(0, half), rec.NewSlice(half, int64(n))
		defer l.Release()
		defer r.Release()
		return s.FromPartitions(schema, []arrow.RecordBatch{l}, []arrow.RecordBatch{r})
	}
	i64 := arrow.PrimitiveTypes.Int64
	events := mk(arrow.NewSchema([]arrow.Field{{Name: "ts", Type: i64}, {Name: "id", Type: i64}}, nil), nEvents,
		func(b *array.RecordBuilder, i int) {
			b.Field(0).(*array.Int64Builder).Append(int64(i * 7 % 1_000_000))
			b.Field(1).(*array.Int64Builder).Append(int64(i))
		})
	windows := mk(arrow.NewSchema([]arrow.Field{{Name: "start", Type: i64}, {Name: "end", Type: i64}}, nil), nWindows,
		func(b *array.RecordBuilder, i int) {
			b.Field(0).(*array.Int64Builder).Append(int64(i * 500))
			b.Field(1).(*array.Int64Builder).Append(int64(i*500 + 100))
		})
	d := events.JoinWhere(Broadcast(windows), Col("ts").Between(Col("start"), Col("end")), Inner)
	b.ResetTimer()
	for range b.N {
		n, err := d.Count(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "rows/op")
	}
	b.ReportMetric(float64(nEvents)*nWindows*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}
