package plan

import (
	"fmt"
	"testing"
)

// semiBelowAgg reports whether n has a left semi join on col directly or through
// projections below an aggregate.
func semiBelowAgg(n Node, col string, belowAgg bool) bool {
	switch x := n.(type) {
	case *Aggregate:
		belowAgg = true
	case *Join:
		if belowAgg && x.Kind == LeftSemiJoin && x.LeftKeys[0] == col {
			return true
		}
	}
	for _, c := range n.Children() {
		if semiBelowAgg(c, col, belowAgg) {
			return true
		}
	}
	return false
}

// TestTransferSemiBelowAggregate checks that a selective side's keys reduce the other
// side's aggregate by the join key, and only there.
func TestTransferSemiBelowAggregate(t *testing.T) {
	selective := func() Node {
		return &Filter{Input: salesScan(1), Cond: bin(OpAnd, bin(OpEq, col("region"), lit("north")), bin(OpEq, col("ok"), lit(true)))}
	}
	wide := func() Node {
		return &Filter{Input: salesScan(1), Cond: bin(OpGt, col("price"), lit(1.0))}
	}
	perAmount := func() Node {
		agg := &Aggregate{Input: salesScan(2), Keys: []string{"amount"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("price"), Name: "total"}}}
		return &Project{Input: agg, Exprs: []Expr{as(col("amount"), "k"), col("total")}}
	}
	cases := []struct {
		name        string
		left, right Node
		want        bool
	}{
		{"selective filter, aggregate", selective(), perAmount(), true},
		{"wide filter", wide(), perAmount(), false},
		{"no aggregate", selective(), &Project{Input: salesScan(1), Exprs: []Expr{as(col("amount"), "k")}}, false},
		{"in subquery", &Join{Left: salesScan(1), Right: &Project{Input: selective(), Exprs: []Expr{as(col("amount"), "a2")}},
			LeftKeys: []string{"amount"}, RightKeys: []string{"a2"}, Kind: LeftSemiJoin}, perAmount(), true},
	}
	for _, kind := range []JoinKind{InnerJoin, LeftJoin} {
		for _, c := range cases {
			j := &Join{Left: c.left, Right: c.right, LeftKeys: []string{"amount"}, RightKeys: []string{"k"}, Kind: kind}
			checkTransfer(t, fmt.Sprintf("%s (%v)", c.name, kind), j, c.want)
		}
	}
	// An IN subquery above the join (SQL's decorrelated scalar subquery, a left join
	// filtered above) reduces the aggregate below it too.
	above := &Join{Left: &Filter{Input: &Join{Left: salesScan(1), Right: perAmount(), LeftKeys: []string{"amount"},
		RightKeys: []string{"k"}, Kind: LeftJoin}, Cond: bin(OpGt, col("price"), col("total"))},
		Right:    &Project{Input: selective(), Exprs: []Expr{as(col("amount"), "a2")}},
		LeftKeys: []string{"amount"}, RightKeys: []string{"a2"}, Kind: LeftSemiJoin}
	checkTransfer(t, "semi join above", above, true)
	// A right join keeps the right side's unmatched rows: nothing moves into it.
	right := &Join{Left: selective(), Right: perAmount(), LeftKeys: []string{"amount"}, RightKeys: []string{"k"}, Kind: RightJoin}
	checkTransfer(t, "right join", right, false)
}

func checkTransfer(t *testing.T, name string, j Node, want bool) {
	t.Helper()
	a := mustAnalyze(t, j)
	o := Optimize(a)
	if got := semiBelowAgg(o, "amount", false); got != want {
		t.Errorf("%s: semi join below the aggregate %v, want %v", name, got, want)
	}
	if !sameNames(o.Schema(), a.Schema()) {
		t.Errorf("%s: schema changed", name)
	}
}
