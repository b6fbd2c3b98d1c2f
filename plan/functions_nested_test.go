package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestNestedFamilyTyping(t *testing.T) {
	st := arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "st", Type: st, Nullable: true},
		{Name: "li", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
		{Name: "lf", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
		{Name: "ls", Type: arrow.ListOf(arrow.BinaryTypes.String)},
		{Name: "lst", Type: arrow.ListOf(st)},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	str := func(v string) Expr { return &Literal{Value: v, Type: typString} }
	num := func(v int64) Expr { return &Literal{Value: v, Type: typInt64} }
	null := &Literal{Type: arrow.Null}
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	ok := []struct {
		e    Expr
		want arrow.DataType
	}{
		{call("get_field", col("st"), str("a")), arrow.PrimitiveTypes.Int32},
		{call("get_field", col("st"), str("b")), typString},
		{call("size", col("li")), typInt64},
		{call("size", col("lst")), typInt64},
		{call("element_at", col("li"), num(-1)), typInt64},
		{call("element_at", col("ls"), col("i32")), typString},
		{call("element_at", col("lst"), null), st},
		{call("array_contains", col("li"), num(3)), typBool},
		{call("array_contains", col("lf"), num(3)), typBool},
		{call("array_contains", col("li"), col("i")), typBool},
		{call("array_contains", col("ls"), col("d")), typBool},
		{call("array_contains", col("ls"), null), typBool},
		{call("split", col("s"), str(",")), arrow.ListOf(typString)},
		{call("split", col("d"), null), arrow.ListOf(typString)},
	}
	for _, c := range ok {
		got, err := TypeOf(c.e, schema)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if !arrow.TypeEqual(got, c.want) {
			t.Errorf("%s: type %s, want %s", c.e, got, c.want)
		}
	}
	bad := []struct {
		e    Expr
		want string
	}{
		{call("get_field", col("s"), str("a")), "get_field(s, \"a\"): get_field takes (struct, field name string literal), got (string, string)"},
		{call("get_field", col("st"), str("c")), "naming one of the fields (a, b)"},
		{call("get_field", col("st"), col("s")), "get_field takes (struct, field name string literal)"},
		{call("size", col("s")), "size takes one list, got (string)"},
		{call("element_at", col("li"), str("1")), "element_at takes (list, integer index)"},
		{call("element_at", col("li"), col("f")), "element_at takes (list, integer index), got (list<item: int64, nullable>, float64)"},
		{call("element_at", col("li"), num(0)), "other than 0 (indices start at 1)"},
		{call("element_at", col("s"), num(1)), "element_at takes (list, integer index)"},
		{call("array_contains", col("li"), col("f")), "array_contains takes (list of numbers"},
		{call("array_contains", col("li"), str("x")), "array_contains takes (list of numbers"},
		{call("array_contains", col("lst"), null), "array_contains takes (list of numbers"},
		{call("array_contains", col("s"), str("x")), "array_contains takes (list of numbers"},
		{call("split", col("i"), str(",")), "split takes (string, regular expression string)"},
		{call("split", col("s"), col("i")), "split takes (string, regular expression string)"},
		{call("split", col("s"), str("(")), "valid regular expression"},
	}
	for _, c := range bad {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.e, err, c.want)
		}
	}
}
