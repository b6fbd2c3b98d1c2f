package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func dec(p, s int32) *arrow.Decimal128Type { return &arrow.Decimal128Type{Precision: p, Scale: s} }

// TestDecimalTyping checks Spark's DecimalPrecision rules (precision loss allowed): the
// result types of arithmetic, the widening of integers (by type, or by digits for an
// integer literal), floats making the operation float64, and the common type of a
// comparison.
func TestDecimalTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: dec(10, 2)},
		{Name: "b", Type: dec(5, 3)},
		{Name: "w", Type: dec(38, 10)},
		{Name: "z", Type: dec(38, 0)},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32},
		{Name: "l", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s8", Type: arrow.PrimitiveTypes.Int8},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	bin := func(op BinaryOp, l, r Expr) Expr { return &Binary{Op: op, Left: l, Right: r} }
	i64 := func(v int64) Expr { return &Literal{Value: v, Type: typInt64} }
	for _, tc := range []struct {
		e    Expr
		want arrow.DataType
		text string // the resolved expression, when it matters
	}{
		// ±: (max(s1,s2)+max(p1-s1,p2-s2)+1, max(s1,s2))
		{bin(OpAdd, col("a"), col("b")), dec(12, 3), "(a + b)"},
		{bin(OpSub, col("b"), col("a")), dec(12, 3), ""},
		{bin(OpAdd, col("w"), col("z")), dec(38, 6), ""}, // (49,10): 39 integer digits, keep 6 of scale
		// *: (p1+p2+1, s1+s2)
		{bin(OpMul, col("a"), col("b")), dec(16, 5), ""},
		{bin(OpMul, col("w"), col("w")), dec(38, 6), ""},
		// /: (p1-s1+s2+max(6,s1+p2+1), max(6,s1+p2+1))
		{bin(OpDiv, col("a"), col("b")), dec(19, 8), ""},
		{bin(OpDiv, col("w"), col("z")), dec(38, 10), ""}, // (77,49): 28 integer digits
		{bin(OpDiv, col("a"), i64(3)), dec(14, 6), "(a / 3BD)"},
		// %: (min(p1-s1,p2-s2)+max(s1,s2), max(s1,s2))
		{bin(OpMod, col("a"), col("b")), dec(5, 3), ""},
		// Integers widen by type: int decimal(10,0), long decimal(20,0), byte decimal(3,0).
		{bin(OpAdd, col("a"), col("i")), dec(13, 2), "(a + CAST(i AS decimal(10, 0)))"},
		{bin(OpMul, col("l"), col("a")), dec(31, 2), "(CAST(l AS decimal(20, 0)) * a)"},
		{bin(OpAdd, col("s8"), col("a")), dec(11, 2), ""},
		// An integer literal takes its digits: 150 is decimal(3,0).
		{bin(OpAdd, col("a"), i64(150)), dec(11, 2), ""},
		{bin(OpMul, col("a"), i64(-7)), dec(12, 2), ""},
		// A float makes it float64.
		{bin(OpAdd, col("a"), col("f")), typFloat64, "(CAST(a AS float64) + f)"},
		{bin(OpLt, col("f"), col("a")), typBool, "(f < CAST(a AS float64))"},
		// Comparisons convert both sides to the wider decimal.
		{bin(OpEq, col("a"), col("b")), typBool, "(CAST(a AS decimal(11, 3)) = CAST(b AS decimal(11, 3)))"},
		{bin(OpGt, col("a"), col("l")), typBool, "(CAST(a AS decimal(22, 2)) > CAST(l AS decimal(22, 2)))"},
		{bin(OpEq, col("a"), &Literal{Type: arrow.Null}), typBool, ""},
		// Unary minus keeps the type.
		{&Unary{Op: OpNeg, Child: col("w")}, dec(38, 10), ""},
		// Casts.
		{&Cast{Child: col("a"), To: arrow.BinaryTypes.String}, typString, ""},
		{&Cast{Child: col("s8"), To: dec(4, 1)}, dec(4, 1), ""},
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
		{bin(OpAdd, col("a"), &Literal{Value: "x", Type: typString}), `(a + "x"): cannot apply + to decimal(10, 2) and string`},
		{bin(OpLt, col("a"), &Literal{Value: true, Type: typBool}), "(a < true): cannot compare decimal(10, 2) with bool"},
		{&Cast{Child: col("a"), To: arrow.FixedWidthTypes.Date32}, "cannot cast decimal(10, 2) to date32"},
	} {
		_, _, err := resolveExpr(tc.e, schema)
		if err == nil || !errors.Is(err, ErrType) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.e, err, tc.want)
		}
	}
}

// TestDecimalResultTypeRules checks DecimalBinaryType's adjustment to precision 38
// against Spark's documented examples.
func TestDecimalResultTypeRules(t *testing.T) {
	for _, tc := range []struct {
		op   BinaryOp
		l, r *arrow.Decimal128Type
		want *arrow.Decimal128Type
	}{
		{OpAdd, dec(38, 18), dec(38, 18), dec(38, 17)},
		{OpMul, dec(38, 18), dec(38, 18), dec(38, 6)},
		{OpMul, dec(10, 2), dec(10, 2), dec(21, 4)},
		{OpDiv, dec(38, 18), dec(38, 18), dec(38, 6)},
		{OpDiv, dec(10, 2), dec(10, 2), dec(23, 13)},
		{OpDiv, dec(20, 0), dec(1, 0), dec(26, 6)},
		{OpMod, dec(38, 0), dec(10, 5), dec(10, 5)},
		{OpAdd, dec(38, 37), dec(38, 0), dec(38, 6)},
		{OpMul, dec(38, 2), dec(38, 3), dec(38, 5)},
	} {
		got, ok := DecimalBinaryType(tc.op, tc.l, tc.r)
		if !ok || !arrow.TypeEqual(got, tc.want) {
			t.Errorf("%v %v %v: %v, want %v", tc.l, tc.op, tc.r, got, tc.want)
		}
	}
	if _, ok := DecimalBinaryType(OpAnd, dec(1, 0), dec(1, 0)); ok {
		t.Error("AND of decimals has a decimal type")
	}
}

func TestParseDecimalLiteral(t *testing.T) {
	for _, tc := range []struct {
		in       string
		unscaled int64
		want     *arrow.Decimal128Type
		text     string
	}{
		{"12.50", 1250, dec(4, 2), "12.50BD"},
		{"-0.001", -1, dec(3, 3), "-0.001BD"},
		{"0", 0, dec(1, 0), "0BD"},
		{"007", 7, dec(1, 0), "7BD"},
		{"1.5e3", 1500, dec(4, 0), "1500BD"},
		{"1.5E-2", 15, dec(3, 3), "0.015BD"},
		{" 3 ", 3, dec(1, 0), "3BD"},
		{".5", 5, dec(1, 1), "0.5BD"},
	} {
		l, err := ParseDecimalLiteral(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if l.Value != decimal128.FromI64(tc.unscaled) || !arrow.TypeEqual(l.Type, tc.want) || l.String() != tc.text {
			t.Errorf("%q: %v of %v (%s), want %d of %v (%s)", tc.in, l.Value, l.Type, l, tc.unscaled, tc.want, tc.text)
		}
	}
	for _, in := range []string{"", "abc", "1.2.3", "12,5", "1e", "--1", "+", ".", "1e5000",
		"123456789012345678901234567890123456789", "0.000000000000000000000000000000000000001"} {
		if l, err := ParseDecimalLiteral(in); err == nil || !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "LitDecimal(") {
			t.Errorf("%q: %v, %v: want an analysis error naming it", in, l, err)
		}
	}
}

// TestDecimalFolding checks that plan folds decimal literal casts and comparisons.
func TestDecimalFolding(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: dec(10, 2)}}, nil)
	lit := func(s string) Expr {
		l, err := ParseDecimalLiteral(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{&Binary{Op: OpLt, Left: lit("1.50"), Right: lit("1.5000001")}, "true"},
		{&Binary{Op: OpEq, Left: lit("2.0"), Right: &Literal{Value: int64(2), Type: typInt64}}, "true"},
		{&Cast{Child: lit("2.675"), To: dec(3, 2)}, "2.68BD"},
		{&Cast{Child: lit("-2.675"), To: dec(3, 2)}, "-2.68BD"},
		{&Cast{Child: lit("123.4"), To: dec(3, 1)}, "NULL"},
		{&Cast{Child: &Literal{Value: " 9.995 ", Type: typString}, To: dec(4, 2)}, "10.00BD"},
		{&Cast{Child: &Literal{Value: "x", Type: typString}, To: dec(4, 2)}, "NULL"},
		{&Cast{Child: lit("0.1"), To: typFloat64}, "0.1"},
		{&Cast{Child: lit("-0.10"), To: typString}, `"-0.10"`},
	} {
		out, _, err := resolveExpr(tc.e, schema)
		if err != nil {
			t.Errorf("%s: %v", tc.e, err)
			continue
		}
		if got := foldExpr(out, schema).String(); got != tc.want {
			t.Errorf("%s: folded to %s, want %s", tc.e, got, tc.want)
		}
	}
}

// TestDecimalMathTyping checks the math family over decimals: abs keeps the type, floor,
// ceil and round give Spark's decimals, the float functions read a double, and div of a
// decimal is refused naming the call.
func TestDecimalMathTyping(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: dec(10, 2)}}, nil)
	c := func(name string, args ...Expr) Expr { return &Call{Func: name, Args: args} }
	a := &ColumnRef{Name: "a"}
	i64 := func(v int64) Expr { return &Literal{Value: v, Type: typInt64} }
	for _, tc := range []struct {
		e    Expr
		want arrow.DataType
	}{
		{c("abs", a), dec(10, 2)},
		{c("floor", a), dec(9, 0)},
		{c("ceil", a), dec(9, 0)},
		{c("round", a, i64(1)), dec(10, 1)},
		{c("bround", a, i64(-1)), dec(9, 0)},
		{c("round", a, i64(4)), dec(11, 2)},
		{c("signum", a), typFloat64},
		{c("sqrt", a), typFloat64},
		{c("pow", a, i64(2)), typFloat64},
	} {
		_, typ, err := resolveExpr(tc.e, schema)
		if err != nil {
			t.Errorf("%s: %v", tc.e, err)
			continue
		}
		if !arrow.TypeEqual(typ, tc.want) {
			t.Errorf("%s: type %v, want %v", tc.e, typ, tc.want)
		}
	}
	_, _, err := resolveExpr(c("div", a, i64(2)), schema)
	if err == nil || !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "div(a, 2)") {
		t.Errorf("div of a decimal: %v, want a type error naming the call", err)
	}
}
