package plan

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCanCastSparkMatrix(t *testing.T) {
	var (
		i64  = arrow.PrimitiveTypes.Int64
		i32  = arrow.PrimitiveTypes.Int32
		f64  = arrow.PrimitiveTypes.Float64
		f32  = arrow.PrimitiveTypes.Float32
		b    = arrow.FixedWidthTypes.Boolean
		s    = arrow.BinaryTypes.String
		d    = arrow.FixedWidthTypes.Date32
		ts   = &arrow.TimestampType{Unit: arrow.Microsecond}
		tsz  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		dict = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: s}
		lst  = arrow.ListOf(i64)
	)
	for _, c := range []struct {
		from, to arrow.DataType
		ok       bool
	}{
		{d, s, true}, {b, s, true}, {s, b, true}, {dict, b, true}, {ts, s, true}, {tsz, s, true},
		{d, ts, true}, {d, tsz, true}, {i64, ts, true}, {i32, ts, true}, {f64, ts, true}, {f32, tsz, true},
		{ts, i64, true}, {ts, i32, true}, {ts, f64, true}, {tsz, f32, true},
		{b, f64, true}, {b, f32, true}, {f64, b, true}, {f32, b, true}, {i64, b, true},
		{s, ts, true}, {s, d, true}, {ts, d, true}, {i64, s, true},
		// Spark's non-ANSI cast has no such conversions (date → number gives NULL there;
		// kindling rejects it up front).
		{d, i64, false}, {d, f64, false}, {i64, d, false}, {f64, d, false}, {b, d, false}, {d, b, false},
		{b, ts, false}, {ts, b, false}, {lst, s, false}, {s, lst, false},
	} {
		if got := CanCast(c.from, c.to); got != c.ok {
			t.Errorf("CanCast(%v, %v) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

func TestDateOperatorTypes(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: arrow.FixedWidthTypes.Date32},
		{Name: "e", Type: arrow.FixedWidthTypes.Date32},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	lit := func(v int64) Expr { return &Literal{Value: v} }
	bin := func(op BinaryOp, l, r Expr) Expr { return &Binary{Op: op, Left: l, Right: r} }
	date, i32 := arrow.FixedWidthTypes.Date32, arrow.PrimitiveTypes.Int32
	for _, c := range []struct {
		e    Expr
		want arrow.DataType
	}{
		{bin(OpAdd, col("d"), lit(3)), date},
		{bin(OpAdd, lit(3), col("d")), date},
		{bin(OpSub, col("d"), lit(3)), date},
		{bin(OpAdd, col("d"), col("n")), date},
		{bin(OpSub, col("d"), col("n")), date},
		{bin(OpSub, col("d"), col("e")), i32},
		{bin(OpAdd, col("d"), &Literal{}), date},
	} {
		got, err := TypeOf(c.e, schema)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if !arrow.TypeEqual(got, c.want) {
			t.Errorf("%s: type %v, want %v", c.e, got, c.want)
		}
		// The resolved form reads the day count as int64 (what exec computes with).
		r, _, err := resolveExpr(c.e, schema)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range r.Children() {
			if ct, err := TypeOf(ch, schema); err == nil && IsInteger(ct) && ct.ID() != arrow.INT64 {
				t.Errorf("%s: resolved to %s with a %v operand", c.e, r, ct)
			}
		}
	}
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{bin(OpAdd, col("d"), col("e")), "date arithmetic takes"},
		{bin(OpSub, col("n"), col("d")), "cannot apply - to int32 and date32"},
		{bin(OpAdd, col("d"), col("x")), "cannot apply + to date32 and float64"},
		{bin(OpAdd, col("d"), col("s")), "cannot apply + to date32 and string"},
		{bin(OpMul, col("d"), lit(2)), "cannot apply * to date32"},
		{bin(OpSub, col("d"), col("t")), "date32 and timestamp"},
	} {
		_, err := TypeOf(c.e, schema)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.e.String()) {
			t.Errorf("%s: error %v, want one naming the expression and containing %q", c.e, err, c.want)
		}
	}
}

func TestCastErrorsNameTheCast(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Date32}}, nil)
	e := &Cast{Child: &ColumnRef{Name: "d"}, To: arrow.PrimitiveTypes.Int64}
	_, err := TypeOf(e, schema)
	if err == nil || !strings.Contains(err.Error(), "cannot cast date32 to int64") || !strings.Contains(err.Error(), e.String()) {
		t.Fatalf("%s: error %v", e, err)
	}
}

// A literal whose conversion plan does not fold (a date to string) is cast at run time
// rather than rejected, as a column of its type would be.
func TestCoerceUnfoldedLiteralCasts(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	e := &Call{Func: "concat", Args: []Expr{&Literal{Value: arrow.Date32(3)}, &ColumnRef{Name: "s"}}}
	r, typ, err := resolveExpr(e, schema)
	if err != nil || !arrow.TypeEqual(typ, typString) {
		t.Fatalf("%s: %v, %v", e, typ, err)
	}
	if !strings.Contains(r.String(), "CAST(DATE '1970-01-04' AS utf8)") {
		t.Errorf("%s resolved to %s", e, r)
	}
	bad := &Call{Func: "concat", Args: []Expr{&Literal{Value: []int64{1}, Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}, &ColumnRef{Name: "s"}}}
	if _, _, err := resolveExpr(bad, schema); err == nil {
		t.Errorf("%s: no error", bad)
	}
}
