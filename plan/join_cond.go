package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// JoinSideRef names a column of one input of a join inside the join's condition: the
// way to tell a left column from a right column of the same name (Spark's df1("k") and
// df2("k")). It is meaningful only in Join.Cond; the analyzer turns an unqualified
// ColumnRef there into a JoinSideRef of the one side that has the column.
type JoinSideRef struct {
	Right bool
	Name  string
}

// String renders the reference as left.name or right.name.
func (r *JoinSideRef) String() string {
	if r.Right {
		return "right." + r.Name
	}
	return "left." + r.Name
}

// Children returns nothing: a reference is a leaf.
func (r *JoinSideRef) Children() []Expr { return nil }

// WithChildren returns r itself: it has no children.
func (r *JoinSideRef) WithChildren([]Expr) Expr { return r }

// pairSchema is the schema a join condition is evaluated over: the left input's columns,
// then the right input's, each right column whose name a left column takes renamed with
// RightSuffix (repeated until unique). It is the same for every join kind, semi and anti
// joins included: the condition sees both rows of a candidate pair.
func pairSchema(ls, rs *arrow.Schema) (*arrow.Schema, []string) {
	taken := make(map[string]bool, ls.NumFields()+rs.NumFields())
	fields := make([]arrow.Field, 0, ls.NumFields()+rs.NumFields())
	for _, f := range ls.Fields() {
		taken[f.Name] = true
		fields = append(fields, f)
	}
	names := make([]string, rs.NumFields())
	for i, f := range rs.Fields() {
		if !taken[f.Name] {
			names[i] = f.Name
		}
	}
	for _, n := range names {
		if n != "" {
			taken[n] = true
		}
	}
	for i, f := range rs.Fields() {
		if names[i] == "" {
			n := f.Name + RightSuffix
			for taken[n] {
				n += RightSuffix
			}
			taken[n] = true
			names[i] = n
		}
		f.Name = names[i]
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil), names
}

// bindJoinCond rewrites every column reference of cond into a JoinSideRef: an
// unqualified name must be a column of exactly one side.
func bindJoinCond(cond Expr, ls, rs *arrow.Schema) (Expr, error) {
	switch c := cond.(type) {
	case *ColumnRef:
		inL, inR := len(ls.FieldIndices(c.Name)) > 0, len(rs.FieldIndices(c.Name)) > 0
		switch {
		case inL && inR:
			return nil, errAt(ErrInvalidPlan, fmt.Sprintf(
				"column %q of the join condition is on both sides: write LeftCol(%q) or RightCol(%q)", c.Name, c.Name, c.Name))
		case inL:
			return &JoinSideRef{Name: c.Name}, nil
		case inR:
			return &JoinSideRef{Right: true, Name: c.Name}, nil
		}
		all := append(schemaNames(ls), schemaNames(rs)...)
		return nil, errAt(ErrUnknownColumn, fmt.Sprintf("unknown column %q in the join condition (left columns: %s; right columns: %s)",
			c.Name, strings.Join(schemaNames(ls), ", "), strings.Join(schemaNames(rs), ", "))+didYouMean(c.Name, all))
	case *JoinSideRef:
		side, s := "left", ls
		if c.Right {
			side, s = "right", rs
		}
		if len(s.FieldIndices(c.Name)) == 0 {
			return nil, errAt(ErrUnknownColumn, fmt.Sprintf("unknown %s column %q in the join condition (%s columns: %s)",
				side, c.Name, side, strings.Join(schemaNames(s), ", "))+didYouMean(c.Name, schemaNames(s)))
		}
		return c, nil
	}
	ch := cond.Children()
	if len(ch) == 0 {
		return cond, nil
	}
	nc := make([]Expr, len(ch))
	for i, x := range ch {
		var err error
		if nc[i], err = bindJoinCond(x, ls, rs); err != nil {
			return nil, err
		}
	}
	return cond.WithChildren(nc), nil
}

func didYouMean(name string, names []string) string {
	if sg := suggest(name, names); sg != "" {
		return `; did you mean "` + sg + `"?`
	}
	return ""
}

// splitJoinCond binds a join's condition and moves its conjuncts of the form
// left.a = right.b (either order) into the join's keys, when the two columns can be
// matched by the hash join, and those that read one side only into a filter under that
// side where the kind allows it (see pushableSide); the rest stays in Cond as the
// residual predicate.
func splitJoinCond(n *Join, site string) (*Join, error) {
	ls, rs := n.Left.Schema(), n.Right.Schema()
	bound, err := bindJoinCond(n.Cond, ls, rs)
	if err != nil {
		return nil, err
	}
	m := *n
	m.LeftKeys = append([]string(nil), n.LeftKeys...)
	m.RightKeys = append([]string(nil), n.RightKeys...)
	var rest, toLeft, toRight []Expr
	for _, c := range conjuncts(bound) {
		l, r, ok := equiConjunct(c, ls, rs)
		if !ok {
			switch pushableSide(c, n.Kind) {
			case "left":
				toLeft = append(toLeft, c)
			case "right":
				toRight = append(toRight, c)
			default:
				rest = append(rest, c)
			}
			continue
		}
		m.LeftKeys = append(m.LeftKeys, l)
		m.RightKeys = append(m.RightKeys, r)
		m.CondKeys++
	}
	m.Cond = nil
	if len(rest) > 0 {
		m.Cond = andAll(rest)
	}
	var err2 error
	if m.Left, err2 = filterSide(m.Left, toLeft, site); err2 != nil {
		return nil, err2
	}
	if m.Right, err2 = filterSide(m.Right, toRight, site); err2 != nil {
		return nil, err2
	}
	return &m, nil
}

// pushableSide says which input a conjunct of a join condition can filter instead: one
// that reads only that side, of a side whose rows the kind drops when they do not match
// ("left" for inner and right joins, "right" for inner, left, semi and anti joins); ""
// when it must stay in the join.
func pushableSide(c Expr, kind JoinKind) string {
	l, r := sideColumns(c)
	switch {
	case len(l) > 0 && len(r) == 0 && (kind == InnerJoin || kind == RightJoin):
		return "left"
	case len(r) > 0 && len(l) == 0 && (kind == InnerJoin || kind == LeftJoin || kind == LeftSemiJoin || kind == LeftAntiJoin):
		return "right"
	}
	return ""
}

// filterSide puts a filter of the conjuncts (side references made plain column names)
// over in, or returns in when there are none.
func filterSide(in Node, conds []Expr, site string) (Node, error) {
	if len(conds) == 0 {
		return in, nil
	}
	cond := rewriteSideRefs(andAll(conds), func(r *JoinSideRef) Expr { return &ColumnRef{Name: r.Name} })
	return analyzeNode(&Filter{Meta: Meta{CallSite: site}, Input: in, Cond: cond})
}

// equiConjunct recognizes left.a = right.b (or right.b = left.a) between columns the hash
// join can match, and returns a and b.
func equiConjunct(c Expr, ls, rs *arrow.Schema) (string, string, bool) {
	b, ok := c.(*Binary)
	if !ok || b.Op != OpEq {
		return "", "", false
	}
	x, ok1 := b.Left.(*JoinSideRef)
	y, ok2 := b.Right.(*JoinSideRef)
	if !ok1 || !ok2 || x.Right == y.Right {
		return "", "", false
	}
	if x.Right {
		x, y = y, x
	}
	lt := ls.Field(ls.FieldIndices(x.Name)[0]).Type
	rt := rs.Field(rs.FieldIndices(y.Name)[0]).Type
	if _, ok := joinKeyType(lt, rt); !ok {
		return "", "", false
	}
	return x.Name, y.Name, true
}

// resolveJoinCond type-checks a bound residual condition over the pair schema of the
// join's (analyzed) inputs and returns it resolved, still in JoinSideRef form.
func resolveJoinCond(cond Expr, ls, rs *arrow.Schema) (Expr, error) {
	pair, rightNames := pairSchema(ls, rs)
	toPair := map[string]Expr{}
	back := map[string]Expr{}
	for _, f := range ls.Fields() {
		toPair["L"+f.Name] = &ColumnRef{Name: f.Name}
		back[f.Name] = &JoinSideRef{Name: f.Name}
	}
	for i, f := range rs.Fields() {
		toPair["R"+f.Name] = &ColumnRef{Name: rightNames[i]}
		back[rightNames[i]] = &JoinSideRef{Right: true, Name: f.Name}
	}
	flat := rewriteSideRefs(cond, func(r *JoinSideRef) Expr {
		if r.Right {
			return toPair["R"+r.Name]
		}
		return toPair["L"+r.Name]
	})
	re, t, err := resolveExpr(flat, pair)
	if err != nil {
		return nil, err
	}
	if t.ID() != arrow.BOOL && !isNullType(t) {
		return nil, errAt(ErrType, fmt.Sprintf("join condition %s is %s, not boolean", cond, typeName(t)))
	}
	return substitute(re, back), nil
}

// rewriteSideRefs replaces each JoinSideRef of e by f's result.
func rewriteSideRefs(e Expr, f func(*JoinSideRef) Expr) Expr {
	if r, ok := e.(*JoinSideRef); ok {
		return f(r)
	}
	ch := e.Children()
	if len(ch) == 0 {
		return e
	}
	nc := make([]Expr, len(ch))
	for i, c := range ch {
		nc[i] = rewriteSideRefs(c, f)
	}
	return e.WithChildren(nc)
}

// sideColumns returns the left and right column names a bound condition reads.
func sideColumns(cond Expr) (left, right []string) {
	if cond == nil {
		return nil, nil
	}
	rewriteSideRefs(cond, func(r *JoinSideRef) Expr {
		if r.Right {
			right = append(right, r.Name)
		} else {
			left = append(left, r.Name)
		}
		return r
	})
	return left, right
}

// physicalResidual returns a join's residual condition over the pair schema of its
// inputs, as the hash join evaluates it, with that schema; nil when there is none.
func physicalResidual(n *Join) (Expr, *arrow.Schema) {
	if n.Cond == nil {
		return nil, nil
	}
	pair, rightNames := pairSchema(n.Left.Schema(), n.Right.Schema())
	rs := n.Right.Schema()
	return rewriteSideRefs(n.Cond, func(r *JoinSideRef) Expr {
		if r.Right {
			return &ColumnRef{Name: rightNames[rs.FieldIndices(r.Name)[0]]}
		}
		return &ColumnRef{Name: r.Name}
	}), pair
}

// suffix is what a clashing right column's name gets.
func (n *Join) suffix() string {
	if n.Suffix == "" {
		return RightSuffix
	}
	return n.Suffix
}

// usingKey reports whether name is a "using" key of the join (the same name on both
// sides, from On): its right column is dropped from the output.
func (n *Join) usingKey(name string) bool {
	for i := range len(n.LeftKeys) - n.CondKeys {
		if n.LeftKeys[i] == name && n.RightKeys[i] == name {
			return true
		}
	}
	return false
}

// joinCondRewrite applies a rewrite of expressions over a schema (the session's time
// zone and current time) to an analyzed join condition, over its pair schema.
func joinCondRewrite(j *Join, rewrite func(Expr, *arrow.Schema) (Expr, error)) (Expr, error) {
	flat, pair := physicalResidual(j)
	out, err := rewrite(flat, pair)
	if err != nil || out == flat {
		return j.Cond, err
	}
	_, rightNames := pairSchema(j.Left.Schema(), j.Right.Schema())
	back := map[string]Expr{}
	for _, f := range j.Left.Schema().Fields() {
		back[f.Name] = &JoinSideRef{Name: f.Name}
	}
	for i, f := range j.Right.Schema().Fields() {
		back[rightNames[i]] = &JoinSideRef{Right: true, Name: f.Name}
	}
	return substitute(out, back), nil
}
