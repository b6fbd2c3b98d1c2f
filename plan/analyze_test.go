package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestUnknownColumnNamesSiteAndColumns(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "amount", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	scan := &Scan{Source: &fakeSource{name: "t", schema: schema, parts: 1}}
	f := &Filter{Meta: Meta{CallSite: "filter@etl.go:17"}, Input: scan, Cond: bin(OpGt, col("amout"), lit(int64(0)))}
	_, err := Analyze(f)
	want := `plan: filter@etl.go:17: unknown column "amout" (columns: region, day, amount); did you mean "amount"?`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("error does not unwrap to ErrUnknownColumn")
	}

	// Case-only differences are suggested; far-off names are not.
	_, err = Analyze(&Project{Input: scan, Exprs: []Expr{col("Region")}})
	if err == nil || !strings.Contains(err.Error(), `did you mean "region"?`) || !strings.HasPrefix(err.Error(), "plan: project: ") {
		t.Errorf("case suggestion: %v", err)
	}
	_, err = Analyze(&Project{Input: scan, Exprs: []Expr{col("zzzzzz")}})
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("no suggestion expected: %v", err)
	}
	// Keys of aggregates and repartitions, and scan columns, are checked too.
	for _, n := range []Node{
		&Aggregate{Input: scan, Keys: []string{"regoin"}},
		&Repartition{Input: scan, N: 2, Keys: []string{"dya"}},
		&Scan{Source: scan.Source, Columns: []string{"amount", "nope"}},
		&Aggregate{Input: scan, Aggs: []AggExpr{{Func: AggSum, Arg: col("amt")}}},
	} {
		if _, err := Analyze(n); !errors.Is(err, ErrUnknownColumn) || !strings.Contains(err.Error(), "(columns: region, day, amount)") {
			t.Errorf("%s: got %v", n.Describe(), err)
		}
	}
}

func TestTypeErrors(t *testing.T) {
	scan := salesScan(1)
	cases := []struct {
		e    Expr
		want []string // substrings of the message
	}{
		{bin(OpAdd, col("region"), lit(int64(1))), []string{"(region + 1)", "cannot apply + to string and int64"}},
		{&Unary{Op: OpNot, Child: col("amount")}, []string{"(NOT amount)", "int64"}},
		{bin(OpEq, col("region"), lit(int64(1))), []string{"(region = 1)", "cannot compare string with int64"}},
		{bin(OpAnd, col("ok"), col("amount")), []string{"AND", "bool", "int64"}},
		{&Call{Func: "length", Args: []Expr{col("amount")}}, []string{"length(amount)", "int64"}},
		{&Call{Func: "length", Args: []Expr{col("region"), col("region")}}, []string{"length(region, region)", "string, string"}},
		{&Call{Func: "substring", Args: []Expr{col("region"), col("region"), lit(int64(2))}}, []string{"substring", "start integer"}},
		{&Call{Func: "contains", Args: []Expr{col("region"), col("amount")}}, []string{"contains", "(string, string)"}},
		{&Call{Func: "frobnicate", Args: []Expr{col("region")}}, []string{`unknown function "frobnicate"`, "coalesce"}},
		{&Cast{Child: col("day"), To: arrow.PrimitiveTypes.Int64}, []string{"cannot cast date32 to int64"}},
		{bin(OpLt, col("day"), lit(int64(3))), []string{"cannot compare date32 with int64"}},
		{&Call{Func: "coalesce", Args: []Expr{col("region"), col("amount")}}, []string{"coalesce", "string, int64"}},
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

	// Filter conditions must be boolean; sum and mean need numbers.
	if _, err := Analyze(&Filter{Input: scan, Cond: col("amount")}); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "not boolean") {
		t.Errorf("non-boolean filter: %v", err)
	}
	for _, f := range []AggFunc{AggSum, AggMean} {
		_, err := Analyze(&Aggregate{Meta: Meta{CallSite: "agg@x.go:9"}, Input: scan, Keys: []string{"day"}, Aggs: []AggExpr{{Func: f, Arg: col("region")}}})
		if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "numeric") || !strings.Contains(err.Error(), "got string") {
			t.Errorf("%s(region): %v", f, err)
		}
	}
	// min/max/first/count distinct accept strings and dates.
	for _, f := range []AggFunc{AggMin, AggMax, AggFirst, AggCountDistinct, AggCount} {
		for _, c := range []string{"region", "day", "cat", "ok"} {
			if _, err := Analyze(&Aggregate{Input: scan, Aggs: []AggExpr{{Func: f, Arg: col(c)}}}); err != nil {
				t.Errorf("%s(%s): %v", f, c, err)
			}
		}
	}
}

func TestDuplicateOutputColumns(t *testing.T) {
	scan := salesScan(1)
	_, err := Analyze(&Project{Input: scan, Exprs: []Expr{col("amount"), as(col("price"), "amount")}})
	if !errors.Is(err, ErrDuplicateColumn) || !strings.Contains(err.Error(), `"amount"`) {
		t.Errorf("project: %v", err)
	}
	_, err = Analyze(&Aggregate{Input: scan, Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("amount"), Name: "region"}}})
	if !errors.Is(err, ErrDuplicateColumn) {
		t.Errorf("aggregate: %v", err)
	}
	_, err = Analyze(&Aggregate{Input: scan, Aggs: []AggExpr{{Func: AggCountAll}, {Func: AggCountAll}}})
	if !errors.Is(err, ErrDuplicateColumn) || !strings.Contains(err.Error(), `"count(*)"`) {
		t.Errorf("two count(*): %v", err)
	}
}

func TestUnion(t *testing.T) {
	a := &Project{Input: salesScan(1), Exprs: []Expr{col("region"), col("amount"), col("price")}}
	b := &Project{Input: salesScan(1), Exprs: []Expr{col("price"), col("region"), col("amount")}}
	u := mustAnalyze(t, &Union{Inputs: []Node{a, b}})
	if got := names(u.Schema()); got != "[region amount price]" {
		t.Errorf("union schema %s", got)
	}

	c := &Project{Input: salesScan(1), Exprs: []Expr{col("region"), as(col("price"), "amount"), col("day")}}
	_, err := Analyze(&Union{Meta: Meta{CallSite: "union@etl.go:40"}, Inputs: []Node{a, c}})
	if !errors.Is(err, ErrUnionMismatch) {
		t.Fatalf("want union mismatch, got %v", err)
	}
	for _, w := range []string{
		"plan: union@etl.go:40: ",
		`column "amount" is int64 in input 0 but float64 in input 1`,
		`input 1 lacks column "price" (float64) of input 0`,
		`input 0 lacks column "day" (date32) of input 1`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
}

// exprOf analyzes a one-expression projection over the sales schema and returns the
// rewritten expression (without the alias that keeps its name).
func exprOf(t *testing.T, e Expr) (Expr, arrow.DataType) {
	t.Helper()
	p := mustAnalyze(t, &Project{Input: salesScan(1), Exprs: []Expr{e}}).(*Project)
	got := p.Exprs[0]
	if OutputName(got) != OutputName(e) {
		t.Errorf("name changed: %q -> %q", OutputName(e), OutputName(got))
	}
	if a, ok := got.(*Alias); ok && a.Name == OutputName(e) {
		if _, isAlias := e.(*Alias); !isAlias {
			got = a.Child
		}
	}
	return got, p.Schema().Field(0).Type
}

func TestCoercion(t *testing.T) {
	cases := []struct {
		in       Expr
		want     string
		wantType arrow.DataType
	}{
		{bin(OpAdd, col("qty"), col("amount")), "(CAST(qty AS int64) + amount)", typInt64},
		{bin(OpAdd, col("qty"), col("qty")), "(CAST(qty AS int64) + CAST(qty AS int64))", typInt64},
		{bin(OpGt, col("amount"), lit(1.5)), "(CAST(amount AS float64) > 1.5)", typBool},
		{bin(OpGt, col("price"), lit(int64(1))), "(price > 1)", typBool},
		{bin(OpDiv, col("amount"), lit(int64(2))), "(CAST(amount AS float64) / 2)", typFloat64},
		{bin(OpMod, col("amount"), lit(int64(2))), "(amount % 2)", typInt64},
		{bin(OpMod, col("qty"), lit(int64(2))), "(CAST(qty AS int64) % 2)", typInt64},
		{bin(OpGtEq, col("day"), lit("2024-01-02")), "(day >= DATE '2024-01-02')", typBool},
		{bin(OpEq, col("cat"), lit("toys")), `(cat = "toys")`, typBool},
		{bin(OpEq, col("cat"), col("region")), `(cat = region)`, typBool},
		{bin(OpEq, col("amount"), &Literal{Type: arrow.Null}), `(amount = NULL)`, typBool},
		{&Unary{Op: OpNeg, Child: col("qty")}, "(-CAST(qty AS int64))", typInt64},
		{&Call{Func: "coalesce", Args: []Expr{col("qty"), col("price")}}, "coalesce(CAST(qty AS float64), price)", typFloat64},
		{&Call{Func: "lower", Args: []Expr{col("cat")}}, "lower(cat)", typString},
		{&Cast{Child: col("cat"), To: typInt64}, "CAST(CAST(cat AS utf8) AS int64)", typInt64},
		{as(bin(OpMul, col("qty"), lit(int64(2))), "double"), "(CAST(qty AS int64) * 2) AS double", typInt64},
	}
	for _, c := range cases {
		got, typ := exprOf(t, c.in)
		if got.String() != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
		if !arrow.TypeEqual(typ, c.wantType) {
			t.Errorf("%s: type %s, want %s", c.in, typ, c.wantType)
		}
		if tt, err := TypeOf(c.in, salesSchema); err != nil || !arrow.TypeEqual(tt, c.wantType) {
			t.Errorf("TypeOf(%s) = %v, %v", c.in, tt, err)
		}
	}

	// The retyped literals carry values of the target type.
	got, _ := exprOf(t, bin(OpGt, col("price"), lit(int64(1))))
	if l := got.(*Binary).Right.(*Literal); l.Value != float64(1) || l.Type.ID() != arrow.FLOAT64 {
		t.Errorf("literal not retyped: %#v", l)
	}
	got, _ = exprOf(t, bin(OpGtEq, col("day"), lit("2024-01-02")))
	if l := got.(*Binary).Right.(*Literal); l.Value != arrow.Date32(19724) {
		t.Errorf("date literal: %#v", l)
	}
	// A string that is not a date is an error at analysis.
	if _, err := Analyze(&Filter{Input: salesScan(1), Cond: bin(OpEq, col("day"), lit("yesterday"))}); !errors.Is(err, ErrType) {
		t.Errorf("bad date literal: %v", err)
	}
}

func TestAnalyzeSchemas(t *testing.T) {
	scan := salesScan(1)
	agg := mustAnalyze(t, &Aggregate{Input: scan, Keys: []string{"region", "cat"}, Aggs: []AggExpr{
		{Func: AggSum, Arg: col("qty")},
		{Func: AggMean, Arg: col("amount"), Name: "avg"},
		{Func: AggCountAll, Name: "n"},
		{Func: AggMax, Arg: col("cat"), Name: "top"},
		{Func: AggMin, Arg: col("day"), Name: "first_day"},
	}}).(*Aggregate)
	// A dictionary-encoded key keeps its type.
	want := "region:utf8 cat:dictionary<values=utf8, indices=int32, ordered=false> sum(qty):int64 avg:float64 n:int64 top:utf8 first_day:date32"
	var got []string
	for _, f := range agg.Schema().Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	if strings.Join(got, " ") != want {
		t.Errorf("aggregate schema\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if agg.Aggs[0].Name != "sum(qty)" {
		t.Errorf("default name %q", agg.Aggs[0].Name)
	}

	mb := mustAnalyze(t, &MapBatches{Input: scan, Fn: identityBatch, Name: "id"})
	if mb.Schema() != salesSchema {
		t.Errorf("MapBatches without schema keeps the input's")
	}
	s := mustAnalyze(t, &Scan{Source: scan.Source, Columns: []string{"price", "region"}})
	if names(s.Schema()) != "[price region]" {
		t.Errorf("scan columns: %s", names(s.Schema()))
	}

	// Analyzing an analyzed plan changes nothing.
	p := &Project{Input: &Filter{Input: scan, Cond: bin(OpGt, col("qty"), lit(1.5))},
		Exprs: []Expr{bin(OpAdd, col("qty"), lit(int64(1))), col("region")}}
	once := mustAnalyze(t, p)
	twice := mustAnalyze(t, once)
	if FormatLogical(once) != FormatLogical(twice) || names(once.Schema()) != names(twice.Schema()) {
		t.Errorf("not idempotent:\n%s\n%s", FormatLogical(once), FormatLogical(twice))
	}
	if names(once.Schema()) != "[(qty + 1) region]" {
		t.Errorf("projection names: %s", names(once.Schema()))
	}
	if p.Schema() != nil {
		t.Errorf("Analyze modified its input")
	}
}

func TestSugarNodesExpand(t *testing.T) {
	scan := &Project{Input: salesScan(1), Exprs: []Expr{col("region"), col("amount"), col("qty")}}
	w := mustAnalyze(t, &WithColumns{Input: scan, Exprs: []Expr{as(bin(OpMul, col("amount"), lit(int64(2))), "amount"), as(col("qty"), "q2")}})
	if fieldList(w.Schema()) != "region:utf8 amount:int64 qty:int32 q2:int32" {
		t.Errorf("with columns: %s", fieldList(w.Schema()))
	}
	d := mustAnalyze(t, &Drop{Input: scan, Columns: []string{"amount"}})
	if names(d.Schema()) != "[region qty]" {
		t.Errorf("drop: %s", names(d.Schema()))
	}
	r := mustAnalyze(t, &Rename{Input: scan, From: "qty", To: "units"})
	if names(r.Schema()) != "[region amount units]" {
		t.Errorf("rename: %s", names(r.Schema()))
	}
	dist := mustAnalyze(t, &Distinct{Input: scan})
	if a, ok := dist.(*Aggregate); !ok || strings.Join(a.Keys, ",") != "region,amount,qty" || len(a.Aggs) != 0 {
		t.Errorf("distinct: %s", FormatLogical(dist))
	}
	_, err := Analyze(&Drop{Meta: Meta{CallSite: "drop@x.go:4"}, Input: scan, Columns: []string{"nope"}})
	if !errors.Is(err, ErrUnknownColumn) || !strings.HasPrefix(err.Error(), `plan: drop@x.go:4: cannot drop unknown column "nope"`) {
		t.Errorf("drop unknown: %v", err)
	}
	if _, err := Analyze(&Rename{Input: scan, From: "qty", To: "region"}); !errors.Is(err, ErrDuplicateColumn) {
		t.Errorf("rename onto an existing name: %v", err)
	}
}
