package sql

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/plan"
)

func lower(s string) string { return strings.ToLower(s) }

// expr reads an expression: OR binds loosest, then AND, NOT, the predicates
// (comparison, IS, IN, BETWEEN, LIKE), || and + -, * / %, unary minus.
func (p *parser) expr() (plan.Expr, error) { return p.orExpr() }

func (p *parser) orExpr() (plan.Expr, error) {
	l, err := p.andExpr()
	for err == nil && p.acceptKw("or") {
		var r plan.Expr
		if r, err = p.andExpr(); err == nil {
			l = &plan.Binary{Op: plan.OpOr, Left: l, Right: r}
		}
	}
	return l, err
}

func (p *parser) andExpr() (plan.Expr, error) {
	l, err := p.notExpr()
	for err == nil && p.acceptKw("and") {
		var r plan.Expr
		if r, err = p.notExpr(); err == nil {
			l = &plan.Binary{Op: plan.OpAnd, Left: l, Right: r}
		}
	}
	return l, err
}

func (p *parser) notExpr() (plan.Expr, error) {
	if p.acceptKw("not") {
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &plan.Unary{Op: plan.OpNot, Child: x}, nil
	}
	return p.predicate()
}

var compareOps = map[string]plan.BinaryOp{"=": plan.OpEq, "==": plan.OpEq, "<>": plan.OpNotEq, "!=": plan.OpNotEq,
	"<": plan.OpLt, "<=": plan.OpLtEq, ">": plan.OpGt, ">=": plan.OpGtEq}

// predicate reads a comparison or IS / IN / BETWEEN / LIKE after an additive expression.
func (p *parser) predicate() (plan.Expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if op, ok := compareOps[t.text]; ok && t.kind == tokOp {
			p.i++
			r, err := p.additive()
			if err != nil {
				return nil, err
			}
			l = &plan.Binary{Op: op, Left: l, Right: r}
			continue
		}
		if p.acceptKw("is") {
			not := p.acceptKw("not")
			if err := p.expectKw("null"); err != nil {
				return nil, err
			}
			op := plan.OpIsNull
			if not {
				op = plan.OpIsNotNull
			}
			l = &plan.Unary{Op: op, Child: l}
			continue
		}
		not := false
		if p.isKw("not") {
			if nx := p.peekAt(1); nx.kind == tokIdent && (strings.EqualFold(nx.text, "in") || strings.EqualFold(nx.text, "between") ||
				strings.EqualFold(nx.text, "like") || strings.EqualFold(nx.text, "ilike") || strings.EqualFold(nx.text, "rlike")) {
				p.i++
				not = true
			}
		}
		x, ok, err := p.postfixPredicate(l)
		if err != nil || !ok {
			return l, err
		}
		if not {
			x = &plan.Unary{Op: plan.OpNot, Child: x}
		}
		l = x
	}
}

// postfixPredicate reads IN (list), BETWEEN lo AND hi or LIKE pattern after l.
func (p *parser) postfixPredicate(l plan.Expr) (plan.Expr, bool, error) {
	switch {
	case p.acceptKw("in"):
		if err := p.expectOp("("); err != nil {
			return nil, false, err
		}
		if p.isKw("select") {
			s, err := p.subquery(subIn, l, p.here())
			return s, err == nil, err
		}
		list, err := p.exprList()
		if err != nil {
			return nil, false, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, false, err
		}
		return &plan.Call{Func: "in", Args: append([]plan.Expr{l}, list...)}, true, nil
	case p.acceptKw("between"):
		lo, err := p.additive()
		if err != nil {
			return nil, false, err
		}
		if err := p.expectKw("and"); err != nil {
			return nil, false, err
		}
		hi, err := p.additive()
		if err != nil {
			return nil, false, err
		}
		return &plan.Binary{Op: plan.OpAnd, Left: &plan.Binary{Op: plan.OpGtEq, Left: l, Right: lo},
			Right: &plan.Binary{Op: plan.OpLtEq, Left: l, Right: hi}}, true, nil
	}
	for _, fn := range []string{"like", "ilike", "rlike", "regexp"} {
		if p.acceptKw(fn) {
			r, err := p.additive()
			if err != nil {
				return nil, false, err
			}
			if fn == "regexp" {
				fn = "rlike"
			}
			return &plan.Call{Func: fn, Args: []plan.Expr{l, r}}, true, nil
		}
	}
	return nil, false, nil
}

func (p *parser) additive() (plan.Expr, error) {
	l, err := p.multiplicative()
	for err == nil {
		var op plan.BinaryOp
		switch {
		case p.acceptOp("+"):
			op = plan.OpAdd
		case p.acceptOp("-"):
			op = plan.OpSub
		case p.acceptOp("||"):
			var r plan.Expr
			if r, err = p.multiplicative(); err == nil {
				l = &plan.Call{Func: "concat", Args: []plan.Expr{l, r}}
			}
			continue
		default:
			return l, nil
		}
		var r plan.Expr
		if r, err = p.multiplicative(); err == nil {
			l = &plan.Binary{Op: op, Left: l, Right: r}
		}
	}
	return nil, err
}

func (p *parser) multiplicative() (plan.Expr, error) {
	l, err := p.unary()
	for err == nil {
		var op plan.BinaryOp
		switch {
		case p.acceptOp("*"):
			op = plan.OpMul
		case p.acceptOp("/"):
			op = plan.OpDiv
		case p.acceptOp("%"):
			op = plan.OpMod
		default:
			return l, nil
		}
		var r plan.Expr
		if r, err = p.unary(); err == nil {
			l = &plan.Binary{Op: op, Left: l, Right: r}
		}
	}
	return nil, err
}

func (p *parser) unary() (plan.Expr, error) {
	if p.acceptOp("-") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if lit, ok := x.(*plan.Literal); ok { // -5 is a literal, as Lit(-5)
			switch v := lit.Value.(type) {
			case int64:
				return &plan.Literal{Value: -v, Type: lit.Type}, nil
			case float64:
				return &plan.Literal{Value: -v, Type: lit.Type}, nil
			case decimal128.Num:
				return &plan.Literal{Value: v.Negate(), Type: lit.Type}, nil
			}
		}
		return &plan.Unary{Op: plan.OpNeg, Child: x}, nil
	}
	p.acceptOp("+")
	return p.primary()
}

// primary reads a literal, a column, a function call, CASE, CAST or a parenthesized
// expression.
func (p *parser) primary() (plan.Expr, error) {
	t := p.peek()
	at := p.here()
	switch t.kind {
	case tokNumber:
		p.i++
		return numberLit(t.text, at)
	case tokString:
		p.i++
		return &plan.Literal{Value: t.text, Type: arrow.BinaryTypes.String}, nil
	case tokOp:
		if p.acceptOp("(") {
			if p.isKw("select") {
				return p.subquery(subScalar, nil, at)
			}
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		}
		return nil, p.unexpected("an expression")
	case tokQuoted:
		return p.column()
	case tokEOF:
		return nil, p.unexpected("an expression")
	}
	return p.word(t, at)
}

// word reads what starts with a word: a keyword form, a call or a column.
func (p *parser) word(t token, at pos) (plan.Expr, error) {
	w := lower(t.text)
	switch w {
	case "null":
		p.i++
		return &plan.Literal{Type: arrow.Null}, nil
	case "true", "false":
		p.i++
		return &plan.Literal{Value: w == "true", Type: arrow.FixedWidthTypes.Boolean}, nil
	case "case":
		p.i++
		return p.caseExpr()
	case "cast":
		if p.peekAt(1).text == "(" {
			p.i += 2
			return p.castExpr()
		}
	case "date", "timestamp":
		if nx := p.peekAt(1); nx.kind == tokString {
			p.i += 2
			return typedLit(w, nx.text, at)
		}
	case "interval":
		if p.isIntervalStart() {
			p.i++
			return p.interval(at)
		}
	case "exists":
		if p.peekAt(1).text == "(" {
			p.i += 2
			return p.subquery(subExists, nil, at)
		}
	}
	if reserved[w] {
		return nil, p.unexpected("an expression")
	}
	if nx := p.peekAt(1); nx.kind == tokOp && nx.text == "(" {
		p.i += 2
		return p.call(w, at)
	}
	return p.column()
}

// column reads c or t.c.
func (p *parser) column() (plan.Expr, error) {
	at := p.here()
	name, err := p.ident("a column name")
	if err != nil {
		return nil, err
	}
	if p.acceptOp(".") {
		col, err := p.ident("a column name")
		if err != nil {
			return nil, err
		}
		if p.isOp(".") {
			return nil, p.unsupportedErr("a nested field reference")
		}
		return &colRef{qual: name, name: col, p: at}, nil
	}
	return &colRef{name: name, p: at}, nil
}

// typedLit reads DATE 'yyyy-mm-dd' and TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.ffffff]' (UTC).
func typedLit(kind, s string, at pos) (plan.Expr, error) {
	s = strings.TrimSpace(s)
	if kind == "date" {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, errAt(at, "malformed DATE literal '%s' (want yyyy-mm-dd)", s)
		}
		return &plan.Literal{Value: arrow.Date32FromTime(d), Type: arrow.FixedWidthTypes.Date32}, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02"} {
		if ts, err := time.Parse(layout, s); err == nil {
			return &plan.Literal{Value: arrow.Timestamp(ts.UnixMicro()), Type: arrow.FixedWidthTypes.Timestamp_us}, nil
		}
	}
	return nil, errAt(at, "malformed TIMESTAMP literal '%s' (want yyyy-mm-dd hh:mm:ss)", s)
}

// caseExpr reads the rest of CASE [x] WHEN c THEN v ... [ELSE e] END.
func (p *parser) caseExpr() (plan.Expr, error) {
	var subject plan.Expr
	var err error
	if !p.isKw("when") {
		if subject, err = p.expr(); err != nil {
			return nil, err
		}
	}
	var args []plan.Expr
	for p.acceptKw("when") {
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		if subject != nil {
			c = &plan.Binary{Op: plan.OpEq, Left: subject, Right: c}
		}
		if err := p.expectKw("then"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, c, v)
	}
	if len(args) == 0 {
		return nil, p.unexpected("WHEN")
	}
	var els plan.Expr = &plan.Literal{Type: arrow.Null}
	if p.acceptKw("else") {
		if els, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("end"); err != nil {
		return nil, err
	}
	return &plan.Call{Func: "case_when", Args: append(args, els)}, nil
}
