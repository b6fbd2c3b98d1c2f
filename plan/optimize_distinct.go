package plan

import (
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Distinct aggregates as two aggregations (Spark's RewriteDistinctAggregates for a single
// distinct argument, DataFusion's single_distinct_to_groupby). An aggregation whose
// distinct aggregates are all count(DISTINCT x) or sum(DISTINCT x) over the same x,
//
//	Aggregate keys=[k] aggs=[count(DISTINCT x) AS n, sum(DISTINCT x) AS s]
//
// becomes an aggregation by (k, x) with no aggregates, which deduplicates the pairs with
// the ordinary hash aggregate (partial deduplication in each map task, one shuffle on
// (k, x)), under the plain aggregates of x by k:
//
//	Aggregate keys=[k] aggs=[count(x) AS n, sum(x) AS s]
//	+- Aggregate keys=[k, x] aggs=[]
//
// NULLs of x form one (k, NULL) group, which count and sum skip, so the results are the
// distinct aggregates' exactly, also over no rows (count 0, sum NULL). This replaces a
// set of values per group (a hash map entry per (group, value) pair, and every distinct
// value of a group shipped in one list across the shuffle) with the hash aggregate's own
// typed tables. An x that is an expression is computed into a column first; an x that is
// a dictionary column cast to strings is grouped as the dictionary itself.
//
// Other aggregates ride along as Spark's planAggregateWithOneDistinct does: each is
// computed per (k, x) below and merged per k above (sum, min, max, first, any_value,
// bool_and and bool_or as themselves, counts by sum_counts, which is 0 over none), so
// count(*), count(DISTINCT x) and sum(y) together still split. Aggregations with several
// distinct arguments, or with an aggregate that does not merge in its own type (mean,
// decimal sums, the statistical and collection aggregates), are expanded, and keep the
// set-based accumulators only when expandDistinct (below) cannot carry them.

// distinctArgColumn is the name of the column a computed distinct argument is put in.
const distinctArgColumn = "$distinct"

// OptimizeKeepingDistinct is Optimize without the rewrite of distinct aggregates into
// two aggregations: the set-based plan, kept so that tests and benchmarks can compare
// the two.
func OptimizeKeepingDistinct(root Node) Node {
	return optimizeWith(root, &optimizer{keepDistinct: true})
}

// splitDistinct applies the rewrite to every aggregation of the tree, bottom up.
func (o *optimizer) splitDistinct(n Node) Node {
	n = o.mapChildren(n, o.splitDistinct)
	agg, ok := n.(*Aggregate)
	if !ok || o.keepDistinct {
		return n
	}
	arg, ok := singleDistinctArg(agg)
	if !ok {
		if expanded, ok := o.expandDistinct(agg); ok {
			return expanded
		}
		return n
	}
	in, col := o.distinctInput(agg, arg)
	lowerKeys := append(append([]string(nil), agg.Keys...), col)
	var partials []AggExpr
	aggs := make([]AggExpr, len(agg.Aggs))
	for i, a := range agg.Aggs {
		switch a.Func {
		case AggCountDistinct:
			aggs[i] = AggExpr{Func: AggCount, Arg: &ColumnRef{Name: col}, Name: a.Name}
		case AggSumDistinct:
			aggs[i] = AggExpr{Func: AggSum, Arg: &ColumnRef{Name: col}, Name: a.Name}
		default:
			// Computed per (keys, x) below, merged per keys above.
			p := a
			p.Name = freshName(in.Schema(), lowerKeys, "$partial"+strconv.Itoa(i))
			partials = append(partials, p)
			aggs[i] = AggExpr{Func: mergeFunc(a.Func), Arg: &ColumnRef{Name: p.Name}, Name: a.Name}
		}
	}
	lower := o.rebuild(&Aggregate{Meta: agg.Meta, Input: in, Keys: lowerKeys, Aggs: partials})
	return o.rebuild(&Aggregate{Meta: agg.Meta, Input: lower, Keys: agg.Keys, Aggs: aggs})
}

// singleDistinctArg returns the argument shared by all of agg's distinct aggregates,
// count(DISTINCT x) or sum(DISTINCT x), when there is at least one and every other
// aggregate can be computed per (keys, x) and merged per keys (mergeFunc) in its own
// type.
func singleDistinctArg(agg *Aggregate) (Expr, bool) {
	var arg Expr
	in := agg.Input.Schema()
	for _, a := range agg.Aggs {
		switch a.Func {
		case AggCountDistinct, AggSumDistinct:
			if a.Arg == nil || (arg != nil && a.Arg.String() != arg.String()) {
				return nil, false
			}
			arg = a.Arg
		case AggSum:
			// A decimal sum of sums would widen the type again.
			if t, err := TypeOf(a.Arg, in); err != nil || isAggDecimal(t) {
				return nil, false
			}
		case AggCount, AggCountAll, AggMin, AggMax, AggFirst, AggAnyValue, AggBoolAnd, AggBoolOr:
		default:
			return nil, false
		}
	}
	return arg, arg != nil
}

// mergeFunc is the aggregate that merges per-(keys, x) values of f into per-keys ones.
func mergeFunc(f AggFunc) AggFunc {
	switch f {
	case AggCount, AggCountAll:
		return AggSumCounts
	}
	return f // sum, min, max, first, any_value, bool_and, bool_or merge as themselves
}

// freshName is base, or base with a numeric suffix, that names no column of s nor any
// of taken.
func freshName(s *arrow.Schema, taken []string, base string) string {
	name := base
	for i := 1; len(s.FieldIndices(name)) > 0 || slices.Contains(taken, name); i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

// distinctInput returns the input of the deduplicating aggregation and the column of
// the distinct argument in it: a column argument (or a dictionary column cast to
// strings) as it is, unless it is a grouping key; otherwise a projection of the keys and
// the argument computed into a fresh column.
func (o *optimizer) distinctInput(agg *Aggregate, arg Expr) (Node, string) {
	in := agg.Input
	schema := in.Schema()
	isKey := func(name string) bool {
		for _, k := range agg.Keys {
			if k == name {
				return true
			}
		}
		return false
	}
	ref, ok := arg.(*ColumnRef)
	if c, isCast := arg.(*Cast); isCast {
		if r, isRef := c.Child.(*ColumnRef); isRef && c.To.ID() == arrow.STRING {
			if idx := schema.FieldIndices(r.Name); len(idx) == 1 && schema.Field(idx[0]).Type.ID() == arrow.DICTIONARY {
				ref, ok = r, true
			}
		}
	}
	if ok && !isKey(ref.Name) {
		return in, ref.Name
	}
	name := freshName(schema, nil, distinctArgColumn)
	// Every input column, for the other aggregates' arguments (pruning drops the unused).
	exprs := make([]Expr, 0, schema.NumFields()+1)
	for _, f := range schema.Fields() {
		exprs = append(exprs, &ColumnRef{Name: f.Name})
	}
	exprs = append(exprs, &Alias{Child: arg, Name: name})
	return o.rebuild(&Project{Meta: agg.Meta, Input: in, Exprs: exprs}), name
}

// Several distinct arguments (Spark's RewriteDistinctAggregates with an Expand). When
// the distinct aggregates have several arguments x1..xm, or a regular aggregate does not
// merge in its own type, every input row is copied once per distinct argument (group id
// i, xi in its own column, the other arguments NULL) and, when there are regular
// aggregates, once more for them (group id 0, their arguments, every xi NULL):
//
//	Aggregate keys=[k] aggs=[count(DISTINCT a) AS na, sum(DISTINCT b) AS sb, mean(y) AS m]
//
// becomes
//
//	Aggregate keys=[k] aggs=[count($distinct1) AS na, sum($distinct2) AS sb, any_value($partial2) AS m]
//	+- Aggregate keys=[k, $gid, $distinct1, $distinct2] aggs=[mean($regular2) AS $partial2]
//	   +- Expand [k, $gid, $distinct1, $distinct2, $regular2]
//	             projections=[[k, 0, NULL, NULL, y], [k, 1, a, NULL, NULL], [k, 2, NULL, b, NULL]]
//
// The lower aggregation deduplicates (k, i, xi) and computes the regular aggregates per
// k in the group id 0 rows; the upper one counts or sums each xi (NULL in the rows of
// the other group ids) and takes the regular results from the group id 0 row. A regular
// aggregate over the other group ids' rows sees only NULLs and is NULL there, so
// any_value (which skips NULLs) finds the group id 0 value; the counts (count, count(*)
// made count of a literal 1 in the group id 0 rows, approx_count_distinct) are 0 there
// instead and are added up with sum_counts, which also gives 0 over no row at all.
// collect_list and collect_set, whose value over NULLs is an empty list, and regular
// results any_value cannot carry (lists) keep the set-based accumulators.

// gidColumn names the group id column of the Expand.
const gidColumn = "$gid"

// expandDistinct returns agg rewritten with an Expand, or ok false when the rewrite does
// not apply (no distinct aggregate, or a regular aggregate it cannot carry).
func (o *optimizer) expandDistinct(agg *Aggregate) (Node, bool) {
	in := agg.Input
	schema := in.Schema()
	var dargs []Expr           // the distinct arguments, in order of appearance
	dgroup := map[string]int{} // argument text → index in dargs
	aggGroup := make([]int, len(agg.Aggs))
	regular := 0
	for i, a := range agg.Aggs {
		switch a.Func {
		case AggCountDistinct, AggSumDistinct:
			if a.Arg == nil {
				return nil, false
			}
			arg := dictionaryArg(a.Arg, schema)
			g, seen := dgroup[arg.String()]
			if !seen {
				g = len(dargs)
				dgroup[arg.String()] = g
				dargs = append(dargs, arg)
			}
			aggGroup[i] = g
		case AggCollectList, AggCollectSet:
			return nil, false
		default:
			regular++
		}
	}
	if len(dargs) == 0 {
		return nil, false
	}
	e, ok := newDistinctExpand(agg, dargs, regular > 0)
	if !ok {
		return nil, false
	}
	lowerKeys := append(append([]string(nil), agg.Keys...), e.gid)
	lowerKeys = append(lowerKeys, e.dcols...)
	var partials []AggExpr
	aggs := make([]AggExpr, len(agg.Aggs))
	for i, a := range agg.Aggs {
		switch a.Func {
		case AggCountDistinct:
			aggs[i] = AggExpr{Func: AggCount, Arg: &ColumnRef{Name: e.dcols[aggGroup[i]]}, Name: a.Name}
		case AggSumDistinct:
			aggs[i] = AggExpr{Func: AggSum, Arg: &ColumnRef{Name: e.dcols[aggGroup[i]]}, Name: a.Name}
		default:
			p := e.regularAgg(i, a)
			p.Name = freshName(e.node.OutSchema, lowerKeys, "$partial"+strconv.Itoa(i))
			partials = append(partials, p)
			take := AggAnyValue
			if isCountLike(a.Func) {
				take = AggSumCounts
			}
			aggs[i] = AggExpr{Func: take, Arg: &ColumnRef{Name: p.Name}, Name: a.Name}
		}
	}
	lower, err := analyzeNode(&Aggregate{Meta: agg.Meta, Input: e.node, Keys: lowerKeys, Aggs: partials})
	if err != nil {
		return nil, false
	}
	upper, err := analyzeNode(&Aggregate{Meta: agg.Meta, Input: lower, Keys: agg.Keys, Aggs: aggs})
	if err != nil {
		return nil, false
	}
	return upper, true
}

// isCountLike reports whether f is 0, not NULL, over only NULLs: its per-group-id values
// are added up rather than picked.
func isCountLike(f AggFunc) bool {
	switch f {
	case AggCount, AggCountAll, AggApproxCountDistinct, AggSumCounts:
		return true
	}
	return false
}

// dictionaryArg returns a dictionary column cast to strings as the column itself (the
// dictionary groups as its strings do), any other argument as it is.
func dictionaryArg(arg Expr, schema *arrow.Schema) Expr {
	if c, isCast := arg.(*Cast); isCast && c.To.ID() == arrow.STRING {
		if r, isRef := c.Child.(*ColumnRef); isRef {
			if idx := schema.FieldIndices(r.Name); len(idx) == 1 && schema.Field(idx[0]).Type.ID() == arrow.DICTIONARY {
				return r
			}
		}
	}
	return arg
}

// distinctExpand is the Expand of the rewrite, with the names of its columns.
type distinctExpand struct {
	node  *Expand
	gid   string
	dcols []string       // the column of each distinct argument
	rcols map[int]string // the column of each regular aggregate's argument (Arg2: key -i-1)
}

// newDistinctExpand builds the Expand of agg's input: the keys, the group id, one column
// per distinct argument, and (withRegular) one per argument of a regular aggregate, with
// a projection for the regular aggregates (group id 0) first when withRegular.
func newDistinctExpand(agg *Aggregate, dargs []Expr, withRegular bool) (*distinctExpand, bool) {
	schema := agg.Input.Schema()
	names := append([]string(nil), agg.Keys...)
	e := &distinctExpand{rcols: map[int]string{}}
	fresh := func(base string) string {
		name := freshName(schema, names, base)
		names = append(names, name)
		return name
	}
	e.gid = fresh(gidColumn)
	var types []arrow.DataType
	for i, d := range dargs {
		t, err := TypeOf(d, schema)
		if err != nil {
			return nil, false
		}
		types = append(types, t)
		e.dcols = append(e.dcols, fresh(distinctArgColumn+strconv.Itoa(i+1)))
	}
	var rargs []Expr
	for i, a := range agg.Aggs {
		if a.Func == AggCountDistinct || a.Func == AggSumDistinct {
			continue
		}
		arg := a.Arg
		if a.Func == AggCountAll {
			arg = &Literal{Value: int64(1), Type: arrow.PrimitiveTypes.Int64}
		}
		for k, x := range []Expr{arg, a.Arg2} {
			if x == nil {
				continue
			}
			t, err := TypeOf(x, schema)
			if err != nil {
				return nil, false
			}
			types, rargs = append(types, t), append(rargs, x)
			key := i
			if k == 1 {
				key = -i - 1
			}
			e.rcols[key] = fresh("$regular" + strconv.Itoa(i) + [2]string{"", "y"}[k])
		}
	}
	row := func(gid int64) []Expr {
		p := make([]Expr, 0, len(names))
		for _, k := range agg.Keys {
			p = append(p, &ColumnRef{Name: k})
		}
		p = append(p, &Literal{Value: gid, Type: arrow.PrimitiveTypes.Int64})
		for i, d := range dargs {
			if int(gid) == i+1 {
				p = append(p, d)
			} else {
				p = append(p, &Literal{Type: types[i]})
			}
		}
		for j, r := range rargs {
			if gid == 0 {
				p = append(p, r)
			} else {
				p = append(p, &Literal{Type: types[len(dargs)+j]})
			}
		}
		return p
	}
	var projections [][]Expr
	if withRegular {
		projections = append(projections, row(0))
	}
	for i := range dargs {
		projections = append(projections, row(int64(i+1)))
	}
	n, err := analyzeNode(&Expand{Meta: Meta{CallSite: agg.CallSite}, Input: agg.Input, Projections: projections, Names: names})
	if err != nil {
		return nil, false
	}
	e.node = n.(*Expand)
	return e, true
}

// regularAgg is regular aggregate i, a, over the Expand's columns: count(*) becomes the
// count of the group id 0 rows' literal 1.
func (e *distinctExpand) regularAgg(i int, a AggExpr) AggExpr {
	p := a
	if a.Func == AggCountAll {
		p.Func = AggCount
	}
	if c, ok := e.rcols[i]; ok {
		p.Arg = &ColumnRef{Name: c}
	}
	if c, ok := e.rcols[-i-1]; ok {
		p.Arg2 = &ColumnRef{Name: c}
	}
	return p
}
