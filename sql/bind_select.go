package sql

import (
	"fmt"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// selectStmt binds a SELECT: FROM and WHERE, then GROUP BY and aggregates, HAVING, the
// select list, DISTINCT, ORDER BY and LIMIT, in Spark's order.
func (b *binder) selectStmt(s *selectStmt) (plan.Node, error) {
	node, sc, err := b.from(s)
	if err != nil {
		return nil, err
	}
	items, err := expandItems(s.items, sc)
	if err != nil {
		return nil, err
	}
	grouped := len(s.groupBy) > 0 || s.having != nil
	for _, it := range items {
		grouped = grouped || hasAgg(it.expr)
	}
	for _, o := range s.orderBy {
		grouped = grouped || hasAgg(o.expr)
	}
	if node, items, err = b.itemSubqueries(node, sc, items, grouped); err != nil {
		return nil, err
	}
	post := func(e plan.Expr, clause string) (plan.Expr, error) { return bindExpr(e, sc, clause) }
	if grouped {
		var g *grouping
		if node, g, err = b.aggregate(s, items, node, sc); err != nil {
			return nil, err
		}
		post = g.bind
	}
	var pre windowPre
	post = b.withWindows(post, &pre)
	having := s.having
	if node, having, err = b.havingSubqueries(node, sc, having); err != nil {
		return nil, err
	}
	if having != nil {
		cond, err := post(having, "HAVING")
		if err != nil {
			return nil, err
		}
		node = &plan.Filter{Meta: b.meta(), Input: node, Cond: cond}
	}
	outs, err := bindOutputs(items, post)
	if err != nil {
		return nil, err
	}
	keys, hidden, err := orderKeys(s, outs, post)
	if err != nil {
		return nil, err
	}
	if len(pre.exprs) > 0 { // window keys that are expressions, computed first
		node = &plan.WithColumns{Meta: b.meta(), Input: node, Exprs: pre.exprs}
	}
	return b.finish(s, node, outs, keys, hidden)
}

// bindOutputs binds the select list; output names are the aliases, or the column's or
// the expression's name, and must be unique.
func bindOutputs(items []selectItem, post func(plan.Expr, string) (plan.Expr, error)) ([]output, error) {
	var outs []output
	taken := map[string]bool{}
	for _, it := range items {
		e, err := post(it.expr, "the SELECT list")
		if err != nil {
			return nil, err
		}
		name := it.alias
		if name == "" {
			name = plan.OutputName(e)
		}
		if taken[strings.ToLower(name)] {
			if it.fromStar && !taken[strings.ToLower(plan.OutputName(e))] {
				name = plan.OutputName(e) // a * column whose name a join suffixed
			} else {
				return nil, errAt(it.p, "duplicate output column name %s: give one an alias", name)
			}
		}
		taken[strings.ToLower(name)] = true
		if name != plan.OutputName(e) {
			e = &plan.Alias{Child: unalias(e), Name: name}
		}
		outs = append(outs, output{expr: e, name: name, raw: it.expr})
	}
	return outs, nil
}

func unalias(e plan.Expr) plan.Expr {
	if a, ok := e.(*plan.Alias); ok {
		return a.Child
	}
	return e
}

// orderKeys binds ORDER BY: a position, an output name, an expression of the select
// list, or another expression, computed in a hidden column that is dropped after the
// sort.
func orderKeys(s *selectStmt, outs []output, post func(plan.Expr, string) (plan.Expr, error)) ([]plan.SortKey, []plan.Expr, error) {
	var keys []plan.SortKey
	var hidden []plan.Expr
	for k, o := range s.orderBy {
		name := ""
		if lit, ok := o.expr.(*plan.Literal); ok {
			n, isInt := lit.Value.(int64)
			if !isInt || n < 1 || int(n) > len(outs) {
				return nil, nil, errAt(o.p, "ORDER BY position %v is not in the select list (1 to %d)", lit.Value, len(outs))
			}
			name = outs[n-1].name
		} else if c, ok := o.expr.(*colRef); ok && c.qual == "" {
			for _, out := range outs {
				if strings.EqualFold(out.name, c.name) {
					name = out.name
					break
				}
			}
		}
		if name == "" {
			e, err := post(o.expr, "ORDER BY")
			if err != nil {
				return nil, nil, err
			}
			for _, out := range outs {
				if unalias(out.expr).String() == e.String() {
					name = out.name
					break
				}
			}
			if name == "" {
				name = fmt.Sprintf("__order_%d", k)
				hidden = append(hidden, &plan.Alias{Child: e, Name: name})
			}
		}
		nullsFirst := !o.desc
		if o.nullsFirst != nil {
			nullsFirst = *o.nullsFirst
		}
		keys = append(keys, plan.SortKey{Column: name, Descending: o.desc, NullsFirst: nullsFirst})
	}
	return keys, hidden, nil
}

// finish adds the projection, DISTINCT, the sort and LIMIT.
func (b *binder) finish(s *selectStmt, node plan.Node, outs []output, keys []plan.SortKey, hidden []plan.Expr) (plan.Node, error) {
	if s.distinct && len(hidden) > 0 {
		return nil, errAt(s.orderBy[0].p, "with SELECT DISTINCT, ORDER BY expressions must appear in the select list")
	}
	exprs := make([]plan.Expr, 0, len(outs)+len(hidden))
	for _, o := range outs {
		exprs = append(exprs, o.expr)
	}
	identity, err := isIdentity(node, exprs)
	if err != nil {
		return nil, err
	}
	if !identity || len(hidden) > 0 {
		node = &plan.Project{Meta: b.meta(), Input: node, Exprs: append(exprs, hidden...)}
	}
	if s.distinct {
		node = &plan.Distinct{Meta: b.meta(), Input: node}
	}
	if len(keys) > 0 {
		node = &plan.Sort{Meta: b.meta(), Input: node, Keys: keys}
	}
	if len(hidden) > 0 {
		cols := make([]plan.Expr, len(outs))
		for i, o := range outs {
			cols[i] = &plan.ColumnRef{Name: o.name}
		}
		node = &plan.Project{Meta: b.meta(), Input: node, Exprs: cols}
	}
	if s.limit >= 0 {
		node = &plan.Limit{Meta: b.meta(), Input: node, N: s.limit}
	}
	return node, nil
}

// isIdentity reports whether exprs are exactly n's columns in order, so that no
// projection is needed (SELECT * FROM t WHERE ... is t.Filter(...)).
func isIdentity(n plan.Node, exprs []plan.Expr) (bool, error) {
	an, err := plan.Analyze(n)
	if err != nil {
		return false, err
	}
	fields := an.Schema().Fields()
	if len(fields) != len(exprs) {
		return false, nil
	}
	for i, e := range exprs {
		c, ok := e.(*plan.ColumnRef)
		if !ok || c.Name != fields[i].Name {
			return false, nil
		}
	}
	return true, nil
}
