package plan

import (
	"slices"
	"strings"
)

// Ordering a filter's conjuncts. The filter evaluates its ANDed conjuncts in order and,
// once few rows are left, evaluates the rest over those rows only (exec/eval), so a
// cheap conjunct placed first spares the costly ones most of their rows. How the
// conjuncts come to be in one filter (the order a program wrote its filters in, a
// predicate derived from a disjunction over a join appended to a side's own filters, a
// SQL WHERE written in another order) should not decide the work: as DuckDB's
// expression heuristics do, the conjuncts are ordered by an estimate of their cost per
// row, cheapest first, ties in the written order.

// orderConjuncts orders the conjuncts of every filter of the tree by their cost.
func (o *optimizer) orderConjuncts(n Node) Node {
	n = o.mapChildren(n, o.orderConjuncts)
	f, ok := n.(*Filter)
	if !ok {
		return n
	}
	cs := conjuncts(f.Cond)
	if len(cs) < 2 {
		return n
	}
	costs := make([]int, len(cs))
	for i, c := range cs {
		costs[i] = exprCost(c)
	}
	idx := make([]int, len(cs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return costs[a] - costs[b] })
	if slices.IsSorted(idx) {
		return n
	}
	ordered := make([]Expr, len(cs))
	for i, k := range idx {
		ordered[i] = cs[k]
	}
	m := *f
	m.Cond = andAll(ordered)
	return &m
}

// exprCost estimates the per-row work of evaluating e: one for each operator or
// function applied, more for pattern matching; reading a column or a literal is free.
func exprCost(e Expr) int {
	cost := 0
	switch x := e.(type) {
	case *ColumnRef, *Literal:
		return 0
	case *Alias:
	case *Binary:
		if !x.Op.IsLogical() {
			cost = 1
		}
	case *Call:
		switch name := strings.ToLower(x.Func); {
		case strings.Contains(name, "like") || strings.HasPrefix(name, "regexp") || name == "rlike":
			cost = 8
		default:
			cost = 2
		}
	default:
		cost = 1
	}
	for _, c := range e.Children() {
		cost += exprCost(c)
	}
	return cost
}
