package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestFormatNumberTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	num := &Literal{Value: int64(2), Type: typInt64}
	null := &Literal{Type: arrow.Null}
	for _, e := range []Expr{
		call("format_number", col("i"), num), call("format_number", col("f"), col("i32")),
		call("FORMAT_NUMBER", col("i32"), null), call("format_number", null, col("i")),
	} {
		got, err := TypeOf(e, schema)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		if !arrow.TypeEqual(got, typString) {
			t.Errorf("%s: type %s, want string", e, got)
		}
	}
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{call("format_number", col("s"), num), "format_number"},
		{call("format_number", col("i"), col("f")), "format_number"},
		{call("format_number", col("i"), &Literal{Value: "#.##", Type: typString}), "pattern string is not supported"},
		{call("format_number", col("i")), "format_number"},
	} {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.e, err, c.want)
		}
	}
}
