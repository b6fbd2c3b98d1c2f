package sql

import (
	"github.com/kindling-data/kindling/plan"
)

// selectStmt is one parsed SELECT.
type selectStmt struct {
	distinct bool
	items    []selectItem
	from     []tableRef // comma-separated relations
	where    plan.Expr
	groupBy  []plan.Expr
	having   plan.Expr
	orderBy  []orderItem
	limit    int64 // -1: none
	p        pos
}

// selectItem is *, t.* or an expression with an optional alias.
type selectItem struct {
	star     bool
	starQual string
	expr     plan.Expr
	alias    string
	fromStar bool // a column that * or t.* expanded to
	p        pos
}

type orderItem struct {
	expr       plan.Expr
	desc       bool
	nullsFirst *bool // nil: Spark's default (first ascending, last descending)
	p          pos
}

// tableRef is a relation of FROM: *tableName, *subqueryRef or *joinRef.
type tableRef interface{ at() pos }

type tableName struct {
	name, alias string
	format      string // parquet, csv, json or ipc for a file read as format.`path`
	p           pos
}

type subqueryRef struct {
	sel   *query
	alias string
	cols  []string // the column alias list after the alias, if any
	p     pos
}

type joinRef struct {
	left, right tableRef
	kind        plan.JoinKind
	cross       bool
	on          plan.Expr
	using       []string
	p           pos
}

func (t *tableName) at() pos   { return t.p }
func (t *subqueryRef) at() pos { return t.p }
func (t *joinRef) at() pos     { return t.p }

// colRef is a column reference as written, t.c or c; the binder replaces it with the
// plan's column.
type colRef struct {
	qual, name string
	p          pos
}

func (c *colRef) String() string {
	if c.qual != "" {
		return c.qual + "." + c.name
	}
	return c.name
}
func (c *colRef) Children() []plan.Expr              { return nil }
func (c *colRef) WithChildren([]plan.Expr) plan.Expr { return c }

// aggCall is an aggregate function call; the binder turns it into a plan.AggExpr and a
// reference to its output column.
type aggCall struct {
	fn       string // lower case, as written (avg, count, ...)
	distinct bool
	star     bool // count(*)
	args     []plan.Expr
	p        pos
}

func (a *aggCall) String() string {
	if a.star {
		return "count(1)"
	}
	s := a.fn + "("
	if a.distinct {
		s += "DISTINCT "
	}
	for i, x := range a.args {
		if i > 0 {
			s += ", "
		}
		s += x.String()
	}
	return s + ")"
}
func (a *aggCall) Children() []plan.Expr { return a.args }
func (a *aggCall) WithChildren(c []plan.Expr) plan.Expr {
	m := *a
	m.args = c
	return &m
}
