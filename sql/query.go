package sql

import (
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// query is a full query: common table expressions, then SELECTs joined by UNION [ALL],
// INTERSECT or EXCEPT, whose ORDER BY and LIMIT (when there are several) apply to the
// result.
type query struct {
	ctes    []cte
	terms   []*selectStmt
	ops     []setOp // ops[i]: the operator between terms[i] and terms[i+1]
	orderBy []orderItem
	limit   int64
	p       pos
}

type cte struct {
	name string
	cols []string // the column list after the name, if any
	q    *query
	p    pos
}

// query reads [WITH name AS (query), ...] select [UNION [ALL|DISTINCT] select]...
func (p *parser) query() (*query, error) {
	q := &query{limit: -1, p: p.here()}
	if p.acceptKw("with") {
		if p.isKw("recursive") {
			return nil, p.unsupportedErr("WITH RECURSIVE")
		}
		for {
			c := cte{p: p.here()}
			var err error
			if c.name, err = p.ident("a name for the WITH query"); err != nil {
				return nil, err
			}
			if c.cols, err = p.columnAliases(true); err != nil {
				return nil, err
			}
			if err := p.expectKw("as"); err != nil {
				return nil, err
			}
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			if c.q, err = p.query(); err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			q.ctes = append(q.ctes, c)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	for {
		s, err := p.selectStmt()
		if err != nil {
			return nil, err
		}
		q.terms = append(q.terms, s)
		op, ok, err := p.setOperator()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(s.orderBy) > 0 || s.limit >= 0 {
			return nil, errAt(op.p, "ORDER BY or LIMIT before %s: put that SELECT in parentheses in a FROM, or move them to the end", op)
		}
		q.ops = append(q.ops, op)
	}
	if last := q.terms[len(q.terms)-1]; len(q.terms) > 1 {
		q.orderBy, q.limit = last.orderBy, last.limit
		last.orderBy, last.limit = nil, -1
	}
	return q, nil
}

// query binds a query: its WITH queries become views visible to the rest (each to the
// ones after it), and a UNION matches columns by position, as SQL does.
func (b *binder) query(q *query) (plan.Node, error) {
	saved := b.ctes
	defer func() { b.ctes = saved }()
	for _, c := range q.ctes {
		n, err := b.derived().query(c.q)
		if err != nil {
			return nil, err
		}
		if n, err = b.renameColumns(n, c.cols, c.p); err != nil {
			return nil, err
		}
		m := make(map[string]plan.Node, len(b.ctes)+1)
		for k, v := range b.ctes {
			m[k] = v
		}
		m[strings.ToLower(c.name)] = n
		b.ctes = m
	}
	node, err := b.selectStmt(q.terms[0])
	if err != nil || len(q.terms) == 1 {
		return node, err
	}
	first, err := schemaScope(node, "")
	if err != nil {
		return nil, err
	}
	nodes := []plan.Node{node}
	for i, t := range q.terms[1:] {
		n, err := b.selectStmt(t)
		if err != nil {
			return nil, err
		}
		if n, err = b.renameLike(n, first, t.p, q.ops[i]); err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	if node, err = b.setOps(nodes, q.ops, first); err != nil {
		return nil, err
	}
	return b.unionOrder(q, node, first)
}

// renameLike renames n's columns, by position, to the first SELECT's names.
func (b *binder) renameLike(n plan.Node, first *scope, at pos, op setOp) (plan.Node, error) {
	sc, err := schemaScope(n, "")
	if err != nil {
		return nil, err
	}
	if len(sc.cols) != len(first.cols) {
		return nil, errAt(at, "%s of %d columns with %d columns", op.kind, len(first.cols), len(sc.cols))
	}
	exprs := make([]plan.Expr, len(sc.cols))
	same := true
	for i, c := range sc.cols {
		exprs[i] = &plan.ColumnRef{Name: c.plan}
		if c.plan != first.cols[i].plan {
			exprs[i] = &plan.Alias{Child: exprs[i], Name: first.cols[i].plan}
			same = false
		}
	}
	if same {
		return n, nil
	}
	if pr, ok := n.(*plan.Project); ok && len(pr.Exprs) == len(exprs) { // rename in place
		m := *pr
		m.Exprs = make([]plan.Expr, len(pr.Exprs))
		for i, e := range pr.Exprs {
			m.Exprs[i] = e
			if name := first.cols[i].plan; plan.OutputName(e) != name {
				m.Exprs[i] = &plan.Alias{Child: unalias(e), Name: name}
			}
		}
		return &m, nil
	}
	return &plan.Project{Meta: b.meta(), Input: n, Exprs: exprs}, nil
}

// unionOrder applies ORDER BY (output names or positions) and LIMIT to a union.
func (b *binder) unionOrder(q *query, node plan.Node, out *scope) (plan.Node, error) {
	var keys []plan.SortKey
	for _, o := range q.orderBy {
		name := ""
		switch e := o.expr.(type) {
		case *plan.Literal:
			if n, ok := e.Value.(int64); ok && n >= 1 && int(n) <= len(out.cols) {
				name = out.cols[n-1].plan
			}
		case *colRef:
			if c, err := out.resolve(&colRef{name: e.name, p: e.p}); err == nil {
				name = c.plan
			} else {
				return nil, err
			}
		}
		if name == "" {
			return nil, errAt(o.p, "ORDER BY after UNION takes output column names or positions (1 to %d), not %s", len(out.cols), o.expr)
		}
		nullsFirst := !o.desc
		if o.nullsFirst != nil {
			nullsFirst = *o.nullsFirst
		}
		keys = append(keys, plan.SortKey{Column: name, Descending: o.desc, NullsFirst: nullsFirst})
	}
	if len(keys) > 0 {
		node = &plan.Sort{Meta: b.meta(), Input: node, Keys: keys}
	}
	if q.limit >= 0 {
		node = &plan.Limit{Meta: b.meta(), Input: node, N: q.limit}
	}
	return node, nil
}
