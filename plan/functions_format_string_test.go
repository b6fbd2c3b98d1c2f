package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestFormatStringTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "dt", Type: arrow.FixedWidthTypes.Date32},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	str := func(v string) Expr { return &Literal{Value: v, Type: typString} }
	null := &Literal{Type: arrow.Null}
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	for _, e := range []Expr{
		call("format_string", str("%s %d %.2f %b"), col("d"), col("i32"), col("f32"), col("b")),
		call("format_string", col("s"), col("i32"), col("f")),
		call("format_string", str("no arguments")),
		call("format_string", null, col("s")),
		call("format_string", str("%d %f %s"), null, null, null),
		call("printf", str("%2$s %1$s"), col("s"), col("d")),
	} {
		got, err := TypeOf(e, schema)
		if err != nil {
			t.Errorf("%s: %v", e, err)
		} else if !arrow.TypeEqual(got, typString) {
			t.Errorf("%s: type %s, want string", e, got)
		}
	}
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{call("format_string", str("%d"), col("f")), `format_string("%d", f): format_string takes (format string, values`},
		{call("format_string", str("%d"), col("f")), "%d cannot format a double (argument 1)"},
		{call("format_string", str("%f"), col("i32")), "%f cannot format a bigint"},
		{call("format_string", str("%q"), col("s")), `unsupported conversion "%q"`},
		{call("format_string", str("%s %s"), col("s")), "no argument 2"},
		{call("format_string", str("%-d"), col("i32")), "without a width"},
		{call("format_string", str("%s"), col("dt")), `format_string("%s", dt): format_string takes`},
		{call("format_string", col("i32")), "format_string takes (format string"},
		{call("format_string"), "format_string takes (format string"},
		{call("printf", str("%,x"), col("i32")), "printf takes"},
	} {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.e, err, c.want)
		}
	}
}
