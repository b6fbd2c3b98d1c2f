package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Every expectation here is computed with Go's time package, never with the kernels.

// dateOf is day days after 1970-01-01, at midnight UTC.
func dateOf(days int64) time.Time { return time.Unix(days*86400, 0).UTC() }

// daysOf is the days since 1970-01-01 of t's calendar date.
func daysOf(t time.Time) int64 {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	return u / 86400 // exact: u is a multiple of 86400
}

// testDays lists the days the date tests run over: every day around leap days, month and
// year ends (including 1900, not a leap year, and 2000, one), around the epoch and ISO week
// boundaries, far past and future dates, and a random sample.
func testDays() []int64 {
	var out []int64
	span := func(y int, m time.Month, d, before, after int) {
		c := daysOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
		for k := -before; k <= after; k++ {
			out = append(out, c+int64(k))
		}
	}
	span(1900, 2, 28, 40, 40)
	span(2000, 2, 29, 40, 40)
	span(2024, 2, 29, 5, 5)
	span(2023, 2, 28, 5, 5)
	span(1970, 1, 1, 400, 400)
	for _, y := range []int{1582, 1899, 1969, 1999, 2004, 2009, 2015, 2020, 2021, 2026, 2100, 9999} {
		span(y, 12, 31, 10, 10) // ISO weeks 52/53 and week 1 of the next year
	}
	span(-1, 1, 1, 10, 10)
	span(0, 3, 1, 3, 3)
	span(-4713, 11, 24, 3, 3)
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		out = append(out, r.Int64N(2_000_000)-1_000_000) // ±2700 years
	}
	return out
}

// goDatePart computes a date part of t with Go's time package.
func goDatePart(name string, t time.Time) int32 {
	switch name {
	case "year":
		return int32(t.Year())
	case "quarter":
		return int32((t.Month()-1)/3 + 1)
	case "month":
		return int32(t.Month())
	case "dayofmonth":
		return int32(t.Day())
	case "dayofweek":
		return int32(t.Weekday()) + 1
	case "dayofyear":
		return int32(t.YearDay())
	case "weekofyear":
		_, w := t.ISOWeek()
		return int32(w)
	case "hour":
		return int32(t.Hour())
	case "minute":
		return int32(t.Minute())
	case "second":
		return int32(t.Second())
	}
	panic(name)
}

var datePartNames = []string{"year", "quarter", "month", "dayofmonth", "dayofweek", "dayofyear", "weekofyear", "hour", "minute", "second"}

// evalRows evaluates e over rec and returns its rows as Go values (nil for NULL).
func evalRows(t *testing.T, mem memory.Allocator, e plan.Expr, rec arrow.RecordBatch) []any {
	t.Helper()
	arr, err := Eval(context.Background(), e, rec, mem)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	defer arr.Release()
	if arr.Len() != int(rec.NumRows()) {
		t.Fatalf("%s: %d rows, want %d", e, arr.Len(), rec.NumRows())
	}
	out := make([]any, arr.Len())
	for i := range out {
		out[i] = exectest.GoValue(t, arr, i)
	}
	return out
}

func oneColumn(name string, arr arrow.Array) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: name, Type: arr.DataType(), Nullable: true}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
}

func TestDatePartsOfDates(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	days := testDays()
	b := array.NewDate32Builder(mem)
	for i, d := range days {
		if i%97 == 5 {
			b.AppendNull()
			continue
		}
		b.Append(arrow.Date32(d))
	}
	col := b.NewArray()
	b.Release()
	rec := oneColumn("d", col)
	col.Release()
	defer rec.Release()
	// A slice exercises the array offset.
	sliced := rec.NewSlice(3, rec.NumRows()-2)
	defer sliced.Release()
	for _, r := range []struct {
		rec  arrow.RecordBatch
		from int
	}{{rec, 0}, {sliced, 3}} {
		for _, name := range datePartNames {
			got := evalRows(t, mem, exectest.Call(name, exectest.Col("d")), r.rec)
			for i, g := range got {
				k := i + r.from
				if k%97 == 5 {
					if g != nil {
						t.Fatalf("%s of NULL = %v, want NULL", name, g)
					}
					continue
				}
				want := goDatePart(name, dateOf(days[k]))
				if g != want {
					t.Fatalf("%s(%s) = %v, want %d", name, dateOf(days[k]).Format("2006-01-02"), g, want)
				}
			}
		}
	}
}

func TestDatePartsOfTimestamps(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Logf("no zone database (%v): the zoned case is skipped", err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var micros []int64
	for _, d := range testDays() {
		// A time of day per day, with sub-second parts, plus the day's first and last µs.
		micros = append(micros, d*86_400_000_000+r.Int64N(86_400_000_000), d*86_400_000_000, d*86_400_000_000+86_399_999_999)
	}
	micros = append(micros, -1, 0, 1, -86_400_000_000-1)
	for _, tc := range []struct {
		unit arrow.TimeUnit
		zone string
		loc  *time.Location
	}{
		{arrow.Microsecond, "", time.UTC},
		{arrow.Millisecond, "", time.UTC},
		{arrow.Second, "UTC", time.UTC},
		{arrow.Nanosecond, "", time.UTC},
		{arrow.Microsecond, "America/New_York", ny},
	} {
		if tc.loc == nil {
			continue
		}
		tt := &arrow.TimestampType{Unit: tc.unit, TimeZone: tc.zone}
		per := int64(time.Microsecond / tc.unit.Multiplier()) // units per µs, or 0
		b := array.NewTimestampBuilder(mem, tt)
		vals := make([]int64, len(micros))
		for i, us := range micros {
			switch {
			case per >= 1:
				vals[i] = us * per
			default:
				vals[i] = us / int64(tc.unit.Multiplier()/time.Microsecond)
			}
			if i%89 == 7 {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(vals[i]))
			}
		}
		col := b.NewArray()
		b.Release()
		rec := oneColumn("ts", col)
		col.Release()
		for _, name := range datePartNames {
			got := evalRows(t, mem, exectest.Call(name, exectest.Col("ts")), rec)
			for i, g := range got {
				if i%89 == 7 {
					if g != nil {
						t.Fatalf("%v %s of NULL = %v", tt, name, g)
					}
					continue
				}
				at := time.Unix(0, 0).Add(time.Duration(vals[i]) * tc.unit.Multiplier())
				if tc.unit != arrow.Nanosecond { // beyond time.Duration's ±292 years
					at = arrow.Timestamp(vals[i]).ToTime(tc.unit)
				}
				want := goDatePart(name, at.In(tc.loc))
				if g != want {
					t.Fatalf("%v %s(%s) = %v, want %d", tt, name, at.In(tc.loc), g, want)
				}
			}
		}
		rec.Release()
	}
}

func TestDatePartsOfLiterals(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := exectest.BuildBatch(t, mem, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil),
		[][]any{{int64(1)}, {int64(2)}})
	defer rec.Release()
	leap := time.Date(2000, 2, 29, 23, 59, 58, 0, time.UTC)
	dateLit := &plan.Literal{Value: arrow.Date32(daysOf(leap)), Type: arrow.FixedWidthTypes.Date32}
	tsLit := &plan.Literal{Value: arrow.Timestamp(leap.UnixMicro()), Type: exectest.TimestampType}
	for _, name := range datePartNames {
		for _, lit := range []plan.Expr{dateLit, tsLit} {
			want := goDatePart(name, leap)
			if lit == dateLit && (name == "hour" || name == "minute" || name == "second") {
				want = 0 // a date is at midnight
			}
			for _, g := range evalRows(t, mem, exectest.Call(name, lit), rec) {
				if g != want {
					t.Errorf("%s(%s) = %v, want %d", name, lit, g, want)
				}
			}
		}
		for _, g := range evalRows(t, mem, exectest.Call(name, exectest.Null(arrow.FixedWidthTypes.Date32)), rec) {
			if g != nil {
				t.Errorf("%s(NULL) = %v", name, g)
			}
		}
	}
}

// goAddMonths is java.time's plusMonths with Go's time: the day clamped to the target
// month's length.
func goAddMonths(t time.Time, k int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(k), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(first.Year(), first.Month(), min(t.Day(), last), 0, 0, 0, 0, time.UTC)
}

func TestDateArithmetic(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 6))
	days := testDays()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "e", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	rows := make([][]any, len(days))
	for i, d := range days {
		k := r.Int64N(2000) - 1000
		if i%3 == 0 {
			k = r.Int64N(60) - 30
		}
		e := days[(i*7+1)%len(days)]
		rows[i] = []any{arrow.Date32(d), arrow.Date32(e), k}
		switch i % 41 {
		case 1:
			rows[i][0] = nil
		case 2:
			rows[i][1] = nil
		case 3:
			rows[i][2] = nil
		}
	}
	rec := exectest.BuildBatch(t, mem, schema, rows)
	defer rec.Release()
	d, e, k := exectest.Col("d"), exectest.Col("e"), exectest.Col("k")
	lit := exectest.Int(45)
	ymd := func(x time.Time) arrow.Date32 { return arrow.Date32(daysOf(x)) }
	check := func(expr plan.Expr, want func(row []any) any) {
		t.Helper()
		for i, g := range evalRows(t, mem, expr, rec) {
			w := want(rows[i])
			if g != w {
				t.Fatalf("%s row %v: got %v, want %v", expr, rows[i], g, w)
			}
		}
	}
	date := func(v any) time.Time { return dateOf(int64(v.(arrow.Date32))) }
	withK := func(kv any, f func(day time.Time, k int) any) func(row []any) any {
		return func(row []any) any {
			v := kv
			if v == nil {
				v = row[2]
			}
			if row[0] == nil || v == nil {
				return nil
			}
			return f(date(row[0]), int(v.(int64)))
		}
	}
	for _, kv := range []any{nil, int64(45)} {
		arg := plan.Expr(k)
		if kv != nil {
			arg = lit
		}
		kv := kv
		check(exectest.Call("date_add", d, arg), withK(kv, func(x time.Time, k int) any { return ymd(x.AddDate(0, 0, k)) }))
		check(exectest.Call("date_sub", d, arg), withK(kv, func(x time.Time, k int) any { return ymd(x.AddDate(0, 0, -k)) }))
		check(exectest.Call("add_months", d, arg), withK(kv, func(x time.Time, k int) any { return ymd(goAddMonths(x, k)) }))
	}
	check(exectest.Call("datediff", e, d), func(row []any) any {
		if row[0] == nil || row[1] == nil {
			return nil
		}
		return int32((date(row[1]).Unix() - date(row[0]).Unix()) / 86400)
	})
	check(exectest.Call("last_day", d), func(row []any) any {
		if row[0] == nil {
			return nil
		}
		x := date(row[0])
		return ymd(time.Date(x.Year(), x.Month()+1, 0, 0, 0, 0, 0, time.UTC))
	})
	// A literal date with a column of days, and NULL literals.
	jan31 := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	dlit := &plan.Literal{Value: arrow.Date32(daysOf(jan31)), Type: arrow.FixedWidthTypes.Date32}
	check(exectest.Call("add_months", dlit, k), func(row []any) any {
		if row[2] == nil {
			return nil
		}
		return ymd(goAddMonths(jan31, int(row[2].(int64))))
	})
	check(exectest.Call("datediff", dlit, d), func(row []any) any {
		if row[0] == nil {
			return nil
		}
		return int32((jan31.Unix() - date(row[0]).Unix()) / 86400)
	})
	null := func([]any) any { return nil }
	check(exectest.Call("date_add", d, exectest.Null(arrow.PrimitiveTypes.Int64)), null)
	check(exectest.Call("add_months", exectest.Null(arrow.FixedWidthTypes.Date32), k), null)
	check(exectest.Call("datediff", d, exectest.Null(arrow.FixedWidthTypes.Date32)), null)
}

// TestDateArithmeticSpotChecks pins Spark's documented examples and the edges of the
// date range (out of range is NULL, never a wrap or a panic).
func TestDateArithmeticSpotChecks(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := exectest.BuildBatch(t, mem, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil),
		[][]any{{int64(1)}})
	defer rec.Release()
	dt := func(y int, m time.Month, d int) plan.Expr {
		return &plan.Literal{Value: arrow.Date32(daysOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))), Type: arrow.FixedWidthTypes.Date32}
	}
	day := func(y int, m time.Month, d int) any {
		return arrow.Date32(daysOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))
	}
	maxDate := &plan.Literal{Value: arrow.Date32(math.MaxInt32), Type: arrow.FixedWidthTypes.Date32}
	minDate := &plan.Literal{Value: arrow.Date32(math.MinInt32), Type: arrow.FixedWidthTypes.Date32}
	for _, c := range []struct {
		e    plan.Expr
		want any
	}{
		{exectest.Call("add_months", dt(2024, 1, 31), exectest.Int(1)), day(2024, 2, 29)},
		{exectest.Call("add_months", dt(2023, 1, 31), exectest.Int(1)), day(2023, 2, 28)},
		{exectest.Call("add_months", dt(2019, 2, 28), exectest.Int(1)), day(2019, 3, 28)}, // Spark 3: not moved to the 31st
		{exectest.Call("add_months", dt(2016, 8, 31), exectest.Int(-6)), day(2016, 2, 29)},
		{exectest.Call("add_months", dt(1900, 3, 31), exectest.Int(-1)), day(1900, 2, 28)},
		{exectest.Call("date_add", dt(2016, 7, 30), exectest.Int(1)), day(2016, 7, 31)},
		{exectest.Call("date_sub", dt(2016, 7, 30), exectest.Int(1)), day(2016, 7, 29)},
		{exectest.Call("datediff", dt(2009, 7, 31), dt(2009, 7, 30)), int32(1)},
		{exectest.Call("datediff", dt(2009, 7, 30), dt(2009, 7, 31)), int32(-1)},
		{exectest.Call("last_day", dt(2009, 1, 12)), day(2009, 1, 31)},
		{exectest.Call("last_day", dt(2000, 2, 1)), day(2000, 2, 29)},
		{exectest.Call("last_day", dt(1900, 2, 1)), day(1900, 2, 28)},
		{exectest.Call("date_add", maxDate, exectest.Int(1)), nil},
		{exectest.Call("date_sub", minDate, exectest.Int(1)), nil},
		{exectest.Call("date_add", maxDate, exectest.Int(math.MinInt64)), nil},
		{exectest.Call("date_sub", maxDate, exectest.Int(math.MinInt64)), nil},
		{exectest.Call("add_months", maxDate, exectest.Int(1)), nil},
		{exectest.Call("add_months", dt(2024, 1, 1), exectest.Int(math.MaxInt64)), nil},
		{exectest.Call("datediff", maxDate, minDate), nil},
		{exectest.Call("last_day", maxDate), nil},
		{exectest.Call("dayofweek", dt(2009, 7, 30)), int32(5)}, // Spark's example: Thursday
		{exectest.Call("weekofyear", dt(2008, 2, 20)), int32(8)},
		{exectest.Call("dayofyear", dt(2016, 4, 9)), int32(100)},
		{exectest.Call("quarter", dt(2016, 8, 31)), int32(3)},
	} {
		got := evalRows(t, mem, c.e, rec)
		if got[0] != c.want {
			t.Errorf("%s = %v, want %v", c.e, got[0], c.want)
		}
	}
}

// goMonthsBetween is Spark's months_between with Go's time for the calendar fields.
func goMonthsBetween(t1, t2 time.Time) float64 {
	lastDay := func(t time.Time) bool { return t.AddDate(0, 0, 1).Day() == 1 }
	months := float64((t1.Year()*12 + int(t1.Month())) - (t2.Year()*12 + int(t2.Month())))
	if t1.Day() == t2.Day() || (lastDay(t1) && lastDay(t2)) {
		return months
	}
	sod := func(t time.Time) int { return t.Hour()*3600 + t.Minute()*60 + t.Second() }
	secs := (t1.Day()-t2.Day())*86400 + sod(t1) - sod(t2)
	return math.Floor((months+float64(secs)/(31*86400))*1e8+0.5) / 1e8
}

func TestMonthsBetween(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 8))
	days := testDays()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	}, nil)
	db := array.NewDate32Builder(mem)
	tb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	type row struct {
		d, ts  time.Time
		dn, tn bool
	}
	rows := make([]row, len(days))
	for i, d := range days {
		other := days[r.IntN(len(days))]
		if i%4 == 0 { // near d: same and last days of months are common
			other = d + r.Int64N(200) - 100
		}
		us := other*86_400_000_000 + r.Int64N(86_400_000_000)
		if i%5 == 0 {
			us = other * 86_400_000_000 // midnight
		}
		rows[i] = row{d: dateOf(d), ts: time.UnixMicro(us).UTC(), dn: i%37 == 1, tn: i%37 == 2}
		if rows[i].dn {
			db.AppendNull()
		} else {
			db.Append(arrow.Date32(d))
		}
		if rows[i].tn {
			tb.AppendNull()
		} else {
			tb.Append(arrow.Timestamp(us))
		}
	}
	dcol, tcol := db.NewArray(), tb.NewArray()
	db.Release()
	tb.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{dcol, tcol}, int64(len(rows)))
	dcol.Release()
	tcol.Release()
	defer rec.Release()
	d, ts := exectest.Col("d"), exectest.Col("ts")
	lit := time.Date(1997, 2, 28, 10, 30, 0, 0, time.UTC)
	tsLit := &plan.Literal{Value: arrow.Timestamp(lit.UnixMicro()), Type: exectest.TimestampType}
	for _, c := range []struct {
		e    plan.Expr
		want func(row) any
	}{
		{exectest.Call("months_between", ts, d), func(x row) any {
			if x.dn || x.tn {
				return nil
			}
			return goMonthsBetween(x.ts, x.d)
		}},
		{exectest.Call("months_between", d, ts), func(x row) any {
			if x.dn || x.tn {
				return nil
			}
			return goMonthsBetween(x.d, x.ts)
		}},
		{exectest.Call("months_between", d, d), func(x row) any {
			if x.dn {
				return nil
			}
			return 0.0
		}},
		{exectest.Call("months_between", tsLit, ts), func(x row) any {
			if x.tn {
				return nil
			}
			return goMonthsBetween(lit, x.ts)
		}},
		{exectest.Call("months_between", ts, exectest.Null(exectest.TimestampType)), func(row) any { return nil }},
	} {
		for i, g := range evalRows(t, mem, c.e, rec) {
			if w := c.want(rows[i]); g != w {
				t.Fatalf("%s row %d (%v, %v): got %v, want %v", c.e, i, rows[i].d, rows[i].ts, g, w)
			}
		}
	}
	// Spark's documented example.
	one := rec.NewSlice(0, 1)
	defer one.Release()
	oct30 := &plan.Literal{Value: arrow.Date32(daysOf(time.Date(1996, 10, 30, 0, 0, 0, 0, time.UTC))), Type: arrow.FixedWidthTypes.Date32}
	if got := evalRows(t, mem, exectest.Call("months_between", tsLit, oct30), one); got[0] != 3.94959677 {
		t.Errorf("months_between(1997-02-28 10:30:00, 1996-10-30) = %v, want 3.94959677", got[0])
	}
}

// TestDatePartsOfStrings runs date parts over string and dictionary-encoded string
// columns through the casts the analyzer inserts: a string that is not a date is NULL.
func TestDatePartsOfStrings(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ds", Type: dict, Nullable: true},
	}, nil)
	in := []any{"2024-02-29", "", "héllo", "2023-02-29", "1900-02-28 12:00:00", nil, "2024-02-29", "  1969-12-31  ", "日本-01-01", "2021-01-03"}
	rows := make([][]any, len(in))
	for i, v := range in {
		rows[i] = []any{v, v}
	}
	rec := exectest.BuildBatch(t, mem, schema, rows)
	defer rec.Release()
	date := arrow.FixedWidthTypes.Date32
	for _, name := range []string{"year", "month", "dayofmonth", "dayofweek", "weekofyear"} {
		for _, e := range []plan.Expr{
			exectest.Call(name, exectest.Cast(exectest.Col("s"), date)),
			exectest.Call(name, exectest.Cast(exectest.Cast(exectest.Col("ds"), arrow.BinaryTypes.String), date)),
			exectest.Call(name, exectest.Cast(exectest.Col("ds"), date)),
		} {
			for i, g := range evalRows(t, mem, e, rec) {
				var want any
				if s, ok := in[i].(string); ok {
					s = strings.TrimSpace(s)
					if len(s) >= 10 {
						s = s[:10]
					}
					if x, err := time.Parse("2006-01-02", s); err == nil {
						want = goDatePart(name, x)
					}
				}
				if g != want {
					t.Errorf("%s row %q: got %v, want %v", e, in[i], g, want)
				}
			}
		}
	}
}

// TestMonthsBetweenZoned reads a zoned timestamp's wall clock in its zone.
func TestMonthsBetweenZoned(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no zone database: %v", err)
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	tt := &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "America/New_York"}
	b := array.NewTimestampBuilder(mem, tt)
	r := rand.New(rand.NewPCG(9, 10))
	var at []time.Time
	for range 500 {
		ms := r.Int64N(4_000_000_000_000) - 1_000_000_000_000
		at = append(at, time.UnixMilli(ms))
		b.Append(arrow.Timestamp(ms))
	}
	col := b.NewArray()
	b.Release()
	rec := oneColumn("ts", col)
	col.Release()
	defer rec.Release()
	mar31 := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)
	lit := &plan.Literal{Value: arrow.Date32(daysOf(mar31)), Type: arrow.FixedWidthTypes.Date32}
	for i, g := range evalRows(t, mem, exectest.Call("months_between", exectest.Col("ts"), lit), rec) {
		if w := goMonthsBetween(at[i].In(ny), mar31); g != w {
			t.Fatalf("months_between(%v, 2024-03-31) = %v, want %v", at[i].In(ny), g, w)
		}
	}
}
