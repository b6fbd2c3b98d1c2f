package plan

import "testing"

// TestFactorDisjunction checks the common-conjunct extraction on the shapes that matter:
// TPC-H Q19's key shared by three branches, nothing shared, a branch that is only the
// shared part, and a conjunct shared by some branches only.
func TestFactorDisjunction(t *testing.T) {
	a := &Binary{Op: OpEq, Left: col("p"), Right: col("l")}
	b := &Binary{Op: OpGt, Left: col("x"), Right: lit(int64(1))}
	c := &Binary{Op: OpLt, Left: col("y"), Right: lit(int64(2))}
	d := &Binary{Op: OpEq, Left: col("z"), Right: lit(int64(3))}
	or := func(l, r Expr) Expr { return &Binary{Op: OpOr, Left: l, Right: r} }
	for _, tc := range []struct {
		in   Expr
		want string
	}{
		{or(or(and(a, b), and(a, c)), and(d, a)), "((p = l) AND (((x > 1) OR (y < 2)) OR (z = 3)))"},
		{or(b, c), "((x > 1) OR (y < 2))"},
		{or(and(a, b), a), "(p = l)"},
		{or(and(a, b), and(c, d)), "(((p = l) AND (x > 1)) OR ((y < 2) AND (z = 3)))"},
		{or(and(and(a, b), d), and(and(b, a), c)), "(((p = l) AND (x > 1)) AND ((z = 3) OR (y < 2)))"},
		{and(a, b), "((p = l) AND (x > 1))"},
	} {
		if got := FactorDisjunction(tc.in).String(); got != tc.want {
			t.Errorf("FactorDisjunction(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
