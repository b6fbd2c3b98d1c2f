package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestHashFamilyTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.BinaryTypes.LargeString},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32},
		{Name: "dt", Type: arrow.FixedWidthTypes.Date32},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "u", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "li", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	s, i := col("s"), col("i")
	str := func(v string) Expr { return &Literal{Value: v, Type: typString} }
	num := func(v int64) Expr { return &Literal{Value: v, Type: typInt64} }
	null := &Literal{Type: arrow.Null}
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	ok := []struct {
		e    Expr
		want arrow.DataType
	}{
		{call("md5", s), typString},
		{call("SHA1", col("d")), typString},
		{call("md5", null), typString},
		{call("sha2", col("l"), num(256)), typString},
		{call("sha2", s, null), typString},
		{call("hmac_sha256", s, str("k")), typString},
		{call("hmac_sha256", s, null), typString},
		{call("mask", s), typString},
		{call("mask", col("d"), str("U"), null, str("語")), typString},
		{call("hash", s, i, col("f"), col("dt"), col("ts"), col("b"), col("d"), col("l"), null), arrow.PrimitiveTypes.Int32},
		{call("xxhash64", i), typInt64},
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
		{call("md5", i), "md5(i): md5 takes one string, got (int64)"},
		{call("sha1", s, s), "sha1 takes one string"},
		{call("sha2", s), "sha2 takes (string, bit length int64 literal)"},
		{call("sha2", s, i), "sha2 takes (string, bit length int64 literal), got (string, int64)"},
		{call("hmac_sha256", s, s), "hmac_sha256 takes (string, key string literal)"},
		{call("hmac_sha256", i, str("k")), "hmac_sha256 takes (string, key string literal)"},
		{call("mask", i), "mask takes (string[, upper"},
		{call("mask", s, str("ab")), "one-character string literals or NULL"},
		{call("mask", s, s), "mask takes"},
		{call("mask", s, str("a"), str("b"), str("c"), str("d"), str("e")), "mask takes"},
		{call("hash"), "hash takes one or more values"},
		{call("hash", s, col("li")), "hash takes one or more values"},
		{call("xxhash64", col("u")), "xxhash64 takes one or more values"},
	}
	for _, c := range bad {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.e, err, c.want)
		}
	}
}
