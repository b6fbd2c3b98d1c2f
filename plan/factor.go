package plan

// FactorDisjunction rewrites (A AND B) OR (A AND C) as A AND (B OR C), as Spark's
// BooleanSimplification does: a conjunct common to every branch of an OR (compared by
// its text) is taken out, so that an equality the branches share (TPC-H Q19's join key,
// written inside each of three branches) becomes a top-level conjunct that can be a join
// key or be pushed down. A branch left with nothing makes the OR true, and only the
// common conjuncts remain. Kleene's three-valued AND and OR distribute, so the result
// equals e for NULLs too. Other expressions are returned as they are.
func FactorDisjunction(e Expr) Expr {
	branches := disjuncts(e)
	if len(branches) < 2 {
		return e
	}
	parts := make([][]Expr, len(branches))
	for i, b := range branches {
		parts[i] = conjuncts(b)
	}
	var common []Expr
	for _, c := range parts[0] {
		key := c.String()
		inAll := true
		for _, p := range parts[1:] {
			if !containsExpr(p, key) {
				inAll = false
				break
			}
		}
		if inAll && !containsExpr(common, key) {
			common = append(common, c)
		}
	}
	if len(common) == 0 {
		return e
	}
	var rest Expr
	for _, p := range parts {
		var left []Expr
		for _, c := range p {
			if !containsExpr(common, c.String()) {
				left = append(left, c)
			}
		}
		if len(left) == 0 {
			return andAll(common) // this branch is just the common part: the OR adds nothing
		}
		if rest == nil {
			rest = andAll(left)
		} else {
			rest = &Binary{Op: OpOr, Left: rest, Right: andAll(left)}
		}
	}
	return and(andAll(common), rest)
}

// disjuncts splits a condition at its top-level ORs.
func disjuncts(e Expr) []Expr {
	if b, ok := e.(*Binary); ok && b.Op == OpOr {
		return append(disjuncts(b.Left), disjuncts(b.Right)...)
	}
	return []Expr{e}
}

func containsExpr(es []Expr, key string) bool {
	for _, e := range es {
		if e.String() == key {
			return true
		}
	}
	return false
}
