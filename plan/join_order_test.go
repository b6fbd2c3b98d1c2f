package plan

import (
	"slices"
	"testing"
)

// TestOrderJoins checks the greedy order on its own: the smallest relation first, an
// equality-connected relation before one connected only by another condition, a cross
// join last, the distinct-value cap through equated keys, and nil for an order that is
// already the greedy one.
func TestOrderJoins(t *testing.T) {
	rel := func(rows ...float64) []JoinRelation {
		out := make([]JoinRelation, len(rows))
		for i, r := range rows {
			out[i] = JoinRelation{Rows: r, BaseRows: r}
		}
		return out
	}
	eq := func(a, b int, ca, cb string) JoinEquality { return JoinEquality{A: a, B: b, ColA: ca, ColB: cb} }
	cases := []struct {
		name  string
		rels  []JoinRelation
		eqs   []JoinEquality
		class func(int, []bool) int
		want  []int
	}{
		{"already greedy", rel(1, 10, 100), []JoinEquality{eq(0, 1, "k", "k"), eq(1, 2, "m", "m")}, nil, nil},
		{"empty", nil, nil, nil, nil},
		{"smallest first", rel(1000, 10, 100),
			[]JoinEquality{eq(0, 1, "a", "a"), eq(0, 2, "b", "b")}, nil, []int{1, 0, 2}},
		// fact 0 joins 1 (filtered to 5 of 1000 rows) and 2 (50 rows): starting from 1,
		// 0 is the only connected one; then 2.
		{"filtered dimension first", []JoinRelation{{Rows: 10000, BaseRows: 10000}, {Rows: 5, BaseRows: 1000}, {Rows: 50, BaseRows: 50}},
			[]JoinEquality{eq(0, 1, "d1", "id"), eq(0, 2, "d2", "id")}, nil, []int{1, 0, 2}},
		// 1 is connected by no equality: it comes last though its cross product with
		// the smallest is smaller than any equi-join.
		{"cross join last", rel(100, 15, 10, 1000),
			[]JoinEquality{eq(0, 2, "a", "a"), eq(0, 3, "b", "b")}, nil, []int{2, 0, 3, 1}},
		// a class callback: relation 1 is connected by another condition to any joined
		// relation: it comes after the equality-connected ones.
		{"condition after equality", rel(100, 15, 10, 1000),
			[]JoinEquality{eq(0, 2, "a", "a"), eq(0, 3, "b", "b")},
			func(j int, joined []bool) int {
				if j == 1 {
					return ConnectedByCondition
				}
				for _, e := range []JoinEquality{eq(0, 2, "a", "a"), eq(0, 3, "b", "b")} {
					if (e.A == j && joined[e.B]) || (e.B == j && joined[e.A]) {
						return ConnectedByEquality
					}
				}
				return NotConnected
			}, []int{2, 0, 3, 1}},
	}
	for _, c := range cases {
		if got := OrderJoins(c.rels, c.eqs, c.class); !slices.Equal(got, c.want) {
			t.Errorf("%s: OrderJoins = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestOrderJoinsDistinctCap checks that a key's distinct values are capped by the base
// rows of every relation equated with it, through chains of equalities: 0 (6000 rows)
// and 1 (1000 rows) share key k, which 1 also equates with relation 2's 25-row key n,
// so k has at most 25 values; 0's key o, equated only with 3's, has 5000.
func TestOrderJoinsDistinctCap(t *testing.T) {
	rels := []JoinRelation{{Rows: 6000, BaseRows: 6000}, {Rows: 1000, BaseRows: 1000}, {Rows: 25, BaseRows: 25}, {Rows: 5000, BaseRows: 5000}}
	eqs := []JoinEquality{
		{A: 0, B: 1, ColA: "k", ColB: "k"},
		{A: 1, B: 2, ColA: "k", ColB: "n"},
		{A: 0, B: 3, ColA: "o", ColB: "o"},
	}
	keys := keyDistinct(rels, eqs)
	if !slices.Equal(keys, []float64{25, 25, 5000}) {
		t.Fatalf("keyDistinct = %v, want [25 25 5000]", keys)
	}
	// from 2 (25 rows) only 1 connects, then only 0, then 3.
	if got, want := OrderJoins(rels, eqs, nil), []int{2, 1, 0, 3}; !slices.Equal(got, want) {
		t.Errorf("OrderJoins = %v, want %v", got, want)
	}
}

// TestOrderJoinsTriesEveryStart checks that the first relation is the one whose greedy
// order guesses the smallest joins, not merely the smallest relation: TPC-H Q9's shape,
// a fact table 0 (6M rows) with a filtered dimension 1 (20k of 200k rows) and a
// dimension 2 (10k) that has its own dimension 3 (25). From 3 the fact table would be
// joined whole to 3 and 2 before 1 shrinks it; from the fact table 1 comes first.
func TestOrderJoinsTriesEveryStart(t *testing.T) {
	rels := []JoinRelation{{Rows: 6e6, BaseRows: 6e6}, {Rows: 2e4, BaseRows: 2e5}, {Rows: 1e4, BaseRows: 1e4}, {Rows: 25, BaseRows: 25}}
	eqs := []JoinEquality{
		{A: 0, B: 1, ColA: "l_partkey", ColB: "p_partkey"},
		{A: 0, B: 2, ColA: "l_suppkey", ColB: "s_suppkey"},
		{A: 2, B: 3, ColA: "s_nationkey", ColB: "n_nationkey"},
	}
	got := OrderJoins(rels, eqs, nil)
	if slices.Index(got, 1) > slices.Index(got, 2) || slices.Index(got, 1) > 1 {
		t.Errorf("OrderJoins = %v: the filtered dimension does not come first after or before the fact table", got)
	}
	// With the filter gone, the order from the smallest relation is as cheap: it stays.
	rels[1] = JoinRelation{Rows: 2e5, BaseRows: 2e5}
	if got, want := OrderJoins(rels, eqs, nil), []int{3, 2, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("unfiltered: OrderJoins = %v, want %v", got, want)
	}
}

// TestOrderJoinsForeignKeyShare checks that joining a relation on a key unique in it
// keeps the share of rows its filters keep, whatever was joined before: TPC-H Q8's
// fact table 0 with part 1 (a tenth kept) and orders 2 (a ninth kept). Capping the
// distinct keys at the joined rows instead guessed part-then-orders larger than
// orders-then-part and built a broadcast of the orders first.
func TestOrderJoinsForeignKeyShare(t *testing.T) {
	rels := []JoinRelation{{Rows: 1.9e7, BaseRows: 1.9e7}, {Rows: 1.3e5, BaseRows: 1.3e6}, {Rows: 1.1e6, BaseRows: 1e7}}
	eqs := []JoinEquality{
		{A: 0, B: 1, ColA: "l_partkey", ColB: "p_partkey"},
		{A: 0, B: 2, ColA: "l_orderkey", ColB: "o_orderkey"},
	}
	if got := OrderJoins(rels, eqs, nil); slices.Index(got, 1) > slices.Index(got, 2) {
		t.Errorf("OrderJoins = %v: orders before the more selective part", got)
	}
}
