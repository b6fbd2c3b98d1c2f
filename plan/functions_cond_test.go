package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func condCall(name string, args ...Expr) Expr { return &Call{Func: name, Args: args} }

func TestConditionalTypes(t *testing.T) {
	null := lit(nil)
	cases := []struct {
		e    Expr
		want arrow.DataType
	}{
		{condCall("case_when", col("ok"), col("amount"), col("price")), typFloat64},
		{condCall("case_when", col("ok"), col("qty"), null), arrow.PrimitiveTypes.Int32},
		{condCall("case_when", col("ok"), col("cat"), col("ok"), lit("x"), null), typString},
		{condCall("case_when", null, col("day"), col("day")), arrow.FixedWidthTypes.Date32},
		{condCall("case_when", col("ok"), col("ok"), lit(false)), typBool},
		{condCall("nullif", col("amount"), lit(0.5)), typFloat64},
		{condCall("nullif", col("cat"), lit("a")), typString},
		{condCall("nanvl", col("price"), col("amount")), typFloat64},
		{condCall("isnan", col("qty")), typBool},
		{condCall("isnan", null), typBool},
		{condCall("greatest", col("qty"), col("amount")), typInt64},
		{condCall("least", col("qty"), col("price"), null), typFloat64},
		{condCall("greatest", col("cat"), col("region")), typString},
		{condCall("least", col("day"), col("day")), arrow.FixedWidthTypes.Date32},
		{condCall("in", col("cat"), lit("a"), null), typBool},
		{condCall("in", col("qty"), lit(int64(1)), lit(2.5)), typBool},
		{condCall("in", col("day"), lit("2024-01-02")), typBool},
		{condCall("in", col("ok"), lit(true)), typBool},
	}
	for _, c := range cases {
		got, err := TypeOf(c.e, salesSchema)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if !arrow.TypeEqual(got, c.want) {
			t.Errorf("%s: type %s, want %s", c.e, got, c.want)
		}
	}
}

// TestInKeepsDictionaryAndWidensNumbers: a dictionary column is tested as it is (the
// evaluator tests each dictionary value once) and an int32 column meets a float list as
// float64.
func TestInKeepsDictionaryAndWidensNumbers(t *testing.T) {
	e, _, err := resolveExpr(condCall("in", col("cat"), lit("a"), lit("b")), salesSchema)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(*Call).Args[0].(*ColumnRef); !ok {
		t.Errorf("dictionary column rewritten: %s", e)
	}
	e, _, err = resolveExpr(condCall("in", col("qty"), lit(int64(1)), lit(2.5)), salesSchema)
	if err != nil {
		t.Fatal(err)
	}
	args := e.(*Call).Args
	if c, ok := args[0].(*Cast); !ok || !arrow.TypeEqual(c.To, typFloat64) {
		t.Errorf("qty not cast to float64: %s", e)
	}
	if l := args[1].(*Literal); l.Value != 1.0 || !arrow.TypeEqual(l.Type, typFloat64) {
		t.Errorf("literal 1 not retyped to float64: %s", e)
	}
}

func TestConditionalTypeErrors(t *testing.T) {
	scan := salesScan(1)
	cases := []struct {
		e    Expr
		want []string
	}{
		{condCall("case_when", col("amount"), lit(int64(1)), lit(int64(2))), []string{"case_when(amount, 1, 2)", "boolean condition", "int64, int64, int64"}},
		{condCall("case_when", col("ok"), col("region"), col("amount")), []string{"case_when", "values of one type", "bool, string, int64"}},
		{condCall("case_when", col("ok"), col("amount")), []string{"case_when", "else value"}},
		{condCall("nullif", col("region"), col("amount")), []string{"nullif(region, amount)", "two values of one type"}},
		{condCall("nanvl", col("region"), col("price")), []string{"nanvl", "two numbers", "string, float64"}},
		{condCall("isnan", col("day")), []string{"isnan(day)", "one number", "date32"}},
		{condCall("greatest", col("amount")), []string{"greatest(amount)", "two or more"}},
		{condCall("least", col("ok"), col("ok")), []string{"least", "numbers, strings, dates or timestamps"}},
		{condCall("greatest", col("region"), col("amount")), []string{"greatest", "string, int64"}},
		{condCall("in", col("amount"), col("qty")), []string{"in(amount, qty)", "literal"}},
		{condCall("in", col("amount"), lit("x")), []string{`in(amount, "x")`, "int64, string"}},
		{condCall("in", col("region"), lit(int64(1))), []string{"in", "string, int64"}},
	}
	for _, c := range cases {
		_, err := Analyze(&Project{Meta: Meta{CallSite: "select@x.go:3"}, Input: scan, Exprs: []Expr{c.e}})
		if !errors.Is(err, ErrType) {
			t.Errorf("%s: want a type error, got %v", c.e, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "plan: select@x.go:3: ") {
			t.Errorf("%s: no site in %q", c.e, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.e, err, w)
			}
		}
	}
}

// TestConditionalOtherEncodings: large strings become plain strings (one layout for the
// evaluator), decimals keep their type, and types the evaluator cannot copy row by row
// (lists) are refused at analysis.
func TestConditionalOtherEncodings(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ok", Type: typBool},
		{Name: "big", Type: arrow.BinaryTypes.LargeString},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
		{Name: "list", Type: arrow.ListOf(typInt64)},
	}, nil)
	if got, err := TypeOf(condCall("case_when", col("ok"), col("big"), col("big")), schema); err != nil || !arrow.TypeEqual(got, typString) {
		t.Errorf("case_when over large strings: %v, %v", got, err)
	}
	e, _, err := resolveExpr(condCall("in", col("big"), lit("a")), schema)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := e.(*Call).Args[0].(*Cast); !ok || !arrow.TypeEqual(c.To, typString) {
		t.Errorf("large string not converted for in: %s", e)
	}
	if got, err := TypeOf(condCall("case_when", col("ok"), col("dec"), col("dec")), schema); err != nil || !arrow.TypeEqual(got, schema.Field(2).Type) {
		t.Errorf("case_when over decimals: %v, %v", got, err)
	}
	if _, err := TypeOf(condCall("case_when", col("ok"), col("list"), col("list")), schema); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "case_when") {
		t.Errorf("case_when over lists: %v", err)
	}
}
