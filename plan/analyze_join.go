package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// joinShape is how a join lays out its columns, computed from its inputs' schemas. The
// analyzer, the optimizer and the physical planner all derive names from it, so the
// logical schema and the physical operators always agree.
type joinShape struct {
	// raw is the output of the hash join itself: left columns then right columns
	// (semi/anti: left only), right names renamed, using keys still present.
	raw *arrow.Schema
	// rightNames[i] is the name of the right input's column i in raw.
	rightNames []string
	// usingRight[i] reports whether right column i is a using key (dropped from the
	// logical output).
	usingRight []bool
	// post projects raw onto the logical output: using keys dropped, coalesced for right
	// and full joins. nil when the logical output is raw itself.
	post []Expr
	// out is the logical output schema.
	out *arrow.Schema
}

// keepsRight reports whether the join's output has the right input's columns.
func (k JoinKind) keepsRight() bool { return k != LeftSemiJoin && k != LeftAntiJoin }

// leftNullable reports whether left columns may be NULL-filled (an unmatched right row).
func (k JoinKind) leftNullable() bool { return k == RightJoin || k == FullJoin }

// rightNullable reports whether right columns may be NULL-filled (an unmatched left row).
func (k JoinKind) rightNullable() bool { return k == LeftJoin || k == FullJoin }

// shapeJoin computes the column layout of j from its inputs' schemas. The keys must exist.
func shapeJoin(j *Join) (*joinShape, error) {
	ls, rs := j.Left.Schema(), j.Right.Schema()
	s := &joinShape{}
	fields := make([]arrow.Field, 0, ls.NumFields()+rs.NumFields())
	for _, f := range ls.Fields() {
		if j.Kind.leftNullable() {
			f.Nullable = true
		}
		fields = append(fields, f)
	}
	if !j.Kind.keepsRight() {
		s.raw = arrow.NewSchema(fields, nil)
		s.out = s.raw
		return s, nil
	}
	var err error
	if s.rightNames, err = joinRightNames(j, ls, rs); err != nil {
		return nil, err
	}
	s.usingRight = make([]bool, rs.NumFields())
	usingLeft := map[string]string{} // left key name -> raw name of its right twin
	for i, lk := range j.LeftKeys {
		if lk != j.RightKeys[i] || i >= len(j.LeftKeys)-j.CondKeys {
			continue
		}
		ri := rs.FieldIndices(j.RightKeys[i])[0]
		s.usingRight[ri] = true
		usingLeft[lk] = s.rightNames[ri]
	}
	for i, f := range rs.Fields() {
		f.Name = s.rightNames[i]
		if j.Kind.rightNullable() {
			f.Nullable = true
		}
		fields = append(fields, f)
	}
	s.raw = arrow.NewSchema(fields, nil)
	if len(usingLeft) == 0 {
		s.out = s.raw
		return s, nil
	}
	// The logical output: every left column (a using key coalesced with its twin when
	// the right side may carry the only value), then the right columns but using keys.
	var out []arrow.Field
	for _, f := range ls.Fields() {
		twin, using := usingLeft[f.Name]
		if !using || !j.Kind.leftNullable() {
			s.post = append(s.post, &ColumnRef{Name: f.Name})
			out = append(out, s.raw.Field(s.raw.FieldIndices(f.Name)[0]))
			continue
		}
		call := &Call{Func: "coalesce", Args: []Expr{&ColumnRef{Name: f.Name}, &ColumnRef{Name: twin}}}
		re, t, err := resolveExpr(call, s.raw)
		if err != nil {
			return nil, err
		}
		tf := s.raw.Field(s.raw.FieldIndices(twin)[0])
		// A right join always has the right row, whose key equals the left key when they
		// match: the coalesced key is NULL only where the right key is.
		nullable := tf.Nullable
		if j.Kind == FullJoin {
			nullable = f.Nullable || tf.Nullable
		}
		s.post = append(s.post, &Alias{Child: re, Name: f.Name})
		out = append(out, arrow.Field{Name: f.Name, Type: t, Nullable: nullable})
	}
	for i := range rs.Fields() {
		if !s.usingRight[i] {
			s.post = append(s.post, &ColumnRef{Name: s.rightNames[i]})
			out = append(out, s.raw.Field(ls.NumFields()+i))
		}
	}
	s.out = arrow.NewSchema(out, nil)
	return s, nil
}

// analyzeJoin checks a join's keys, makes each key pair one type (inserting a casting
// projection under a side when integer widths or int/float differ) and sets the output
// schema.
func analyzeJoin(n *Join, site string) (Node, error) {
	fail := func(kind error, format string, args ...any) error {
		return &AnalysisError{Site: site, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	}
	if n.Kind < InnerJoin || n.Kind > LeftAntiJoin {
		return nil, fail(ErrInvalidPlan, "unknown join kind %d", int(n.Kind))
	}
	if n.Cond != nil {
		split, err := splitJoinCond(n, site)
		if err != nil {
			return nil, atSite(err, site)
		}
		n = split
	}
	noKeysOK := n.Cross || n.Cond != nil
	if (len(n.LeftKeys) == 0 && !noKeysOK) || len(n.LeftKeys) != len(n.RightKeys) {
		return nil, fail(ErrInvalidPlan, "join needs as many left keys as right keys, at least one: got left [%s], right [%s]",
			strings.Join(n.LeftKeys, ", "), strings.Join(n.RightKeys, ", "))
	}
	ls, rs := n.Left.Schema(), n.Right.Schema()
	keyField := func(side string, s *arrow.Schema, k string) (arrow.Field, error) {
		idx := s.FieldIndices(k)
		if len(idx) == 0 {
			msg := fmt.Sprintf("unknown %s join key %q (%s columns: %s)", side, k, side, strings.Join(schemaNames(s), ", "))
			if sg := suggest(k, schemaNames(s)); sg != "" {
				msg += `; did you mean "` + sg + `"?`
			}
			return arrow.Field{}, fail(ErrUnknownColumn, "%s", msg)
		}
		return s.Field(idx[0]), nil
	}
	leftCast := map[string]arrow.DataType{}
	rightCast := map[string]arrow.DataType{}
	addCast := func(casts map[string]arrow.DataType, side, k string, to arrow.DataType) error {
		if prev, ok := casts[k]; ok && !arrow.TypeEqual(prev, to) {
			return fail(ErrType, "%s join key %q is compared as both %s and %s", side, k, typeName(prev), typeName(to))
		}
		casts[k] = to
		return nil
	}
	for i := range n.LeftKeys {
		lf, err := keyField("left", ls, n.LeftKeys[i])
		if err != nil {
			return nil, err
		}
		rf, err := keyField("right", rs, n.RightKeys[i])
		if err != nil {
			return nil, err
		}
		to, ok := joinKeyType(lf.Type, rf.Type)
		if !ok {
			return nil, fail(ErrType, "join keys %s (left, %s) and %s (right, %s) have incompatible types",
				n.LeftKeys[i], typeName(lf.Type), n.RightKeys[i], typeName(rf.Type))
		}
		if to == nil {
			continue
		}
		if !arrow.TypeEqual(lf.Type, to) {
			if err := addCast(leftCast, "left", lf.Name, to); err != nil {
				return nil, err
			}
		}
		if !arrow.TypeEqual(rf.Type, to) {
			if err := addCast(rightCast, "right", rf.Name, to); err != nil {
				return nil, err
			}
		}
	}
	m := *n
	m.LeftKeys = append([]string(nil), n.LeftKeys...)
	m.RightKeys = append([]string(nil), n.RightKeys...)
	var err error
	if m.Left, err = castColumns(n.Left, leftCast, site); err != nil {
		return nil, err
	}
	if m.Right, err = castColumns(n.Right, rightCast, site); err != nil {
		return nil, err
	}
	if m.Cond != nil {
		if m.Cond, err = resolveJoinCond(m.Cond, m.Left.Schema(), m.Right.Schema()); err != nil {
			return nil, atSite(err, site)
		}
	}
	shape, err := shapeJoin(&m)
	if err != nil {
		return nil, atSite(err, site)
	}
	if err := checkUnique(schemaNames(shape.out)); err != nil {
		return nil, atSite(err, site)
	}
	m.OutSchema = shape.out
	return &m, nil
}

// joinKeyType says whether keys of types l and r can be matched: ok with a nil type when
// they compare as they are, ok with a type when both must be cast to it first.
func joinKeyType(l, r arrow.DataType) (arrow.DataType, bool) {
	switch {
	case !isComparable(l) || !isComparable(r) || isNullType(l) || isNullType(r):
		return nil, false
	case arrow.TypeEqual(l, r):
		return nil, true
	case IsInteger(l) && IsInteger(r):
		return typInt64, true
	case IsNumeric(l) && IsNumeric(r):
		return typFloat64, true
	case isPlainOrDictString(l) && isPlainOrDictString(r):
		return nil, true
	}
	return nil, false
}

// isPlainOrDictString reports whether t is utf8 or a dictionary of utf8: the string
// encodings the hash join reads interchangeably.
func isPlainOrDictString(t arrow.DataType) bool {
	if d, ok := t.(*arrow.DictionaryType); ok {
		return d.ValueType.ID() == arrow.STRING
	}
	return t.ID() == arrow.STRING
}

// castColumns returns in under a projection that replaces each column of casts by
// CAST(column AS type) under the same name, or in itself when casts is empty.
func castColumns(in Node, casts map[string]arrow.DataType, site string) (Node, error) {
	if len(casts) == 0 {
		return in, nil
	}
	s := in.Schema()
	exprs := make([]Expr, s.NumFields())
	for i, f := range s.Fields() {
		exprs[i] = &ColumnRef{Name: f.Name}
		if to, ok := casts[f.Name]; ok {
			exprs[i] = &Alias{Child: &Cast{Child: &ColumnRef{Name: f.Name}, To: to}, Name: f.Name}
		}
	}
	return analyzeNode(&Project{Meta: Meta{CallSite: site}, Input: in, Exprs: exprs})
}

// isSortable reports whether a column of type t can be a sort key.
func isSortable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.STRING, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL128:
		return true
	case arrow.DICTIONARY:
		return isStringLike(t)
	}
	return IsNumeric(t)
}

func analyzeSort(n *Sort, site string) (Node, error) {
	if len(n.Keys) == 0 {
		return nil, &AnalysisError{Site: site, Kind: ErrInvalidPlan, Msg: "sort without keys"}
	}
	in := n.Input.Schema()
	for _, k := range n.Keys {
		idx := in.FieldIndices(k.Column)
		if len(idx) == 0 {
			return nil, atSite(unknownColumn(k.Column, schemaNames(in)), site)
		}
		if t := in.Field(idx[0]).Type; !isSortable(t) {
			return nil, &AnalysisError{Site: site, Kind: ErrType, Msg: fmt.Sprintf("cannot sort by %q of type %s", k.Column, typeName(t))}
		}
	}
	m := *n
	m.Keys = append([]SortKey(nil), n.Keys...)
	m.OutSchema = in
	return &m, nil
}

// joinRightNames names the right columns in a join's output: those that clash with no
// left column keep their names; the clashing ones take the join's suffix (RightSuffix by
// default) as often as needed to become unique. With a suffix of the user's own, a
// renamed name still taken is an error instead.
func joinRightNames(j *Join, ls, rs *arrow.Schema) ([]string, error) {
	taken := make(map[string]bool, ls.NumFields()+rs.NumFields())
	for _, f := range ls.Fields() {
		taken[f.Name] = true
	}
	names := make([]string, rs.NumFields())
	for i, f := range rs.Fields() {
		if !taken[f.Name] {
			names[i] = f.Name
		}
	}
	for _, name := range names {
		if name != "" {
			taken[name] = true
		}
	}
	suffix := j.suffix()
	for i, f := range rs.Fields() {
		if names[i] != "" {
			continue
		}
		name := f.Name + suffix
		if taken[name] && j.Suffix != "" && !j.usingKey(f.Name) {
			return nil, errAt(ErrDuplicateColumn, fmt.Sprintf(
				"the right column %q, renamed with the suffix %q, clashes with the column %q too: choose another suffix", f.Name, suffix, name))
		}
		for taken[name] {
			name += suffix
		}
		taken[name] = true
		names[i] = name
	}
	return names, nil
}
