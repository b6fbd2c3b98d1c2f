package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Optimize rewrites an analyzed plan into an equivalent one that does less work. The rules
// run in a fixed order, each over the whole tree:
//
//  1. constant folding: literal-only subexpressions are evaluated, boolean identities
//     simplified, conjuncts common to every branch of an OR taken out (FactorDisjunction),
//     and filters whose condition folds to true removed;
//  2. filter pushdown: filters move below projections (aliases substituted), repartitions,
//     coalesces, unions, sorts, broadcast hints, for conjuncts over grouping keys
//     aggregates, and for conjuncts over partition keys windows; conjuncts over one side
//     of a join move into that side unless an outer join NULL-fills it, and a disjunction
//     over both sides (of a filter or of a join's condition) also filters each side with
//     what it implies for that side (derive.go); adjacent filters merge; a filter on a scan of a pruning source copies its conjuncts into
//     Scan.Filters. Filters never move below Limit or MapBatches;
//  3. distinct aggregates: an aggregation whose distinct aggregates are all count or sum
//     of DISTINCT x over one x becomes two aggregations (see optimize_distinct.go);
//  4. projection pruning: scans read only the columns used above them (a join's inputs
//     keep their keys, a sort's input its keys), unused projected expressions are dropped
//     and identity projections removed; a cache read passes on only the columns used
//     (Cache.Columns), its stored block staying whole;
//  5. join reordering: a chain of three or more inner joins on keys is rebuilt in the
//     greedy order of OrderJoins (the SQL binder orders comma joins with it too), a
//     projection restoring the column order (see join_reorder.go).
//
// Every node the optimizer rebuilds gets its schema recomputed, and the root's schema is
// unchanged. Optimize returns root itself if it is not analyzed.
func Optimize(root Node) Node { return optimizeWith(root, &optimizer{}) }

func optimizeWith(root Node, o *optimizer) Node {
	if root == nil || root.Schema() == nil {
		return root
	}
	n := o.fold(root)
	n = o.push(n)
	n = o.transferSemis(n)
	n = o.splitDistinct(n)
	n = o.rollupAggregates(n)
	need := map[string]bool{}
	for _, f := range root.Schema().Fields() {
		need[f.Name] = true
	}
	n = o.prune(n, need)
	n = o.reorderJoins(n)
	if o.reordered {
		// A reordered chain joins its relations in a new order, each join copying on
		// every column of the ones before: prune again, so that a join passes on only
		// what a later join or the chain's consumer reads.
		n = o.prune(n, need)
	}
	n = o.orderConjuncts(n)
	if o.err != nil || !sameNames(n.Schema(), root.Schema()) {
		// A rule produced an invalid tree: a bug, but never worth failing a job over.
		return root
	}
	return n
}

type optimizer struct {
	err          error
	keepDistinct bool // OptimizeKeepingDistinct: no splitDistinct
	reordered    bool // reorderJoins rebuilt a chain
}

// rebuild recomputes the schema of a node whose inputs or expressions changed.
func (o *optimizer) rebuild(n Node) Node {
	if _, ok := n.(*Scan); ok {
		return n
	}
	r, err := analyzeNode(n)
	if err != nil {
		if o.err == nil {
			o.err = err
		}
		return n
	}
	return r
}

// mapChildren applies f to each input of n and rebuilds n if one changed.
func (o *optimizer) mapChildren(n Node, f func(Node) Node) Node {
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	nc := make([]Node, len(ch))
	changed := false
	for i, c := range ch {
		nc[i] = f(c)
		changed = changed || nc[i] != c
	}
	if !changed {
		return n
	}
	return o.rebuild(n.WithChildren(nc))
}

func (o *optimizer) fold(n Node) Node {
	n = o.mapChildren(n, o.fold)
	switch n := n.(type) {
	case *Scan:
		if len(n.Filters) == 0 {
			return n
		}
		m := *n
		m.Filters = make([]Expr, len(n.Filters))
		for i, f := range n.Filters {
			m.Filters[i] = foldExpr(f, n.OutSchema)
		}
		return &m
	case *Project:
		in := n.Input.Schema()
		m := *n
		m.Exprs = make([]Expr, len(n.Exprs))
		for i, e := range n.Exprs {
			fe := foldExpr(e, in)
			if name := OutputName(e); OutputName(fe) != name {
				fe = &Alias{Child: fe, Name: name}
			}
			m.Exprs[i] = fe
		}
		return o.rebuild(&m)
	case *Filter:
		cond := foldExpr(n.Cond, n.Input.Schema())
		var parts []Expr
		for _, c := range conjuncts(cond) {
			parts = append(parts, conjuncts(FactorDisjunction(c))...)
		}
		cond = andAll(parts)
		if v, isNull, ok := literalBool(cond); ok {
			if !isNull && v {
				return n.Input
			}
			return emptyScan(n, "filter "+cond.String()+" is never true")
		}
		m := *n
		m.Cond = cond
		return o.rebuild(&m)
	case *Aggregate:
		m := *n
		m.Aggs = append([]AggExpr(nil), n.Aggs...)
		for i := range m.Aggs {
			if m.Aggs[i].Arg != nil {
				m.Aggs[i].Arg = foldExpr(m.Aggs[i].Arg, n.Input.Schema())
			}
			if m.Aggs[i].Arg2 != nil {
				m.Aggs[i].Arg2 = foldExpr(m.Aggs[i].Arg2, n.Input.Schema())
			}
		}
		return o.rebuild(&m)
	case *Join:
		return o.foldJoin(n)
	}
	return n
}

func (o *optimizer) push(n Node) Node {
	n = o.mapChildren(n, o.push)
	switch m := n.(type) {
	case *Filter:
		return o.pushFilter(m)
	case *Join:
		return o.deriveJoinSides(m)
	}
	return n
}

// filterOn builds an analyzed filter of cond over in, keeping f's call site.
func (o *optimizer) filterOn(f *Filter, in Node, cond Expr) Node {
	return o.rebuild(&Filter{Meta: Meta{CallSite: f.CallSite}, Input: in, Cond: cond})
}

// pushFilter moves f as far down as it may go; f's input is already optimized.
func (o *optimizer) pushFilter(f *Filter) Node {
	pushed := func(in Node, cond Expr) Node {
		nf := o.filterOn(f, in, cond)
		if nf, ok := nf.(*Filter); ok {
			return o.pushFilter(nf)
		}
		return nf
	}
	switch in := f.Input.(type) {
	case *Filter:
		return pushed(in.Input, withoutRepeats(and(in.Cond, f.Cond)))
	case *Project:
		defs := make(map[string]Expr, len(in.Exprs))
		for _, e := range in.Exprs {
			if a, ok := e.(*Alias); ok {
				defs[a.Name] = a.Child
			} else {
				defs[OutputName(e)] = e
			}
		}
		return o.rebuild(in.WithChildren([]Node{pushed(in.Input, substitute(f.Cond, defs))}))
	case *Repartition, *Sort, *Broadcast:
		return o.rebuild(in.WithChildren([]Node{pushed(in.Children()[0], f.Cond)}))
	case *Join:
		return o.pushIntoJoin(f, in, pushed)
	case *Window:
		return o.pushFilterThroughWindow(f, in, pushed)
	case *Coalesce:
		return o.rebuild(in.WithChildren([]Node{pushed(in.Input, f.Cond)}))
	case *Union:
		inputs := make([]Node, len(in.Inputs))
		for i, c := range in.Inputs {
			inputs[i] = pushed(c, f.Cond)
		}
		return o.rebuild(in.WithChildren(inputs))
	case *Aggregate:
		return o.pushFilterBelowKeys(f, in, in.Input, in.Keys, pushed)
	case *Scan:
		if in.Source == nil || !in.Source.CanPrune() {
			return f
		}
		have := make(map[string]bool, len(in.Filters))
		for _, e := range in.Filters {
			have[e.String()] = true
		}
		m := *in
		m.Filters = append([]Expr(nil), in.Filters...)
		for _, c := range conjuncts(f.Cond) {
			if len(columnsOf(c)) > 0 && !have[c.String()] {
				have[c.String()] = true
				m.Filters = append(m.Filters, c)
			}
		}
		if len(m.Filters) == len(in.Filters) {
			return f
		}
		return o.filterOn(f, &m, f.Cond)
	}
	return f
}

// substitute replaces column references by their definitions.
func substitute(e Expr, defs map[string]Expr) Expr {
	if c, ok := e.(*ColumnRef); ok {
		if d, ok := defs[c.Name]; ok {
			return d
		}
		return c
	}
	ch := e.Children()
	if len(ch) == 0 {
		return e
	}
	nc := make([]Expr, len(ch))
	for i, c := range ch {
		nc[i] = substitute(c, defs)
	}
	return e.WithChildren(nc)
}

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(e Expr) []Expr {
	if b, ok := e.(*Binary); ok && b.Op == OpAnd {
		return append(conjuncts(b.Left), conjuncts(b.Right)...)
	}
	return []Expr{e}
}

func and(a, b Expr) Expr { return &Binary{Op: OpAnd, Left: a, Right: b} }

func andAll(es []Expr) Expr {
	out := es[0]
	for _, e := range es[1:] {
		out = and(out, e)
	}
	return out
}

// prune rebuilds n so that it reads only what is needed to produce the columns in need
// (names of n's output). The result has at least those columns and at least one column;
// when every column is needed its schema is n's.
func (o *optimizer) prune(n Node, need map[string]bool) Node {
	switch n := n.(type) {
	case *Scan:
		return pruneScan(n, need)
	case *Project:
		return o.pruneProject(n, need)
	case *Filter:
		return o.pruneFilter(n, need)
	case *Aggregate:
		return o.pruneInput(n, aggregateInputs(n))
	case *Limit, *Coalesce, *Broadcast:
		return o.pruneInput(n, need)
	case *Sort:
		childNeed := copySet(need)
		for _, k := range n.Keys {
			childNeed[k.Column] = true
		}
		return o.pruneInput(n, childNeed)
	case *Join:
		return o.pruneJoin(n, need)
	case *Repartition:
		childNeed := copySet(need)
		for _, k := range n.Keys {
			childNeed[k] = true
		}
		return o.pruneInput(n, childNeed)
	case *Union:
		return o.pruneUnion(n, need)
	case *Cache:
		return o.pruneCache(n, need)
	case *Explode:
		// The exploded column decides how many rows each input row becomes.
		childNeed := copySet(need)
		childNeed[n.Column] = true
		if n.Pos {
			delete(childNeed, PosColumn) // made by the explode
		}
		return o.pruneInput(n, childNeed)
	case *Window:
		return o.pruneWindow(n, need)
	case *Expand:
		return o.pruneInput(n, expandInputs(n))
	case *MapBatches, *MapPartitions:
		// The user's function sees the input's batches: it gets every column it had.
		return o.pruneInput(n, allColumns(n.Children()[0].Schema()))
	case *Sample:
		return o.pruneInput(n, need)
	}
	return n
}

// pruneInput prunes the single input of n to childNeed and rebuilds n over it.
func (o *optimizer) pruneInput(n Node, childNeed map[string]bool) Node {
	return o.rebuild(n.WithChildren([]Node{o.prune(n.Children()[0], childNeed)}))
}

func pruneScan(n *Scan, need map[string]bool) Node {
	s := n.OutSchema
	var cols []string
	for _, f := range s.Fields() {
		if need[f.Name] {
			cols = append(cols, f.Name)
		}
	}
	if len(cols) == 0 && s.NumFields() > 0 {
		cols = []string{s.Field(0).Name} // row counts need one column to carry them
	}
	if len(cols) == s.NumFields() {
		return n
	}
	m := *n
	m.Columns = cols
	m.OutSchema = projectSchema(s, cols)
	return &m
}

func (o *optimizer) pruneProject(n *Project, need map[string]bool) Node {
	var kept []Expr
	for _, e := range n.Exprs {
		if need[OutputName(e)] {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 && len(n.Exprs) > 0 {
		kept = n.Exprs[:1]
	}
	childNeed := map[string]bool{}
	for _, e := range kept {
		addColumns(e, childNeed)
	}
	child := o.prune(n.Input, childNeed)
	if cp, ok := child.(*Project); ok && onlyColumns(cp.Exprs) {
		// The input only selects and renames (say, pruning a join restored suffixed
		// names): fold it into this projection.
		kept = composeRenames(kept, cp.Exprs)
		child = cp.Input
	}
	m := *n
	m.Input = child
	m.Exprs = append([]Expr(nil), kept...)
	p := o.rebuild(&m)
	if isIdentity(m.Exprs, child.Schema()) {
		return child
	}
	return p
}

// aggregateInputs is the set of input columns an aggregate reads: its keys and the
// columns of its arguments.
func aggregateInputs(n *Aggregate) map[string]bool {
	childNeed := map[string]bool{}
	for _, k := range n.Keys {
		childNeed[k] = true
	}
	for _, a := range n.Aggs {
		if a.Arg != nil {
			addColumns(a.Arg, childNeed)
		}
		if a.Arg2 != nil {
			addColumns(a.Arg2, childNeed)
		}
	}
	return childNeed
}

func (o *optimizer) pruneUnion(n *Union, need map[string]bool) Node {
	var names []string
	for _, f := range n.OutSchema.Fields() {
		if need[f.Name] {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 && n.OutSchema.NumFields() > 0 {
		names = []string{n.OutSchema.Field(0).Name}
	}
	set := map[string]bool{}
	for _, name := range names {
		set[name] = true
	}
	inputs := make([]Node, len(n.Inputs))
	for i, in := range n.Inputs {
		c := o.prune(in, set)
		if c.Schema().NumFields() != len(names) {
			// The input could not drop every unneeded column (say it is a MapBatches):
			// select the union's columns so that all inputs agree.
			exprs := make([]Expr, len(names))
			for j, name := range names {
				exprs[j] = &ColumnRef{Name: name}
			}
			c = o.rebuild(&Project{Input: c, Exprs: exprs})
		}
		inputs[i] = c
	}
	return o.rebuild(n.WithChildren(inputs))
}

func allColumns(s *arrow.Schema) map[string]bool {
	set := make(map[string]bool, s.NumFields())
	for _, f := range s.Fields() {
		set[f.Name] = true
	}
	return set
}

// isIdentity reports whether exprs select exactly the columns of s, in order.
func isIdentity(exprs []Expr, s *arrow.Schema) bool {
	if len(exprs) != s.NumFields() {
		return false
	}
	for i, e := range exprs {
		c, ok := e.(*ColumnRef)
		if !ok || c.Name != s.Field(i).Name {
			return false
		}
	}
	return true
}

func projectSchema(s *arrow.Schema, cols []string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = s.Field(s.FieldIndices(c)[0])
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

func copySet(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func sameNames(a, b *arrow.Schema) bool {
	if a == nil || b == nil || a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		if a.Field(i).Name != b.Field(i).Name || !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}

// onlyColumns reports whether exprs are column references, perhaps renamed.
func onlyColumns(exprs []Expr) bool {
	for _, e := range exprs {
		if a, ok := e.(*Alias); ok {
			e = a.Child
		}
		if _, ok := e.(*ColumnRef); !ok {
			return false
		}
	}
	return true
}

// composeRenames rewrites exprs, which read the output of a projection of renames, to
// read that projection's input instead, keeping their output names.
func composeRenames(exprs, renames []Expr) []Expr {
	defs := make(map[string]Expr, len(renames))
	for _, r := range renames {
		src := r
		if a, ok := r.(*Alias); ok {
			src = a.Child
		}
		defs[OutputName(r)] = src
	}
	out := make([]Expr, len(exprs))
	for i, e := range exprs {
		ne := substitute(e, defs)
		if name := OutputName(e); OutputName(ne) != name {
			if a, ok := ne.(*Alias); ok {
				ne = a.Child
			}
			ne = &Alias{Child: ne, Name: name}
		}
		out[i] = ne
	}
	return out
}
