package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// noCallUDF fails the test if the analyzer or the folder ever calls it.
type noCallUDF struct{ t *testing.T }

func (u noCallUDF) Eval([]arrow.Array, int, memory.Allocator) (arrow.Array, error) {
	u.t.Fatal("the UDF was called during analysis")
	return nil, nil
}

func TestResolveUDFCall(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64},
		{Name: "d", Type: dict},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	impl := noCallUDF{t}
	udf := func(want arrow.DataType, args ...Expr) *UDFCall {
		return &UDFCall{Name: "u", Args: args, ArgTypes: []arrow.DataType{want}, Returns: arrow.PrimitiveTypes.Int64, Impl: impl}
	}
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	i64, f64, i32, str := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String
	ok := []struct {
		e    *UDFCall
		want string // the resolved argument
	}{
		{udf(i64, col("i32")), "CAST(i32 AS int64)"},
		{udf(i64, col("u32")), "CAST(u32 AS int64)"},
		{udf(f64, col("i32")), "CAST(i32 AS float64)"},
		{udf(f64, col("f32")), "CAST(f32 AS float64)"},
		{udf(i32, col("i32")), "i32"},
		{udf(str, col("d")), "d"}, // kept: the evaluator runs once per dictionary value
		{udf(str, &Literal{Type: arrow.Null}), "NULL"},
		{udf(f64, &Literal{Value: int64(3), Type: i64}), "3"},
	}
	for _, c := range ok {
		got, typ, err := resolveExpr(c.e, schema)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		u := got.(*UDFCall)
		if u.Args[0].String() != c.want || !arrow.TypeEqual(typ, arrow.PrimitiveTypes.Int64) || u.Impl == nil {
			t.Errorf("%s: resolved to %s of %s, want argument %s", c.e, got, typ, c.want)
		}
		if f := foldExpr(got, schema); f.String() != got.String() {
			t.Errorf("%s folded to %s", got, f)
		}
	}
	bad := []struct {
		e    *UDFCall
		want string
	}{
		{udf(i32, col("u64")), "u(u64): user function u argument 1 takes int32, got uint64"},
		{udf(i64, col("u64")), "argument 1 takes int64, got uint64"},
		{udf(i32, col("f64")), "argument 1 takes int32, got float64"},
		{udf(f32(), col("f64")), "argument 1 takes float32, got float64"},
		{udf(str, col("i32")), "argument 1 takes string, got int32"},
		{udf(i64, col("b")), "argument 1 takes int64, got bool"},
		{udf(i64, col("i32"), col("s")), "user function u takes 1 arguments, got 2"},
		{udf(i64, col("zz")), "zz"},
	}
	for _, c := range bad {
		if _, _, err := resolveExpr(c.e, schema); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.e, err, c.want)
		}
	}
	// A vectorized UDF takes any types; dictionaries are decoded.
	vec := &UDFCall{Name: "v", Args: []Expr{col("d"), col("u64")}, Returns: i64, Impl: impl}
	got, _, err := resolveExpr(vec, schema)
	if err != nil || got.String() != "v(CAST(d AS utf8), u64)" {
		t.Errorf("%s: resolved to %v, %v", vec, got, err)
	}
}

func f32() arrow.DataType { return arrow.PrimitiveTypes.Float32 }
