package eval

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Every expectation here comes from Go's time package (time.Time.In, time.Date,
// Format), never from the kernels.

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no zone database entry %s: %v", name, err)
	}
	return loc
}

// zoneTestMicros lists instants around the 2024 DST transitions of New York and Berlin
// (every 15 minutes over the transition days), leap days, month ends and years far
// from the epoch.
func zoneTestMicros() []int64 {
	var out []int64
	for _, day := range []time.Time{
		time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 3, 0, 0, 0, 0, time.UTC), // New York
		time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 27, 0, 0, 0, 0, time.UTC), // Berlin
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		for m := -12 * 60; m < 36*60; m += 15 {
			out = append(out, day.Add(time.Duration(m)*time.Minute).UnixMicro())
		}
	}
	for _, tm := range []time.Time{
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2100, 7, 4, 3, 2, 1, 0, time.UTC), time.Date(1883, 11, 18, 17, 0, 0, 0, time.UTC),
	} {
		out = append(out, tm.UnixMicro())
	}
	return out
}

var zoneTestNames = []string{"America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC"}

func TestZonedDatePartsMatchGo(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	micros := zoneTestMicros()
	col := tsColumn(mem, micros)
	rec := oneColumn("ts", col)
	col.Release()
	defer rec.Release()
	for _, zone := range zoneTestNames {
		loc := mustZone(t, zone)
		for _, part := range datePartNames {
			got := evalRows(t, mem, exectest.Call(part, exectest.Col("ts"), exectest.Str(zone)), rec)
			for i, us := range micros {
				if i%53 == 4 {
					if got[i] != nil {
						t.Fatalf("%s(NULL) in %s = %v", part, zone, got[i])
					}
					continue
				}
				tm := time.UnixMicro(us).In(loc)
				if want := goDatePart(part, tm); got[i] != want {
					t.Fatalf("%s(%v) in %s = %v, want %d", part, tm, zone, got[i], want)
				}
			}
		}
	}
	// UTC stamped and not stamped agree (the fast path).
	for _, part := range datePartNames {
		a := evalRows(t, mem, exectest.Call(part, exectest.Col("ts")), rec)
		b := evalRows(t, mem, exectest.Call(part, exectest.Col("ts"), exectest.Str("UTC")), rec)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s: UTC zone argument changes the result", part)
		}
	}
}

func TestZonedDateFormatAndTrunc(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	micros := zoneTestMicros()
	col := tsColumn(mem, micros)
	rec := oneColumn("ts", col)
	col.Release()
	defer rec.Release()
	for _, zone := range zoneTestNames {
		loc := mustZone(t, zone)
		got := evalRows(t, mem, exectest.Call("date_format", exectest.Col("ts"), exectest.Str("yyyy-MM-dd HH:mm:ss"), exectest.Str(zone)), rec)
		for _, unit := range []string{"year", "month", "week", "day", "hour", "minute"} {
			tr := evalRows(t, mem, exectest.Call("date_trunc", exectest.Str(unit), exectest.Col("ts"), exectest.Str(zone)), rec)
			for i, us := range micros {
				if i%53 == 4 {
					if tr[i] != nil {
						t.Fatalf("date_trunc(NULL) = %v", tr[i])
					}
					continue
				}
				tm := time.UnixMicro(us).In(loc)
				var w time.Time
				switch unit {
				case "year":
					w = time.Date(tm.Year(), 1, 1, 0, 0, 0, 0, loc)
				case "month":
					w = time.Date(tm.Year(), tm.Month(), 1, 0, 0, 0, 0, loc)
				case "week":
					back := (int(tm.Weekday()) + 6) % 7 // days since Monday
					w = time.Date(tm.Year(), tm.Month(), tm.Day()-back, 0, 0, 0, 0, loc)
				case "day":
					w = time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, loc)
				case "hour": // the wall clock's hour, keeping the offset
					w = tm.Add(-time.Duration(tm.Minute())*time.Minute - time.Duration(tm.Second())*time.Second - time.Duration(tm.Nanosecond()))
				case "minute":
					w = tm.Add(-time.Duration(tm.Second())*time.Second - time.Duration(tm.Nanosecond()))
				}
				if want := arrow.Timestamp(w.UnixMicro()); tr[i] != want {
					t.Fatalf("date_trunc(%s, %v) in %s = %v, want %v", unit, tm, zone, tr[i], w)
				}
			}
		}
		for i, us := range micros {
			if i%53 == 4 {
				continue
			}
			tm := time.UnixMicro(us).In(loc)
			if want := tm.Format("2006-01-02 15:04:05"); got[i] != want {
				t.Fatalf("date_format(%v) in %s = %v, want %q", tm, zone, got[i], want)
			}
		}
	}
}

// TestZonedParsingResolvesLikeJava checks wall-clock text without an offset read in the
// session zone: a time in a spring-forward gap moves forward by the gap, a time in a
// fall-back overlap is the earlier instant (java.time's ofLocal, as Spark).
func TestZonedParsingResolvesLikeJava(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ny, berlin := mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin")
	cases := []struct {
		zone string
		text string
		want time.Time
	}{
		{"America/New_York", "2024-03-10 02:30:00", time.Date(2024, 3, 10, 3, 30, 0, 0, ny)},        // gap
		{"America/New_York", "2024-03-10 01:59:59", time.Date(2024, 3, 10, 6, 59, 59, 0, time.UTC)}, // before it
		{"America/New_York", "2024-11-03 01:30:00", time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC)},  // overlap: EDT
		{"America/New_York", "2024-11-03 02:30:00", time.Date(2024, 11, 3, 7, 30, 0, 0, time.UTC)},  // after it
		{"Europe/Berlin", "2024-03-31 02:30:00", time.Date(2024, 3, 31, 3, 30, 0, 0, berlin)},       // gap
		{"Europe/Berlin", "2024-10-27 02:30:00", time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC)},    // overlap: CEST
		{"Europe/Berlin", "2024-02-29 23:59:59", time.Date(2024, 2, 29, 22, 59, 59, 0, time.UTC)},   // leap day
		{"Europe/Berlin", "2024-07-01 00:00:00", time.Date(2024, 6, 30, 22, 0, 0, 0, time.UTC)},     // summer
		{"UTC", "2024-03-10 02:30:00", time.Date(2024, 3, 10, 2, 30, 0, 0, time.UTC)},               // no zone
		{"Asia/Kolkata", "2000-01-01 05:30:00", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},        // +05:30
		{"America/New_York", "1900-06-15 12:00:00", time.Date(1900, 6, 15, 12, 0, 0, 0, ny)},        // old rules
		{"Europe/Berlin", "2024-03-31 ÿ", time.Time{}},                                              // not a time: NULL
		{"Europe/Berlin", "", time.Time{}},                                                          // empty: NULL
	}
	for _, c := range cases {
		rows := []any{c.text, nil}
		rec := strAndDictBatch(t, mem, rows)
		for _, col := range []string{"s", "ds"} {
			ts := evalRows(t, mem, exectest.Call("to_timestamp", exectest.Col(col), exectest.Str("yyyy-MM-dd HH:mm:ss"), exectest.Str(c.zone)), rec)
			secs := evalRows(t, mem, exectest.Call("unix_timestamp", exectest.Col(col), exectest.Str("yyyy-MM-dd HH:mm:ss"), exectest.Str(c.zone)), rec)
			if ts[1] != nil || secs[1] != nil {
				t.Fatalf("to_timestamp(NULL) = %v, %v", ts[1], secs[1])
			}
			if c.want.IsZero() {
				if ts[0] != nil || secs[0] != nil {
					t.Fatalf("to_timestamp(%q) = %v, %v, want NULL", c.text, ts[0], secs[0])
				}
				continue
			}
			if want := arrow.Timestamp(c.want.UnixMicro()); ts[0] != want {
				t.Fatalf("to_timestamp(%q) in %s (%s) = %v, want %v (%v)", c.text, c.zone, col, ts[0], want, c.want.UTC())
			}
			if secs[0] != c.want.Unix() {
				t.Fatalf("unix_timestamp(%q) in %s = %v, want %d", c.text, c.zone, secs[0], c.want.Unix())
			}
		}
		rec.Release()
	}
}

// TestZonedCastsMatchGo evaluates the casts the analyzer writes for a session zone:
// through a timestamp of that zone.
func TestZonedCastsMatchGo(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	micros := zoneTestMicros()
	col := tsColumn(mem, micros)
	rec := oneColumn("ts", col)
	col.Release()
	defer rec.Release()
	plain := &arrow.TimestampType{Unit: arrow.Microsecond}
	for _, zone := range zoneTestNames {
		loc := mustZone(t, zone)
		zoned := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: zone}
		viaZone := func(to arrow.DataType) plan.Expr {
			return exectest.Cast(exectest.Cast(exectest.Col("ts"), zoned), to)
		}
		dates := evalRows(t, mem, viaZone(arrow.FixedWidthTypes.Date32), rec)
		same := evalRows(t, mem, viaZone(plain), rec)
		for i, us := range micros {
			if i%53 == 4 {
				if dates[i] != nil {
					t.Fatalf("cast of NULL = %v", dates[i])
				}
				continue
			}
			tm := time.UnixMicro(us).In(loc)
			if want := arrow.Date32(daysOf(time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC))); dates[i] != want {
				t.Fatalf("date of %v in %s = %v, want %v", tm, zone, dates[i], want)
			}
			if same[i] != arrow.Timestamp(us) {
				t.Fatalf("timestamp through %s changed: %v, want %d", zone, same[i], us)
			}
		}
	}
}

// TestWallToInstantRoundTrip checks evWallToInstant against time.Date for every
// quarter hour of 2024 outside transitions, in New York and Berlin.
func TestWallToInstantRoundTrip(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Europe/Berlin"} {
		loc := mustZone(t, zone)
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for m := 0; m < 366*24*4; m++ {
			wall := start.Add(time.Duration(m) * 15 * time.Minute)
			want := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, loc)
			if want.Hour() != wall.Hour() || want.Add(-time.Hour).Hour() == wall.Hour() || want.Add(time.Hour).Hour() == wall.Hour() {
				continue // in or next to a gap or an overlap: covered above
			}
			if got := evWallToInstant(wall.UnixMicro(), loc); got != want.UnixMicro() {
				t.Fatalf("%s: instant of wall %v = %v, want %v", zone, wall, time.UnixMicro(got).UTC(), want.UTC())
			}
		}
	}
}

// zoneBatch is a batch of one date32 column d with a NULL row.
func zoneDateBatch(t *testing.T, mem memory.Allocator, days []any) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}, nil)
	rows := make([][]any, len(days))
	for i, d := range days {
		rows[i] = []any{d}
	}
	return exectest.BuildBatch(t, mem, schema, rows)
}

func TestZonedDateToTimestamp(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ny := mustZone(t, "America/New_York")
	days := []time.Time{time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 3, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)}
	vals := []any{nil}
	for _, d := range days {
		vals = append(vals, arrow.Date32(daysOf(d)))
	}
	rec := zoneDateBatch(t, mem, vals)
	defer rec.Release()
	zoned := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "America/New_York"}
	ts := evalRows(t, mem, exectest.Cast(exectest.Cast(exectest.Col("d"), zoned), &arrow.TimestampType{Unit: arrow.Microsecond}), rec)
	secs := evalRows(t, mem, exectest.Call("unix_timestamp", exectest.Col("d"), exectest.Str("yyyy"), exectest.Str("America/New_York")), rec)
	if ts[0] != nil || secs[0] != nil {
		t.Fatalf("NULL date: %v, %v", ts[0], secs[0])
	}
	for i, d := range days {
		want := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, ny)
		if ts[i+1] != arrow.Timestamp(want.UnixMicro()) || secs[i+1] != want.Unix() {
			t.Fatalf("midnight of %v in New York = %v, %v, want %v", d, ts[i+1], secs[i+1], want)
		}
	}

}
