package dataset

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestShowPrintsTimestampsInSessionZone: Show renders an instant on the session zone's
// wall clock (Spark's show), across a daylight-saving change, and an interval as Spark's
// text.
func TestShowPrintsTimestampsInSessionZone(t *testing.T) {
	instants := []time.Time{
		time.Date(2024, 3, 10, 6, 59, 0, 0, time.UTC),          // 01:59 EST
		time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC),           // 03:00 EDT
		time.Date(2024, 7, 1, 12, 0, 0, 250_000_000, time.UTC), // a fraction of a second
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, in := range instants {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(in.UnixMicro()))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	for _, zone := range []string{"UTC", "America/New_York"} {
		s, err := NewSession(Config{TimeZone: zone, Parallelism: 1})
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.FromRecords(rec).WithColumn("week", LitInterval(0, 7, 90*time.Minute)).ShowString(t.Context(), 10)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		loc := time.UTC
		if zone != "UTC" {
			loc = ny
		}
		for _, in := range instants {
			want := in.In(loc).Format("2006-01-02 15:04:05.999999999")
			if !strings.Contains(out, " "+want+" |") {
				t.Errorf("%s: Show lacks %q:\n%s", zone, want, out)
			}
		}
		if !strings.Contains(out, "7 days 1 hours 30 minutes") {
			t.Errorf("%s: Show does not print the interval as Spark's text:\n%s", zone, out)
		}
	}
}
