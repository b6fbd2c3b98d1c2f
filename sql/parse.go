package sql

import (
	"strconv"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// parser is a recursive-descent parser over the tokens of one query.
type parser struct {
	toks []token
	i    int
}

// reserved words end an expression or a relation: they are never taken as aliases.
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "group": true, "having": true, "order": true,
	"limit": true, "join": true, "inner": true, "left": true, "right": true, "full": true,
	"outer": true, "cross": true, "on": true, "using": true, "union": true, "intersect": true,
	"except": true, "as": true, "and": true, "or": true, "not": true, "with": true,
	"window": true, "by": true, "distinct": true, "all": true, "case": true, "when": true,
	"then": true, "else": true, "end": true, "is": true, "in": true, "between": true,
	"like": true, "ilike": true, "rlike": true, "null": true, "natural": true, "semi": true,
	"anti": true, "offset": true, "lateral": true, "asc": true, "desc": true,
}

// unsupported names the statements and clauses this front end does not take yet.
var unsupported = map[string]string{
	"intersect": "INTERSECT", "except": "EXCEPT", "minus": "MINUS",
	"window": "WINDOW clauses", "offset": "OFFSET", "natural": "NATURAL JOIN", "lateral": "LATERAL",
	"insert": "INSERT", "create": "CREATE", "explain": "EXPLAIN", "describe": "DESCRIBE",
	"show": "SHOW", "update": "UPDATE", "delete": "DELETE", "drop": "DROP", "values": "VALUES",
}

// parseQuery parses one SELECT statement, optionally ended by a semicolon.
func parseQuery(src string) (*query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if t := p.peek(); t.kind == tokIdent && !p.isKw("select") && !p.isKw("with") {
		if what, ok := unsupported[strings.ToLower(t.text)]; ok {
			return nil, p.unsupportedErr(what)
		}
	}
	s, err := p.query()
	if err != nil {
		return nil, err
	}
	p.acceptOp(";")
	if t := p.peek(); t.kind != tokEOF {
		if what, ok := unsupported[strings.ToLower(t.text)]; ok && t.kind == tokIdent {
			return nil, p.unsupportedErr(what)
		}
		return nil, p.unexpected("end of query")
	}
	return s, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}
func (p *parser) here() pos { t := p.peek(); return pos{t.line, t.col} }

func (p *parser) isKw(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) acceptKw(kws ...string) bool {
	for k, kw := range kws {
		t := p.peekAt(k)
		if t.kind != tokIdent || !strings.EqualFold(t.text, kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

func (p *parser) expectKw(kws ...string) error {
	if !p.acceptKw(kws...) {
		return p.unexpected(strings.ToUpper(strings.Join(kws, " ")))
	}
	return nil
}

func (p *parser) acceptOp(op string) bool {
	if t := p.peek(); t.kind == tokOp && t.text == op {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.unexpected("'" + op + "'")
	}
	return nil
}

// unexpected reports the current token and what was expected instead.
func (p *parser) unexpected(want string) error {
	t := p.peek()
	if t.kind == tokEOF {
		return errAt(p.here(), "unexpected end of query, expected %s", want)
	}
	return errAt(p.here(), "unexpected %s, expected %s", describeTok(t), want)
}

func (p *parser) unsupportedErr(what string) error {
	return errAt(p.here(), "%s is not supported yet", what)
}

func describeTok(t token) string {
	switch t.kind {
	case tokString:
		return "string '" + t.text + "'"
	case tokQuoted:
		return "`" + t.text + "`"
	}
	return "'" + t.text + "'"
}

// ident reads an identifier (a plain word that is not reserved, or a backquoted one).
func (p *parser) ident(what string) (string, error) {
	t := p.peek()
	if t.kind == tokQuoted || t.kind == tokIdent && !reserved[strings.ToLower(t.text)] {
		p.i++
		return t.text, nil
	}
	return "", p.unexpected(what)
}

// optAlias reads [AS] alias.
func (p *parser) optAlias() (string, error) {
	if p.acceptKw("as") {
		return p.ident("an alias")
	}
	t := p.peek()
	if t.kind == tokQuoted || t.kind == tokIdent && !reserved[strings.ToLower(t.text)] {
		p.i++
		return t.text, nil
	}
	return "", nil
}

func (p *parser) selectStmt() (*selectStmt, error) {
	s := &selectStmt{limit: -1, p: p.here()}
	if err := p.expectKw("select"); err != nil {
		return nil, err
	}
	if p.acceptKw("distinct") {
		s.distinct = true
	} else {
		p.acceptKw("all")
	}
	for {
		it, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		s.items = append(s.items, it)
		if !p.acceptOp(",") {
			break
		}
	}
	if err := p.clauses(s); err != nil {
		return nil, err
	}
	return s, nil
}

// clauses reads FROM, WHERE, GROUP BY, HAVING, ORDER BY and LIMIT.
func (p *parser) clauses(s *selectStmt) error {
	var err error
	if p.acceptKw("from") {
		for {
			r, err := p.joinTree()
			if err != nil {
				return err
			}
			s.from = append(s.from, r)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("where") {
		if s.where, err = p.expr(); err != nil {
			return err
		}
	}
	if p.acceptKw("group", "by") {
		if s.groupBy, err = p.exprList(); err != nil {
			return err
		}
	}
	if p.acceptKw("having") {
		if s.having, err = p.expr(); err != nil {
			return err
		}
	}
	if p.acceptKw("order", "by") {
		if s.orderBy, err = p.orderList(); err != nil {
			return err
		}
	}
	if p.acceptKw("limit") {
		t := p.peek()
		n, err := strconv.ParseInt(t.text, 10, 64)
		if t.kind != tokNumber || err != nil || n < 0 {
			return p.unexpected("a row count")
		}
		p.i++
		s.limit = n
	}
	return nil
}

func (p *parser) selectItem() (selectItem, error) {
	it := selectItem{p: p.here()}
	if p.acceptOp("*") {
		it.star = true
		return it, nil
	}
	t0, t1, t2 := p.peek(), p.peekAt(1), p.peekAt(2)
	if (t0.kind == tokIdent || t0.kind == tokQuoted) && t1.kind == tokOp && t1.text == "." && t2.kind == tokOp && t2.text == "*" {
		p.i += 3
		it.star, it.starQual = true, t0.text
		return it, nil
	}
	var err error
	if it.expr, err = p.expr(); err != nil {
		return it, err
	}
	it.alias, err = p.optAlias()
	return it, err
}

func (p *parser) exprList() ([]plan.Expr, error) {
	var out []plan.Expr
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.acceptOp(",") {
			return out, nil
		}
	}
}

func (p *parser) orderList() ([]orderItem, error) {
	var out []orderItem
	for {
		o := orderItem{p: p.here()}
		var err error
		if o.expr, err = p.expr(); err != nil {
			return nil, err
		}
		if p.acceptKw("desc") {
			o.desc = true
		} else {
			p.acceptKw("asc")
		}
		if p.acceptKw("nulls") {
			first := p.acceptKw("first")
			if !first && !p.acceptKw("last") {
				return nil, p.unexpected("FIRST or LAST")
			}
			o.nullsFirst = &first
		}
		out = append(out, o)
		if !p.acceptOp(",") {
			return out, nil
		}
	}
}
