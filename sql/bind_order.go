package sql

import (
	"slices"

	"github.com/kindling-data/kindling/plan"
)

// The order comma joins are bound in. Written order (FROM a, b, c) is a poor plan when
// a small, filtered dimension comes last: every join before it carries rows it would
// have removed. joinOrder orders the relations greedily by guessed sizes (plan.GuessRows
// with the selectivity guesses of each relation's own WHERE conjuncts): it starts from
// the smallest relation after its filters, then joins next the relation connected to
// those joined by an equality whose join is guessed smallest, taking a foreign-key
// join's result to be the larger side's rows that survive the smaller side's filters.
// A relation connected only by other conjuncts comes after the equi-connected ones, and
// one connected by none (a cross join) last. Only inner comma joins are reordered; the
// columns keep their written order (fromOrder projects them back).

// joinOrder returns the order to join the relations in, or nil for the written order
// (fewer than three relations, or a size the guesses cannot tell). The ordering itself
// is plan.OrderJoins, the optimizer's for chains of inner joins.
func joinOrder(nodes []plan.Node, conds []plan.Expr, rels []map[int]bool, all *scope) []int {
	if len(nodes) < 3 {
		return nil // two relations: the planner picks the build side whatever the order
	}
	g := make([]plan.JoinRelation, len(nodes))
	for i, n := range nodes {
		rows, ok := plan.GuessRows(n)
		if !ok {
			return nil
		}
		g[i] = plan.JoinRelation{Rows: max(rows, 1), BaseRows: max(rows, 1)}
	}
	for k, c := range conds {
		if len(rels[k]) == 1 && !hasSubquery(c) && !hasAgg(c) {
			for r := range rels[k] {
				g[r].Rows = max(g[r].Rows*plan.GuessSelectivity(c), 1)
			}
		}
	}
	class := func(j int, joined []bool) int { return connectClass(j, joined, conds, rels) }
	return plan.OrderJoins(g, equalities(conds, rels, all), class)
}

// equalities finds the conjuncts that equate a column of one relation with one of
// another.
func equalities(conds []plan.Expr, rels []map[int]bool, all *scope) []plan.JoinEquality {
	var eqs []plan.JoinEquality
	for k, c := range conds {
		b, ok := c.(*plan.Binary)
		if !ok || b.Op != plan.OpEq || len(rels[k]) != 2 || hasSubquery(c) {
			continue
		}
		l, lok := b.Left.(*colRef)
		r, rok := b.Right.(*colRef)
		if !lok || !rok {
			continue
		}
		lc, err1 := all.resolve(l)
		rc, err2 := all.resolve(r)
		if err1 != nil || err2 != nil || lc.rel == rc.rel {
			continue
		}
		eqs = append(eqs, plan.JoinEquality{A: lc.rel, B: rc.rel, ColA: lc.name, ColB: rc.name})
	}
	return eqs
}

// connectClass is how relation j connects to the joined ones: by an equality of a
// column of each, by another conjunct, or by none.
func connectClass(j int, joined []bool, conds []plan.Expr, rels []map[int]bool) int {
	class := plan.NotConnected
	for k, c := range conds {
		if !connectsJoined(rels[k], joined, j) || hasSubquery(c) || hasAgg(c) {
			continue
		}
		if b, ok := c.(*plan.Binary); ok && b.Op == plan.OpEq && len(rels[k]) == 2 &&
			len(colRefs(b.Left, nil)) > 0 && len(colRefs(b.Right, nil)) > 0 {
			return plan.ConnectedByEquality
		}
		class = plan.ConnectedByCondition
	}
	return class
}

// connectsJoined is connects with the joined relations as a slice of flags.
func connectsJoined(rs map[int]bool, joined []bool, j int) bool {
	if !rs[j] || len(rs) < 2 {
		return false
	}
	for r := range rs {
		if r != j && !joined[r] {
			return false
		}
	}
	return true
}

// writtenOrder projects the columns of reordered comma joins back into the order the
// FROM list wrote them in (what SELECT * shows).
func (b *binder) writtenOrder(node plan.Node, sc *scope) (plan.Node, *scope) {
	var visible, hidden []column
	for _, c := range sc.cols {
		if c.hidden {
			hidden = append(hidden, c)
		} else {
			visible = append(visible, c)
		}
	}
	slices.SortStableFunc(visible, func(x, y column) int { return x.rel - y.rel })
	exprs := make([]plan.Expr, len(visible))
	for i, c := range visible {
		exprs[i] = &plan.ColumnRef{Name: c.plan}
	}
	return &plan.Project{Meta: b.meta(), Input: node, Exprs: exprs}, &scope{cols: append(visible, hidden...)}
}

// pushInSubqueries applies each WHERE conjunct of the form x [NOT] IN (subquery) that
// reads one relation of a comma list to that relation before the joins (TPC-H Q18's
// orders IN (large orders)): filtering first is the same answer for inner joins, and
// the joins then carry only the rows it keeps. A conjunct the relation alone cannot
// bind (its subquery reads another relation) stays in WHERE.
func (b *binder) pushInSubqueries(nodes []plan.Node, scopes []*scope, conds []plan.Expr, rels []map[int]bool, used []bool) {
	for k, c := range conds {
		if len(rels[k]) != 1 || !isInSubquery(c) {
			continue
		}
		for r := range rels[k] {
			node, rest, err := b.whereSubqueries(nodes[r], scopes[r], []plan.Expr{c})
			if err != nil {
				continue
			}
			if len(rest) > 0 {
				cond, err := bindExpr(and(rest), scopes[r], "WHERE")
				if err != nil {
					continue
				}
				node = &plan.Filter{Meta: b.meta(), Input: node, Cond: cond}
			}
			nodes[r], used[k] = node, true
		}
	}
}

// isInSubquery reports whether c is x IN (subquery) or its negation.
func isInSubquery(c plan.Expr) bool {
	if u, ok := c.(*plan.Unary); ok && u.Op == plan.OpNot {
		c = u.Child
	}
	s, ok := c.(*subqueryExpr)
	return ok && s.kind == subIn
}
