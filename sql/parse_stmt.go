package sql

import (
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// StatementKind is what a statement does.
type StatementKind int

// The statements Compile takes.
const (
	StmtQuery      StatementKind = iota // a query: Node is its plan
	StmtCreateView                      // CREATE [OR REPLACE] TEMP VIEW: View, and Node (AS query) or Format and Options (USING)
	StmtExplain                         // EXPLAIN [EXTENDED] query: Node is the query's plan
	StmtDescribe                        // DESCRIBE name: Node is the rows (col_name, data_type, comment)
	StmtShowTables                      // SHOW TABLES: Node is the rows (namespace, tableName, isTemporary)
)

// Statement is a compiled statement. The caller (Session.SQL) runs what needs the
// session: registering a view, reading a USING source, rendering EXPLAIN.
type Statement struct {
	Kind StatementKind
	// Node is the plan of the query, of CREATE VIEW ... AS, of EXPLAIN's query, or the
	// rows of DESCRIBE and SHOW TABLES.
	Node plan.Node
	// View is the name CREATE VIEW registers, as written.
	View string
	// Replace is OR REPLACE; IfNotExists is IF NOT EXISTS (keep an existing view).
	Replace, IfNotExists bool
	// Format is USING's data source, lower case (parquet, csv); Options its OPTIONS, keys
	// lower case. Columns is CREATE VIEW's column list (rename a USING source's columns).
	Format  string
	Options map[string]string
	Columns []string
	// Extended is EXPLAIN EXTENDED: every plan, not only the physical one.
	Extended bool
}

// Compile parses one statement and binds it over cat: a query, CREATE [OR REPLACE]
// TEMP[ORARY] VIEW name [(cols)] AS query | USING format [OPTIONS (key 'value', ...)],
// EXPLAIN [EXTENDED] query, DESCRIBE [TABLE] name or SHOW TABLES. Every node carries site.
func Compile(src string, cat Catalog, site string) (*Statement, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	b := &binder{cat: cat, site: site}
	var st *Statement
	switch {
	case p.acceptKw("create"):
		st, err = p.createView(b)
	case p.acceptKw("explain"):
		st, err = p.explain(b)
	case p.acceptKw("describe"), p.acceptKw("desc"):
		st, err = p.describe(b)
	case p.acceptKw("show"):
		st, err = p.showTables(b)
	default:
		var n plan.Node
		if n, err = Plan(src, cat, site); err == nil {
			st = &Statement{Kind: StmtQuery, Node: n}
		}
		return st, err
	}
	if err != nil {
		return nil, err
	}
	return st, p.endOfStatement()
}

func (p *parser) endOfStatement() error {
	p.acceptOp(";")
	if p.peek().kind != tokEOF {
		return p.unexpected("end of statement")
	}
	return nil
}

// boundQuery reads a query and binds it.
func (p *parser) boundQuery(b *binder) (plan.Node, error) {
	if !p.isKw("select") && !p.isKw("with") {
		return nil, p.unexpected("a query (SELECT or WITH)")
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return b.query(q)
}

// createView reads the rest of CREATE [OR REPLACE] [TEMP|TEMPORARY] VIEW ...
func (p *parser) createView(b *binder) (*Statement, error) {
	st := &Statement{Kind: StmtCreateView}
	st.Replace = p.acceptKw("or", "replace")
	if p.isKw("global") {
		return nil, p.unsupportedErr("a GLOBAL TEMPORARY VIEW (views are the session's)")
	}
	if !p.acceptKw("temporary") && !p.acceptKw("temp") {
		if p.isKw("view") || p.isKw("table") {
			return nil, p.unsupportedErr("CREATE " + strings.ToUpper(p.peek().text) + " (only TEMPORARY VIEWs: the catalog is the session's)")
		}
		return nil, p.unexpected("TEMPORARY VIEW")
	}
	if err := p.expectKw("view"); err != nil {
		return nil, err
	}
	st.IfNotExists = p.acceptKw("if", "not", "exists")
	if st.IfNotExists && st.Replace {
		return nil, errAt(p.here(), "CREATE OR REPLACE with IF NOT EXISTS: choose one")
	}
	var err error
	if st.View, err = p.ident("a view name"); err != nil {
		return nil, err
	}
	at := p.here()
	if st.Columns, err = p.columnAliases(true); err != nil {
		return nil, err
	}
	switch {
	case p.acceptKw("as"):
		if st.Node, err = p.boundQuery(b); err != nil {
			return nil, err
		}
		st.Node, err = b.renameColumns(st.Node, st.Columns, at)
		return st, err
	case p.acceptKw("using"):
		t := p.peek()
		if t.kind != tokIdent {
			return nil, p.unexpected("a data source (parquet, csv)")
		}
		p.i++
		st.Format = lower(t.text)
		if st.Format != "parquet" && st.Format != "csv" {
			return nil, errAt(pos{t.line, t.col}, "data source %s is not supported (parquet, csv)", t.text)
		}
		st.Options, err = p.options()
		return st, err
	}
	return nil, p.unexpected("AS or USING")
}

// options reads [OPTIONS (key value, ...)]: a key is a name (dots allowed) or a string,
// a value a string, a number or true/false, with an optional = between them.
func (p *parser) options() (map[string]string, error) {
	opts := map[string]string{}
	if !p.acceptKw("options") {
		return opts, nil
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for {
		t := p.next()
		if t.kind != tokIdent && t.kind != tokString && t.kind != tokQuoted {
			p.i--
			return nil, p.unexpected("an option name")
		}
		key := t.text
		for p.acceptOp(".") {
			k := p.next()
			key += "." + k.text
		}
		p.acceptOp("=")
		v := p.next()
		if v.kind != tokString && v.kind != tokNumber && !(v.kind == tokIdent && (strings.EqualFold(v.text, "true") || strings.EqualFold(v.text, "false"))) {
			p.i--
			return nil, p.unexpected("the value of option " + key)
		}
		opts[strings.ToLower(key)] = v.text
		if !p.acceptOp(",") {
			break
		}
	}
	return opts, p.expectOp(")")
}

// explain reads the rest of EXPLAIN [EXTENDED | FORMATTED] query.
func (p *parser) explain(b *binder) (*Statement, error) {
	st := &Statement{Kind: StmtExplain}
	if p.acceptKw("extended") {
		st.Extended = true
	} else if p.acceptKw("formatted") || p.isKw("codegen") || p.isKw("cost") {
		if p.isKw("codegen") || p.isKw("cost") {
			return nil, p.unsupportedErr("EXPLAIN " + strings.ToUpper(p.peek().text))
		}
	}
	var err error
	st.Node, err = p.boundQuery(b)
	return st, err
}
