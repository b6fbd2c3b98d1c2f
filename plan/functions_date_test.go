package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestDateFunctionTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "ds", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32},
		{Name: "l", Type: arrow.PrimitiveTypes.Int64},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	null := &Literal{Type: arrow.Null}
	i32, date := arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Date32
	for _, c := range []struct {
		e    Expr
		want arrow.DataType // nil: an error naming the call
		rewr string         // the resolved call, when not empty
	}{
		{call("year", col("d")), i32, "year(d)"},
		{call("YEAR", col("ts")), i32, "year(ts)"},
		{call("weekofyear", col("s")), i32, "weekofyear(CAST(s AS date32))"},
		{call("month", col("ds")), i32, ""},
		{call("hour", col("s")), i32, "hour(CAST(s AS timestamp[us]))"},
		{call("second", col("d")), i32, "second(d)"},
		{call("dayofweek", null), i32, ""},
		{call("quarter", &Literal{Value: "not a date", Type: arrow.BinaryTypes.String}), i32, "quarter(NULL)"},
		{call("date_add", col("d"), col("i")), date, "date_add(d, CAST(i AS int64))"},
		{call("date_sub", col("ts"), &Literal{Value: int64(3), Type: arrow.PrimitiveTypes.Int64}), date, "date_sub(CAST(ts AS date32), 3)"},
		{call("add_months", col("s"), col("l")), date, ""},
		{call("add_months", col("d"), null), date, ""},
		{call("datediff", col("d"), col("ts")), i32, ""},
		{call("last_day", col("d")), date, "last_day(d)"},
		{call("months_between", col("ts"), col("d")), arrow.PrimitiveTypes.Float64, "months_between(ts, d)"},
		{call("months_between", col("s"), null), arrow.PrimitiveTypes.Float64, ""},
		{call("months_between", col("ts"), col("l")), nil, ""},
		{call("year", col("l")), nil, ""},
		{call("year", col("d"), col("d")), nil, ""},
		{call("hour", col("b")), nil, ""},
		{call("date_add", col("d"), col("f")), nil, ""},
		{call("date_add", col("d")), nil, ""},
		{call("date_add", col("l"), col("l")), nil, ""},
		{call("datediff", col("d"), col("i")), nil, ""},
		{call("last_day", col("f")), nil, ""},
	} {
		out, got, err := resolveExpr(c.e, schema)
		if c.want == nil {
			if err == nil {
				t.Errorf("%s: typed as %v, want an error", c.e, got)
			} else if !strings.Contains(err.Error(), c.e.String()) || !strings.Contains(err.Error(), "takes") {
				t.Errorf("%s: error %q does not name the call and what it takes", c.e, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if !arrow.TypeEqual(got, c.want) {
			t.Errorf("%s: type %v, want %v", c.e, got, c.want)
		}
		if c.rewr != "" && out.String() != c.rewr {
			t.Errorf("%s resolved to %s, want %s", c.e, out, c.rewr)
		}
	}
}
