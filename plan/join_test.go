package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

var ordersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "cust", Type: arrow.PrimitiveTypes.Int32},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String},
}, nil)

var customersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "cust", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String},
	{Name: "region", Type: dictString},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64},
}, nil)

const mib = 1 << 20

// ordersScan reads 4 partitions of 100 MiB each; customersScan 2 of 1 KiB each.
func ordersScan() *Scan {
	return &Scan{Meta: Meta{CallSite: "read@orders.go:1"}, Source: &fakeSource{name: "orders", schema: ordersSchema, parts: 4, partBytes: 100 * mib}}
}

func customersScan() *Scan {
	return &Scan{Meta: Meta{CallSite: "read@customers.go:1"}, Source: &fakeSource{name: "customers", schema: customersSchema, parts: 2, partBytes: 1024}}
}

func scanOf(name string, s *arrow.Schema, parts int, partBytes int64) *Scan {
	return &Scan{Source: &fakeSource{name: name, schema: s, parts: parts, partBytes: partBytes}}
}

func join(l, r Node, kind JoinKind, lk, rk []string) *Join {
	return &Join{Meta: Meta{CallSite: "join@etl.go:20"}, Left: l, Right: r, Kind: kind, LeftKeys: lk, RightKeys: rk}
}

func on(keys ...string) []string { return keys }

func nullability(s *arrow.Schema) string {
	var out []string
	for _, f := range s.Fields() {
		n := f.Name
		if f.Nullable {
			n += "?"
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

func TestAnalyzeJoinKeyErrors(t *testing.T) {
	cases := []struct {
		j        *Join
		kind     error
		contains []string
	}{
		{join(ordersScan(), customersScan(), InnerJoin, on("custt"), on("cust")), ErrUnknownColumn,
			[]string{"join@etl.go:20", `unknown left join key "custt"`, "left columns: id, cust, amount, name", `did you mean "cust"`}},
		{join(ordersScan(), customersScan(), InnerJoin, on("cust"), on("customer")), ErrUnknownColumn,
			[]string{`unknown right join key "customer"`, "right columns: cust, name, region, score"}},
		{join(ordersScan(), customersScan(), InnerJoin, on("cust", "name"), on("cust")), ErrInvalidPlan,
			[]string{"left [cust, name], right [cust]"}},
		{join(ordersScan(), customersScan(), InnerJoin, nil, nil), ErrInvalidPlan, []string{"at least one"}},
		{join(ordersScan(), customersScan(), InnerJoin, on("name"), on("score")), ErrType,
			[]string{"name (left, string) and score (right, float64) have incompatible types"}},
		{join(ordersScan(), scanOf("s", salesSchema, 1, 0), InnerJoin, on("id"), on("day")), ErrType,
			[]string{"incompatible types"}},
		{join(ordersScan(), customersScan(), JoinKind(42), on("cust"), on("cust")), ErrInvalidPlan, []string{"unknown join kind"}},
	}
	for i, c := range cases {
		_, err := Analyze(c.j)
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("case %d: %v is not %v", i, err, c.kind)
		}
		for _, s := range c.contains {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("case %d: %q lacks %q", i, err, s)
			}
		}
	}
}

func TestAnalyzeJoinNamingAndCasts(t *testing.T) {
	// A using key of int32 and int64: the left key is cast under the join, the right one
	// dropped; the clashing right "name" is suffixed.
	a := mustAnalyze(t, join(ordersScan(), customersScan(), InnerJoin, on("cust"), on("cust")))
	if got, want := fieldList(a.Schema()), "id:int64 cust:int64 amount:float64 name:utf8 name_right:utf8 region:dictionary<values=utf8, indices=int32, ordered=false> score:float64"; got != want {
		t.Errorf("schema %s\nwant   %s", got, want)
	}
	wantTree(t, a, `
Join inner on [cust] = [cust]
:- Project [id, CAST(cust AS int64) AS cust, amount, name]
:  +- Scan fake[orders]
+- Scan fake[customers]
`)
	// Analysis is idempotent: no second cast.
	again := mustAnalyze(t, a)
	if FormatLogical(again) != FormatLogical(a) || fieldList(again.Schema()) != fieldList(a.Schema()) {
		t.Errorf("re-analysis changed the plan:\n%s", FormatLogical(again))
	}

	// The narrower side is cast whichever side it is on.
	a = mustAnalyze(t, join(customersScan(), ordersScan(), InnerJoin, on("cust"), on("cust")))
	if _, ok := a.(*Join).Right.(*Project); !ok {
		t.Errorf("right int32 key not cast:\n%s", FormatLogical(a))
	}
	if _, ok := a.(*Join).Left.(*Scan); !ok {
		t.Errorf("left int64 key cast:\n%s", FormatLogical(a))
	}

	// int vs float casts the integer side to float64; string vs dictionary string needs no cast.
	a = mustAnalyze(t, join(ordersScan(), customersScan(), InnerJoin, on("id", "name"), on("score", "region")))
	wantTree(t, a, `
Join inner on [id, name] = [score, region]
:- Project [CAST(id AS float64) AS id, cust, amount, name]
:  +- Scan fake[orders]
+- Scan fake[customers]
`)
	// Different key names: both kept; a name taken twice gets the suffix twice.
	left := &Project{Input: ordersScan(), Exprs: []Expr{col("id"), col("name"), as(col("amount"), "name_right")}}
	a = mustAnalyze(t, join(left, customersScan(), LeftJoin, on("id"), on("cust")))
	if got, want := names(a.Schema()), "[id name name_right cust name_right_right region score]"; got != want {
		t.Errorf("names %s, want %s", got, want)
	}
	// A right column that already has the suffixed name keeps it; the clashing one moves on.
	right := &Project{Input: customersScan(), Exprs: []Expr{col("cust"), col("name"), as(col("score"), "name_right")}}
	a = mustAnalyze(t, join(ordersScan(), right, InnerJoin, on("id"), on("cust")))
	if got, want := names(a.Schema()), "[id cust amount name cust_right name_right_right name_right]"; got != want {
		t.Errorf("names %s, want %s", got, want)
	}
}

func TestAnalyzeJoinKindsSchema(t *testing.T) {
	for _, kind := range []JoinKind{LeftSemiJoin, LeftAntiJoin} {
		a := mustAnalyze(t, join(ordersScan(), customersScan(), kind, on("cust"), on("cust")))
		if got, want := fieldList(a.Schema()), "id:int64 cust:int64 amount:float64 name:utf8"; got != want {
			t.Errorf("%s: schema %s, want %s", kind, got, want)
		}
	}
	// Outer joins make the NULL-filled side nullable.
	want := map[JoinKind]string{
		InnerJoin: "id cust? amount? name name_right region score",
		LeftJoin:  "id cust? amount? name name_right? region? score?",
		RightJoin: "id? cust amount? name? name_right region score",
		FullJoin:  "id? cust? amount? name? name_right? region? score?",
	}
	for kind, w := range want {
		a := mustAnalyze(t, join(ordersScan(), customersScan(), kind, on("cust"), on("cust")))
		if got := nullability(a.Schema()); got != w {
			t.Errorf("%s: nullability %s, want %s", kind, got, w)
		}
	}
	// A full join's using key is coalesced from both sides, in the physical projection.
	a := mustAnalyze(t, join(ordersScan(), customersScan(), FullJoin, on("cust", "name"), on("cust", "name")))
	if got, want := names(a.Schema()), "[id cust amount name region score]"; got != want {
		t.Errorf("names %s, want %s", got, want)
	}
	p := mustPhysical(t, a, PhysicalConfig{ShufflePartitions: 2})
	wantPhys(t, p, `
Project [id, coalesce(cust, cust_right) AS cust, amount, coalesce(name, name_right) AS name, region, score]
+- ShuffledHashJoin full on [cust, name] = [cust, name] build=right
   :- Exchange hash[cust, name] x 2
   :  +- Project [id, CAST(cust AS int64) AS cust, amount, name]
   :     +- Scan fake[orders] partitions=4
   +- Exchange hash[cust, name] x 2
      +- Scan fake[customers] partitions=2
`)
	if got, want := names(p.Children()[0].Schema()), "[id cust amount name cust_right name_right region score]"; got != want {
		t.Errorf("hash join output %s, want %s", got, want)
	}
	if !sameNames(p.Schema(), a.Schema()) {
		t.Errorf("physical schema %s differs from logical %s", p.Schema(), a.Schema())
	}
	// A left join's using key is the left key itself.
	a = mustAnalyze(t, join(ordersScan(), customersScan(), LeftJoin, on("cust"), on("cust")))
	p = mustPhysical(t, a, PhysicalConfig{ShufflePartitions: 2, BroadcastThreshold: -1})
	if pp, ok := p.(*PProject); !ok || exprList(pp.Exprs) != "id, cust, amount, name, name_right, region, score" {
		t.Errorf("left join projection:\n%s", FormatPhysical(p))
	}
}

func TestAnalyzeBroadcastAndSort(t *testing.T) {
	a := mustAnalyze(t, &Broadcast{Input: customersScan()})
	if a.Schema() != customersSchema {
		t.Errorf("broadcast schema %s", a.Schema())
	}
	a = mustAnalyze(t, &Sort{Input: salesScan(1), Keys: []SortKey{{Column: "cat"}, {Column: "day", Descending: true}, {Column: "price"}, {Column: "ok"}}})
	if a.Schema() != salesSchema {
		t.Errorf("sort schema %s", a.Schema())
	}
	listSchema := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}, nil)
	for _, c := range []struct {
		n    Node
		kind error
		msg  string
	}{
		{&Sort{Input: salesScan(1), Keys: []SortKey{{Column: "amout"}}}, ErrUnknownColumn, `unknown column "amout"`},
		{&Sort{Input: scanOf("l", listSchema, 1, 0), Keys: []SortKey{{Column: "l"}}}, ErrType, `cannot sort by "l"`},
		{&Sort{Input: salesScan(1)}, ErrInvalidPlan, "sort without keys"},
	} {
		_, err := Analyze(c.n)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %v containing %q", c.n.Describe(), err, c.kind, c.msg)
		}
	}
}

func TestPushdownThroughJoin(t *testing.T) {
	cond := andAll([]Expr{
		bin(OpGt, col("amount"), lit(int64(0))),        // left only
		bin(OpEq, col("name_right"), lit("ann")),       // right only, renamed
		bin(OpGt, col("score"), lit(1.5)),              // right only
		bin(OpGt, col("amount"), col("score")),         // both sides
		bin(OpEq, col("region"), lit("eu")),            // right only
		bin(OpLt, lit(int64(1)), col("id")),            // left only
		&Unary{Op: OpIsNull, Child: col("name_right")}, // right only
	})
	o := optimize(t, &Filter{Input: join(ordersScan(), customersScan(), InnerJoin, on("cust"), on("cust")), Cond: cond})
	wantTree(t, o, `
Filter (amount > score)
+- Join inner on [cust] = [cust]
   :- Project [id, CAST(cust AS int64) AS cust, amount, name]
   :  +- Filter ((amount > 0) AND (1 < id))
   :     +- Scan fake[orders]
   +- Filter ((((name = "ann") AND (score > 1.5)) AND (region = "eu")) AND (name IS NULL))
      +- Scan fake[customers]
`)

	leftOnly := bin(OpGt, col("amount"), lit(int64(0)))
	rightOnly := bin(OpGt, col("score"), lit(1.5))
	both := bin(OpAnd, leftOnly, rightOnly)
	// Left join: left conjuncts go down; right ones stay (the right side is NULL-filled).
	o = optimize(t, &Filter{Input: join(ordersScan(), customersScan(), LeftJoin, on("id"), on("cust")), Cond: both})
	wantTree(t, o, `
Filter (score > 1.5)
+- Join left on [id] = [cust]
   :- Filter (amount > 0)
   :  +- Scan fake[orders]
   +- Scan fake[customers]
`)
	// Right join: the mirror image.
	o = optimize(t, &Filter{Input: join(ordersScan(), customersScan(), RightJoin, on("id"), on("cust")), Cond: both})
	wantTree(t, o, `
Filter (amount > 0)
+- Join right on [id] = [cust]
   :- Scan fake[orders]
   +- Filter (score > 1.5)
      +- Scan fake[customers]
`)
	// Full join: nothing moves.
	o = optimize(t, &Filter{Input: join(ordersScan(), customersScan(), FullJoin, on("id"), on("cust")), Cond: both})
	wantTree(t, o, `
Filter ((amount > 0) AND (score > 1.5))
+- Join full on [id] = [cust]
   :- Scan fake[orders]
   +- Scan fake[customers]
`)
	// Semi and anti joins: everything is a left column (and the right side is read for
	// its keys only).
	for _, kind := range []JoinKind{LeftSemiJoin, LeftAntiJoin} {
		o = optimize(t, &Filter{Input: join(ordersScan(), customersScan(), kind, on("id"), on("cust")), Cond: leftOnly})
		wantTree(t, o, `
Join `+kind.String()+` on [id] = [cust]
:- Filter (amount > 0)
:  +- Scan fake[orders]
+- Scan fake[customers] columns=[cust]
`)
	}
	// Sort and Broadcast let filters through.
	o = optimize(t, &Filter{Input: &Sort{Input: &Broadcast{Input: ordersScan()}, Keys: []SortKey{{Column: "id"}}}, Cond: leftOnly})
	wantTree(t, o, `
Sort [id ASC NULLS LAST]
+- Broadcast (hint)
   +- Filter (amount > 0)
      +- Scan fake[orders]
`)
}

func TestPruningThroughJoin(t *testing.T) {
	j := join(ordersScan(), customersScan(), InnerJoin, on("cust"), on("cust"))
	o := optimize(t, &Project{Input: j, Exprs: []Expr{col("id"), col("score")}})
	wantTree(t, o, `
Project [id, score]
+- Join inner on [cust] = [cust]
   :- Project [id, CAST(cust AS int64) AS cust]
   :  +- Scan fake[orders] columns=[id, cust]
   +- Scan fake[customers] columns=[cust, score]
`)
	// The left "name" is not needed, so the right one would lose its suffix: a projection
	// restores the name the plan above uses.
	o = optimize(t, &Project{Input: j, Exprs: []Expr{col("name_right"), col("amount")}})
	wantTree(t, o, `
Project [name AS name_right, amount]
+- Join inner on [cust] = [cust]
   :- Project [CAST(cust AS int64) AS cust, amount]
   :  +- Scan fake[orders] columns=[cust, amount]
   +- Scan fake[customers] columns=[cust, name]
`)
	// A semi join reads only the keys of its right side; Sort keeps its keys, Broadcast
	// passes the need through.
	semi := join(ordersScan(), &Broadcast{Input: customersScan()}, LeftSemiJoin, on("id"), on("cust"))
	o = optimize(t, &Project{Input: &Sort{Input: semi, Keys: []SortKey{{Column: "amount", Descending: true}}}, Exprs: []Expr{col("name")}})
	wantTree(t, o, `
Project [name]
+- Sort [amount DESC NULLS LAST]
   +- Join left_semi on [id] = [cust]
      :- Scan fake[orders] columns=[id, amount, name]
      +- Broadcast (hint)
         +- Scan fake[customers] columns=[cust]
`)
	// A full join's coalesced using key needs both keys, which are always kept.
	full := join(ordersScan(), customersScan(), FullJoin, on("id"), on("cust"))
	o = optimize(t, &Project{Input: full, Exprs: []Expr{col("cust_right")}})
	wantTree(t, o, `
Project [cust AS cust_right]
+- Join full on [id] = [cust]
   :- Scan fake[orders] columns=[id]
   +- Scan fake[customers] columns=[cust]
`)
	full = join(ordersScan(), customersScan(), FullJoin, on("cust"), on("cust"))
	o = optimize(t, &Aggregate{Input: full, Keys: []string{"cust"}, Aggs: []AggExpr{{Func: AggCountAll, Name: "n"}}})
	wantTree(t, o, `
Aggregate keys=[cust] aggs=[count(*) AS n]
+- Join full on [cust] = [cust]
   :- Project [CAST(cust AS int64) AS cust]
   :  +- Scan fake[orders] columns=[cust]
   +- Scan fake[customers] columns=[cust]
`)
}

func TestOptimizeJoinPlansIsStable(t *testing.T) {
	j := func(kind JoinKind) *Join {
		return join(ordersScan(), customersScan(), kind, on("cust", "name"), on("cust", "name"))
	}
	plans := []Node{
		&Project{Input: &Filter{Input: j(InnerJoin), Cond: bin(OpAnd, bin(OpGt, col("amount"), lit(int64(1))), bin(OpEq, col("region"), lit("eu")))},
			Exprs: []Expr{col("id"), col("region")}},
		&Limit{N: 4, Input: &Sort{Input: &Filter{Input: j(FullJoin), Cond: bin(OpGt, col("cust"), lit(int64(2)))}, Keys: []SortKey{{Column: "cust"}}}},
		&Aggregate{Input: j(RightJoin), Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("amount"), Name: "s"}}},
		&Project{Input: join(ordersScan(), customersScan(), InnerJoin, on("id"), on("cust")), Exprs: []Expr{col("name_right"), col("cust_right")}},
	}
	for _, n := range plans {
		o := optimize(t, n)
		again := Optimize(o)
		if FormatLogical(again) != FormatLogical(o) {
			t.Errorf("not stable:\n%s\nthen\n%s", FormatLogical(o), FormatLogical(again))
		}
		p := mustPhysical(t, o, PhysicalConfig{ShufflePartitions: 3})
		if !sameNames(p.Schema(), o.Schema()) {
			t.Errorf("physical schema %s, logical %s", p.Schema(), o.Schema())
		}
	}
}
