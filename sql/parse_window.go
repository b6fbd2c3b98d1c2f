package sql

import (
	"strconv"
	"strings"

	"github.com/kindling-data/kindling/plan"
)

// winCall is a window function as parsed: f(args) OVER (PARTITION BY ... ORDER BY ...
// frame). Its children are the arguments, the partition expressions and the order
// expressions, so that the binder resolves them like any expression; lowerWindow then
// makes it the plan.WindowFunc that dataset's Over builds.
type winCall struct {
	name        string              // as written, lower case
	kind        plan.WindowFuncKind // WinAgg for an aggregate over a window
	agg         plan.AggFunc
	star        bool // count(*)
	ignoreNulls bool
	args        []plan.Expr
	partition   []plan.Expr
	order       []orderItem
	frame       *plan.WindowFrame
	p           pos
}

// winKinds are the window functions by their Spark names.
var winKinds = map[string]plan.WindowFuncKind{
	"row_number": plan.WinRowNumber, "rank": plan.WinRank, "dense_rank": plan.WinDenseRank,
	"percent_rank": plan.WinPercentRank, "cume_dist": plan.WinCumeDist, "ntile": plan.WinNTile,
	"lag": plan.WinLag, "lead": plan.WinLead, "first_value": plan.WinFirstValue,
	"last_value": plan.WinLastValue, "nth_value": plan.WinNthValue,
}

func (w *winCall) String() string {
	var b strings.Builder
	b.WriteString(w.name + "(")
	if w.star {
		b.WriteString("*")
	}
	for i, a := range w.args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	b.WriteString(") OVER (")
	for i, e := range w.partition {
		if i == 0 {
			b.WriteString("PARTITION BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(e.String())
	}
	for i, o := range w.order {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.expr.String())
		if o.desc {
			b.WriteString(" DESC")
		}
	}
	if w.frame != nil {
		b.WriteString(" " + w.frame.String())
	}
	return b.String() + ")"
}

// Children returns the arguments, the partition expressions, then the order expressions.
func (w *winCall) Children() []plan.Expr {
	out := append(append([]plan.Expr(nil), w.args...), w.partition...)
	for _, o := range w.order {
		out = append(out, o.expr)
	}
	return out
}

// WithChildren returns a copy with the children replaced, in Children's order.
func (w *winCall) WithChildren(c []plan.Expr) plan.Expr {
	m := *w
	n, k := len(w.args), len(w.partition)
	m.args = append([]plan.Expr(nil), c[:n]...)
	m.partition = append([]plan.Expr(nil), c[n:n+k]...)
	m.order = append([]orderItem(nil), w.order...)
	for i := range m.order {
		m.order[i].expr = c[n+k+i]
	}
	return &m
}

// windowCall reads [IGNORE NULLS] OVER (...) after a window function's arguments.
func (p *parser) windowCall(name string, args []plan.Expr, at pos) (plan.Expr, error) {
	kind, ok := winKinds[name]
	if !ok {
		return nil, errAt(at, "%s is not a window function (%s, or an aggregate)", name, winFuncList())
	}
	w := &winCall{name: name, kind: kind, args: args, p: at}
	if err := p.overClause(w); err != nil {
		return nil, err
	}
	return w, nil
}

// windowAgg reads the OVER clause of an aggregate call; first_value and last_value are
// the window's value functions.
func (p *parser) windowAgg(a *aggCall) (plan.Expr, error) {
	if a.distinct {
		return nil, errAt(a.p, "%s(DISTINCT ...) OVER is not supported (as in Spark)", a.fn)
	}
	w := &winCall{name: a.fn, kind: plan.WinAgg, agg: aggNames[a.fn], star: a.star, args: a.args, p: a.p}
	switch a.fn {
	case "first_value", "first":
		w.kind, w.name = plan.WinFirstValue, "first_value"
	case "last_value", "last":
		w.kind, w.name = plan.WinLastValue, "last_value"
	}
	if err := p.overClause(w); err != nil {
		return nil, err
	}
	return w, nil
}

func winFuncList() string {
	return "row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead, first_value, last_value, nth_value"
}

// isIgnoreNulls reports whether IGNORE NULLS follows (before OVER).
func (p *parser) isIgnoreNulls() bool {
	nx := p.peekAt(1)
	return p.isKw("ignore") && nx.kind == tokIdent && strings.EqualFold(nx.text, "nulls")
}

// overClause reads [IGNORE NULLS | RESPECT NULLS] OVER ([PARTITION BY e, ...] [ORDER BY
// keys] [frame]).
func (p *parser) overClause(w *winCall) error {
	if p.acceptKw("ignore", "nulls") {
		w.ignoreNulls = true
	} else {
		p.acceptKw("respect", "nulls")
	}
	if err := p.expectKw("over"); err != nil {
		return err
	}
	if p.peek().kind == tokIdent && !p.isKw("partition") && !p.isKw("order") {
		return p.unsupportedErr("a named window (OVER name)")
	}
	if err := p.expectOp("("); err != nil {
		return err
	}
	var err error
	if p.acceptKw("partition", "by") {
		if w.partition, err = p.exprList(); err != nil {
			return err
		}
	}
	if p.acceptKw("order", "by") {
		if w.order, err = p.orderList(); err != nil {
			return err
		}
	}
	if p.isKw("rows") || p.isKw("range") {
		if w.frame, err = p.frame(); err != nil {
			return err
		}
	}
	return p.expectOp(")")
}

// frame reads ROWS|RANGE BETWEEN bound AND bound, or ROWS|RANGE bound (to CURRENT ROW).
func (p *parser) frame() (*plan.WindowFrame, error) {
	f := &plan.WindowFrame{Kind: plan.FrameRows}
	at := p.here()
	if p.acceptKw("range") {
		f.Kind = plan.FrameRange
	} else if err := p.expectKw("rows"); err != nil {
		return nil, err
	}
	var err error
	if !p.acceptKw("between") {
		if f.Start, err = p.frameBound(); err != nil {
			return nil, err
		}
		f.End = plan.CurrentRow
	} else {
		if f.Start, err = p.frameBound(); err != nil {
			return nil, err
		}
		if err := p.expectKw("and"); err != nil {
			return nil, err
		}
		if f.End, err = p.frameBound(); err != nil {
			return nil, err
		}
	}
	if f.Start == plan.UnboundedFollowing || f.End == plan.UnboundedPreceding || f.Start > f.End {
		return nil, errAt(at, "frame %s: its start is after its end", f)
	}
	return f, nil
}

// frameBound reads UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW or n PRECEDING|FOLLOWING.
func (p *parser) frameBound() (int64, error) {
	switch {
	case p.acceptKw("unbounded", "preceding"):
		return plan.UnboundedPreceding, nil
	case p.acceptKw("unbounded", "following"):
		return plan.UnboundedFollowing, nil
	case p.acceptKw("current", "row"):
		return plan.CurrentRow, nil
	}
	t := p.peek()
	n, err := strconv.ParseInt(t.text, 10, 64)
	if t.kind != tokNumber || err != nil || n < 0 {
		if p.isKw("interval") {
			return 0, p.unsupportedErr("an INTERVAL frame offset (RANGE offsets count in the order key's units; dates in days)")
		}
		return 0, p.unexpected("a frame bound (UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, n FOLLOWING, UNBOUNDED FOLLOWING)")
	}
	p.i++
	switch {
	case p.acceptKw("preceding"):
		return -n, nil
	case p.acceptKw("following"):
		return n, nil
	}
	return 0, p.unexpected("PRECEDING or FOLLOWING")
}
