package sql

import (
	"github.com/kindling-data/kindling/plan"
)

// joinTree reads a relation followed by any JOINs, left to right.
func (p *parser) joinTree() (tableRef, error) {
	left, err := p.relation()
	if err != nil {
		return nil, err
	}
	for {
		at := p.here()
		kind, cross, ok := p.joinKind()
		if !ok {
			return left, nil
		}
		right, err := p.relation()
		if err != nil {
			return nil, err
		}
		j := &joinRef{left: left, right: right, kind: kind, cross: cross, p: at}
		switch {
		case cross:
		case p.acceptKw("on"):
			if j.on, err = p.expr(); err != nil {
				return nil, err
			}
		case p.acceptKw("using"):
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			for {
				name, err := p.ident("a column name")
				if err != nil {
					return nil, err
				}
				j.using = append(j.using, name)
				if !p.acceptOp(",") {
					break
				}
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		default:
			return nil, p.unexpected("ON or USING")
		}
		left = j
	}
}

// joinKind reads the words before JOIN, if a join follows.
func (p *parser) joinKind() (plan.JoinKind, bool, bool) {
	switch {
	case p.acceptKw("join"), p.acceptKw("inner", "join"):
		return plan.InnerJoin, false, true
	case p.acceptKw("cross", "join"):
		return plan.InnerJoin, true, true
	case p.acceptKw("left", "outer", "join"), p.acceptKw("left", "join"):
		return plan.LeftJoin, false, true
	case p.acceptKw("right", "outer", "join"), p.acceptKw("right", "join"):
		return plan.RightJoin, false, true
	case p.acceptKw("full", "outer", "join"), p.acceptKw("full", "join"):
		return plan.FullJoin, false, true
	case p.acceptKw("left", "semi", "join"):
		return plan.LeftSemiJoin, false, true
	case p.acceptKw("left", "anti", "join"):
		return plan.LeftAntiJoin, false, true
	}
	return 0, false, false
}

// relation reads a table name or a parenthesized subquery, with an optional alias.
func (p *parser) relation() (tableRef, error) {
	at := p.here()
	if p.acceptOp("(") {
		if !p.isKw("select") && !p.isKw("with") {
			return nil, p.unexpected("SELECT")
		}
		sel, err := p.query()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			if t := p.peek(); t.kind == tokIdent {
				if what, ok := unsupported[lower(t.text)]; ok {
					return nil, p.unsupportedErr(what)
				}
			}
			return nil, err
		}
		alias, err := p.optAlias()
		if err != nil {
			return nil, err
		}
		cols, err := p.columnAliases(alias != "")
		if err != nil {
			return nil, err
		}
		return &subqueryRef{sel: sel, alias: alias, cols: cols, p: at}, nil
	}
	name, err := p.ident("a table name")
	if err != nil {
		return nil, err
	}
	first, parts := name, 1
	for p.acceptOp(".") { // db.table: the catalog is flat, the last part names the view
		if name, err = p.ident("a table name"); err != nil {
			return nil, err
		}
		parts++
	}
	format := ""
	if parts == 2 && fileFormats[lower(first)] {
		format = lower(first) // Spark's parquet.`/data/orders`: the files themselves
	}
	alias, err := p.optAlias()
	if err != nil {
		return nil, err
	}
	return &tableName{name: name, alias: alias, format: format, p: at}, nil
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}

// fileFormats are the qualifiers that make format.`path` read files, as in Spark.
var fileFormats = map[string]bool{"parquet": true, "csv": true, "json": true, "ipc": true, "arrow": true}
