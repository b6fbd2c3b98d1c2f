package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestDateFmtFunctionTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "tms", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "ds", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	str := func(s string) Expr { return &Literal{Value: s, Type: arrow.BinaryTypes.String} }
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	null := &Literal{Type: arrow.Null}
	for _, c := range []struct {
		e       Expr
		want    arrow.DataType // nil: an error naming the call
		rewr    string         // the resolved call, when not empty
		errWord string         // a word the error holds, when want is nil
	}{
		{call("to_date", col("s"), str("yyyy-MM-dd")), dateTypDate, `to_date(s, "yyyy-MM-dd")`, ""},
		{call("to_timestamp", col("ds"), str("dd/MM/yyyy HH:mm")), dateTypTimestamp, "", ""},
		{call("unix_timestamp", col("s"), str("yyyy")), typInt64, "", ""},
		{call("unix_timestamp", col("tms"), str("yyyy")), typInt64, "", ""},
		{call("to_date", null, str("yyyy")), dateTypDate, "", ""},
		{call("date_format", col("d"), str("EEE, d MMM yyyy")), typString, "", ""},
		{call("date_format", col("tms"), str("'at' hh a")), typString, "", ""},
		{call("date_format", col("s"), str("yyyy")), typString, "", ""},
		{call("from_unixtime", col("i"), str("yyyy-MM-dd HH:mm:ss.SSS")), typString, "", ""},
		{call("date_trunc", str("MON"), col("ts")), dateTypTimestamp, `date_trunc("month", ts)`, ""},
		{call("date_trunc", str("week"), col("d")), dateTypTimestamp, "", ""},
		{call("trunc", col("d"), str("quarter")), dateTypDate, "", ""},
		{call("to_date", col("s"), str("yyyy-MM-dd Q")), nil, "", "'Q'"},
		{call("date_format", col("d"), str("'unterminated")), nil, "", "quote"},
		{call("to_date", col("s"), col("s")), nil, "", "takes"},
		{call("to_date", col("s"), null), nil, "", "takes"},
		{call("to_date", col("d"), str("yyyy")), nil, "", "takes"},
		{call("to_date", col("s")), nil, "", "takes"},
		{call("date_format", col("f"), str("yyyy")), nil, "", "takes"},
		{call("from_unixtime", col("f"), str("yyyy")), nil, "", "takes"},
		{call("date_trunc", str("fortnight"), col("ts")), nil, "", "fortnight"},
		{call("date_trunc", col("s"), col("ts")), nil, "", "takes"},
		{call("trunc", col("d"), str("day")), nil, "", "day"},
		{call("trunc", col("f"), str("year")), nil, "", "takes"},
	} {
		out, got, err := resolveExpr(c.e, schema)
		if c.want == nil {
			if err == nil {
				t.Errorf("%s: typed as %v, want an error", c.e, got)
			} else if !strings.Contains(err.Error(), c.e.String()) || !strings.Contains(err.Error(), c.errWord) {
				t.Errorf("%s: error %q does not name the call and %s", c.e, err, c.errWord)
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
