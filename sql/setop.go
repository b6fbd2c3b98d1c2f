package sql

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// setOp is a set operator between two SELECTs.
type setOp struct {
	kind string // UNION, INTERSECT or EXCEPT
	all  bool
	p    pos
}

func (o setOp) String() string {
	if o.all {
		return o.kind + " ALL"
	}
	return o.kind
}

// setOperator reads UNION [ALL|DISTINCT], INTERSECT [DISTINCT] or EXCEPT [DISTINCT];
// ok is false when none follows. INTERSECT ALL and EXCEPT ALL need a generator that
// repeats a row n times (Spark's replicate_rows), which the plan does not have.
func (p *parser) setOperator() (setOp, bool, error) {
	op := setOp{p: p.here()}
	switch {
	case p.acceptKw("union"):
		op.kind = "UNION"
	case p.acceptKw("intersect"):
		op.kind = "INTERSECT"
	case p.acceptKw("except"):
		op.kind = "EXCEPT"
	default:
		return op, false, nil
	}
	if p.isKw("all") && op.kind != "UNION" {
		return op, false, p.unsupportedErr(op.kind + " ALL")
	}
	op.all = p.acceptKw("all")
	if !op.all {
		p.acceptKw("distinct")
	}
	return op, true, nil
}

// setOps combines the bound SELECTs: INTERSECT first (it binds tighter, as in Spark and
// the SQL standard), then UNION and EXCEPT from left to right.
func (b *binder) setOps(nodes []plan.Node, ops []setOp, first *scope) (plan.Node, error) {
	out := []plan.Node{nodes[0]}
	var rest []setOp
	for i, op := range ops {
		if op.kind == "INTERSECT" {
			out[len(out)-1] = b.setCompare(out[len(out)-1], nodes[i+1], first, true)
			continue
		}
		out = append(out, nodes[i+1])
		rest = append(rest, op)
	}
	node := out[0]
	for i, op := range rest {
		switch {
		case op.kind == "EXCEPT":
			node = b.setCompare(node, out[i+1], first, false)
		default:
			node = &plan.Union{Meta: b.meta(), Inputs: []plan.Node{node, out[i+1]}}
			if !op.all {
				node = &plan.Distinct{Meta: b.meta(), Input: node}
			}
		}
	}
	return node, nil
}

// setCompare is l INTERSECT r (both) or l EXCEPT r: the distinct rows of l that are
// (or are not) rows of r, NULLs comparing equal as in Spark. Both sides are tagged,
// unioned and grouped by every column; a group is kept when its tags say it came from l
// and (or not) from r. Grouping is null-safe by nature, where a join on the columns
// would need a null-safe equality the plan does not have.
func (b *binder) setCompare(l, r plan.Node, first *scope, both bool) plan.Node {
	taken := map[string]bool{}
	keys := make([]string, len(first.cols))
	for i, c := range first.cols {
		keys[i], taken[c.plan] = c.plan, true
	}
	fromL, fromR := freeName("__in_left", taken), freeName("__in_right", taken)
	tag := func(n plan.Node, inL, inR int64) plan.Node {
		exprs := make([]plan.Expr, 0, len(keys)+2)
		for _, k := range keys {
			exprs = append(exprs, &plan.ColumnRef{Name: k})
		}
		exprs = append(exprs, &plan.Alias{Child: int64Lit(inL), Name: fromL}, &plan.Alias{Child: int64Lit(inR), Name: fromR})
		return &plan.Project{Meta: b.meta(), Input: n, Exprs: exprs}
	}
	u := &plan.Union{Meta: b.meta(), Inputs: []plan.Node{tag(l, 1, 0), tag(r, 0, 1)}}
	agg := &plan.Aggregate{Meta: b.meta(), Input: u, Keys: keys, Aggs: []plan.AggExpr{
		{Func: plan.AggMax, Arg: &plan.ColumnRef{Name: fromL}, Name: fromL},
		{Func: plan.AggMax, Arg: &plan.ColumnRef{Name: fromR}, Name: fromR}}}
	wantR := int64(0)
	if both {
		wantR = 1
	}
	cond := &plan.Binary{Op: plan.OpAnd,
		Left:  &plan.Binary{Op: plan.OpEq, Left: &plan.ColumnRef{Name: fromL}, Right: int64Lit(1)},
		Right: &plan.Binary{Op: plan.OpEq, Left: &plan.ColumnRef{Name: fromR}, Right: int64Lit(wantR)}}
	f := &plan.Filter{Meta: b.meta(), Input: agg, Cond: cond}
	cols := make([]plan.Expr, len(keys))
	for i, k := range keys {
		cols[i] = &plan.ColumnRef{Name: k}
	}
	return &plan.Project{Meta: b.meta(), Input: f, Exprs: cols}
}

func int64Lit(v int64) plan.Expr { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }

func freeName(base string, taken map[string]bool) string {
	name := base
	for i := 2; taken[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	taken[name] = true
	return name
}
