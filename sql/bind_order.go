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

// relGuess is a relation's (or the joined relations') guessed size: rows after its own
// filters, and its base rows before them.
type relGuess struct {
	rows, base float64
}

// eqCond is an equality of a column of one relation with a column of another.
type eqCond struct {
	k        int // index in conds
	a, b     int // the relations
	ca, cb   colKey
	distinct float64 // guessed distinct values of the key: see keyDistinct
}

type colKey struct {
	rel  int
	name string
}

// joinOrder returns the order to join the relations in, or nil for the written order
// (fewer than three relations, or a size the guesses cannot tell).
func joinOrder(nodes []plan.Node, conds []plan.Expr, rels []map[int]bool, all *scope) []int {
	if len(nodes) < 3 {
		return nil // two relations: the planner picks the build side whatever the order
	}
	g := make([]relGuess, len(nodes))
	for i, n := range nodes {
		rows, ok := plan.GuessRows(n)
		if !ok {
			return nil
		}
		g[i] = relGuess{rows: max(rows, 1), base: max(rows, 1)}
	}
	for k, c := range conds {
		if len(rels[k]) == 1 && !hasSubquery(c) && !hasAgg(c) {
			for r := range rels[k] {
				g[r].rows = max(g[r].rows*plan.GuessSelectivity(c), 1)
			}
		}
	}
	eqs := equalities(conds, rels, all, g)
	start := 0
	for i := range g {
		if g[i].rows < g[start].rows {
			start = i
		}
	}
	order := []int{start}
	joined := map[int]bool{start: true}
	cur := g[start]
	for len(order) < len(nodes) {
		next, best, bestClass := -1, 0.0, 3
		for j := range nodes {
			if joined[j] {
				continue
			}
			class := connectClass(j, joined, conds, rels)
			est := joinGuess(cur, g[j], j, joined, eqs)
			if class < bestClass || (class == bestClass && est < best) {
				next, best, bestClass = j, est, class
			}
		}
		order = append(order, next)
		joined[next] = true
		cur = relGuess{rows: max(best, 1), base: max(cur.base, g[next].base)}
	}
	if slices.IsSorted(order) {
		return nil
	}
	return order
}

// equalities finds the conjuncts that equate a column of one relation with one of
// another, and guesses each key's distinct values: at most the base rows of every
// relation whose column is equated with it, directly or through other equalities (a
// supplier's nation key equated with the nation table's key has at most 25 values).
func equalities(conds []plan.Expr, rels []map[int]bool, all *scope, g []relGuess) []eqCond {
	var eqs []eqCond
	distinct := map[colKey]float64{}
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
		e := eqCond{k: k, a: lc.rel, b: rc.rel, ca: colKey{lc.rel, lc.name}, cb: colKey{rc.rel, rc.name}}
		eqs = append(eqs, e)
		distinct[e.ca], distinct[e.cb] = g[e.a].base, g[e.b].base
	}
	// Equated keys share the smallest bound; a few passes reach every chain of TPC-H's
	// size (the bound only ever shrinks, so stopping early merely guesses higher).
	for range 4 {
		for _, e := range eqs {
			m := min(distinct[e.ca], distinct[e.cb])
			distinct[e.ca], distinct[e.cb] = m, m
		}
	}
	for i := range eqs {
		eqs[i].distinct = distinct[eqs[i].ca]
	}
	return eqs
}

// joinGuess guesses the rows of joining the joined relations (cur) with relation j:
// |cur| * |j| / distinct keys, the distinct keys being the most any one equality
// connecting them allows (each side has at most its rows of them). Without an
// equality it is the cross product.
func joinGuess(cur, j relGuess, rel int, joined map[int]bool, eqs []eqCond) float64 {
	denom := 1.0
	for _, e := range eqs {
		if (e.a == rel && joined[e.b]) || (e.b == rel && joined[e.a]) {
			denom = max(denom, min(e.distinct, max(cur.rows, j.rows)))
		}
	}
	return cur.rows * j.rows / denom
}

// connectClass is how relation j connects to the joined ones: 0 by an equality of a
// column of each, 1 by another conjunct, 2 by none.
func connectClass(j int, joined map[int]bool, conds []plan.Expr, rels []map[int]bool) int {
	class := 2
	for k, c := range conds {
		if !connects(rels[k], joined, j) || hasSubquery(c) || hasAgg(c) {
			continue
		}
		if b, ok := c.(*plan.Binary); ok && b.Op == plan.OpEq && len(rels[k]) == 2 &&
			len(colRefs(b.Left, nil)) > 0 && len(colRefs(b.Right, nil)) > 0 {
			return 0
		}
		class = 1
	}
	return class
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
