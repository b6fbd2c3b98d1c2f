package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Expectations come from Go's time package (time.Date, In, Sub) and plain integer
// arithmetic, never from the kernels.

func ivLit(months, days int32, ns int64) plan.Expr {
	return &plan.Literal{Value: arrow.MonthDayNanoInterval{Months: months, Days: days, Nanoseconds: ns}, Type: arrow.FixedWidthTypes.MonthDayNanoInterval}
}

// tsIvBatch is a batch of a timestamp column ts, an interval column iv and a date
// column d; a nil pointer is a NULL.
func tsIvBatch(mem memory.Allocator, ts []*time.Time, ivs []*arrow.MonthDayNanoInterval) arrow.RecordBatch {
	tb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	ib := array.NewMonthDayNanoIntervalBuilder(mem)
	db := array.NewDate32Builder(mem)
	defer tb.Release()
	defer ib.Release()
	defer db.Release()
	for i := range ts {
		if ts[i] == nil {
			tb.AppendNull()
			db.AppendNull()
		} else {
			tb.Append(arrow.Timestamp(ts[i].UnixMicro()))
			db.Append(arrow.Date32(daysOf(ts[i].UTC())))
		}
		if ivs[i] == nil {
			ib.AppendNull()
		} else {
			ib.Append(*ivs[i])
		}
	}
	ta, ia, da := tb.NewArray(), ib.NewArray(), db.NewArray()
	defer ta.Release()
	defer ia.Release()
	defer da.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: ta.DataType(), Nullable: true},
		{Name: "iv", Type: ia.DataType(), Nullable: true},
		{Name: "d", Type: da.DataType(), Nullable: true},
	}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{ta, ia, da}, int64(len(ts)))
}

// evalAny evaluates e over rec: each row as arrow.Timestamp, arrow.Date32,
// arrow.MonthDayNanoInterval or string, nil for NULL.
func evalAny(t *testing.T, mem memory.Allocator, e plan.Expr, rec arrow.RecordBatch) []any {
	t.Helper()
	arr, err := Eval(context.Background(), e, rec, mem)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	defer arr.Release()
	out := make([]any, arr.Len())
	for i := range out {
		if arr.IsNull(i) {
			continue
		}
		switch a := arr.(type) {
		case *array.MonthDayNanoInterval:
			out[i] = a.Value(i)
		default:
			out[i] = exectest.GoValue(t, arr, i)
		}
	}
	return out
}

// goAddMonthsClamped is java's plusMonths on a wall clock: the same day, clamped to the
// target month's last day.
func goAddMonthsClamped(y int, m time.Month, d int, k int) (int, time.Month, int) {
	total := y*12 + int(m) - 1 + k
	ny, nm := total/12, time.Month(total%12+1)
	if total < 0 {
		ny, nm = (total-11)/12, time.Month((total%12+12)%12+1)
	}
	last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return ny, nm, min(d, last)
}

func TestTimestampPlusIntervalAtNoon(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(11, 12))
	for _, zone := range []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"} {
		loc := mustZone(t, zone)
		var ts []*time.Time
		var ivs []*arrow.MonthDayNanoInterval
		for i := range 400 {
			// Noon wall clocks, far from any DST transition (those are at night).
			base := time.Date(1900+r.IntN(250), time.Month(1+r.IntN(12)), 1+r.IntN(31), 12, r.IntN(60), r.IntN(60), r.IntN(1e6)*1000, loc)
			iv := arrow.MonthDayNanoInterval{Months: int32(r.IntN(2000) - 1000), Days: int32(r.IntN(20000) - 10000), Nanoseconds: int64(r.IntN(7200e6)-3600e6) * 1000}
			if i%7 == 3 {
				iv.Nanoseconds = 0
			}
			switch i % 41 {
			case 5:
				ts = append(ts, nil)
				ivs = append(ivs, &iv)
				continue
			case 6:
				ts = append(ts, &base)
				ivs = append(ivs, nil)
				continue
			}
			ts = append(ts, &base)
			ivs = append(ivs, &iv)
		}
		rec := tsIvBatch(mem, ts, ivs)
		args := []plan.Expr{exectest.Col("ts"), exectest.Col("iv")}
		if zone != "UTC" {
			args = append(args, exectest.Str(zone))
		}
		got := evalAny(t, mem, exectest.Call("timestamp_add_interval", args...), rec)
		utcStamped := evalAny(t, mem, exectest.Call("timestamp_add_interval", exectest.Col("ts"), exectest.Col("iv"), exectest.Str("UTC")), rec)
		for i := range ts {
			if ts[i] == nil || ivs[i] == nil {
				if got[i] != nil {
					t.Fatalf("%s: NULL + interval = %v", zone, got[i])
				}
				continue
			}
			w := ts[i].In(loc)
			iv := *ivs[i]
			y, m, d := goAddMonthsClamped(w.Year(), w.Month(), w.Day(), int(iv.Months))
			want := time.Date(y, m, d+int(iv.Days), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).Add(time.Duration(iv.Nanoseconds))
			if got[i] != arrow.Timestamp(want.UnixMicro()) {
				t.Fatalf("%s: %v + %+v = %v, want %v", zone, w, iv, time.UnixMicro(int64(got[i].(arrow.Timestamp))).In(loc), want)
			}
			if zone == "UTC" && utcStamped[i] != got[i] {
				t.Fatalf("UTC stamped %v, not stamped %v", utcStamped[i], got[i])
			}
		}
		rec.Release()
	}
}

func TestTimestampPlusIntervalDST(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ny, berlin := mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin")
	hour := int64(time.Hour)
	cases := []struct {
		zone     string
		loc      *time.Location
		from     time.Time
		iv       arrow.MonthDayNanoInterval
		want     time.Time
		wantDate time.Time // date + interval of from's UTC date, when not zero
	}{
		// A day across spring forward is 23 hours; the wall clock stays.
		{"America/New_York", ny, time.Date(2024, 3, 9, 12, 0, 0, 0, ny), arrow.MonthDayNanoInterval{Days: 1}, time.Date(2024, 3, 10, 12, 0, 0, 0, ny), time.Time{}},
		// Into the gap: moved forward by the gap's length.
		{"America/New_York", ny, time.Date(2024, 3, 9, 2, 30, 0, 0, ny), arrow.MonthDayNanoInterval{Days: 1}, time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC), time.Time{}},
		// Into the overlap: the offset it had (EDT), then from the other side (EST).
		{"America/New_York", ny, time.Date(2024, 11, 2, 5, 30, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Days: 1}, time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC), time.Time{}},
		{"America/New_York", ny, time.Date(2024, 11, 4, 6, 30, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Days: -1}, time.Date(2024, 11, 3, 6, 30, 0, 0, time.UTC), time.Time{}},
		// Exact time across fall back: two hours after 00:30 EDT is 01:30 EST.
		{"America/New_York", ny, time.Date(2024, 11, 3, 4, 30, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Nanoseconds: 2 * hour}, time.Date(2024, 11, 3, 6, 30, 0, 0, time.UTC), time.Time{}},
		// A month into the Berlin gap.
		{"Europe/Berlin", berlin, time.Date(2024, 2, 29, 2, 30, 0, 0, berlin), arrow.MonthDayNanoInterval{Months: 1, Days: 2}, time.Date(2024, 3, 31, 1, 30, 0, 0, time.UTC), time.Time{}},
		// Month ends: clamped, not rolled over; negative intervals; leap days.
		{"UTC", time.UTC, time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Months: 1}, time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"UTC", time.UTC, time.Date(2023, 1, 31, 10, 0, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Months: 1}, time.Date(2023, 2, 28, 10, 0, 0, 0, time.UTC), time.Date(2023, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"UTC", time.UTC, time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Months: -1, Days: -1}, time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"UTC", time.UTC, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Months: 12}, time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)},
		{"UTC", time.UTC, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Nanoseconds: -1500}, time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Time{}},
		// Nanoseconds below a microsecond are dropped.
		{"UTC", time.UTC, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), arrow.MonthDayNanoInterval{Nanoseconds: 999}, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
	}
	for _, c := range cases {
		from := c.from
		rec := tsIvBatch(mem, []*time.Time{&from, nil}, []*arrow.MonthDayNanoInterval{&c.iv, &c.iv})
		got := evalAny(t, mem, exectest.Call("timestamp_add_interval", exectest.Col("ts"), exectest.Col("iv"), exectest.Str(c.zone)), rec)
		lit := evalAny(t, mem, exectest.Call("timestamp_add_interval", exectest.Col("ts"), ivLit(c.iv.Months, c.iv.Days, c.iv.Nanoseconds), exectest.Str(c.zone)), rec)
		if got[1] != nil || lit[1] != nil {
			t.Fatalf("NULL + interval = %v", got[1])
		}
		if want := arrow.Timestamp(c.want.UnixMicro()); got[0] != want || lit[0] != want {
			t.Errorf("%s: %v + %+v = %v (literal: %v), want %v", c.zone, from.In(c.loc), c.iv,
				time.UnixMicro(int64(got[0].(arrow.Timestamp))).In(c.loc), lit[0], c.want.In(c.loc))
		}
		if !c.wantDate.IsZero() {
			d := evalAny(t, mem, exectest.Call("date_add_interval", exectest.Col("d"), exectest.Col("iv")), rec)
			if want := arrow.Date32(daysOf(c.wantDate)); d[0] != want || d[1] != nil {
				t.Errorf("date %v + %+v = %v, want %v", from.UTC(), c.iv, d, want)
			}
		}
		rec.Release()
	}
}

func TestIntervalArithmetic(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	a := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	b := time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.UTC)
	iv1 := arrow.MonthDayNanoInterval{Months: 14, Days: -3, Nanoseconds: 3723_500_000_000}
	iv2 := arrow.MonthDayNanoInterval{Months: -2, Days: 10, Nanoseconds: -1}
	big := arrow.MonthDayNanoInterval{Months: math.MaxInt32, Days: 1, Nanoseconds: 1}
	rec := tsIvBatch(mem, []*time.Time{&a, &b, nil, &a}, []*arrow.MonthDayNanoInterval{&iv1, &iv2, &iv1, &big})
	defer rec.Release()
	col := exectest.Col
	diff := evalAny(t, mem, exectest.Call("timestamp_diff", col("ts"), exectest.Cast(exectest.Str("1969-07-20 20:17:40.123456"), &arrow.TimestampType{Unit: arrow.Microsecond})), rec)
	wantDiff := []any{
		arrow.MonthDayNanoInterval{Nanoseconds: int64(a.Sub(b))}, arrow.MonthDayNanoInterval{}, nil,
		arrow.MonthDayNanoInterval{Nanoseconds: int64(a.Sub(b))},
	}
	sum := evalAny(t, mem, exectest.Call("interval_add", col("iv"), ivLit(1, 2, 3)), rec)
	neg := evalAny(t, mem, exectest.Call("interval_negate", col("iv")), rec)
	mul := evalAny(t, mem, exectest.Call("interval_multiply", col("iv"), exectest.Float(1.5)), rec)
	div := evalAny(t, mem, exectest.Call("interval_divide", col("iv"), exectest.Float(0)), rec)
	div4 := evalAny(t, mem, exectest.Call("interval_divide", col("iv"), exectest.Float(4)), rec)
	nan := evalAny(t, mem, exectest.Call("interval_multiply", col("iv"), exectest.Float(math.NaN())), rec)
	text := evalAny(t, mem, exectest.Cast(col("iv"), arrow.BinaryTypes.String), rec)
	day := int64(24 * time.Hour)
	for i, c := range []struct{ sum, neg, mul, div4 any }{
		{arrow.MonthDayNanoInterval{Months: 15, Days: -1, Nanoseconds: 3723_500_000_003},
			arrow.MonthDayNanoInterval{Months: -14, Days: 3, Nanoseconds: -3723_500_000_000},
			arrow.MonthDayNanoInterval{Months: 21, Days: -4, Nanoseconds: 3723_500_000_000*3/2 - day/2},
			arrow.MonthDayNanoInterval{Months: 3, Days: 0, Nanoseconds: 3723_500_000_000/4 - day*3/4}},
		{arrow.MonthDayNanoInterval{Months: -1, Days: 12, Nanoseconds: 2},
			arrow.MonthDayNanoInterval{Months: 2, Days: -10, Nanoseconds: 1},
			arrow.MonthDayNanoInterval{Months: -3, Days: 15, Nanoseconds: -2},     // -1.5 ns rounds half away from zero
			arrow.MonthDayNanoInterval{Months: 0, Days: 2, Nanoseconds: day / 2}}, // -0.5 months dropped; 0 ns: -0.25 rounds to 0
		{arrow.MonthDayNanoInterval{Months: 15, Days: -1, Nanoseconds: 3723_500_000_003}, arrow.MonthDayNanoInterval{Months: -14, Days: 3, Nanoseconds: -3723_500_000_000}, nil, nil},
		{nil, arrow.MonthDayNanoInterval{Months: -math.MaxInt32, Days: -1, Nanoseconds: -1}, nil, nil}, // overflow: NULL
	} {
		if i == 2 { // the interval is not NULL in row 2: only the timestamp is
			c.mul = arrow.MonthDayNanoInterval{Months: 21, Days: -4, Nanoseconds: 3723_500_000_000*3/2 - day/2}
			c.div4 = arrow.MonthDayNanoInterval{Months: 3, Days: 0, Nanoseconds: 3723_500_000_000/4 - day*3/4}
		}
		if diff[i] != wantDiff[i] {
			t.Errorf("row %d: timestamp_diff = %v, want %v", i, diff[i], wantDiff[i])
		}
		if sum[i] != c.sum || neg[i] != c.neg || mul[i] != c.mul {
			t.Errorf("row %d: sum %v neg %v mul %v, want %v %v %v", i, sum[i], neg[i], mul[i], c.sum, c.neg, c.mul)
		}
		if c.div4 != nil && div4[i] != c.div4 {
			t.Errorf("row %d: divided by 4 = %v, want %v", i, div4[i], c.div4)
		}
		if div[i] != nil || nan[i] != nil {
			t.Errorf("row %d: divided by 0 = %v, times NaN = %v, want NULL", i, div[i], nan[i])
		}
	}
	for i, want := range []string{"1 years 2 months -3 days 1 hours 2 minutes 3.5 seconds", "-2 months 10 days -0.000000001 seconds",
		"1 years 2 months -3 days 1 hours 2 minutes 3.5 seconds", "178956970 years 7 months 1 days 0.000000001 seconds"} {
		if text[i] != want {
			t.Errorf("row %d: text %q, want %q", i, text[i], want)
		}
	}
}

func TestMakeInterval(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := oneColumn("x", func() arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues([]int64{1, -2, math.MaxInt64}, nil)
		b.AppendNull()
		return b.NewArray()
	}())
	defer rec.Release()
	defer rec.Column(0).Release()
	e := exectest.Call("make_interval", exectest.Col("x"), exectest.Int(2), exectest.Int(1), exectest.Col("x"), exectest.Int(25), exectest.Int(-1), exectest.Float(1.0000015))
	got := evalAny(t, mem, e, rec)
	hour, minute := int64(time.Hour), int64(time.Minute)
	want := []any{
		arrow.MonthDayNanoInterval{Months: 14, Days: 8, Nanoseconds: 25*hour - minute + 1_000_002_000},
		arrow.MonthDayNanoInterval{Months: -22, Days: 5, Nanoseconds: 25*hour - minute + 1_000_002_000},
		nil, nil,
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
	text := evalAny(t, mem, exectest.Cast(ivLit(0, 0, 0), arrow.BinaryTypes.String), rec)
	if text[0] != "0 seconds" {
		t.Errorf("zero interval as text: %q", text[0])
	}
}
