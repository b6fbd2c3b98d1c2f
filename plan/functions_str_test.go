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
		// Column arguments.
		{call("like", s, s), typBool},
		{call("ilike", s, &ColumnRef{Name: "d"}), typBool},
		{call("rlike", s, s), typBool},
		{call("replace", s, s, &ColumnRef{Name: "d"}), typString},
		{call("regexp_replace", s, s, s), typString},
		{call("regexp_extract", s, s, i), typString},
		{call("lpad", s, i, s), typString},
		{call("rpad", s, i, null), typString},
		{call("instr", str("x"), s), typInt64},
		{call("locate", s, str("x")), typInt64},
		{call("locate", s, s, i), typInt64},
		{call("substring", s, i, i), typString},
		{call("substring", s, i), typString},
		{call("contains", s, s), typBool},
		{call("ends_with", s, &ColumnRef{Name: "d"}), typBool},
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
		{call("like", s, i), "like(s, i): like takes (string, pattern string), got (string, int64)"},
		{call("like", i, str("a")), "takes (string, pattern string), got (int64, string)"},
		{call("like", s, num(5)), "like(s, 5): like takes (string, pattern string)"},
		{call("rlike", s, i), "rlike(s, i): rlike takes (string, regular expression string)"},
		{call("like", s, str(`a\b`)), "the escape character precedes b"},
		{call("ilike", s, str(`a\`)), "ends with the escape character"},
		{call("rlike", s, str("(")), "valid regular expression"},
		{call("concat", s, &ColumnRef{Name: "li"}), "concat takes strings (or values castable to string)"},
		{call("concat_ws"), "concat_ws takes (separator string"},
		{call("concat_ws", i, s), "concat_ws takes (separator string"},
		{call("trim", i), "trim takes one string"},
		{call("replace", s, i, str("")), "replace(s, i, \"\"): replace takes (string, search string, replacement string)"},
		{call("regexp_replace", s, s, i), "regexp_replace takes (string, regular expression string, replacement string)"},
		{call("regexp_extract", s, s, s), "regexp_extract(s, s, s): regexp_extract takes"},
		{call("rpad", s, s, str("*")), "rpad(s, s, \"*\"): rpad takes (string, length integer, pad string)"},
		{call("substring", s, s), "substring(s, s): substring takes (string, start integer[, length integer])"},
		{call("contains", s, i), "contains(s, i): contains takes (string, string)"},
		{call("starts_with", s, num(1)), "starts_with takes (string, string)"},
		{call("locate", s, s, s), "locate takes (substring string, string[, position integer])"},
		{call("regexp_extract", s, str("(a)"), num(2)), "group between 0 and"},
		{call("regexp_extract", s, str("(a)"), str("1")), "regexp_extract takes"},
		{call("lpad", s, str("5"), str("*")), "lpad takes (string, length integer, pad string)"},
		{call("instr", s, i), "instr takes (string, substring string)"},
		{call("locate", i, s), "locate takes (substring string, string[, position integer])"},
	}
	for _, c := range bad {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.e, err, c.want)
		}
	}
}
