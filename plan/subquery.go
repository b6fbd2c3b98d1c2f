package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// InSubquery is Spark's predicate subquery Value IN (SELECT c FROM Plan), or, with
// Negated, Value NOT IN (...): Plan must have exactly one column c.
//
// IN is true where c holds Value; NULLs never match (a NULL Value, or only NULLs and
// other values in c, make IN NULL, which a filter drops). NOT IN follows SQL's NULL rules
// as Spark's null-aware anti join does: over an empty Plan it is true for every row (a
// NULL Value included); otherwise it is never true when c holds a NULL or Value is NULL,
// and true where Value is not among c's values.
//
// Like Spark, only a filter condition's top-level conjunct (AND-ed with others) may be an
// InSubquery: the analyzer rewrites it into joins (Spark's RewritePredicateSubquery),
// anywhere else it is an analysis error. IN becomes a left semi join with c's distinct
// values; NOT IN a left anti join with them followed by a check against two counts of
// those values (how many, how many non-NULL), a one-row aggregate joined by broadcast.
type InSubquery struct {
	Value   Expr
	Plan    Node
	Negated bool
	// Site is the user's call site that made the predicate, named by its errors.
	Site string
}

// String renders the predicate as e.g. (id IN (subquery)).
func (e *InSubquery) String() string {
	op := "IN"
	if e.Negated {
		op = "NOT IN"
	}
	return fmt.Sprintf("(%s %s (subquery))", e.Value, op)
}

// Children returns the probed value; the subquery plan is not an expression.
func (e *InSubquery) Children() []Expr { return []Expr{e.Value} }

// WithChildren returns a copy probing c[0].
func (e *InSubquery) WithChildren(c []Expr) Expr { m := *e; m.Value = c[0]; return &m }

// misplaced is the error of an InSubquery found outside a filter's top-level conjuncts.
func (e *InSubquery) misplaced() error {
	err := errAt(ErrInvalidPlan, fmt.Sprintf("%s: IsIn over a dataset is only supported as a filter conjunct (not inside OR, NOT or a projection)", e))
	err.Site = e.Site
	return err
}

// fail builds an analysis error naming the predicate's call.
func (e *InSubquery) fail(kind error, format string, args ...any) error {
	return &AnalysisError{Site: e.Site, Kind: kind, Msg: e.String() + ": " + fmt.Sprintf(format, args...)}
}

// hasInSubquery reports whether e holds an InSubquery.
func hasInSubquery(e Expr) bool {
	if e == nil {
		return false
	}
	if _, ok := e.(*InSubquery); ok {
		return true
	}
	for _, c := range e.Children() {
		if hasInSubquery(c) {
			return true
		}
	}
	return false
}

// rewriteInSubqueries turns a filter whose condition has InSubquery conjuncts into the
// filter of the other conjuncts (if any) under the joins that compute the subqueries, in
// order. in is the filter's analyzed input; the result is analyzed.
func rewriteInSubqueries(f *Filter, in Node) (Node, error) {
	var subs []*InSubquery
	var rest []Expr
	for _, c := range conjuncts(f.Cond) {
		if s, ok := c.(*InSubquery); ok {
			subs = append(subs, s)
			continue
		}
		if err := checkNoInSubquery(c); err != nil {
			return nil, err
		}
		rest = append(rest, c)
	}
	node := in
	if len(rest) > 0 {
		g := *f
		g.Input, g.Cond = in, andAll(rest)
		var err error
		if node, err = analyzeNode(&g); err != nil {
			return nil, err
		}
	}
	for i, s := range subs {
		var err error
		if node, err = planInSubquery(s, node, fmt.Sprintf("__in%d_", i), f.CallSite); err != nil {
			return nil, err
		}
	}
	return node, nil
}

// checkNoInSubquery returns the error of the first InSubquery in e.
func checkNoInSubquery(e Expr) error {
	if s, ok := e.(*InSubquery); ok {
		return s.misplaced()
	}
	if e == nil {
		return nil
	}
	for _, c := range e.Children() {
		if err := checkNoInSubquery(c); err != nil {
			return err
		}
	}
	return nil
}

// planInSubquery returns the analyzed plan keeping the rows of left where s holds. Its
// helper columns are named with prefix; site labels the nodes it makes.
func planInSubquery(s *InSubquery, left Node, prefix, site string) (Node, error) {
	if s.Plan == nil {
		return nil, s.fail(ErrInvalidPlan, "no subquery plan")
	}
	sub, err := Analyze(s.Plan)
	if err != nil {
		return nil, err
	}
	ss := sub.Schema()
	if ss.NumFields() != 1 {
		return nil, s.fail(ErrInvalidPlan, "the dataset must have exactly one column, it has %d (%s): select one",
			ss.NumFields(), strings.Join(schemaNames(ss), ", "))
	}
	ls := left.Schema()
	value, vt, err := resolveExpr(s.Value, ls)
	if err != nil {
		return nil, atSite(err, s.Site)
	}
	if al, ok := value.(*Alias); ok {
		value = al.Child
	}
	ct := ss.Field(0).Type
	to, err := commonType([]arrow.DataType{vt, ct})
	if err != nil || !isComparable(to) || !isComparable(vt) || !isComparable(ct) {
		return nil, s.fail(ErrType, "cannot compare %s with the dataset's column %q of type %s", typeName(vt), ss.Field(0).Name, typeName(ct))
	}
	var key Expr = &ColumnRef{Name: ss.Field(0).Name}
	if !isPlainOrDictString(vt) || !isPlainOrDictString(ct) {
		// Strings stay as they are, dictionary-encoded or not: the hash join reads both.
		if value, err = coerce(value, vt, to); err != nil {
			return nil, atSite(err, s.Site)
		}
		if key, err = coerce(key, ct, to); err != nil {
			return nil, atSite(err, s.Site)
		}
	}
	valueCol, keyCol, one, oneR, rows, nonNull := prefix+"value", prefix+"key", prefix+"one", prefix+"one_r", prefix+"rows", prefix+"nonnull"
	meta := Meta{CallSite: site}

	// The subquery's distinct values, NULL included, as keyCol of type to.
	keys := Node(&Aggregate{Meta: meta, Keys: []string{keyCol},
		Input: &Project{Meta: meta, Input: sub, Exprs: []Expr{&Alias{Child: key, Name: keyCol}}}})

	// left with the probed value as valueCol (and, for NOT IN, a constant to join the
	// counts on).
	var probe []Expr
	for _, f := range ls.Fields() {
		probe = append(probe, &ColumnRef{Name: f.Name})
	}
	original := append([]Expr(nil), probe...)
	if c, ok := value.(*ColumnRef); ok {
		valueCol = c.Name // a column of the common type is the join key itself
	} else {
		probe = append(probe, &Alias{Child: value, Name: valueCol})
	}
	if s.Negated {
		probe = append(probe, &Alias{Child: &Literal{Value: int64(1), Type: typInt64}, Name: one})
	}
	probed := left
	if len(probe) > len(original) {
		probed = &Project{Meta: meta, Input: left, Exprs: probe}
	}
	var out Node = &Join{Meta: meta, Left: probed, Right: keys,
		LeftKeys: []string{valueCol}, RightKeys: []string{keyCol}, Kind: LeftSemiJoin}
	if s.Negated {
		out.(*Join).Kind = LeftAntiJoin
		counts := &Project{Meta: meta, Input: &Aggregate{Meta: meta, Input: keys, Aggs: []AggExpr{
			{Func: AggCountAll, Name: rows},
			{Func: AggCount, Arg: &ColumnRef{Name: keyCol}, Name: nonNull},
		}}, Exprs: []Expr{
			&Alias{Child: &Literal{Value: int64(1), Type: typInt64}, Name: oneR},
			&ColumnRef{Name: rows}, &ColumnRef{Name: nonNull},
		}}
		out = &Join{Meta: meta, Left: out, Right: &Broadcast{Meta: meta, Input: counts},
			LeftKeys: []string{one}, RightKeys: []string{oneR}, Kind: LeftJoin}
		// Empty subquery: every row. Otherwise a non-NULL value and no NULL among c.
		zero := &Literal{Value: int64(0), Type: typInt64}
		out = &Filter{Meta: meta, Input: out, Cond: &Binary{Op: OpOr,
			Left: &Binary{Op: OpEq, Left: &ColumnRef{Name: rows}, Right: zero},
			Right: &Binary{Op: OpAnd,
				Left:  &Unary{Op: OpIsNotNull, Child: &ColumnRef{Name: valueCol}},
				Right: &Binary{Op: OpEq, Left: &ColumnRef{Name: rows}, Right: &ColumnRef{Name: nonNull}}}}}
	}
	if probed != left {
		out = &Project{Meta: meta, Input: out, Exprs: original}
	}
	return Analyze(out)
}
