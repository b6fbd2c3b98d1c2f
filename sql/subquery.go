package sql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Subqueries in expressions. None runs per row: as Spark's optimizer does, each is
// decorrelated into a join when its WHERE is bound.
//
//   - x [NOT] IN (SELECT c ...), uncorrelated: the plan's InSubquery, which the analyzer
//     rewrites into a left semi join (IN) or a null-aware anti join (NOT IN).
//   - [NOT] EXISTS (SELECT ... WHERE correlated predicates) and a correlated
//     x [NOT] IN (SELECT c ...): a left semi (anti) join whose condition is the
//     correlated predicates (equalities become hash keys, the rest a residual), with
//     x = c for IN, and (x = c) OR (x = c) IS NULL for NOT IN (SQL's NULL rules).
//   - a scalar subquery, uncorrelated: a join with its one row, broadcast (a cross join
//     when it is a global aggregate, which always has exactly one row; otherwise a left
//     join, so that no row gives NULL).
//   - a scalar subquery correlated by equalities and computing an aggregate: the
//     aggregate grouped by the correlated inner columns, left-joined back on them; where
//     no group matches, the value is the aggregate over no rows (count 0, others NULL),
//     Spark's fix of the "count bug".
//
// A predicate subquery must be a conjunct of WHERE (or NOT of one); other places and
// other correlated forms are reported as not supported at the subquery's position.

// Kinds of subqueryExpr.
const (
	subScalar = iota
	subExists
	subIn
)

// subqueryExpr is a subquery inside an expression, as parsed: (SELECT ...), EXISTS
// (SELECT ...) or value IN (SELECT ...). The binder replaces it with joins.
type subqueryExpr struct {
	kind  int
	value plan.Expr // the probed value of IN
	q     *query
	p     pos
}

func (s *subqueryExpr) String() string {
	switch s.kind {
	case subExists:
		return "exists(subquery)"
	case subIn:
		return fmt.Sprintf("(%s IN (subquery))", s.value)
	}
	return "scalarsubquery()"
}

func (s *subqueryExpr) Children() []plan.Expr {
	if s.kind == subIn {
		return []plan.Expr{s.value}
	}
	return nil
}

func (s *subqueryExpr) WithChildren(c []plan.Expr) plan.Expr {
	m := *s
	if s.kind == subIn {
		m.value = c[0]
	}
	return &m
}

// subquery reads the query of a subquery after its '(' and the closing ')'.
func (p *parser) subquery(kind int, value plan.Expr, at pos) (*subqueryExpr, error) {
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return &subqueryExpr{kind: kind, value: value, q: q, p: at}, nil
}

// notSupported is the error of a subquery form the binder does not decorrelate.
func (s *subqueryExpr) notSupported(why string) error {
	what := map[int]string{subScalar: "a scalar subquery", subExists: "EXISTS (subquery)", subIn: "IN (subquery)"}[s.kind]
	return errAt(s.p, "%s %s is not supported", what, why)
}

// hasSubquery reports whether e holds a subquery.
func hasSubquery(e plan.Expr) bool { return findSubquery(e) != nil }

func findSubquery(e plan.Expr) *subqueryExpr {
	if s, ok := e.(*subqueryExpr); ok {
		return s
	}
	for _, c := range e.Children() {
		if s := findSubquery(c); s != nil {
			return s
		}
	}
	return nil
}

// subContext is what a subquery's binder knows of the queries around it.
type subContext struct {
	outer *scope        // the enclosing query's columns
	far   []*scope      // those of the queries around that one
	corr  *[]plan.Expr  // where the correlated conjuncts of WHERE are collected
	expr  *subqueryExpr // the subquery, for errors
}

// child returns a binder for the subquery s whose enclosing query's columns are outer,
// and the list where it collects the correlated conjuncts of its WHERE.
func (b *binder) child(outer *scope, s *subqueryExpr) (*binder, *[]plan.Expr) {
	if b.nsub == nil {
		b.nsub = new(int)
	}
	ctx := &subContext{outer: outer, corr: new([]plan.Expr), expr: s}
	if b.sub != nil {
		ctx.far = append(append([]*scope(nil), b.sub.far...), b.sub.outer)
	}
	return &binder{cat: b.cat, site: b.site, ctes: b.ctes, sub: ctx, nsub: b.nsub}, ctx.corr
}

// newName returns a fresh name for a column a subquery adds.
func (b *binder) newName() string {
	if b.nsub == nil {
		b.nsub = new(int)
	}
	*b.nsub++
	return fmt.Sprintf("__sq%d", *b.nsub)
}

// splitCorrelated removes from where the conjuncts that name a column of the enclosing
// query (and none the inner relations cannot resolve), collecting them in b.corr; it
// returns the rest. Inner names take precedence, as in SQL.
func (b *binder) splitCorrelated(where plan.Expr, inner *scope) (plan.Expr, error) {
	if b.sub == nil || where == nil {
		return where, nil
	}
	var kept []plan.Expr
	for _, c := range conjuncts(where) {
		outer := false
		for _, ref := range colRefs(c, nil) {
			_, isOuter, err := lookup(ref, inner, b.sub.outer)
			if err != nil {
				return nil, b.sub.fartherErr(ref, err)
			}
			outer = outer || isOuter
		}
		if !outer {
			kept = append(kept, c)
			continue
		}
		if s := findSubquery(c); s != nil {
			return nil, s.notSupported("inside a correlated predicate")
		}
		*b.sub.corr = append(*b.sub.corr, c)
	}
	if len(kept) == len(conjuncts(where)) {
		return where, nil
	}
	return and(kept), nil
}

// lookup resolves ref in the inner scope, or else, when the inner scope has no column of
// that name (an ambiguous one is an error), in the outer one.
func lookup(ref *colRef, inner, outer *scope) (column, bool, error) {
	c, err := inner.resolve(ref)
	if err == nil {
		return c, false, nil
	}
	for _, ic := range inner.cols {
		if strings.EqualFold(ic.name, ref.name) && (ref.qual == "" || strings.EqualFold(ic.qual, ref.qual)) {
			return column{}, false, err
		}
	}
	if outer == nil {
		return column{}, false, err
	}
	oc, oerr := outer.resolve(ref)
	if oerr != nil {
		return column{}, false, err
	}
	return oc, true, nil
}

// fartherErr is the error of a column ref that neither the subquery nor the enclosing
// query has: "not supported" when a query further out has it, else err.
func (c *subContext) fartherErr(ref *colRef, err error) error {
	for _, s := range c.far {
		if _, ferr := s.resolve(ref); ferr == nil {
			return c.expr.notSupported("correlated with a query two or more levels out (" + ref.String() + ")")
		}
	}
	return err
}

// derived returns a binder for a query in FROM or WITH, which cannot see the enclosing
// query's columns (Spark has no LATERAL there either).
func (b *binder) derived() *binder {
	if b.sub == nil {
		return b
	}
	d := *b
	d.sub = nil
	return &d
}

// bindCorrelated binds a condition over an inner scope (the join's right side) and an
// outer one (its left side); inner names take precedence.
func bindCorrelated(e plan.Expr, inner, outer *scope) (plan.Expr, error) {
	return rewrite(e, func(x plan.Expr) (plan.Expr, error) {
		switch x := x.(type) {
		case *colRef:
			c, isOuter, err := lookup(x, inner, outer)
			if err != nil {
				return nil, err
			}
			return &plan.JoinSideRef{Right: !isOuter, Name: c.plan}, nil
		case *aggCall:
			return nil, errAt(x.p, "aggregate %s is not allowed in a correlated predicate", x)
		}
		return x, nil
	})
}

// bindSide binds e over s with every column a reference to one side of a join.
func bindSide(e plan.Expr, s *scope, right bool, clause string) (plan.Expr, error) {
	bound, err := bindExpr(e, s, clause)
	if err != nil {
		return nil, err
	}
	return rewrite(bound, func(x plan.Expr) (plan.Expr, error) {
		if c, ok := x.(*plan.ColumnRef); ok {
			return &plan.JoinSideRef{Right: right, Name: c.Name}, nil
		}
		return x, nil
	})
}

// whereSubqueries plans the subqueries of WHERE's remaining conjuncts over node (whose
// columns sc names): predicate subqueries become joins (or the plan's InSubquery, left
// in the conjuncts), scalar subqueries joins whose added column replaces them. It
// returns the new node and the conjuncts left to filter with.
func (b *binder) whereSubqueries(node plan.Node, sc *scope, conds []plan.Expr) (plan.Node, []plan.Expr, error) {
	if !slices.ContainsFunc(conds, hasSubquery) {
		return node, conds, nil // as they are, so the filter is the one dataset calls build
	}
	var rest []plan.Expr
	for _, c := range conjuncts(and(conds)) {
		if !hasSubquery(c) {
			rest = append(rest, c)
			continue
		}
		x, neg := c, false
		if u, ok := c.(*plan.Unary); ok && u.Op == plan.OpNot {
			x, neg = u.Child, true
		}
		if s, ok := x.(*subqueryExpr); ok && s.kind != subScalar {
			var keep plan.Expr
			var err error
			if node, keep, err = b.predicateSubquery(node, sc, s, neg); err != nil {
				return nil, nil, err
			}
			if keep != nil {
				rest = append(rest, keep)
			}
			continue
		}
		e, err := replaceSubqueries(c, func(x plan.Expr) (plan.Expr, error) {
			s, ok := x.(*subqueryExpr)
			if !ok {
				return x, nil
			}
			if s.kind != subScalar {
				return nil, s.notSupported("inside OR, NOT or another expression (only as a WHERE conjunct)")
			}
			var v plan.Expr
			var err error
			node, v, err = b.scalarSubquery(node, sc, s)
			return v, err
		})
		if err != nil {
			return nil, nil, err
		}
		rest = append(rest, e)
	}
	return node, rest, nil
}

// havingSubqueries plans the subqueries of HAVING over the aggregated node: an
// uncorrelated [NOT] IN conjunct becomes the plan's InSubquery, an uncorrelated scalar
// subquery a join with its row; sc is the scope before aggregation, to tell correlated
// ones, which are not supported there.
func (b *binder) havingSubqueries(node plan.Node, sc *scope, having plan.Expr) (plan.Node, plan.Expr, error) {
	if having == nil || !hasSubquery(having) {
		return node, having, nil
	}
	uncorrelated := func(s *subqueryExpr) (plan.Node, error) {
		cb, corr := b.child(sc, s)
		sub, err := cb.query(s.q)
		if err == nil && len(*corr) > 0 {
			err = s.notSupported("correlated in HAVING")
		}
		return sub, err
	}
	var conds []plan.Expr
	for _, c := range conjuncts(having) {
		x, neg := c, false
		if u, ok := c.(*plan.Unary); ok && u.Op == plan.OpNot {
			x, neg = u.Child, true
		}
		if s, ok := x.(*subqueryExpr); ok && s.kind == subIn {
			sub, err := uncorrelated(s)
			if err != nil {
				return nil, nil, err
			}
			conds = append(conds, &plan.InSubquery{Value: s.value, Plan: sub, Negated: neg, Site: b.site})
			continue
		}
		e, err := replaceSubqueries(c, func(x plan.Expr) (plan.Expr, error) {
			s, ok := x.(*subqueryExpr)
			if !ok {
				return x, nil
			}
			if s.kind != subScalar {
				return nil, s.notSupported("in HAVING other than as x [NOT] IN (SELECT ...) AND-ed with the rest")
			}
			sub, err := uncorrelated(s)
			if err != nil {
				return nil, err
			}
			var v plan.Expr
			node, v, err = b.joinScalar(node, s, sub)
			return v, err
		})
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, e)
	}
	return node, and(conds), nil
}

// predicateSubquery plans [NOT] EXISTS and [NOT] IN over node. An uncorrelated IN is
// returned as the plan's InSubquery for the filter; the others become semi or anti joins.
func (b *binder) predicateSubquery(node plan.Node, sc *scope, s *subqueryExpr, neg bool) (plan.Node, plan.Expr, error) {
	cb, corr := b.child(sc, s)
	sub, err := cb.query(s.q)
	if err != nil {
		return nil, nil, err
	}
	if len(*corr) == 0 && s.kind == subIn {
		out, err := schemaScope(sub, "")
		if err != nil {
			return nil, nil, err
		}
		if len(out.cols) != 1 {
			return nil, nil, errAt(s.p, "IN (subquery) must select exactly one column, it selects %d", len(out.cols))
		}
		return node, &plan.InSubquery{Value: s.value, Plan: sub, Negated: neg, Site: b.site}, nil
	}
	kind := plan.LeftSemiJoin
	if neg {
		kind = plan.LeftAntiJoin
	}
	if len(*corr) == 0 { // EXISTS over an uncorrelated query: is it empty?
		right := &plan.Limit{Meta: b.meta(), Input: sub, N: 1}
		return &plan.Join{Meta: b.meta(), Left: node, Right: right, Kind: kind, Cond: &plan.Literal{Value: true, Type: arrow.FixedWidthTypes.Boolean}}, nil, nil
	}
	t, err := simpleTerm(s)
	if err != nil {
		return nil, nil, err
	}
	cb, corr = b.child(sc, s)
	inner, isc, err := cb.from(t)
	if err != nil {
		return nil, nil, err
	}
	cond, err := bindCorrelated(and(*corr), isc, sc)
	if err != nil {
		return nil, nil, err
	}
	if s.kind == subIn {
		eq, err := inEquality(s, t, sc, isc)
		if err != nil {
			return nil, nil, err
		}
		if neg { // NOT IN: a NULL comparison counts as a match, so the row goes
			eq = &plan.Binary{Op: plan.OpOr, Left: eq, Right: &plan.Unary{Op: plan.OpIsNull, Child: eq}}
		}
		cond = &plan.Binary{Op: plan.OpAnd, Left: cond, Right: eq}
	}
	return &plan.Join{Meta: b.meta(), Left: node, Right: inner, Kind: kind, Cond: cond}, nil, nil
}

// simpleTerm returns the one SELECT of a correlated subquery, which the binder can
// decorrelate only without WITH, UNION, GROUP BY, HAVING or LIMIT (but EXISTS's).
func simpleTerm(s *subqueryExpr) (*selectStmt, error) {
	if len(s.q.terms) != 1 || len(s.q.ctes) > 0 {
		return nil, s.notSupported("correlated with WITH or UNION")
	}
	t := s.q.terms[0]
	if len(t.groupBy) > 0 || t.having != nil {
		return nil, s.notSupported("correlated with GROUP BY or HAVING")
	}
	if t.limit == 0 || t.limit > 0 && s.kind != subExists { // EXISTS ... LIMIT n>0 is EXISTS
		return nil, s.notSupported("correlated with LIMIT")
	}
	return t, nil
}

// inEquality is value = c for a correlated IN, c being the subquery's one column.
func inEquality(s *subqueryExpr, t *selectStmt, sc, isc *scope) (plan.Expr, error) {
	items, err := expandItems(t.items, isc)
	if err != nil {
		return nil, err
	}
	if len(items) != 1 {
		return nil, errAt(s.p, "IN (subquery) must select exactly one column, it selects %d", len(items))
	}
	if hasAgg(items[0].expr) {
		return nil, s.notSupported("correlated with an aggregate")
	}
	r, err := bindSide(items[0].expr, isc, true, "the subquery's select list")
	if err != nil {
		return nil, err
	}
	l, err := bindSide(s.value, sc, false, "WHERE")
	if err != nil {
		return nil, err
	}
	return &plan.Binary{Op: plan.OpEq, Left: l, Right: r}, nil
}

// scalarSubquery plans a scalar subquery over node and returns the expression that
// reads its value.
func (b *binder) scalarSubquery(node plan.Node, sc *scope, s *subqueryExpr) (plan.Node, plan.Expr, error) {
	cb, corr := b.child(sc, s)
	sub, err := cb.query(s.q)
	if err != nil {
		return nil, nil, err
	}
	if len(*corr) == 0 {
		return b.joinScalar(node, s, sub)
	}
	return b.correlatedScalar(node, sc, s, *corr)
}

// joinScalar joins node with the one row of an uncorrelated scalar subquery sub and
// returns the column that holds its value.
func (b *binder) joinScalar(node plan.Node, s *subqueryExpr, sub plan.Node) (plan.Node, plan.Expr, error) {
	out, err := schemaScope(sub, "")
	if err != nil {
		return nil, nil, err
	}
	if len(out.cols) != 1 {
		return nil, nil, errAt(s.p, "a scalar subquery must return one column, it returns %d (%s)", len(out.cols), joinNames(out))
	}
	name := b.newName()
	right := &plan.Broadcast{Meta: b.meta(), Input: &plan.Project{Meta: b.meta(), Input: sub,
		Exprs: []plan.Expr{&plan.Alias{Child: &plan.ColumnRef{Name: out.cols[0].plan}, Name: name}}}}
	j := &plan.Join{Meta: b.meta(), Left: node, Right: right, Kind: plan.InnerJoin, Cross: true}
	if !isGlobalAgg(s.q) {
		j.Kind, j.Cross, j.Cond = plan.LeftJoin, false, &plan.Literal{Value: true, Type: arrow.FixedWidthTypes.Boolean}
	}
	return j, &plan.ColumnRef{Name: name}, nil
}

// isGlobalAgg reports whether q is a global aggregate, which has exactly one row.
func isGlobalAgg(q *query) bool {
	if len(q.terms) != 1 {
		return false
	}
	t := q.terms[0]
	if len(t.groupBy) > 0 || t.having != nil || t.limit == 0 {
		return false
	}
	for _, it := range t.items {
		if it.star || !hasAgg(it.expr) {
			return false
		}
	}
	return true
}

func joinNames(s *scope) string {
	out := ""
	for i, c := range s.cols {
		if i > 0 {
			out += ", "
		}
		out += c.name
	}
	return out
}

// correlatedScalar plans a scalar subquery correlated by equalities inner = outer and
// computing an aggregate: the aggregate grouped by the inner sides, left-joined to node on
// them. Where no group matches, the value is the aggregate over no rows.
func (b *binder) correlatedScalar(node plan.Node, sc *scope, s *subqueryExpr, corr []plan.Expr) (plan.Node, plan.Expr, error) {
	t, err := simpleTerm(s)
	if err != nil {
		return nil, nil, err
	}
	if len(t.items) != 1 || t.items[0].star || !hasAgg(t.items[0].expr) {
		return nil, nil, s.notSupported("correlated without an aggregate (select one aggregate, e.g. min(x))")
	}
	cb, _ := b.child(sc, s)
	_, isc, err := cb.from(t)
	if err != nil {
		return nil, nil, err
	}
	name := b.newName()
	m := *t
	m.groupBy, m.items = nil, nil
	var outerSides []plan.Expr
	for i, c := range corr {
		in, out, ok := splitEquality(c, isc)
		if !ok {
			return nil, nil, s.notSupported("correlated by anything but equalities (" + c.String() + ")")
		}
		key := fmt.Sprintf("%s_k%d", name, i)
		m.groupBy = append(m.groupBy, in)
		m.items = append(m.items, selectItem{expr: in, alias: key, p: t.p})
		outerSides = append(outerSides, out)
	}
	m.items = append(m.items, selectItem{expr: t.items[0].expr, alias: name, p: t.items[0].p})
	cb, _ = b.child(sc, s)
	agg, err := cb.selectStmt(&m)
	if err != nil {
		return nil, nil, err
	}
	var conds []plan.Expr
	for i, o := range outerSides {
		l, err := bindSide(o, sc, false, "a correlated predicate")
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, &plan.Binary{Op: plan.OpEq, Left: l, Right: &plan.JoinSideRef{Right: true, Name: fmt.Sprintf("%s_k%d", name, i)}})
	}
	j := &plan.Join{Meta: b.meta(), Left: node, Right: agg, Kind: plan.LeftJoin, Cond: and(conds)}
	var v plan.Expr = &plan.ColumnRef{Name: name}
	if empty, ok := overNoRows(t.items[0].expr); ok {
		matched := &plan.Unary{Op: plan.OpIsNull, Child: &plan.ColumnRef{Name: name + "_k0"}}
		v = &plan.Call{Func: "case_when", Args: []plan.Expr{matched, empty, v}}
	}
	return j, v, nil
}

// splitEquality splits a correlated conjunct inner = outer into its inner side (columns
// of isc only) and its outer side (no column of isc).
func splitEquality(c plan.Expr, isc *scope) (inner, outer plan.Expr, ok bool) {
	eq, isEq := c.(*plan.Binary)
	if !isEq || eq.Op != plan.OpEq {
		return nil, nil, false
	}
	side := func(e plan.Expr) (in, out int) {
		for _, r := range colRefs(e, nil) {
			if _, err := isc.resolve(r); err == nil {
				in++
			} else {
				out++
			}
		}
		return in, out
	}
	li, lo := side(eq.Left)
	ri, ro := side(eq.Right)
	switch {
	case li > 0 && lo == 0 && ro > 0 && ri == 0:
		return eq.Left, eq.Right, true
	case ri > 0 && ro == 0 && lo > 0 && li == 0:
		return eq.Right, eq.Left, true
	}
	return nil, nil, false
}

// overNoRows is an aggregate expression's value over no rows, when it may differ from
// NULL (it holds a count): counts are 0 there, other aggregates NULL.
func overNoRows(e plan.Expr) (plan.Expr, bool) {
	counts := false
	out, err := rewrite(e, func(x plan.Expr) (plan.Expr, error) {
		a, ok := x.(*aggCall)
		if !ok {
			return x, nil
		}
		if aggNames[a.fn] == plan.AggCount || a.star {
			counts = true
			return &plan.Literal{Value: int64(0), Type: arrow.PrimitiveTypes.Int64}, nil
		}
		return &plan.Literal{Type: arrow.Null}, nil
	})
	if err != nil || !counts {
		return nil, false
	}
	bound, err := bindExpr(out, &scope{}, "")
	return bound, err == nil
}

// replaceSubqueries rewrites the subqueries of e with f, keeping every subtree without
// one as it is (the aggregate calls of HAVING are known by identity).
func replaceSubqueries(e plan.Expr, f func(plan.Expr) (plan.Expr, error)) (plan.Expr, error) {
	if !hasSubquery(e) {
		return e, nil
	}
	if _, ok := e.(*subqueryExpr); ok {
		return rewrite(e, f)
	}
	ch := e.Children()
	nc := make([]plan.Expr, len(ch))
	for i, c := range ch {
		var err error
		if nc[i], err = replaceSubqueries(c, f); err != nil {
			return nil, err
		}
	}
	return e.WithChildren(nc), nil
}

// itemSubqueries plans the scalar subqueries of a select list over node, the rows of
// FROM and WHERE; a grouped query's are not supported (they would need joining after
// the aggregation). A subquery alone without an alias is named scalarsubquery(), as in
// Spark.
func (b *binder) itemSubqueries(node plan.Node, sc *scope, items []selectItem, grouped bool) (plan.Node, []selectItem, error) {
	if !slices.ContainsFunc(items, func(it selectItem) bool { return !it.star && hasSubquery(it.expr) }) {
		return node, items, nil
	}
	out := append([]selectItem(nil), items...)
	for i, it := range out {
		if it.star || !hasSubquery(it.expr) {
			continue
		}
		if _, alone := it.expr.(*subqueryExpr); alone && it.alias == "" {
			out[i].alias = "scalarsubquery()"
		}
		var err error
		out[i].expr, err = replaceSubqueries(it.expr, func(x plan.Expr) (plan.Expr, error) {
			s, ok := x.(*subqueryExpr)
			if !ok {
				return x, nil
			}
			switch {
			case s.kind != subScalar:
				return nil, s.notSupported("in the SELECT list")
			case grouped:
				return nil, s.notSupported("in the SELECT list of an aggregation")
			}
			var v plan.Expr
			var err error
			node, v, err = b.scalarSubquery(node, sc, s)
			return v, err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return node, out, nil
}
