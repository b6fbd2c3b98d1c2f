package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestIntervalTyping(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	iv := arrow.FixedWidthTypes.MonthDayNanoInterval
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: ts}, {Name: "d", Type: arrow.FixedWidthTypes.Date32}, {Name: "iv", Type: iv},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32}, {Name: "f", Type: arrow.PrimitiveTypes.Float64}, {Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "tsn", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	bin := func(op BinaryOp, l, r Expr) Expr { return &Binary{Op: op, Left: l, Right: r} }
	days := &Literal{Value: arrow.MonthDayNanoInterval{Months: 1, Days: 2}, Type: iv}
	timed := &Literal{Value: arrow.MonthDayNanoInterval{Nanoseconds: 3_600_000_000_000}, Type: iv}
	for _, c := range []struct {
		e    Expr
		want arrow.DataType // nil: an error naming the expression
		rewr string
	}{
		{bin(OpAdd, col("ts"), col("iv")), ts, "timestamp_add_interval(ts, iv)"},
		{bin(OpAdd, col("iv"), col("ts")), ts, "timestamp_add_interval(ts, iv)"},
		{bin(OpSub, col("ts"), days), ts, "timestamp_add_interval(ts, interval_negate(INTERVAL '1 months 2 days'))"},
		{bin(OpAdd, col("d"), days), arrow.FixedWidthTypes.Date32, "date_add_interval(d, INTERVAL '1 months 2 days')"},
		{bin(OpAdd, col("d"), timed), ts, "timestamp_add_interval(CAST(d AS timestamp[us]), INTERVAL '1 hours')"},
		{bin(OpAdd, col("d"), col("iv")), ts, "timestamp_add_interval(CAST(d AS timestamp[us]), iv)"},
		{bin(OpSub, col("ts"), col("tsn")), iv, "timestamp_diff(ts, CAST(tsn AS timestamp[us]))"},
		{bin(OpSub, col("iv"), col("iv")), iv, "interval_add(iv, interval_negate(iv))"},
		{bin(OpMul, col("i"), col("iv")), iv, "interval_multiply(iv, CAST(i AS float64))"},
		{bin(OpDiv, col("iv"), col("f")), iv, "interval_divide(iv, f)"},
		{&Unary{Op: OpNeg, Child: col("iv")}, iv, "interval_negate(iv)"},
		{&Cast{Child: col("iv"), To: arrow.BinaryTypes.String}, arrow.BinaryTypes.String, "CAST(iv AS utf8)"},
		{&Call{Func: "make_interval", Args: []Expr{col("i"), col("i"), col("i"), col("i"), col("i"), col("i"), col("i")}}, iv, ""},
		{bin(OpAdd, col("iv"), col("i")), nil, ""},
		{bin(OpSub, col("i"), col("iv")), nil, ""},
		{bin(OpDiv, col("i"), col("iv")), nil, ""},
		{bin(OpMul, col("iv"), col("s")), nil, ""},
		{bin(OpMul, col("iv"), col("iv")), nil, ""},
		{&Call{Func: "make_interval", Args: []Expr{col("i")}}, nil, ""},
		{&Call{Func: "make_interval", Args: []Expr{col("f"), col("i"), col("i"), col("i"), col("i"), col("i"), col("i")}}, nil, ""},
		{&Call{Func: "timestamp_add_interval", Args: []Expr{col("ts"), col("i")}}, nil, ""},
	} {
		out, got, err := resolveExpr(c.e, schema)
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), c.e.String()) {
				t.Errorf("%s: %v, %v; want an error naming it", c.e, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if !arrow.TypeEqual(got, c.want) || (c.rewr != "" && out.String() != c.rewr) {
			t.Errorf("%s: %s of %v, want %s of %v", c.e, out, got, c.rewr, c.want)
		}
	}
}

func TestFormatIntervalAsSpark(t *testing.T) {
	for _, c := range []struct {
		v    arrow.MonthDayNanoInterval
		want string
	}{
		{arrow.MonthDayNanoInterval{}, "0 seconds"},
		{arrow.MonthDayNanoInterval{Months: 25}, "2 years 1 months"},
		{arrow.MonthDayNanoInterval{Months: -13, Days: 1}, "-1 years -1 months 1 days"},
		{arrow.MonthDayNanoInterval{Nanoseconds: 90_061_000_001_000}, "25 hours 1 minutes 1.000001 seconds"},
		{arrow.MonthDayNanoInterval{Nanoseconds: -1_500_000_000}, "-1.5 seconds"},
		{arrow.MonthDayNanoInterval{Nanoseconds: 7_200_000_000_000}, "2 hours"},
	} {
		if got := FormatInterval(c.v); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
}
