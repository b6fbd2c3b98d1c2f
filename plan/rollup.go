package plan

import (
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"
)

// Rolling an aggregate up from a finer one over the same rows. A query that compares
// each group with a total over the same rows (TPC-H Q11's per-part stock value against a
// fraction of the whole, a share of a category's revenue) aggregates one input twice:
// once grouped, once with fewer keys or none. When every aggregate of the coarser one
// is a sum, count, minimum, maximum or boolean AND/OR of an argument the finer one also
// aggregates, the coarser one is computed from the finer one's rows instead (the sum of
// the per-group sums, the sum of the per-group counts); the finer aggregate's subtree
// is then one plan read twice, and exchange reuse runs its stages once. This is how a
// materialized view's rollup is matched, and what DuckDB's common subplan elimination
// achieves for such queries. The input of both must be the same rows: the same
// operators with the same settings over the same sources, whatever the nodes' call
// sites (the SQL binder builds a subquery's copy of a view from its own text).

// rollupAggregates rewrites every aggregate that another aggregate of the tree refines.
func (o *optimizer) rollupAggregates(root Node) Node {
	var fine []*Aggregate
	var collect func(Node)
	seen := map[Node]bool{}
	collect = func(n Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if a, ok := n.(*Aggregate); ok && len(a.Keys) > 0 {
			fine = append(fine, a)
		}
		for _, c := range n.Children() {
			collect(c)
		}
	}
	collect(root)
	if len(fine) == 0 {
		return root
	}
	var rewrite func(Node) Node
	rewrite = func(n Node) Node {
		n = o.mapChildren(n, rewrite)
		g, ok := n.(*Aggregate)
		if !ok {
			return n
		}
		for _, a := range fine {
			if r, ok := o.rollupFrom(g, a); ok {
				return r
			}
		}
		return n
	}
	return rewrite(root)
}

// rollupFunc is the aggregate that merges per-group results of f into the result of f
// over all their rows, and false when f's results do not merge so.
func rollupFunc(f AggFunc) (AggFunc, bool) {
	switch f {
	case AggSum, AggMin, AggMax, AggBoolAnd, AggBoolOr:
		return f, true
	case AggCount, AggCountAll, AggSumCounts:
		return AggSumCounts, true
	}
	return 0, false
}

// rollupFrom returns g computed from the rows of the finer aggregate a, with g's
// output names and types; ok is false unless a refines g.
func (o *optimizer) rollupFrom(g, a *Aggregate) (Node, bool) {
	if g == a || len(g.Keys) >= len(a.Keys) || g.Schema() == nil || a.Schema() == nil {
		return nil, false
	}
	for _, k := range g.Keys {
		if !containsString(a.Keys, k) {
			return nil, false
		}
	}
	aggs := make([]AggExpr, len(g.Aggs))
	for i, ge := range g.Aggs {
		f, ok := rollupFunc(ge.Func)
		if !ok || ge.Arg2 != nil {
			return nil, false
		}
		src := -1
		for j, ae := range a.Aggs {
			if ae.Func == ge.Func && ae.Arg2 == nil && sameArg(ae.Arg, ge.Arg) {
				src = j
				break
			}
		}
		if src < 0 {
			return nil, false
		}
		aggs[i] = AggExpr{Func: f, Arg: &ColumnRef{Name: a.Aggs[src].Name}, Name: ge.Name}
	}
	if !sameRows(g.Input, a.Input) {
		return nil, false
	}
	r, err := analyzeNode(&Aggregate{Meta: Meta{CallSite: g.CallSite}, Input: a, Keys: g.Keys, Aggs: aggs})
	if err != nil {
		return nil, false
	}
	return o.retype(r, g.Schema(), g.CallSite)
}

// retype casts the columns of n whose types differ from want's (a sum of sums is typed
// wider than the sum it stands for) back to want's types.
func (o *optimizer) retype(n Node, want *arrow.Schema, site string) (Node, bool) {
	have := n.Schema()
	if have.NumFields() != want.NumFields() {
		return nil, false
	}
	exprs := make([]Expr, have.NumFields())
	changed := false
	for i, f := range have.Fields() {
		w := want.Field(i)
		if f.Name != w.Name {
			return nil, false
		}
		exprs[i] = &ColumnRef{Name: f.Name}
		if !arrow.TypeEqual(f.Type, w.Type) {
			if !CanCast(f.Type, w.Type) {
				return nil, false
			}
			exprs[i], changed = &Alias{Child: &Cast{Child: exprs[i], To: w.Type}, Name: f.Name}, true
		}
	}
	if !changed {
		return n, true
	}
	p, err := analyzeNode(&Project{Meta: Meta{CallSite: site}, Input: n, Exprs: exprs})
	if err != nil || !sameNames(p.Schema(), want) {
		return nil, false
	}
	return p, true
}

func sameArg(a, b Expr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return reflect.DeepEqual(a, b)
}

var (
	nodeType = reflect.TypeFor[Node]()
	metaType = reflect.TypeFor[Meta]()
)

// sameRows reports whether logical plans a and b compute the same rows: nodes of one
// type equal in every field but their inputs and call sites, over inputs that compute
// the same rows in turn, down to leaves reading the same source (by identity). A field
// that cannot be compared (a function value) never matches.
func sameRows(a, b Node) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || !sameNames(a.Schema(), b.Schema()) {
		return false
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() || va.Kind() != reflect.Pointer {
		return false
	}
	va, vb = va.Elem(), vb.Elem()
	if va.Kind() != reflect.Struct {
		return false
	}
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		t := fa.Type()
		switch {
		case t == metaType:
			// call site and schema: the schema was compared above
		case t == nodeType:
			if !sameRows(nodeOf(fa), nodeOf(fb)) {
				return false
			}
		case t.Kind() == reflect.Slice && t.Elem() == nodeType:
			if fa.Len() != fb.Len() {
				return false
			}
			for k := range fa.Len() {
				if !sameRows(nodeOf(fa.Index(k)), nodeOf(fb.Index(k))) {
					return false
				}
			}
		case t == sourceType:
			if fa.IsNil() || fb.IsNil() || !fa.Elem().Type().Comparable() || fa.Interface() != fb.Interface() {
				return false
			}
		case !fa.CanInterface() || t.Kind() == reflect.Func:
			return false
		default:
			if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				return false
			}
		}
	}
	return true
}

func nodeOf(v reflect.Value) Node {
	if v.IsNil() {
		return nil
	}
	return v.Interface().(Node)
}
