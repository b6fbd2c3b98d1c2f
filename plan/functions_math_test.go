package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestMathFunctionTyping checks the math family's result types, the coercions it inserts
// and its errors, which name the call and what it takes.
func TestMathFunctionTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32},
		{Name: "l", Type: arrow.PrimitiveTypes.Int64},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32},
		{Name: "d", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String},
	}, nil)
	c := func(name string, args ...Expr) Expr { return &Call{Func: name, Args: args} }
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	i64 := func(v int64) Expr { return &Literal{Value: v, Type: typInt64} }
	null := &Literal{Type: arrow.Null}
	for _, tc := range []struct {
		e    Expr
		want arrow.DataType
		text string // the resolved expression, when it matters
	}{
		{c("div", col("l"), col("i")), typInt64, "div(l, CAST(i AS int64))"},
		{c("div", col("d"), i64(2)), typInt64, "div(CAST(d AS int64), 2)"},
		{c("abs", col("i")), typInt64, ""},
		{c("abs", col("f")), typFloat64, ""},
		{c("abs", null), typInt64, ""},
		{c("signum", col("l")), typFloat64, ""},
		{c("sqrt", col("i")), typFloat64, ""},
		{c("exp", col("d")), typFloat64, ""},
		{c("ln", col("l")), typFloat64, ""},
		{c("log10", col("d")), typFloat64, ""},
		{c("pow", col("i"), col("d")), typFloat64, ""},
		{c("floor", col("d")), typInt64, ""},
		{c("ceil", col("i")), typInt64, ""},
		{c("round", col("d"), i64(-2)), typFloat64, ""},
		{c("round", col("i"), i64(1)), typInt64, ""},
		{c("bround", col("f"), i64(0)), typFloat64, ""},
	} {
		out, typ, err := resolveExpr(tc.e, schema)
		if err != nil {
			t.Errorf("%s: %v", tc.e, err)
			continue
		}
		if !arrow.TypeEqual(typ, tc.want) {
			t.Errorf("%s: type %v, want %v", tc.e, typ, tc.want)
		}
		if tc.text != "" && out.String() != tc.text {
			t.Errorf("%s: resolved to %s, want %s", tc.e, out, tc.text)
		}
	}
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{c("div", col("s"), col("l")), "div takes two numbers, got (string, int64)"},
		{c("div", col("l")), "div takes two numbers"},
		{c("sqrt", col("s")), "sqrt takes one number, got (string)"},
		{c("abs", col("l"), col("l")), "abs takes one number"},
		{c("pow", col("d"), col("s")), "pow takes two numbers"},
		{c("floor", col("s")), "floor takes one number"},
		{c("round", col("d"), col("l")), "round takes (number, scale int literal), got (float64, int64)"},
		{c("round", col("s"), i64(1)), "round takes (number, scale int literal)"},
		{c("bround", col("d")), "bround takes (number, scale int literal)"},
	} {
		_, _, err := resolveExpr(tc.e, schema)
		if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.e.String()) {
			t.Errorf("%s: error %v, want a type error naming the call and %q", tc.e, err, tc.want)
		}
	}
}
