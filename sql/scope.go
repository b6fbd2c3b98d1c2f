package sql

import (
	"sort"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// Catalog resolves the names of FROM to plan nodes: the session's temporary views.
type Catalog interface {
	// View returns the plan of the view called name (names are case-insensitive).
	View(name string) (plan.Node, bool)
	// ViewNames lists the views, for error messages.
	ViewNames() []string
}

// FileCatalog is implemented by a Catalog that can read files for a query, as Spark's
// SELECT * FROM parquet.`/data/orders`: format is parquet, csv, json, ipc or arrow, path
// a file, directory or glob as the session's readers take them.
type FileCatalog interface {
	FileTable(format, path string) (plan.Node, error)
}

// MapCatalog is a Catalog over a map from lower-case view names to plans.
type MapCatalog map[string]plan.Node

// View returns the plan of the view called name, ignoring case.
func (m MapCatalog) View(name string) (plan.Node, bool) {
	n, ok := m[strings.ToLower(name)]
	return n, ok
}

// ViewNames lists the views, sorted.
func (m MapCatalog) ViewNames() []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// column is one column visible in a scope: how the query names it (qualifier, name) and
// what the plan calls it.
type column struct {
	qual, name string
	plan       string
	rel        int  // which relation of a comma list it comes from
	hidden     bool // not expanded by * (the right key of USING)
}

// scope is the columns a clause may name, in order.
type scope struct{ cols []column }

// resolve finds the column c names; it reports an unknown name with the names that
// exist, and an ambiguous one with its qualifiers.
func (s *scope) resolve(c *colRef) (column, error) {
	var found []column
	qualKnown := c.qual == ""
	for _, col := range s.cols {
		if c.qual != "" && !strings.EqualFold(col.qual, c.qual) {
			continue
		}
		qualKnown = true
		if strings.EqualFold(col.name, c.name) {
			if len(found) > 0 && found[0].plan == col.plan {
				continue
			}
			found = append(found, col)
		}
	}
	switch {
	case !qualKnown:
		return column{}, errAt(c.p, "unknown table or alias %s in %s (known: %s)", c.qual, c, strings.Join(s.quals(), ", "))
	case len(found) == 0:
		return column{}, errAt(c.p, "unknown column %s (columns: %s)", c, strings.Join(s.names(c.qual), ", "))
	case len(found) > 1:
		return column{}, errAt(c.p, "column %s is ambiguous (%s.%s and %s.%s): qualify it", c, found[0].qual, found[0].name, found[1].qual, found[1].name)
	}
	return found[0], nil
}

func (s *scope) names(qual string) []string {
	var out []string
	for _, c := range s.cols {
		if c.hidden || qual != "" && !strings.EqualFold(c.qual, qual) {
			continue
		}
		if c.qual != "" && qual == "" {
			out = append(out, c.qual+"."+c.name)
		} else {
			out = append(out, c.name)
		}
	}
	return out
}

func (s *scope) quals() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range s.cols {
		if c.qual != "" && !seen[c.qual] {
			seen[c.qual] = true
			out = append(out, c.qual)
		}
	}
	return out
}

// rewrite replaces sub-expressions of e bottom-up where f returns a replacement.
func rewrite(e plan.Expr, f func(plan.Expr) (plan.Expr, error)) (plan.Expr, error) {
	ch := e.Children()
	if len(ch) > 0 {
		nc := make([]plan.Expr, len(ch))
		for i, c := range ch {
			var err error
			if nc[i], err = rewrite(c, f); err != nil {
				return nil, err
			}
		}
		e = e.WithChildren(nc)
	}
	return f(e)
}

// hasAgg reports whether e contains an aggregate call.
func hasAgg(e plan.Expr) bool {
	if _, ok := e.(*aggCall); ok {
		return true
	}
	for _, c := range e.Children() {
		if hasAgg(c) {
			return true
		}
	}
	return false
}

// bindExpr resolves the column references of e over s; aggregates are not allowed.
func bindExpr(e plan.Expr, s *scope, clause string) (plan.Expr, error) {
	return rewrite(e, func(x plan.Expr) (plan.Expr, error) {
		switch x := x.(type) {
		case *colRef:
			c, err := s.resolve(x)
			if err != nil {
				return nil, err
			}
			return &plan.ColumnRef{Name: c.plan}, nil
		case *aggCall:
			return nil, errAt(x.p, "aggregate %s is not allowed in %s", x, clause)
		case *plan.Call:
			return inWithDecimals(x), nil
		case *subqueryExpr:
			return nil, x.notSupported("in " + clause)
		}
		return x, nil
	})
}

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(e plan.Expr) []plan.Expr {
	if b, ok := e.(*plan.Binary); ok && b.Op == plan.OpAnd {
		return append(conjuncts(b.Left), conjuncts(b.Right)...)
	}
	return []plan.Expr{e}
}

func and(es []plan.Expr) plan.Expr {
	if len(es) == 0 {
		return nil
	}
	out := es[0]
	for _, e := range es[1:] {
		out = &plan.Binary{Op: plan.OpAnd, Left: out, Right: e}
	}
	return out
}

// colRefs lists the column references of e.
func colRefs(e plan.Expr, out []*colRef) []*colRef {
	if c, ok := e.(*colRef); ok {
		return append(out, c)
	}
	for _, ch := range e.Children() {
		out = colRefs(ch, out)
	}
	return out
}
