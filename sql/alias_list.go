package sql

import (
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// columnAliases reads an optional column alias list, (c1, c2, ...), after a subquery's
// alias or a WITH query's name (allowed: whether a name precedes, as Spark needs one).
func (p *parser) columnAliases(allowed bool) ([]string, error) {
	if !p.isOp("(") {
		return nil, nil
	}
	if !allowed {
		return nil, p.unexpected("an alias before the column list")
	}
	p.i++
	var cols []string
	seen := map[string]bool{}
	for {
		at := p.here()
		c, err := p.ident("a column name")
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(c)] {
			return nil, errAt(at, "column %s appears twice in the column alias list", c)
		}
		seen[strings.ToLower(c)] = true
		cols = append(cols, c)
		if !p.acceptOp(",") {
			break
		}
	}
	return cols, p.expectOp(")")
}

// renameColumns names n's columns by cols, in order (nothing to do without a list).
func (b *binder) renameColumns(n plan.Node, cols []string, at pos) (plan.Node, error) {
	if len(cols) == 0 {
		return n, nil
	}
	sc, err := schemaScope(n, "")
	if err != nil {
		return nil, err
	}
	if len(sc.cols) != len(cols) {
		return nil, errAt(at, "the column alias list names %d columns, but the query has %d", len(cols), len(sc.cols))
	}
	exprs := make([]plan.Expr, len(cols))
	for i, c := range sc.cols {
		exprs[i] = &plan.ColumnRef{Name: c.plan}
		if c.plan != cols[i] {
			exprs[i] = &plan.Alias{Child: exprs[i], Name: cols[i]}
		}
	}
	return &plan.Project{Meta: b.meta(), Input: n, Exprs: exprs}, nil
}
