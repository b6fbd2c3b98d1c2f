package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestStringFamilyTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.BinaryTypes.LargeString},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "li", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
	}, nil)
	s, i, str := &ColumnRef{Name: "s"}, &ColumnRef{Name: "i"}, func(v string) Expr { return &Literal{Value: v, Type: typString} }
	num := func(v int64) Expr { return &Literal{Value: v, Type: typInt64} }
	null := &Literal{Type: arrow.Null}
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	ok := []struct {
		e    Expr
		want arrow.DataType
	}{
		{call("like", s, str("a%")), typBool},
		{call("ILIKE", &ColumnRef{Name: "d"}, str("_b")), typBool},
		{call("like", &ColumnRef{Name: "l"}, null), typBool},
		{call("rlike", s, str(`^\d+$`)), typBool},
		{call("concat", s, i, &ColumnRef{Name: "f"}, &ColumnRef{Name: "d"}, null), typString},
		{call("concat"), typString},
		{call("concat_ws", s, s, i), typString},
		{call("trim", s), typString},
		{call("replace", s, str("a"), str("")), typString},
		{call("regexp_replace", s, str("(a)"), str("$1$1")), typString},
		{call("regexp_extract", s, str("(a)(b)"), num(2)), typString},
		{call("lpad", s, num(5), str("*")), typString},
		{call("instr", s, str("x")), typInt64},
		{call("locate", str("x"), &ColumnRef{Name: "d"}), typInt64},
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
		{call("like", s, s), "like(s, s): like takes (string, pattern string literal)"},
		{call("like", i, str("a")), "takes (string, pattern string literal), got (int64, string)"},
		{call("like", s, str(`a\b`)), "the escape character precedes b"},
		{call("ilike", s, str(`a\`)), "ends with the escape character"},
		{call("rlike", s, str("(")), "valid regular expression"},
		{call("concat", s, &ColumnRef{Name: "li"}), "concat takes strings (or values castable to string)"},
		{call("concat_ws"), "concat_ws takes (separator string"},
		{call("concat_ws", i, s), "concat_ws takes (separator string"},
		{call("trim", i), "trim takes one string"},
		{call("replace", s, s, str("")), "replace takes (string, search string literal, replacement string literal)"},
		{call("regexp_extract", s, str("(a)"), num(2)), "group between 0 and"},
		{call("regexp_extract", s, str("(a)"), str("1")), "regexp_extract takes"},
		{call("lpad", s, str("5"), str("*")), "lpad takes (string, length int64 literal, pad string literal)"},
		{call("instr", str("x"), s), "instr takes (string, substring string literal)"},
		{call("locate", s, str("x")), "locate takes (substring string literal, string)"},
	}
	for _, c := range bad {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.e, err, c.want)
		}
	}
}
