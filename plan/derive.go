package plan

// impliedPredicate derives from a disjunction a weaker predicate over the columns one
// input can see, as Spark's PushExtraPredicateThroughJoin and DataFusion's
// extract_or_clauses do: from (n1 = 'FRANCE' AND n2 = 'GERMANY') OR (n1 = 'GERMANY' AND
// n2 = 'FRANCE') it derives n1 = 'FRANCE' OR n1 = 'GERMANY' for n1's side. Each branch
// keeps the conjuncts that read columns only, all of them accepted by local; when some
// branch keeps none, nothing is implied and impliedPredicate returns nil, as it does for
// an expression that is not an OR. A row that passes c passes the result (Kleene's OR is
// monotone and a branch is TRUE only when all its conjuncts are), so the result may
// filter an input below a join while c stays where it is.
func impliedPredicate(c Expr, local func(Expr) bool) Expr {
	branches := disjuncts(c)
	if len(branches) < 2 {
		return nil
	}
	var out Expr
	for _, b := range branches {
		var keep []Expr
		for _, p := range conjuncts(b) {
			if local(p) {
				keep = append(keep, p)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		if part := andAll(keep); out == nil {
			out = part
		} else {
			out = &Binary{Op: OpOr, Left: out, Right: part}
		}
	}
	return out
}

// deriveJoinSides filters each input of a join that drops its unmatched rows with the
// predicate implied for it by a disjunction in the join's residual condition (see
// impliedPredicate); the condition itself stays in the join.
func (o *optimizer) deriveJoinSides(j *Join) Node {
	if j.Cond == nil {
		return j
	}
	only := func(right bool) func(Expr) bool {
		return func(e Expr) bool {
			l, r := sideColumns(e)
			if right {
				return len(r) > 0 && len(l) == 0
			}
			return len(l) > 0 && len(r) == 0
		}
	}
	plain := func(e Expr) Expr {
		return rewriteSideRefs(e, func(r *JoinSideRef) Expr { return &ColumnRef{Name: r.Name} })
	}
	var toLeft, toRight []Expr
	for _, c := range conjuncts(j.Cond) {
		if d := impliedPredicate(c, only(false)); d != nil && pushableSide(d, j.Kind) == "left" {
			toLeft = append(toLeft, plain(d))
		}
		if d := impliedPredicate(c, only(true)); d != nil && pushableSide(d, j.Kind) == "right" {
			toRight = append(toRight, plain(d))
		}
	}
	if len(toLeft) == 0 && len(toRight) == 0 {
		return j
	}
	pushed := func(in Node, cond Expr) Node {
		nf := o.rebuild(&Filter{Meta: Meta{CallSite: j.CallSite}, Input: in, Cond: cond})
		if nf, ok := nf.(*Filter); ok {
			return o.pushFilter(nf)
		}
		return nf
	}
	l, r := j.Left, j.Right
	if len(toLeft) > 0 {
		l = pushed(l, andAll(toLeft))
	}
	if len(toRight) > 0 {
		r = pushed(r, andAll(toRight))
	}
	return o.rebuild(j.WithChildren([]Node{l, r}))
}

// withoutRepeats drops the conjuncts of cond that repeat an earlier one (by their text):
// merging a derived filter with one derived the same way before must not grow it.
func withoutRepeats(cond Expr) Expr {
	parts := conjuncts(cond)
	seen := make(map[string]bool, len(parts))
	var keep []Expr
	for _, p := range parts {
		if k := p.String(); !seen[k] {
			seen[k] = true
			keep = append(keep, p)
		}
	}
	if len(keep) == len(parts) {
		return cond
	}
	return andAll(keep)
}
