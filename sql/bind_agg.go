package sql

import (
	"fmt"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// grouping is what an aggregation makes visible to the clauses after it: the group keys
// (by the text of their bound expression) and the aggregates' output columns.
type grouping struct {
	in       *scope
	items    []selectItem
	keys     map[string]string   // bound key expression → key column
	aggNames map[*aggCall]string // aggregate call → its output column
}

// aggregate binds GROUP BY and the aggregate calls of the select list, HAVING and ORDER
// BY into one Aggregate node; key expressions that are not plain columns are computed
// first, as WithColumn does.
func (b *binder) aggregate(s *selectStmt, items []selectItem, node plan.Node, sc *scope) (plan.Node, *grouping, error) {
	g := &grouping{in: sc, items: items, keys: map[string]string{}, aggNames: map[*aggCall]string{}}
	var keyNames []string
	var pre []plan.Expr
	taken := map[string]bool{}
	for _, c := range sc.cols {
		taken[strings.ToLower(c.plan)] = true
	}
	for i, ge := range s.groupBy {
		e, alias, err := groupExpr(ge, items, sc)
		if err != nil {
			return nil, nil, err
		}
		bound, err := bindExpr(e, sc, "GROUP BY")
		if err != nil {
			return nil, nil, err
		}
		if _, dup := g.keys[bound.String()]; dup {
			continue
		}
		if alias == "" {
			alias = itemAlias(bound, items, sc)
		}
		name := ""
		if c, ok := bound.(*plan.ColumnRef); ok {
			name = c.Name
		} else {
			name = alias
			if name == "" {
				name = plan.OutputName(bound)
			}
			if taken[strings.ToLower(name)] {
				name = fmt.Sprintf("__group_%d", i)
			}
			taken[strings.ToLower(name)] = true
			pre = append(pre, &plan.Alias{Child: bound, Name: name})
		}
		g.keys[bound.String()] = name
		keyNames = append(keyNames, name)
	}
	if len(pre) > 0 {
		node = &plan.WithColumns{Meta: b.meta(), Input: node, Exprs: pre}
	}
	aggs, err := g.collectAggs(s, items, keyNames)
	if err != nil {
		return nil, nil, err
	}
	return &plan.Aggregate{Meta: b.meta(), Input: node, Keys: keyNames, Aggs: aggs}, g, nil
}

// groupExpr resolves a GROUP BY entry: a position or an alias of the select list, or
// an expression over the input. It returns the expression and the select list's alias.
func groupExpr(ge plan.Expr, items []selectItem, sc *scope) (plan.Expr, string, error) {
	var it *selectItem
	if lit, ok := ge.(*plan.Literal); ok {
		n, isInt := lit.Value.(int64)
		if !isInt || n < 1 || int(n) > len(items) {
			return nil, "", errAt(items[0].p, "GROUP BY position %v is not in the select list (1 to %d)", lit.Value, len(items))
		}
		it = &items[n-1]
	} else if c, ok := ge.(*colRef); ok && c.qual == "" {
		if _, err := sc.resolve(c); err != nil {
			for i := range items {
				if strings.EqualFold(items[i].alias, c.name) && !items[i].fromStar {
					it = &items[i]
				}
			}
			if it == nil {
				return nil, "", err
			}
		}
	}
	if it == nil {
		if hasAgg(ge) {
			return nil, "", errAt(aggPos(ge), "aggregates are not allowed in GROUP BY: %s", ge)
		}
		return ge, "", nil
	}
	if hasAgg(it.expr) {
		return nil, "", errAt(it.p, "GROUP BY refers to %s, an aggregate", it.expr)
	}
	return it.expr, it.alias, nil
}

func aggPos(e plan.Expr) pos {
	if a, ok := e.(*aggCall); ok {
		return a.p
	}
	for _, c := range e.Children() {
		if hasAgg(c) {
			return aggPos(c)
		}
	}
	return pos{}
}

// collectAggs makes one AggExpr per distinct aggregate call; a call that is a whole
// select item takes its alias as the output name, others Spark's name, e.g. sum(x).
func (g *grouping) collectAggs(s *selectStmt, items []selectItem, keyNames []string) ([]plan.AggExpr, error) {
	var aggs []plan.AggExpr
	byText := map[string]string{}
	taken := map[string]bool{}
	for _, k := range keyNames {
		taken[strings.ToLower(k)] = true
	}
	add := func(a *aggCall, alias string) error {
		ae, err := g.aggExpr(a)
		if err != nil {
			return err
		}
		text := ae.Name
		if name, ok := byText[text]; ok && alias == "" {
			g.aggNames[a] = name
			return nil
		}
		name := alias
		if name == "" {
			name = text
		}
		for base, k := name, 2; taken[strings.ToLower(name)]; k++ {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		taken[strings.ToLower(name)] = true
		if _, ok := byText[text]; !ok {
			byText[text] = name
		}
		ae.Name = name
		g.aggNames[a] = name
		aggs = append(aggs, ae)
		return nil
	}
	var walk func(e plan.Expr) error
	walk = func(e plan.Expr) error {
		if a, ok := e.(*aggCall); ok {
			return add(a, "")
		}
		for _, c := range e.Children() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		if a, ok := it.expr.(*aggCall); ok {
			if err := add(a, it.alias); err != nil {
				return nil, err
			}
		} else if err := walk(it.expr); err != nil {
			return nil, err
		}
	}
	for _, e := range append([]plan.Expr{s.having}, orderExprs(s)...) {
		if e != nil {
			if err := walk(e); err != nil {
				return nil, err
			}
		}
	}
	return aggs, nil
}

func orderExprs(s *selectStmt) []plan.Expr {
	out := make([]plan.Expr, len(s.orderBy))
	for i, o := range s.orderBy {
		out[i] = o.expr
	}
	return out
}

// aggExpr binds one aggregate call; its Name is Spark's name of the call.
func (g *grouping) aggExpr(a *aggCall) (plan.AggExpr, error) {
	if a.star {
		return plan.AggExpr{Func: plan.AggCountAll, Name: "count(1)"}, nil
	}
	args := make([]plan.Expr, len(a.args))
	texts := make([]string, len(a.args))
	for i, x := range a.args {
		var err error
		if args[i], err = bindExpr(x, g.in, "an aggregate's argument"); err != nil {
			return plan.AggExpr{}, err
		}
		texts[i] = args[i].String()
	}
	f := aggNames[a.fn]
	text := a.fn + "(" + strings.Join(texts, ", ") + ")"
	if a.distinct {
		text = a.fn + "(DISTINCT " + strings.Join(texts, ", ") + ")"
		switch f {
		case plan.AggCount:
			f = plan.AggCountDistinct
		case plan.AggSum:
			f = plan.AggSumDistinct
		}
	}
	ae := plan.AggExpr{Func: f, Arg: args[0], Name: text}
	switch f {
	case plan.AggCorr:
		ae.Arg2 = args[1]
	case plan.AggApproxCountDistinct:
		ae.Stat = &plan.AggStatParams{RSD: 0.05} // Spark's default relative error
	}
	return ae, nil
}

// bind binds an expression over the aggregate's output: aggregate calls become their
// columns, sub-expressions equal to a group key become the key's column, and any other
// column is an error.
func (g *grouping) bind(e plan.Expr, clause string) (plan.Expr, error) {
	if a, ok := e.(*aggCall); ok {
		name, ok := g.aggNames[a]
		if !ok {
			return nil, errAt(a.p, "internal error: aggregate %s was not collected", a)
		}
		return &plan.ColumnRef{Name: name}, nil
	}
	if c, ok := e.(*colRef); ok && c.qual == "" && clause != "the SELECT list" {
		if _, err := g.in.resolve(c); err != nil { // HAVING and ORDER BY may name an alias
			for _, it := range g.items {
				if strings.EqualFold(it.alias, c.name) && !it.fromStar {
					return g.bind(it.expr, clause)
				}
			}
		}
	}
	if !hasAgg(e) {
		bound, err := bindExpr(e, g.in, clause)
		switch {
		case err != nil && len(e.Children()) == 0:
			return nil, err
		case err != nil: // a part may name an alias of the select list
		default:
			if name, ok := g.keys[bound.String()]; ok {
				return &plan.ColumnRef{Name: name}, nil
			}
			if c, ok := e.(*colRef); ok {
				return nil, errAt(c.p, "column %s in %s is neither grouped (GROUP BY) nor inside an aggregate", c, clause)
			}
			if len(e.Children()) == 0 {
				return bound, nil
			}
		}
	}
	ch := e.Children()
	nc := make([]plan.Expr, len(ch))
	for i, c := range ch {
		var err error
		if nc[i], err = g.bind(c, clause); err != nil {
			return nil, err
		}
	}
	return e.WithChildren(nc), nil
}

// itemAlias is the alias of the select item whose expression is key, if one is.
func itemAlias(key plan.Expr, items []selectItem, sc *scope) string {
	for _, it := range items {
		if it.alias == "" || it.fromStar || hasAgg(it.expr) {
			continue
		}
		if b, err := bindExpr(it.expr, sc, ""); err == nil && b.String() == key.String() {
			return it.alias
		}
	}
	return ""
}
