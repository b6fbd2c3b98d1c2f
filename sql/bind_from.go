package sql

import (
	"sort"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// binder turns a parsed query into plan nodes, each carrying site.
type binder struct {
	cat  Catalog
	site string
	ctes map[string]plan.Node // the WITH queries in scope, by lower-case name
	sub  *subContext          // inside a subquery of an expression (subquery.go)
	nsub *int                 // names the columns subqueries add
}

func (b *binder) meta() plan.Meta { return plan.Meta{CallSite: b.site} }

// schemaScope lists n's output columns under qualifier qual.
func schemaScope(n plan.Node, qual string) (*scope, error) {
	an, err := plan.Analyze(n)
	if err != nil {
		return nil, err
	}
	s := &scope{}
	for _, f := range an.Schema().Fields() {
		s.cols = append(s.cols, column{qual: qual, name: f.Name, plan: f.Name})
	}
	return s, nil
}

// fileTable binds format.`path`: the files, read through the catalog.
func (b *binder) fileTable(r *tableName) (plan.Node, *scope, error) {
	fc, ok := b.cat.(FileCatalog)
	if !ok {
		return nil, nil, errAt(r.p, "reading %s.`%s` needs a session's catalog", r.format, r.name)
	}
	n, err := fc.FileTable(r.format, r.name)
	if err != nil {
		return nil, nil, errAt(r.p, "%s.`%s`: %v", r.format, r.name, err)
	}
	qual := r.name
	if r.alias != "" {
		qual = r.alias
	}
	s, err := schemaScope(n, qual)
	return n, s, err
}

// relation binds one entry of FROM.
func (b *binder) relation(r tableRef) (plan.Node, *scope, error) {
	switch r := r.(type) {
	case *tableName:
		if r.format != "" {
			return b.fileTable(r)
		}
		n, ok := b.ctes[strings.ToLower(r.name)]
		if !ok {
			n, ok = b.cat.View(r.name)
		}
		if !ok {
			names := b.cat.ViewNames()
			for n := range b.ctes {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, nil, errAt(r.p, "unknown table or view %s (views: %s)", r.name, strings.Join(names, ", "))
		}
		qual := r.name
		if r.alias != "" {
			qual = r.alias
		}
		s, err := schemaScope(n, qual)
		return n, s, err
	case *subqueryRef:
		n, err := b.derived().query(r.sel)
		if err != nil {
			return nil, nil, err
		}
		if n, err = b.renameColumns(n, r.cols, r.p); err != nil {
			return nil, nil, err
		}
		s, err := schemaScope(n, r.alias)
		return n, s, err
	case *joinRef:
		return b.join(r)
	}
	return nil, nil, errAt(r.at(), "unsupported relation")
}

// join binds l JOIN r ON cond / USING (cols) / CROSS JOIN.
func (b *binder) join(j *joinRef) (plan.Node, *scope, error) {
	ln, ls, err := b.relation(j.left)
	if err != nil {
		return nil, nil, err
	}
	rn, rs, err := b.relation(j.right)
	if err != nil {
		return nil, nil, err
	}
	jn := &plan.Join{Meta: b.meta(), Left: ln, Right: rn, Kind: j.kind, Cross: j.cross}
	if j.using != nil {
		return b.joinUsing(jn, j, ls, rs)
	}
	if j.on != nil {
		if jn.Cond, err = sideCond(j.on, ls, rs); err != nil {
			return nil, nil, err
		}
	}
	s, err := joinScope(jn, ls.cols, rs.cols, nil)
	return jn, s, err
}

// sideCond binds a join condition: each column becomes a reference to its side.
func sideCond(e plan.Expr, ls, rs *scope) (plan.Expr, error) {
	both := &scope{}
	for i, c := range append(append([]column(nil), ls.cols...), rs.cols...) {
		c.rel = 0
		if i >= len(ls.cols) {
			c.rel = 1
		}
		both.cols = append(both.cols, c)
	}
	return rewrite(e, func(x plan.Expr) (plan.Expr, error) {
		switch x := x.(type) {
		case *colRef:
			c, err := both.resolve(x)
			if err != nil {
				return nil, err
			}
			right := c.rel == 1
			return &plan.JoinSideRef{Right: right, Name: c.plan}, nil
		case *aggCall:
			return nil, errAt(x.p, "aggregate %s is not allowed in a join condition", x)
		case *subqueryExpr:
			return nil, x.notSupported("in a join condition")
		}
		return x, nil
	})
}

// joinUsing binds JOIN ... USING (cols): the keys have the same names on both sides and
// appear once in the result, as the dataset API's Join(other, On(cols...)).
func (b *binder) joinUsing(jn *plan.Join, j *joinRef, ls, rs *scope) (plan.Node, *scope, error) {
	dropped := map[int]bool{}
	for _, name := range j.using {
		ref := &colRef{name: name, p: j.p}
		lc, err := ls.resolve(ref)
		if err != nil {
			return nil, nil, err
		}
		rc, err := rs.resolve(ref)
		if err != nil {
			return nil, nil, err
		}
		jn.LeftKeys = append(jn.LeftKeys, lc.plan)
		jn.RightKeys = append(jn.RightKeys, rc.plan)
		if lc.plan == rc.plan {
			for i, c := range rs.cols {
				if c.plan == rc.plan {
					dropped[i] = true
				}
			}
		}
	}
	s, err := joinScope(jn, ls.cols, rs.cols, dropped)
	return jn, s, err
}

// joinScope lists a join's output columns: the left's, then the right's except the
// dropped USING keys (which stay reachable by their qualifier, hidden from *), each
// under the name the join's analyzed schema gives it.
func joinScope(jn *plan.Join, lc, rc []column, dropped map[int]bool) (*scope, error) {
	an, err := plan.Analyze(jn)
	if err != nil {
		return nil, err
	}
	fields := an.Schema().Fields()
	var kept []column
	kept = append(kept, lc...)
	var hidden []column
	for i, c := range rc {
		if dropped[i] {
			c.hidden = true
			hidden = append(hidden, c)
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) != len(fields) {
		return nil, errAt(pos{}, "internal error: join output has %d columns, expected %d", len(fields), len(kept))
	}
	s := &scope{}
	for i, c := range kept {
		c.plan = fields[i].Name
		s.cols = append(s.cols, c)
	}
	return s, appendHidden(s, hidden)
}

// appendHidden keeps the right USING keys nameable by their qualifier: they read the
// merged key column.
func appendHidden(s *scope, hidden []column) error {
	for _, h := range hidden {
		for _, c := range s.cols {
			if strings.EqualFold(c.name, h.name) {
				h.plan = c.plan
				break
			}
		}
		s.cols = append(s.cols, h)
	}
	return nil
}
