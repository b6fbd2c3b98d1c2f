package sql

import (
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// Plan parses query, a SELECT, and binds it to a logical plan over the views of cat.
// Every node it builds carries site, the caller's call site. The plan is the one the
// equivalent dataset calls build, so Explain, the optimizer and execution are shared.
// Errors are *Error values with the line and column of the offending token, or the
// analyzer's errors for a view.
func Plan(query string, cat Catalog, site string) (plan.Node, error) {
	s, err := parseQuery(query)
	if err != nil {
		return nil, err
	}
	b := &binder{cat: cat, site: site}
	return b.query(s)
}

// from binds the FROM list and WHERE: relations separated by commas are joined, each
// join taking the WHERE conjuncts that connect it to the relations before it as its
// condition (so a.k = b.k becomes a hash join's keys, not a filter over a cartesian
// product); the other conjuncts filter the result.
func (b *binder) from(s *selectStmt) (plan.Node, *scope, error) {
	if len(s.from) == 0 {
		node, sc := b.oneRowScan()
		if s.where != nil {
			cond, err := bindExpr(s.where, sc, "WHERE")
			if err != nil {
				return nil, nil, err
			}
			node = &plan.Filter{Meta: b.meta(), Input: node, Cond: cond}
		}
		return node, sc, nil
	}
	nodes := make([]plan.Node, len(s.from))
	scopes := make([]*scope, len(s.from))
	all := &scope{}
	for i, r := range s.from {
		var err error
		if nodes[i], scopes[i], err = b.relation(r); err != nil {
			return nil, nil, err
		}
		for _, c := range scopes[i].cols {
			c.rel = i
			all.cols = append(all.cols, c)
		}
	}
	where, err := b.splitCorrelated(s.where, all)
	if err != nil {
		return nil, nil, err
	}
	var conds []plan.Expr
	if where != nil {
		// A join key written inside every branch of an OR (TPC-H Q19) is taken out first,
		// so that it connects the relations as a conjunct of its own.
		for _, c := range conjuncts(where) {
			conds = append(conds, conjuncts(plan.FactorDisjunction(c))...)
		}
	}
	rels := make([]map[int]bool, len(conds))
	for k, c := range conds {
		rels[k] = map[int]bool{}
		for _, ref := range colRefs(c, nil) {
			col, err := all.resolve(ref)
			if err != nil {
				return nil, nil, err
			}
			rels[k][col.rel] = true
		}
	}
	used := make([]bool, len(conds))
	if len(nodes) > 1 {
		b.pushInSubqueries(nodes, scopes, conds, rels, used)
	}
	order := joinOrder(nodes, conds, rels, all)
	first := 0
	if order != nil {
		first = order[0]
	}
	node, sc := nodes[first], &scope{cols: withRel(scopes[first].cols, first)}
	joined := map[int]bool{first: true}
	for len(joined) < len(nodes) {
		next := b.nextRelation(len(nodes), joined, conds, rels, used)
		if order != nil {
			next = order[len(joined)]
		}
		var err error
		if node, sc, err = b.commaJoin(node, sc, nodes[next], scopes[next], next, joined, conds, rels, used); err != nil {
			return nil, nil, err
		}
	}
	if order != nil {
		node, sc = b.writtenOrder(node, sc)
	}
	var rest []plan.Expr
	if !anyUsed(used) && where != nil {
		conds = []plan.Expr{where} // as written: no join took a conjunct
		used = []bool{false}
	}
	for k, c := range conds {
		if !used[k] {
			if hasAgg(c) {
				return nil, nil, errAt(s.p, "aggregates are not allowed in WHERE (use HAVING): %s", c)
			}
			rest = append(rest, c)
		}
	}
	if node, rest, err = b.whereSubqueries(node, sc, rest); err != nil {
		return nil, nil, err
	}
	if len(rest) > 0 {
		cond, err := bindExpr(and(rest), sc, "WHERE")
		if err != nil {
			return nil, nil, err
		}
		node = &plan.Filter{Meta: b.meta(), Input: node, Cond: cond}
	}
	return node, sc, nil
}

// nextRelation picks the first relation not joined yet that a conjunct connects to the
// joined ones, or else the first not joined yet (a cross join).
func (b *binder) nextRelation(n int, joined map[int]bool, conds []plan.Expr, rels []map[int]bool, used []bool) int {
	first := -1
	for j := 0; j < n; j++ {
		if joined[j] {
			continue
		}
		if first < 0 {
			first = j
		}
		for k := range conds {
			if !used[k] && connects(rels[k], joined, j) {
				return j
			}
		}
	}
	return first
}

// connects reports whether a conjunct over relations rs joins relation j to the joined.
func connects(rs map[int]bool, joined map[int]bool, j int) bool {
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

// commaJoin joins relation j to the joined ones with the conjuncts that connect them.
func (b *binder) commaJoin(node plan.Node, sc *scope, rn plan.Node, rs *scope, j int, joined map[int]bool,
	conds []plan.Expr, rels []map[int]bool, used []bool) (plan.Node, *scope, error) {
	var on []plan.Expr
	var took []int
	for k := range conds {
		if !used[k] && connects(rels[k], joined, j) && !hasAgg(conds[k]) && !hasSubquery(conds[k]) {
			on = append(on, conds[k])
			took = append(took, k)
			used[k] = true
		}
	}
	on = keysOnly(on, took, used)
	jn := &plan.Join{Meta: b.meta(), Left: node, Right: rn, Kind: plan.InnerJoin, Cross: len(on) == 0}
	if len(on) > 0 {
		var err error
		if jn.Cond, err = sideCond(and(on), sc, rs); err != nil {
			return nil, nil, err
		}
	}
	joined[j] = true
	ns, err := joinScope(jn, sc.cols, withRel(rs.cols, j), nil)
	return jn, ns, err
}

// keysOnly keeps, of the conjuncts on that connect a comma join (conds[took[i]] is
// on[i]), only the column equalities when there is one: the join matches on those keys,
// and the other conjuncts stay in WHERE (marked unused again), a filter after the join
// as a DataFrame program writes it, which the optimizer moves down and derives each
// side's predicates from. Without an equality every conjunct stays in the join: it is
// a nested-loop join's condition, not a filter over a cartesian product.
func keysOnly(on []plan.Expr, took []int, used []bool) []plan.Expr {
	var keys []plan.Expr
	for _, c := range on {
		if isColumnEquality(c) {
			keys = append(keys, c)
		}
	}
	if len(keys) == 0 || len(keys) == len(on) {
		return on
	}
	for i, c := range on {
		if !isColumnEquality(c) {
			used[took[i]] = false
		}
	}
	return keys
}

// isColumnEquality reports whether c is column = column.
func isColumnEquality(c plan.Expr) bool {
	b, ok := c.(*plan.Binary)
	if !ok || b.Op != plan.OpEq {
		return false
	}
	_, l := b.Left.(*colRef)
	_, r := b.Right.(*colRef)
	return l && r
}

func withRel(cols []column, rel int) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		c.rel = rel
		out[i] = c
	}
	return out
}

// output is one column of the SELECT list, bound.
type output struct {
	expr plan.Expr // bound; an Alias where the name differs from the expression's
	name string
	raw  plan.Expr // as parsed, nil for a column of *
}

// expandItems replaces * and t.* by the columns of the scope.
func expandItems(items []selectItem, sc *scope) ([]selectItem, error) {
	var out []selectItem
	for _, it := range items {
		if !it.star {
			out = append(out, it)
			continue
		}
		n := 0
		for _, c := range sc.cols {
			if c.hidden || it.starQual != "" && !strings.EqualFold(c.qual, it.starQual) {
				continue
			}
			n++
			out = append(out, selectItem{expr: &colRef{qual: c.qual, name: c.name, p: it.p}, p: it.p, alias: c.name, fromStar: true})
		}
		if n == 0 && it.starQual != "" {
			return nil, errAt(it.p, "unknown table or alias %s in %s.* (known: %s)", it.starQual, it.starQual, strings.Join(sc.quals(), ", "))
		}
	}
	return out, nil
}

func anyUsed(used []bool) bool {
	for _, u := range used {
		if u {
			return true
		}
	}
	return false
}
