package eval

import (
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

// Every expectation here is computed with Go's time package (Format and Parse with the Go
// layout equivalent to the Spark pattern), never with the kernels.

// dfPatterns pairs Spark patterns with the equivalent Go layouts.
var dfPatterns = []struct{ spark, goLayout string }{
	{"yyyy-MM-dd HH:mm:ss.SSSSSS", "2006-01-02 15:04:05.000000"},
	{"yyyy-MM-dd", "2006-01-02"},
	{"EEE, d MMM yy hh:mm:ss a", "Mon, 2 Jan 06 03:04:05 PM"},
	{"EEEE MMMM dd yyyy 'at' HH:m:s.SSS", "Monday January 02 2006 at 15:4:5.000"},
	{"yyyyMMdd'T'HHmmss", "20060102T150405"},
	{"dd/MM/yyyy h a", "02/01/2006 3 PM"},
	{"M/d/yyyy", "1/2/2006"},
	{"''yyyy'' S", "'2006' .0"}, // Go needs '.' before a fraction: replaced in the text below
}

// dfTestMicros lists microseconds since the epoch over the test days of years 1 to 9999,
// with random times of day and the days' first and last microseconds.
func dfTestMicros() []int64 {
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
	r := rand.New(rand.NewPCG(5, 6))
	var out []int64
	for _, d := range testDays() {
		base := d * 86_400_000_000
		for _, us := range []int64{base, base + 86_399_999_999, base + r.Int64N(86_400_000_000)} {
			if us >= lo && us <= hi {
				out = append(out, us)
			}
		}
	}
	return out
}

// goText formats t as the Go layout of a pattern pair, fixing the one layout Go cannot
// say (a fraction not after a '.').
func goText(layout string, t time.Time) string {
	s := t.Format(layout)
	if layout == "'2006' .0" {
		return s[:len(s)-2] + s[len(s)-1:]
	}
	return s
}

// tsColumn builds a timestamp[us] column of micros with every 53rd row NULL.
func tsColumn(mem memory.Allocator, micros []int64) arrow.Array {
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	defer b.Release()
	for i, us := range micros {
		if i%53 == 4 {
			b.AppendNull()
		} else {
			b.Append(arrow.Timestamp(us))
		}
	}
	return b.NewArray()
}

func TestDateFormatMatchesGo(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	micros := dfTestMicros()
	col := tsColumn(mem, micros)
	rec := oneColumn("ts", col)
	col.Release()
	defer rec.Release()
	secs := array.NewInt64Builder(mem)
	dates := array.NewDate32Builder(mem)
	for i, us := range micros {
		if i%53 == 4 {
			secs.AppendNull()
			dates.AppendNull()
			continue
		}
		tm := time.UnixMicro(us).UTC()
		secs.Append(tm.Unix())
		dates.Append(arrow.Date32(daysOf(tm)))
	}
	sa, da := secs.NewArray(), dates.NewArray()
	secs.Release()
	dates.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "secs", Type: sa.DataType(), Nullable: true}, {Name: "d", Type: da.DataType(), Nullable: true}}, nil)
	rec2 := array.NewRecordBatch(schema, []arrow.Array{sa, da}, int64(sa.Len()))
	sa.Release()
	da.Release()
	defer rec2.Release()
	for _, p := range dfPatterns {
		got := evalRows(t, mem, exectest.Call("date_format", exectest.Col("ts"), exectest.Str(p.spark)), rec)
		fromSecs := evalRows(t, mem, exectest.Call("from_unixtime", exectest.Col("secs"), exectest.Str(p.spark)), rec2)
		ofDates := evalRows(t, mem, exectest.Call("date_format", exectest.Col("d"), exectest.Str(p.spark)), rec2)
		for i, us := range micros {
			if i%53 == 4 {
				if got[i] != nil || fromSecs[i] != nil || ofDates[i] != nil {
					t.Fatalf("%s of NULL = %v, %v, %v", p.spark, got[i], fromSecs[i], ofDates[i])
				}
				continue
			}
			tm := time.UnixMicro(us).UTC()
			if want := goText(p.goLayout, tm); got[i] != want {
				t.Fatalf("date_format(%v, %q) = %v, want %q", tm, p.spark, got[i], want)
			}
			if want := goText(p.goLayout, tm.Truncate(time.Second)); fromSecs[i] != want {
				t.Fatalf("from_unixtime(%d, %q) = %v, want %q", tm.Unix(), p.spark, fromSecs[i], want)
			}
			day := time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
			if want := goText(p.goLayout, day); ofDates[i] != want {
				t.Fatalf("date_format(date %v, %q) = %v, want %q", day, p.spark, ofDates[i], want)
			}
		}
	}
}

// strAndDictBatch holds texts as a utf8 column s and a dictionary column ds.
func strAndDictBatch(t *testing.T, mem memory.Allocator, texts []any) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ds", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	rows := make([][]any, len(texts))
	for i, v := range texts {
		rows[i] = []any{v, v}
	}
	return exectest.BuildBatch(t, mem, schema, rows)
}

// dfInvalid are texts no test pattern reads (Go's Parse rejects them too).
var dfInvalid = []any{"", "abc", "2024-02-30", "2023-02-29", "2024-13-01", "2024-1-05", "2024-01-05x",
	" 2024-01-05", "日本語", "2024-01-05 25:00:00.000000", "1900-02-29", nil, "Tue, 2 Jan 06 03:04:05 XM"}

func TestParseMatchesGo(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	micros := dfTestMicros()
	for _, p := range dfPatterns {
		if p.goLayout == "'2006' .0" {
			continue // Go cannot parse it
		}
		texts := make([]any, 0, len(micros)+len(dfInvalid))
		for _, us := range micros {
			texts = append(texts, time.UnixMicro(us).UTC().Format(p.goLayout))
		}
		texts = append(texts, dfInvalid...)
		rec := strAndDictBatch(t, mem, texts)
		for _, c := range []string{"s", "ds"} {
			ts := evalRows(t, mem, exectest.Call("to_timestamp", exectest.Col(c), exectest.Str(p.spark)), rec)
			dates := evalRows(t, mem, exectest.Call("to_date", exectest.Col(c), exectest.Str(p.spark)), rec)
			unix := evalRows(t, mem, exectest.Call("unix_timestamp", exectest.Col(c), exectest.Str(p.spark)), rec)
			for i, text := range texts {
				var want, wantDate, wantUnix any
				if s, ok := text.(string); ok {
					if tm, err := time.Parse(p.goLayout, s); err == nil && sparkAgrees(p.goLayout, s, &tm) {
						want = arrow.Timestamp(tm.UnixMicro())
						wantDate = arrow.Date32(daysOf(tm))
						wantUnix = tm.Unix()
					}
				}
				if ts[i] != want || dates[i] != wantDate || unix[i] != wantUnix {
					t.Fatalf("%s %q as %q: to_timestamp %v, to_date %v, unix_timestamp %v; want %v, %v, %v",
						c, text, p.spark, ts[i], dates[i], unix[i], want, wantDate, wantUnix)
				}
			}
		}
		// A slice exercises the arrays' offsets.
		full := evalRows(t, mem, exectest.Call("to_timestamp", exectest.Col("s"), exectest.Str(p.spark)), rec)
		sliced := rec.NewSlice(3, rec.NumRows()-1)
		for _, c := range []string{"s", "ds"} {
			got := evalRows(t, mem, exectest.Call("to_timestamp", exectest.Col(c), exectest.Str(p.spark)), sliced)
			for i, g := range got {
				if g != full[i+3] {
					t.Fatalf("sliced %s row %d = %v, want %v", c, i, g, full[i+3])
				}
			}
		}
		sliced.Release()
		rec.Release()
	}
}

// sparkAgrees adjusts Go's reading tm of s for Spark's rules: a two-digit year is in
// 2000-2099 (Go reads 69-99 as 19xx), and a day name must be the date's (Go ignores it).
func sparkAgrees(layout, s string, tm *time.Time) bool {
	if strings.Contains(layout, "06") && !strings.Contains(layout, "2006") && tm.Year() < 2000 {
		*tm = tm.AddDate(100, 0, 0)
	}
	if strings.Contains(layout, "Mon") {
		return tm.Format(layout) == s
	}
	return true
}

func TestParseSparkRules(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	at := func(y int, m time.Month, d, h, mi, s, us int) any {
		return arrow.Timestamp(time.Date(y, m, d, h, mi, s, us*1000, time.UTC).UnixMicro())
	}
	for _, c := range []struct {
		text, pattern string
		want          any
	}{
		{"Mon, 1 Jan 24", "EEE, d MMM yy", at(2024, 1, 1, 0, 0, 0, 0)},
		{"Tue, 1 Jan 24", "EEE, d MMM yy", nil}, // the wrong day name, as Spark's resolver
		{"12:05 AM", "hh:mm a", at(1970, 1, 1, 0, 5, 0, 0)},
		{"12:05 PM", "hh:mm a", at(1970, 1, 1, 12, 5, 0, 0)},
		{"13:05 PM", "hh:mm a", nil},
		{"2024-02-29 10:00:00.5", "yyyy-MM-dd HH:mm:ss.SSS", at(2024, 2, 29, 10, 0, 0, 500000)}, // 1 to n digits
		{"2024-02-29 10:00:00.1234", "yyyy-MM-dd HH:mm:ss.SSS", nil},
		{"0099-12-31", "yyyy-MM-dd", at(99, 12, 31, 0, 0, 0, 0)},
		{"1969-12-31 23:59:59.999999", "yyyy-MM-dd HH:mm:ss.SSSSSS", at(1969, 12, 31, 23, 59, 59, 999999)},
		{"it's 2024", "'it''s' yyyy", at(2024, 1, 1, 0, 0, 0, 0)},
		{"9 1 5", "M d y", at(5, 9, 1, 0, 0, 0, 0)},
	} {
		rec := strAndDictBatch(t, mem, []any{c.text})
		got := evalRows(t, mem, exectest.Call("to_timestamp", exectest.Col("s"), exectest.Str(c.pattern)), rec)
		rec.Release()
		if got[0] != c.want {
			t.Errorf("to_timestamp(%q, %q) = %v, want %v", c.text, c.pattern, got[0], c.want)
		}
	}
}

// goTrunc truncates t to unit with Go's time package.
func goTrunc(t time.Time, unit string) time.Time {
	y, m, d := t.Date()
	switch unit {
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case "quarter":
		return time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case "month":
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case "week":
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
	case "day":
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case "hour":
		return t.Truncate(time.Hour)
	case "minute":
		return t.Truncate(time.Minute)
	case "second":
		return t.Truncate(time.Second)
	}
	panic(unit)
}

func TestTruncMatchesGo(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	micros := dfTestMicros()
	col := tsColumn(mem, micros)
	rec := oneColumn("ts", col)
	col.Release()
	defer rec.Release()
	db := array.NewDate32Builder(mem)
	for i, us := range micros {
		if i%53 == 4 {
			db.AppendNull()
		} else {
			db.Append(arrow.Date32(daysOf(time.UnixMicro(us).UTC())))
		}
	}
	da := db.NewArray()
	db.Release()
	drec := oneColumn("d", da)
	da.Release()
	defer drec.Release()
	for _, unit := range []string{"year", "quarter", "month", "week", "day", "hour", "minute", "second"} {
		got := evalRows(t, mem, exectest.Call("date_trunc", exectest.Str(unit), exectest.Col("ts")), rec)
		var gotDates []any
		if unit == "year" || unit == "quarter" || unit == "month" || unit == "week" {
			gotDates = evalRows(t, mem, exectest.Call("trunc", exectest.Col("d"), exectest.Str(unit)), drec)
		}
		for i, us := range micros {
			if i%53 == 4 {
				if got[i] != nil || (gotDates != nil && gotDates[i] != nil) {
					t.Fatalf("trunc of NULL by %s = %v", unit, got[i])
				}
				continue
			}
			want := goTrunc(time.UnixMicro(us).UTC(), unit)
			if got[i] != arrow.Timestamp(want.UnixMicro()) {
				t.Fatalf("date_trunc(%s, %v) = %v, want %v", unit, time.UnixMicro(us).UTC(), got[i], want)
			}
			if gotDates != nil && gotDates[i] != arrow.Date32(daysOf(want)) {
				t.Fatalf("trunc(%v, %s) = %v, want %v", time.UnixMicro(us).UTC(), unit, gotDates[i], want)
			}
		}
	}
}

func TestDateFmtScalarArguments(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strAndDictBatch(t, mem, []any{"a", "b", nil})
	defer rec.Release()
	leap := time.Date(2024, 2, 29, 13, 14, 15, 0, time.UTC)
	tsLit := &plan.Literal{Value: arrow.Timestamp(leap.UnixMicro()), Type: &arrow.TimestampType{Unit: arrow.Microsecond}}
	for _, c := range []struct {
		e    plan.Expr
		want any
	}{
		{exectest.Call("to_date", exectest.Str("29/02/2024"), exectest.Str("dd/MM/yyyy")), arrow.Date32(daysOf(leap))},
		{exectest.Call("to_date", exectest.Str("29/02/2023"), exectest.Str("dd/MM/yyyy")), nil},
		{exectest.Call("to_date", exectest.Null(arrow.BinaryTypes.String), exectest.Str("dd/MM/yyyy")), nil},
		{exectest.Call("date_format", tsLit, exectest.Str("yyyy MMM d HH:mm")), leap.Format("2006 Jan 2 15:04")},
		{exectest.Call("date_trunc", exectest.Str("month"), tsLit), arrow.Timestamp(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC).UnixMicro())},
		{exectest.Call("from_unixtime", exectest.Int(leap.Unix()), exectest.Str("yyyy-MM-dd HH:mm:ss")), leap.Format("2006-01-02 15:04:05")},
		{exectest.Call("from_unixtime", exectest.Int(1<<62), exectest.Str("yyyy")), nil},
	} {
		got := evalRows(t, mem, c.e, rec)
		for i, g := range got {
			if g != c.want {
				t.Errorf("%s row %d = %v, want %v", c.e, i, g, c.want)
			}
		}
	}
}
