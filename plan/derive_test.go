package plan

import (
	"testing"
)

// pairs is (amount > 10 AND name_right = "ann") OR (amount < 0 AND score > 1.5): each
// branch reads both sides of an orders-customers join.
func pairs() Expr {
	return bin(OpOr,
		bin(OpAnd, bin(OpGt, col("amount"), lit(int64(10))), bin(OpEq, col("name_right"), lit("ann"))),
		bin(OpAnd, bin(OpLt, col("amount"), lit(int64(0))), bin(OpGt, col("score"), lit(1.5))))
}

func TestDisjunctionImpliesSideFilters(t *testing.T) {
	o := optimize(t, &Filter{Input: join(ordersScan(), customersScan(), InnerJoin, on("id"), on("cust")), Cond: pairs()})
	want := `
Filter (((amount > 10) AND (name_right = "ann")) OR ((amount < 0) AND (score > 1.5)))
+- Join inner on [id] = [cust]
   :- Filter ((amount > 10) OR (amount < 0))
   :  +- Scan fake[orders]
   +- Filter ((name = "ann") OR (score > 1.5))
      +- Scan fake[customers]
`
	wantTree(t, o, want)
	// Optimizing again derives the same filters and does not stack copies of them.
	wantTree(t, optimize(t, o), want)

	// A left join NULL-fills its right side: only the left one is filtered.
	o = optimize(t, &Filter{Input: join(ordersScan(), customersScan(), LeftJoin, on("id"), on("cust")), Cond: pairs()})
	wantTree(t, o, `
Filter (((amount > 10) AND (name_right = "ann")) OR ((amount < 0) AND (score > 1.5)))
+- Join left on [id] = [cust]
   :- Filter ((amount > 10) OR (amount < 0))
   :  +- Scan fake[orders]
   +- Scan fake[customers]
`)

	// A branch with nothing on the left implies nothing for the left.
	partial := bin(OpOr,
		bin(OpAnd, bin(OpGt, col("amount"), lit(int64(10))), bin(OpEq, col("name_right"), lit("ann"))),
		bin(OpGt, col("score"), lit(1.5)))
	o = optimize(t, &Filter{Input: join(ordersScan(), customersScan(), InnerJoin, on("id"), on("cust")), Cond: partial})
	wantTree(t, o, `
Filter (((amount > 10) AND (name_right = "ann")) OR (score > 1.5))
+- Join inner on [id] = [cust]
   :- Scan fake[orders]
   +- Filter ((name = "ann") OR (score > 1.5))
      +- Scan fake[customers]
`)
}

func TestJoinConditionDisjunctionImpliesSideFilters(t *testing.T) {
	l := func(n string) Expr { return &JoinSideRef{Name: n} }
	r := func(n string) Expr { return &JoinSideRef{Right: true, Name: n} }
	cond := bin(OpAnd, bin(OpEq, l("id"), r("cust")), bin(OpOr,
		bin(OpAnd, bin(OpEq, l("name"), lit("FRANCE")), bin(OpEq, r("name"), lit("GERMANY"))),
		bin(OpAnd, bin(OpEq, l("name"), lit("GERMANY")), bin(OpEq, r("name"), lit("FRANCE")))))
	mk := func(kind JoinKind) Node {
		return &Join{Meta: Meta{CallSite: "join@etl.go:20"}, Left: ordersScan(), Right: customersScan(), Kind: kind, Cond: cond}
	}
	o := optimize(t, mk(InnerJoin))
	want := `
Join inner on [id] = [cust] cond=(((left.name = "FRANCE") AND (right.name = "GERMANY")) OR ((left.name = "GERMANY") AND (right.name = "FRANCE")))
:- Filter ((name = "FRANCE") OR (name = "GERMANY"))
:  +- Scan fake[orders]
+- Filter ((name = "GERMANY") OR (name = "FRANCE"))
   +- Scan fake[customers]
`
	wantTree(t, o, want)
	wantTree(t, optimize(t, o), want)
	// The condition of a left join may filter its right side (unmatched rows are kept
	// from the left, whatever the right), never its left.
	wantTree(t, optimize(t, mk(LeftJoin)), `
Join left on [id] = [cust] cond=(((left.name = "FRANCE") AND (right.name = "GERMANY")) OR ((left.name = "GERMANY") AND (right.name = "FRANCE")))
:- Scan fake[orders]
+- Filter ((name = "GERMANY") OR (name = "FRANCE"))
   +- Scan fake[customers]
`)
	wantTree(t, optimize(t, mk(FullJoin)), `
Join full on [id] = [cust] cond=(((left.name = "FRANCE") AND (right.name = "GERMANY")) OR ((left.name = "GERMANY") AND (right.name = "FRANCE")))
:- Scan fake[orders]
+- Scan fake[customers]
`)
}
