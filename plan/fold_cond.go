package plan

import "github.com/apache/arrow-go/v18/arrow"

// Folding a join's condition. The SQL binder turns a WHERE over a comma join into the
// join's condition, where a DataFrame program filters after the join; the condition must
// be folded as a filter's is (constant arithmetic evaluated, a column compared with a
// literal of a wider type compared in its own type), or the SQL plan evaluates casts per
// row pair that the DataFrame plan does not (TPC-H Q19's l_quantity <= 1 + 10).

// foldJoin folds j's condition over the pair of its inputs' schemas; j itself when
// nothing folds.
func (o *optimizer) foldJoin(j *Join) Node {
	if j.Cond == nil {
		return j
	}
	ls, rs := j.Left.Schema(), j.Right.Schema()
	if ls == nil || rs == nil {
		return j
	}
	pair, rightNames := pairSchema(ls, rs)
	back := map[string]Expr{}
	for _, f := range ls.Fields() {
		back[f.Name] = &JoinSideRef{Name: f.Name}
	}
	for i, f := range rs.Fields() {
		back[rightNames[i]] = &JoinSideRef{Right: true, Name: f.Name}
	}
	rightName := make(map[string]string, len(rightNames))
	for i, f := range rs.Fields() {
		rightName[f.Name] = rightNames[i]
	}
	flat := rewriteSideRefs(j.Cond, func(r *JoinSideRef) Expr {
		if r.Right {
			return &ColumnRef{Name: rightName[r.Name]}
		}
		return &ColumnRef{Name: r.Name}
	})
	folded := foldExpr(flat, pair)
	if folded.String() == flat.String() {
		return j
	}
	m := *j
	m.Cond = substitute(folded, back)
	if v, isNull, ok := literalBool(folded); ok && !isNull && v && len(j.LeftKeys) > 0 {
		m.Cond = nil // always true: the keys alone decide
	}
	return o.rebuild(&m)
}

// unwrapDecimalCast folds a comparison of a decimal column widened by a cast with a
// decimal literal into the comparison in the column's own type, when the literal's value
// has that type exactly: CAST(q AS decimal(22, 2)) <= 11.00 becomes q <= 11.00, as the
// analyzer types q <= 11 in the first place (SQL's q <= 1 + 10 is typed before the sum
// is folded). Casting the literal back must give the same value, so no rounding or
// overflow changes the comparison.
func unwrapDecimalCast(e *Binary, schema *arrow.Schema) (Expr, bool) {
	c, lit, castLeft := e.Left, e.Right, true
	if _, ok := c.(*Cast); !ok {
		c, lit, castLeft = e.Right, e.Left, false
	}
	cast, ok := c.(*Cast)
	l, lok := lit.(*Literal)
	if !ok || !lok || l.Value == nil || !isDecimal(cast.To) || !isDecimal(literalType(l)) {
		return e, false
	}
	from, err := TypeOf(cast.Child, schema)
	if err != nil || !isDecimal(from) || !arrow.TypeEqual(literalType(l), cast.To) {
		return e, false
	}
	v, ok := castValue(l.Value, cast.To, from)
	if !ok || v == nil {
		return e, false
	}
	back, ok := castValue(v, from, cast.To)
	if c, cok := compareValues(back, l.Value); !ok || !cok || c != 0 {
		return e, false
	}
	nl := &Literal{Value: v, Type: from}
	if castLeft {
		return &Binary{Op: e.Op, Left: cast.Child, Right: nl}, true
	}
	return &Binary{Op: e.Op, Left: nl, Right: cast.Child}, true
}
