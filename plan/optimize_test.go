package plan

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestConstantFolding(t *testing.T) {
	nullBool := &Literal{Type: arrow.Null}
	cases := []struct {
		in       Expr
		want     any // folded value, or a string: the expected rendering of a partial fold
		wantType arrow.DataType
	}{
		{bin(OpAdd, lit(int64(1)), lit(int64(2))), int64(3), typInt64},
		{bin(OpMul, lit(int64(4)), lit(2.5)), 10.0, typFloat64},
		{bin(OpDiv, lit(int64(7)), lit(int64(2))), 3.5, typFloat64},
		{bin(OpDiv, lit(int64(7)), lit(int64(0))), nil, typFloat64},
		{bin(OpMod, lit(int64(-7)), lit(int64(3))), int64(-1), typInt64},
		{bin(OpMod, lit(int64(7)), lit(int64(0))), nil, typInt64},
		{bin(OpSub, lit(int64(1)), &Literal{Type: typInt64}), nil, typInt64},
		{bin(OpLt, lit(int64(1)), lit(1.5)), true, typBool},
		{bin(OpEq, lit(math.NaN()), lit(math.NaN())), true, typBool},
		{bin(OpGt, lit(math.NaN()), lit(math.Inf(1))), true, typBool},
		{bin(OpEq, lit("a"), lit("b")), false, typBool},
		{bin(OpEq, lit(int64(1)), &Literal{Type: typInt64}), nil, typBool},
		{bin(OpAnd, nullBool, lit(false)), false, typBool},
		{bin(OpAnd, nullBool, lit(true)), nil, typBool},
		{bin(OpOr, nullBool, lit(true)), true, typBool},
		{bin(OpOr, nullBool, lit(false)), nil, typBool},
		{&Unary{Op: OpNot, Child: nullBool}, nil, typBool},
		{&Unary{Op: OpIsNull, Child: nullBool}, true, typBool},
		{&Unary{Op: OpIsNotNull, Child: lit(int64(3))}, true, typBool},
		{&Unary{Op: OpNeg, Child: lit(int64(3))}, int64(-3), typInt64},
		{&Call{Func: "coalesce", Args: []Expr{&Literal{Type: typInt64}, lit(int64(3)), col("amount")}}, int64(3), typInt64},
		{&Call{Func: "coalesce", Args: []Expr{&Literal{Type: typInt64}, col("amount")}}, "coalesce(amount)", typInt64},
		{&Cast{Child: lit("42"), To: typInt64}, int64(42), typInt64},
		{&Cast{Child: lit("4x2"), To: typInt64}, nil, typInt64},
		{&Cast{Child: lit(int64(3)), To: typString}, "3", typString},
		{&Cast{Child: lit(true), To: typInt64}, int64(1), typInt64},
		{bin(OpAnd, bin(OpGt, col("amount"), lit(int64(0))), lit(true)), "(amount > 0)", typBool},
		{bin(OpAnd, bin(OpGt, col("amount"), lit(int64(0))), lit(false)), false, typBool},
		{bin(OpOr, bin(OpGt, col("amount"), lit(int64(0))), lit(true)), true, typBool},
		{bin(OpOr, lit(false), bin(OpGt, col("amount"), lit(int64(0)))), "(amount > 0)", typBool},
		{bin(OpGt, col("price"), bin(OpMul, lit(int64(2)), lit(int64(3)))), "(price > 6)", typBool},
		{&Unary{Op: OpNot, Child: &Unary{Op: OpNot, Child: col("ok")}}, "ok", typBool},
	}
	for _, c := range cases {
		resolved, typ, err := resolveExpr(c.in, salesSchema)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got := foldExpr(resolved, salesSchema)
		if gt, err := TypeOf(got, salesSchema); err != nil || !arrow.TypeEqual(gt, typ) {
			t.Errorf("%s: folding changed the type %s to %v (%v)", c.in, typ, gt, err)
		}
		if !arrow.TypeEqual(typ, c.wantType) {
			t.Errorf("%s: type %s, want %s", c.in, typ, c.wantType)
		}
		if s, ok := c.want.(string); ok && !isLit(got) {
			if got.String() != s {
				t.Errorf("%s: folded to %s, want %s", c.in, got, s)
			}
			continue
		}
		l, ok := got.(*Literal)
		if !ok {
			t.Errorf("%s: not folded: %s", c.in, got)
			continue
		}
		if l.Value != c.want || !arrow.TypeEqual(l.Type, c.wantType) {
			t.Errorf("%s: folded to %#v (%s), want %#v (%s)", c.in, l.Value, l.Type, c.want, c.wantType)
		}
	}
}

func isLit(e Expr) bool { _, ok := e.(*Literal); return ok }

func optimize(t *testing.T, n Node) Node {
	t.Helper()
	a := mustAnalyze(t, n)
	o := Optimize(a)
	if !sameNames(o.Schema(), a.Schema()) {
		t.Fatalf("optimize changed the schema %s -> %s", a.Schema(), o.Schema())
	}
	// The optimized plan is itself a valid analyzed plan.
	if _, err := Analyze(o); err != nil {
		t.Fatalf("optimized plan does not analyze: %v\n%s", err, FormatLogical(o))
	}
	return o
}

func wantTree(t *testing.T, n Node, want string) {
	t.Helper()
	got := FormatLogical(n)
	want = strings.TrimLeft(want, "\n")
	if got != want {
		t.Errorf("plan\n%s\nwant\n%s", got, want)
	}
}

func TestFilterFolding(t *testing.T) {
	scan := salesScan(2)
	o := optimize(t, &Filter{Input: &Filter{Input: scan, Cond: lit(true)},
		Cond: bin(OpAnd, bin(OpGt, col("amount"), lit(int64(0))), bin(OpLt, lit(int64(1)), lit(int64(2))))})
	wantTree(t, o, `
Filter (amount > 0)
+- Scan fake[sales]
`)
	o = optimize(t, &Filter{Input: scan, Cond: bin(OpGt, lit(int64(1)), lit(int64(2)))})
	wantTree(t, o, `
Scan empty[filter false is never true]
`)
	// NULL is not true either: no row passes, so nothing is read.
	o = optimize(t, &Filter{Input: scan, Cond: bin(OpGt, col("amount"), &Literal{Type: arrow.PrimitiveTypes.Float64})})
	wantTree(t, o, `
Scan empty[filter NULL is never true]
`)
	o = optimize(t, &Project{Input: scan, Exprs: []Expr{bin(OpAdd, lit(int64(1)), lit(int64(2))), col("region")}})
	wantTree(t, o, `
Project [3 AS (1 + 2), region]
+- Scan fake[sales] columns=[region]
`)
}

func TestPushdownThroughProjectWithAlias(t *testing.T) {
	p := &Project{Input: salesScan(2), Exprs: []Expr{as(bin(OpMul, col("amount"), lit(int64(2))), "total"), col("region")}}
	f := &Filter{Meta: Meta{CallSite: "filter@x.go:5"}, Input: p, Cond: bin(OpGt, col("total"), lit(int64(10)))}
	o := optimize(t, f)
	wantTree(t, o, `
Project [(amount * 2) AS total, region]
+- Filter ((amount * 2) > 10)
   +- Scan fake[sales] columns=[region, amount]
`)
}

func TestPushdownIntoPruningScan(t *testing.T) {
	scan := pruningScan(3)
	f := &Filter{Input: &Filter{Input: scan, Cond: bin(OpEq, col("region"), lit("eu"))},
		Cond: bin(OpGt, col("amount"), lit(int64(0)))}
	o := optimize(t, &Project{Input: f, Exprs: []Expr{col("day")}})
	wantTree(t, o, `
Project [day]
+- Filter ((region = "eu") AND (amount > 0))
   +- Scan fake[sales.parquet] columns=[region, day, amount] pushed=[(region = "eu"), (amount > 0)]
`)
	// The filters and columns reach the source.
	mustPhysical(t, o, PhysicalConfig{ShufflePartitions: 4})
	req := scan.Source.(*fakeSource).lastReq
	if req == nil || len(req.Filters) != 2 || strings.Join(req.Columns, ",") != "region,day,amount" {
		t.Errorf("scan request %+v", req)
	}
	// Optimizing again does not push the same conjuncts twice.
	again := Optimize(o)
	if FormatLogical(again) != FormatLogical(o) {
		t.Errorf("not stable:\n%s", FormatLogical(again))
	}
	// A source that cannot prune gets no hints.
	o = optimize(t, &Filter{Input: salesScan(1), Cond: bin(OpGt, col("amount"), lit(int64(0)))})
	if s := o.Children()[0].(*Scan); len(s.Filters) != 0 {
		t.Errorf("hints pushed to a non-pruning source")
	}
}

func TestPushdownBarriers(t *testing.T) {
	cond := bin(OpGt, col("amount"), lit(int64(0)))
	o := optimize(t, &Filter{Input: &Limit{Input: salesScan(2), N: 5}, Cond: cond})
	wantTree(t, o, `
Filter (amount > 0)
+- Limit 5
   +- Scan fake[sales]
`)
	o = optimize(t, &Filter{Input: &MapBatches{Input: salesScan(2), Fn: identityBatch, Name: "udf"}, Cond: cond})
	wantTree(t, o, `
Filter (amount > 0)
+- MapBatches udf
   +- Scan fake[sales]
`)
}

func TestPushdownThroughAggregateUnionRepartition(t *testing.T) {
	agg := &Aggregate{Input: &Repartition{Input: salesScan(2), N: 4, Keys: []string{"region"}},
		Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("amount"), Name: "total"}}}
	o := optimize(t, &Filter{Input: agg, Cond: bin(OpAnd, bin(OpEq, col("region"), lit("eu")), bin(OpGt, col("total"), lit(int64(5))))})
	wantTree(t, o, `
Filter (total > 5)
+- Aggregate keys=[region] aggs=[sum(amount) AS total]
   +- Repartition 4 hash[region]
      +- Filter (region = "eu")
         +- Scan fake[sales] columns=[region, amount]
`)

	a := &Project{Input: salesScan(2), Exprs: []Expr{col("region"), col("amount")}}
	b := &Project{Input: salesScan(1), Exprs: []Expr{col("amount"), col("region")}}
	o = optimize(t, &Filter{Input: &Coalesce{Input: &Union{Inputs: []Node{a, b}}, N: 1}, Cond: bin(OpGt, col("amount"), lit(int64(0)))})
	wantTree(t, o, `
Coalesce 1
+- Union (2 inputs)
   :- Filter (amount > 0)
   :  +- Scan fake[sales] columns=[region, amount]
   +- Project [amount, region]
      +- Filter (amount > 0)
         +- Scan fake[sales] columns=[region, amount]
`)
}

func TestProjectionPruning(t *testing.T) {
	// Only the columns an aggregate uses are read, in source order.
	o := optimize(t, &Aggregate{Input: salesScan(2), Keys: []string{"qty"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("amount")}}})
	if s := o.Children()[0].(*Scan); strings.Join(s.Columns, ",") != "amount,qty" {
		t.Errorf("columns %v", s.Columns)
	}
	// count(*) still reads one column to count rows.
	o = optimize(t, &Aggregate{Input: salesScan(2), Aggs: []AggExpr{{Func: AggCountAll, Name: "n"}}})
	if s := o.Children()[0].(*Scan); strings.Join(s.Columns, ",") != "region" {
		t.Errorf("count(*) columns %v", s.Columns)
	}
	// Unused projected expressions go, and so do identity projections.
	inner := &Project{Input: salesScan(2), Exprs: []Expr{col("region"), as(bin(OpMul, col("amount"), lit(int64(2))), "x")}}
	o = optimize(t, &Project{Input: inner, Exprs: []Expr{col("region")}})
	wantTree(t, o, `
Scan fake[sales] columns=[region]
`)
	// MapBatches sees all of its input; a union of it with a prunable input agrees on columns.
	mb := &MapBatches{Input: &Project{Input: salesScan(1), Exprs: []Expr{col("region"), col("amount")}}, Fn: identityBatch, Name: "udf"}
	o = optimize(t, &Aggregate{Input: &Union{Inputs: []Node{&Project{Input: salesScan(1), Exprs: []Expr{col("amount"), col("region")}}, mb}},
		Keys: []string{"region"}})
	wantTree(t, o, `
Distinct [region]
+- Union (2 inputs)
   :- Scan fake[sales] columns=[region]
   +- Project [region]
      +- MapBatches udf
         +- Scan fake[sales] columns=[region, amount]
`)
}
