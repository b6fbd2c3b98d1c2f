package eval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
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

// Every expectation here is computed with Go's time, strconv and math packages, never
// with the kernels under test.

var (
	tsMicro = &arrow.TimestampType{Unit: arrow.Microsecond}
	tsNano  = &arrow.TimestampType{Unit: arrow.Nanosecond}
	tsUTC   = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// castColumn builds a column of type dt from Go values (nil for NULL) with arrow's
// builders.
func castColumn(t *testing.T, mem memory.Allocator, dt arrow.DataType, vals []any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.Int64Builder:
			b.Append(v.(int64))
		case *array.Int32Builder:
			b.Append(v.(int32))
		case *array.Int8Builder:
			b.Append(v.(int8))
		case *array.Float64Builder:
			b.Append(v.(float64))
		case *array.Float32Builder:
			b.Append(v.(float32))
		case *array.BooleanBuilder:
			b.Append(v.(bool))
		case *array.StringBuilder:
			b.Append(v.(string))
		case *array.Date32Builder:
			b.Append(v.(arrow.Date32))
		case *array.TimestampBuilder:
			b.Append(v.(arrow.Timestamp))
		case *array.BinaryDictionaryBuilder:
			if err := b.AppendString(v.(string)); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("castColumn: unsupported type %s", dt)
		}
	}
	return b.NewArray()
}

// castCheck casts vals (of type from) to type to three ways: as a column, as the same
// column sliced by one row, and row by row as literals; every result must equal want
// applied to the input value (want is not called for NULL inputs, which must give NULL).
func castCheck(t *testing.T, mem memory.Allocator, from, to arrow.DataType, vals []any, want func(v any) any) {
	t.Helper()
	col := castColumn(t, mem, from, vals)
	defer col.Release()
	expect := func(v any) any {
		if v == nil {
			return nil
		}
		return want(v)
	}
	run := func(what string, arr arrow.Array, in []any) {
		t.Helper()
		rec := oneColumn("x", arr)
		defer rec.Release()
		got := evalRows(t, mem, exectest.Cast(exectest.Col("x"), to), rec)
		for i, g := range got {
			if w := expect(in[i]); !exectest.OracleEqual(g, w) {
				t.Errorf("%s: cast %v (%v) as %v: got %#v, want %#v", what, in[i], from, to, g, w)
			}
		}
	}
	run("column", col, vals)
	if len(vals) > 1 {
		sl := array.NewSlice(col, 1, int64(len(vals)))
		run("sliced column", sl, vals[1:])
		sl.Release()
	}
	if from.ID() == arrow.DICTIONARY {
		return
	}
	one := evOneRow(mem)
	defer one.Release()
	for _, v := range vals {
		switch v.(type) {
		case nil, bool, int64, float64, string, arrow.Date32, arrow.Timestamp: // literal Go types
		default:
			continue
		}
		lit := &plan.Literal{Value: v, Type: from}
		got, err := Eval(context.Background(), exectest.Cast(lit, to), one, mem)
		if err != nil {
			t.Fatalf("cast literal %v: %v", v, err)
		}
		if g, w := exectest.GoValue(t, got, 0), expect(v); !exectest.OracleEqual(g, w) {
			t.Errorf("literal: cast %v (%v) as %v: got %#v, want %#v", v, from, to, g, w)
		}
		got.Release()
	}
}

// goDateString formats day (days since the epoch) as yyyy-MM-dd from Go's calendar.
func goDateString(day int64) string {
	y, m, d := time.Unix(day*86400, 0).UTC().Date()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
}

// goTimestampString formats an instant in UTC as Spark does: seconds, then up to six
// fractional digits without trailing zeros (finer digits truncated).
func goTimestampString(tm time.Time) string {
	tm = tm.UTC()
	y, mo, d := tm.Date()
	s := fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, int(mo), d, tm.Hour(), tm.Minute(), tm.Second())
	if us := tm.Nanosecond() / 1000; us != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", us), "0")
	}
	return s
}

// castDays returns dates between years 1 and 9999 (yyyy-MM-dd has four year digits),
// with a NULL every so often.
func castDays() []any {
	var out []any
	for i, d := range testDays() {
		if y := time.Unix(d*86400, 0).UTC().Year(); y < 1 || y > 9999 {
			continue
		}
		if i%53 == 7 {
			out = append(out, nil)
		}
		out = append(out, arrow.Date32(d))
	}
	return out
}

func TestCastDateToStringAndTimestamp(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	days := castDays()
	castCheck(t, mem, arrow.FixedWidthTypes.Date32, arrow.BinaryTypes.String, days, func(v any) any {
		return goDateString(int64(v.(arrow.Date32)))
	})
	for _, tt := range []*arrow.TimestampType{tsMicro, tsUTC, {Unit: arrow.Second}, {Unit: arrow.Millisecond}} {
		castCheck(t, mem, arrow.FixedWidthTypes.Date32, tt, days, func(v any) any {
			tm := time.Unix(int64(v.(arrow.Date32))*86400, 0).UTC()
			switch tt.Unit {
			case arrow.Second:
				return arrow.Timestamp(tm.Unix())
			case arrow.Millisecond:
				return arrow.Timestamp(tm.UnixMilli())
			}
			return arrow.Timestamp(tm.UnixMicro())
		})
	}
}

func TestCastBoolToStringAndFloat(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	vals := []any{true, false, nil, true, nil, false, false, true}
	castCheck(t, mem, arrow.FixedWidthTypes.Boolean, arrow.BinaryTypes.String, vals, func(v any) any {
		return strconv.FormatBool(v.(bool))
	})
	for _, to := range []arrow.DataType{arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float32} {
		castCheck(t, mem, arrow.FixedWidthTypes.Boolean, to, vals, func(v any) any {
			f := 0.0
			if v.(bool) {
				f = 1
			}
			if to.ID() == arrow.FLOAT32 {
				return float32(f)
			}
			return f
		})
	}
}

func TestCastStringToBool(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	truthy := map[string]bool{"t": true, "true": true, "y": true, "yes": true, "1": true,
		"f": false, "false": false, "n": false, "no": false, "0": false}
	// want trims ASCII spaces and control characters (Spark's trimAll; U+00A0 is not
	// Java whitespace) and lower-cases, then looks the word up.
	want := func(v any) any {
		w := strings.TrimFunc(v.(string), func(r rune) bool { return r <= ' ' })
		b, ok := truthy[strings.ToLower(w)]
		if !ok {
			return nil
		}
		return b
	}
	vals := []any{"true", "TRUE", " Yes ", "\tn\n", "F", "0", "1", "yEs", "no", "", "  ", "2", "tru", "truee",
		"oui", "ja", "ñ", "是", "true\u00a0", "y̆es", nil, "T", "False", " 0 ", "+1", "01", nil}
	castCheck(t, mem, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean, vals, want)
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	var dvals []any
	for i := range 200 {
		dvals = append(dvals, vals[i*7%len(vals)])
	}
	// The analyzer casts a dictionary to string first; the evaluator also takes it whole.
	castCheck(t, mem, dict, arrow.FixedWidthTypes.Boolean, dvals, want)
}

// castInstants is a spread of instants: around the epoch, with and without fractions,
// far past and future, and random ones; a NULL every so often.
func castInstants() []time.Time {
	out := []time.Time{
		time.Unix(0, 0), time.Unix(-1, 0), time.Unix(0, 1000), time.Unix(0, -1000), time.Unix(-1, 500_000_000),
		time.Date(2024, 2, 29, 23, 59, 59, 999_999_000, time.UTC), time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 123_000, time.UTC),
		time.Date(2020, 1, 2, 3, 4, 5, 120_000_000, time.UTC), time.Date(1900, 3, 1, 0, 0, 0, 100_000, time.UTC),
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		sec := r.Int64N(200*365*86400) - 100*365*86400
		out = append(out, time.Unix(sec, r.Int64N(1_000_000)*1000))
	}
	return out
}

func TestCastTimestampToString(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var micros, nanos []any
	for i, tm := range castInstants() {
		if i%61 == 3 {
			micros = append(micros, nil)
			nanos = append(nanos, nil)
		}
		micros = append(micros, arrow.Timestamp(tm.UnixMicro()))
		if tm.Year() > 1700 && tm.Year() < 2200 { // int64 nanoseconds reach 1677..2262
			nanos = append(nanos, arrow.Timestamp(tm.UnixNano()+789)) // sub-microsecond digits are dropped
		}
	}
	for _, tt := range []*arrow.TimestampType{tsMicro, tsUTC} {
		castCheck(t, mem, tt, arrow.BinaryTypes.String, micros, func(v any) any {
			return goTimestampString(time.UnixMicro(int64(v.(arrow.Timestamp))))
		})
	}
	castCheck(t, mem, tsNano, arrow.BinaryTypes.String, nanos, func(v any) any {
		return goTimestampString(time.Unix(0, int64(v.(arrow.Timestamp))))
	})
}

func TestCastNumbersToTimestamp(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ints := []any{int64(0), int64(1), int64(-1), int64(1_700_000_000), nil, int64(-62135596800),
		int64(253402300799), int64(math.MaxInt64), int64(math.MinInt64), int64(9_223_372_036_854), int64(-9_223_372_036_855)}
	r := rand.New(rand.NewPCG(9, 10))
	for range 500 {
		ints = append(ints, r.Int64N(1e11)-5e10)
	}
	// Seconds → microseconds, saturating like Java's TimeUnit.SECONDS.toMicros.
	castCheck(t, mem, arrow.PrimitiveTypes.Int64, tsMicro, ints, func(v any) any {
		s := v.(int64)
		switch {
		case s > math.MaxInt64/1_000_000:
			return arrow.Timestamp(math.MaxInt64)
		case s < math.MinInt64/1_000_000:
			return arrow.Timestamp(math.MinInt64)
		}
		return arrow.Timestamp(time.Unix(s, 0).UnixMicro())
	})
	castCheck(t, mem, arrow.PrimitiveTypes.Int32, &arrow.TimestampType{Unit: arrow.Second},
		[]any{int32(0), int32(-5), nil, int32(math.MaxInt32), int32(math.MinInt32)}, func(v any) any {
			return arrow.Timestamp(int64(v.(int32)))
		})
	floats := []any{0.0, 1.5, -1.5, 1e-6, -1e-6, 0.0000004, 1700000000.25, math.NaN(), math.Inf(1), math.Inf(-1),
		nil, 1e300, -1e300, math.Copysign(0, -1)}
	for range 500 {
		floats = append(floats, (r.Float64()-0.5)*1e10)
	}
	// Spark: (d * 1e6).toLong, NULL for NaN and infinities.
	wantF := func(f float64) any {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		x := math.Trunc(f * 1e6)
		switch {
		case x >= 9.223372036854775807e18:
			return arrow.Timestamp(math.MaxInt64)
		case x <= -9.223372036854775808e18:
			return arrow.Timestamp(math.MinInt64)
		}
		return arrow.Timestamp(int64(x))
	}
	castCheck(t, mem, arrow.PrimitiveTypes.Float64, tsMicro, floats, func(v any) any { return wantF(v.(float64)) })
	castCheck(t, mem, arrow.PrimitiveTypes.Float32, tsMicro, []any{float32(2.5), float32(-0.25), nil, float32(math.NaN())},
		func(v any) any { return wantF(float64(v.(float32))) })
}

func TestCastTimestampToNumbers(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var vals []any
	for i, tm := range castInstants() {
		if i%37 == 2 {
			vals = append(vals, nil)
		}
		vals = append(vals, arrow.Timestamp(tm.UnixMicro()))
	}
	instant := func(v any) time.Time { return time.UnixMicro(int64(v.(arrow.Timestamp))) }
	// Go's Time.Unix floors toward the past, as Spark's Math.floorDiv does.
	castCheck(t, mem, tsMicro, arrow.PrimitiveTypes.Int64, vals, func(v any) any { return instant(v).Unix() })
	castCheck(t, mem, tsUTC, arrow.PrimitiveTypes.Int32, vals, func(v any) any { return int32(instant(v).Unix()) })
	castCheck(t, mem, tsMicro, arrow.PrimitiveTypes.Float64, vals, func(v any) any {
		return float64(instant(v).UnixMicro()) / 1e6
	})
	castCheck(t, mem, &arrow.TimestampType{Unit: arrow.Second}, arrow.PrimitiveTypes.Float64,
		[]any{arrow.Timestamp(-3), nil, arrow.Timestamp(1_700_000_000)}, func(v any) any { return float64(v.(arrow.Timestamp)) })
	castCheck(t, mem, tsMicro, arrow.PrimitiveTypes.Int8, []any{arrow.Timestamp(200_000_000), arrow.Timestamp(-1)},
		func(v any) any { return int8(instant(v).Unix()) })
}

func TestCastNumbersToBool(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	floats := []any{0.0, math.Copysign(0, -1), 1.5, -1e-300, math.NaN(), math.Inf(1), math.Inf(-1), nil, 5e-324}
	castCheck(t, mem, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Boolean, floats, func(v any) any {
		return v.(float64) != 0 // NaN != 0 holds, as in Java
	})
	castCheck(t, mem, arrow.PrimitiveTypes.Float32, arrow.FixedWidthTypes.Boolean,
		[]any{float32(0), nil, float32(0.5), float32(math.NaN())}, func(v any) any { return v.(float32) != 0 })
	castCheck(t, mem, arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Boolean,
		[]any{int32(0), int32(-1), nil, int32(7)}, func(v any) any { return v.(int32) != 0 })
	castCheck(t, mem, arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Boolean,
		[]any{int64(0), int64(math.MinInt64), nil, int64(1)}, func(v any) any { return v.(int64) != 0 })
}

// TestCastMatrixAgreesWithCanCast checks that every pair the analyzer admits also
// evaluates, over a column with a NULL.
func TestCastMatrixAgreesWithCanCast(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	samples := map[arrow.DataType][]any{
		arrow.PrimitiveTypes.Int64:    {int64(3), nil},
		arrow.PrimitiveTypes.Int32:    {int32(3), nil},
		arrow.PrimitiveTypes.Float64:  {2.5, nil},
		arrow.PrimitiveTypes.Float32:  {float32(2.5), nil},
		arrow.FixedWidthTypes.Boolean: {true, nil},
		arrow.BinaryTypes.String:      {"1", nil},
		arrow.FixedWidthTypes.Date32:  {arrow.Date32(3), nil},
		tsMicro:                       {arrow.Timestamp(3_500_000), nil},
		tsUTC:                         {arrow.Timestamp(3_500_000), nil},
		&arrow.TimestampType{Unit: 0}: {arrow.Timestamp(3), nil},
		arrow.PrimitiveTypes.Int8:     {int8(3), nil},
	}
	for from, vals := range samples {
		for to := range samples {
			if !plan.CanCast(from, to) {
				continue
			}
			col := castColumn(t, mem, from, vals)
			rec := oneColumn("x", col)
			col.Release()
			arr, err := Eval(context.Background(), exectest.Cast(exectest.Col("x"), to), rec, mem)
			rec.Release()
			if err != nil {
				t.Errorf("cast %v to %v: %v", from, to, err)
				continue
			}
			if !arrow.TypeEqual(arr.DataType(), to) || arr.IsValid(1) {
				t.Errorf("cast %v to %v: got %v with row 1 valid=%v", from, to, arr.DataType(), arr.IsValid(1))
			}
			arr.Release()
		}
	}
}

func TestDateOperators(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	days := testDays()
	r := rand.New(rand.NewPCG(11, 12))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "e", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	rows := make([][]any, 0, len(days)+4)
	for i, d := range days {
		k := r.Int64N(4000) - 2000
		if i%5 == 0 {
			k = r.Int64N(70) - 35
		}
		rows = append(rows, []any{arrow.Date32(d), arrow.Date32(days[(i*13+5)%len(days)]), k})
		switch i % 29 {
		case 1:
			rows[i][0] = nil
		case 2:
			rows[i][1] = nil
		case 3:
			rows[i][2] = nil
		}
	}
	// Results past date32's range are NULL.
	rows = append(rows,
		[]any{arrow.Date32(math.MaxInt32), arrow.Date32(math.MinInt32), int64(1)},
		[]any{arrow.Date32(math.MinInt32), arrow.Date32(math.MaxInt32), int64(math.MinInt64)},
		[]any{arrow.Date32(0), arrow.Date32(0), int64(math.MaxInt64)},
		[]any{arrow.Date32(10), arrow.Date32(-10), int64(math.MaxInt32)})
	rec := exectest.BuildBatch(t, mem, schema, rows)
	defer rec.Release()
	// plusDays adds k days with Go's calendar when the result is a date32, else NULL.
	plusDays := func(dv, kv any, sign int64) any {
		if dv == nil || kv == nil {
			return nil
		}
		d, k := int64(dv.(arrow.Date32)), kv.(int64)
		if k > 1<<33 || k < -(1<<33) {
			return nil
		}
		day := time.Unix(d*86400, 0).UTC().AddDate(0, 0, int(sign*k)).Unix() / 86400
		if day < math.MinInt32 || day > math.MaxInt32 {
			return nil
		}
		return arrow.Date32(day)
	}
	minusDate := func(av, bv any) any {
		if av == nil || bv == nil {
			return nil
		}
		a := time.Unix(int64(av.(arrow.Date32))*86400, 0).UTC()
		b := time.Unix(int64(bv.(arrow.Date32))*86400, 0).UTC()
		n := (a.Unix() - b.Unix()) / 86400
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil
		}
		return int32(n)
	}
	d, e, k := exectest.Col("d"), exectest.Col("e"), exectest.Col("k")
	check := func(expr plan.Expr, want func(row []any) any) {
		t.Helper()
		for i, g := range evalRows(t, mem, expr, rec) {
			if w := want(rows[i]); g != w {
				t.Fatalf("%s row %v: got %#v, want %#v", expr, rows[i], g, w)
			}
		}
	}
	add, sub := plan.OpAdd, plan.OpSub
	check(exectest.Bin(add, d, k), func(row []any) any { return plusDays(row[0], row[2], 1) })
	check(exectest.Bin(add, k, d), func(row []any) any { return plusDays(row[0], row[2], 1) })
	check(exectest.Bin(sub, d, k), func(row []any) any { return plusDays(row[0], row[2], -1) })
	check(exectest.Bin(sub, e, d), func(row []any) any { return minusDate(row[1], row[0]) })
	for _, lit := range []int64{0, 30, -400, 1 << 40} {
		check(exectest.Bin(add, d, exectest.Int(lit)), func(row []any) any { return plusDays(row[0], lit, 1) })
		check(exectest.Bin(add, exectest.Int(lit), e), func(row []any) any { return plusDays(row[1], lit, 1) })
		check(exectest.Bin(sub, d, exectest.Int(lit)), func(row []any) any { return plusDays(row[0], lit, -1) })
	}
	day := arrow.Date32(19782) // 2024-02-29
	dayLit := &plan.Literal{Value: day, Type: arrow.FixedWidthTypes.Date32}
	check(exectest.Bin(sub, dayLit, d), func(row []any) any { return minusDate(day, row[0]) })
	check(exectest.Bin(sub, e, dayLit), func(row []any) any { return minusDate(row[1], day) })
	check(exectest.Bin(add, dayLit, k), func(row []any) any { return plusDays(day, row[2], 1) })
	check(exectest.Bin(sub, dayLit, exectest.Int(60)), func([]any) any { return plusDays(day, int64(60), -1) })
	check(exectest.Bin(sub, dayLit, dayLit), func([]any) any { return int32(0) })
	check(exectest.Bin(add, d, exectest.Null(arrow.PrimitiveTypes.Int64)), func([]any) any { return nil })
	check(exectest.Bin(sub, exectest.Null(arrow.FixedWidthTypes.Date32), d), func([]any) any { return nil })
}
