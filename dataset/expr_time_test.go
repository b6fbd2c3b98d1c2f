package dataset

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// timeCells collects d and returns its rows, timestamps as time.Time (UTC), dates as
// time.Time at midnight UTC, strings and int32s as they are.
func timeCells(t *testing.T, d *Dataset) [][]any {
	t.Helper()
	recs, err := d.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	defer releaseAll(recs)
	var out [][]any
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]any, r.NumCols())
			for c := range row {
				switch a := r.Column(c).(type) {
				case *array.Timestamp:
					if a.IsValid(i) {
						row[c] = time.UnixMicro(int64(a.Value(i))).UTC()
					}
				case *array.Date32:
					if a.IsValid(i) {
						row[c] = a.Value(i).ToTime()
					}
				default:
					row[c] = cellValue(t, a, i)
				}
			}
			out = append(out, row)
		}
	}
	return out
}

// TestCurrentTimeFixedPerJob: two references in every row of every partition of one job
// see the same current_timestamp(), and current_date() is its date in the session zone.
func TestCurrentTimeFixedPerJob(t *testing.T) {
	for _, zone := range []string{"UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"} { // +14:00, -11:00
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("no zone %s: %v", zone, err)
		}
		f := newFixture(t, []int{40, 0, 25, 60}, Config{TimeZone: zone, Parallelism: 2})
		before := time.Now()
		d := f.ds.Repartition(3).Select(CurrentTimestamp().As("a"), Col("x"), Now().As("b"), CurrentDate().As("d"))
		rows := timeCells(t, d)
		after := time.Now()
		if len(rows) != 125 {
			t.Fatalf("%d rows, want 125", len(rows))
		}
		first := rows[0][0].(time.Time)
		if first.Before(before.Truncate(time.Microsecond)) || first.After(after) {
			t.Fatalf("current_timestamp %v not within the job (%v … %v)", first, before, after)
		}
		local := first.In(loc)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
		for _, r := range rows {
			if !r[0].(time.Time).Equal(first) || !r[2].(time.Time).Equal(first) {
				t.Fatalf("%s: row sees %v and %v, first row %v", zone, r[0], r[2], first)
			}
			if !r[3].(time.Time).Equal(day) {
				t.Fatalf("%s: current_date %v, want %v (the date of %v there)", zone, r[3], day, local)
			}
		}
	}
}

// TestSessionTimeZone: date parts, formats, truncation and casts read the wall clock in
// the session zone; the zone shows in the plan; an unknown zone fails NewSession.
func TestSessionTimeZone(t *testing.T) {
	f := newFixture(t, []int{1}, Config{TimeZone: "America/New_York"})
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	instants := []time.Time{
		time.Date(2024, 3, 10, 6, 59, 0, 0, time.UTC),  // 01:59 EST
		time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC),   // 03:00 EDT
		time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC),  // 01:30 EDT
		time.Date(2024, 11, 3, 6, 30, 0, 0, time.UTC),  // 01:30 EST
		time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC),    // still Feb 29 in New York
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), // before the epoch
	}
	ts := make([]any, len(instants)+1)
	for i, x := range instants {
		ts[i] = arrow.Timestamp(x.UnixMicro())
	}
	d := f.s.FromRecords(oneTimestampColumn(t, f, ts))
	tsType := &arrow.TimestampType{Unit: arrow.Microsecond}
	sel := d.Select(Col("ts"), Hour(Col("ts")).As("h"), DayOfMonth(Col("ts")).As("dom"),
		DateFormat(Col("ts"), "yyyy-MM-dd HH:mm").As("f"), Col("ts").Cast(arrow.FixedWidthTypes.Date32).As("day"),
		Col("ts").Cast(arrow.BinaryTypes.String).As("s"),
		DateFormat(Col("ts"), "yyyy-MM-dd HH:mm:ss").Cast(tsType).As("back"),
		DateTrunc("day", Col("ts")).As("midnight"))
	if plan := sel.Explain(); !strings.Contains(plan, `"America/New_York"`) || !strings.Contains(plan, "tz=America/New_York") {
		t.Fatalf("the plan does not show the session zone:\n%s", plan)
	}
	rows := timeCells(t, sel)
	for i, r := range rows {
		if i == len(instants) {
			for c, v := range r {
				if v != nil {
					t.Fatalf("NULL row: column %d = %v", c, v)
				}
			}
			continue
		}
		w := instants[i].In(ny)
		day := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
		want := []any{instants[i], int64(w.Hour()), int64(w.Day()), w.Format("2006-01-02 15:04"), day,
			w.Format("2006-01-02 15:04:05"), nil, time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, ny).UTC()}
		// Text back to a timestamp: the earlier instant of an ambiguous wall clock.
		back := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, ny)
		if i == 3 {
			back = instants[2]
		}
		want[6] = back.UTC()
		for c := range want {
			if g, ok := r[c].(time.Time); ok {
				if !g.Equal(want[c].(time.Time)) {
					t.Fatalf("row %d (%v) column %d = %v, want %v", i, w, c, g, want[c])
				}
				continue
			}
			if r[c] != want[c] {
				t.Fatalf("row %d (%v) column %d = %v, want %v", i, w, c, r[c], want[c])
			}
		}
	}
	if _, err := NewSession(Config{TimeZone: "Mars/Olympus_Mons"}); err == nil || !strings.Contains(err.Error(), "Mars/Olympus_Mons") {
		t.Fatalf("NewSession with an unknown zone: %v", err)
	}
}

// oneTimestampColumn is a batch of one zone-less timestamp column ts (nil: NULL).
func oneTimestampColumn(t *testing.T, f *fixture, vals []any) arrow.RecordBatch {
	t.Helper()
	b := array.NewTimestampBuilder(f.mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(v.(arrow.Timestamp))
		}
	}
	arr := b.NewArray()
	defer arr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: arr.DataType(), Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	t.Cleanup(rec.Release)
	return rec
}
