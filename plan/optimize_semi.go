package plan

import "github.com/apache/arrow-go/v18/arrow"

// Transferring key sets across inner joins (sideways information passing, as DuckDB's
// join filters and Spark's dynamic pruning do for partitions). An inner join on
// left.k = right.k keeps only the right rows whose k some left row has. When the left
// side's k is known to lie in a small set S (the left side is a semi join with S on k,
// as an IN subquery becomes, or a selective filter over a scan), the right side can be
// semi joined with S on its k first. That pays when the right side aggregates by k: the
// semi join drops whole groups before they are hashed and shuffled (TPC-H Q20's shipped
// quantity per part and supplier, Q2's and Q17's per-part subqueries). The rule only
// places such a semi join below an aggregate grouping by the key, or below the inner
// joins the key's table meets before this join (TPC-H Q2's partsupp joined with the
// suppliers' wide columns before the few parts of one size and type): there the semi
// join drops the rows before the other joins gather their columns. Right above the
// key's own table it would only repeat this join's work, and it is not placed there.
// The copied set is the same subtree as the original, so exchange reuse computes it
// once.

// semiSelective is the most a filter over a scan may keep, by the planner's guess of
// its selectivity, for the scan's rows to serve as a key set.
const semiSelective = 0.05

// semiKey renames the key column of a transferred key set whose name the reduced side
// has.
const semiKey = "__sj_key"

// transferSemis applies the rule to every inner join of the tree, inputs first.
func (o *optimizer) transferSemis(n Node) Node {
	n = o.mapChildren(n, o.transferSemis)
	j, ok := n.(*Join)
	if !ok || len(j.LeftKeys) != len(j.RightKeys) {
		return n
	}
	if j.Kind == LeftSemiJoin && j.Cond == nil && len(j.LeftKeys) == 1 {
		// The semi join's set holds for its left rows: transfer it into the joins below.
		if l, ok := o.semiThrough(j.Left, j.LeftKeys[0], j.Right, j.RightKeys[0]); ok {
			return o.rebuild(j.WithChildren([]Node{l, j.Right}))
		}
		return n
	}
	if j.Kind != InnerJoin && j.Kind != LeftJoin {
		return n
	}
	left, right := j.Left, j.Right
	for i := range j.LeftKeys {
		// A left join's unmatched right rows are dropped too, so its right side can
		// be reduced by the left side's set.
		if src, key, ok := semiSource(j.Left, j.LeftKeys[i]); ok {
			if r, ok := o.pushSemi(right, j.RightKeys[i], src, key, false); ok {
				right = r
			} else if r, ok := o.semiBelowJoins(right, j.RightKeys[i], src, key, false); ok {
				right = r
			}
		}
		if j.Kind != InnerJoin {
			continue
		}
		if src, key, ok := semiSource(j.Right, j.RightKeys[i]); ok {
			if l, ok := o.pushSemi(left, j.LeftKeys[i], src, key, false); ok {
				left = l
			} else if l, ok := o.semiBelowJoins(left, j.LeftKeys[i], src, key, false); ok {
				left = l
			}
		}
	}
	if left == j.Left && right == j.Right {
		return n
	}
	return o.rebuild(j.WithChildren([]Node{left, right}))
}

// semiThrough transfers the set src (column key) that column col of n's rows lies in
// into the joins on col below n, through filters and projections; ok is false when no
// join's other side took it.
func (o *optimizer) semiThrough(n Node, col string, src Node, key string) (Node, bool) {
	switch x := n.(type) {
	case *Filter:
		if in, ok := o.semiThrough(x.Input, col, src, key); ok {
			return o.rebuild(x.WithChildren([]Node{in})), true
		}
	case *Project:
		if ref, found := projectedColumn(x, col); found {
			if in, ok := o.semiThrough(x.Input, ref, src, key); ok {
				return o.rebuild(x.WithChildren([]Node{in})), true
			}
		}
	case *Join:
		if (x.Kind != InnerJoin && x.Kind != LeftJoin) || len(x.LeftKeys) != len(x.RightKeys) {
			break
		}
		right, changed := x.Right, false
		for i, k := range x.LeftKeys {
			if k == col {
				if r, ok := o.pushSemi(right, x.RightKeys[i], src, key, false); ok {
					right, changed = r, true
				}
			}
		}
		left := x.Left
		if hasColumn(x.Left, col) {
			if l, ok := o.semiThrough(x.Left, col, src, key); ok {
				left, changed = l, true
			}
		}
		if changed {
			return o.rebuild(x.WithChildren([]Node{left, right})), true
		}
	}
	return n, false
}

// semiSource finds a small set every value of column col of n's rows lies in: the
// build side of a semi join on col below n, or the rows of a selective filter over a
// scan. It returns the set's plan and its key column.
func semiSource(n Node, col string) (Node, string, bool) {
	switch x := n.(type) {
	case *Join:
		switch {
		case x.Kind == LeftSemiJoin && x.Cond == nil && len(x.LeftKeys) == 1 && x.LeftKeys[0] == col:
			return x.Right, x.RightKeys[0], true
		case x.Kind == LeftSemiJoin || x.Kind == LeftAntiJoin || x.Kind == InnerJoin:
			if hasColumn(x.Left, col) {
				return semiSource(x.Left, col)
			}
			if x.Kind == InnerJoin && hasColumn(x.Right, col) && hasColumn(x, col) {
				return semiSource(x.Right, col)
			}
		}
	case *Filter:
		if isStoredInput(x.Input) && selectivity(x.Cond) <= semiSelective && hasColumn(x, col) {
			p, err := analyzeNode(&Project{Meta: Meta{CallSite: x.CallSite}, Input: x, Exprs: []Expr{&ColumnRef{Name: col}}})
			return p, col, err == nil
		}
		return semiSource(x.Input, col)
	case *Project:
		if ref, ok := projectedColumn(x, col); ok {
			return semiSource(x.Input, ref)
		}
	}
	return nil, "", false
}

// pushSemi places a semi join of n's column col with src's column key below the
// aggregates grouping by col, through projections and filters; ok is false when no
// aggregate grouping by col is on the way, or the semi join would not analyze.
func (o *optimizer) pushSemi(n Node, col string, src Node, key string, belowAgg bool) (Node, bool) {
	var in Node
	var ok bool
	switch x := n.(type) {
	case *Aggregate:
		if !containsString(x.Keys, col) {
			break
		}
		in, ok = o.pushSemi(x.Input, col, src, key, true)
	case *Project:
		if ref, found := projectedColumn(x, col); found {
			in, ok = o.pushSemi(x.Input, ref, src, key, belowAgg)
		}
	case *Filter:
		if !belowAgg { // below an aggregate, filter first and probe fewer rows
			in, ok = o.pushSemi(x.Input, col, src, key, belowAgg)
		}
	case *Join:
		if x.Kind == LeftSemiJoin && len(x.LeftKeys) == 1 && x.LeftKeys[0] == col {
			return n, false // already reduced on col
		}
	}
	if ok {
		return o.rebuild(n.WithChildren([]Node{in})), true
	}
	if !belowAgg {
		return n, false
	}
	if _, isAgg := n.(*Aggregate); isAgg {
		return n, false
	}
	if j, isJoin := n.(*Join); isJoin {
		// Below the joins the key's table meets, the semi join spares them its rows too.
		if r, ok := o.semiBelowJoins(j, col, src, key, false); ok {
			return r, true
		}
	}
	return semiJoinOn(n, col, src, key)
}

// semiJoinOn returns the analyzed semi join of n and src on n.col = src.key, or false
// when the columns' types differ or it does not analyze.
func semiJoinOn(n Node, col string, src Node, key string) (Node, bool) {
	a, b := fieldType(n, col), fieldType(src, key)
	if a == nil || b == nil || !arrow.TypeEqual(a, b) {
		return n, false
	}
	keys, keyName := src, key
	if hasColumn(n, key) { // a distinct name keeps the join's keys apart
		p, err := analyzeNode(&Project{Meta: Meta{CallSite: src.Site()}, Input: src,
			Exprs: []Expr{&Alias{Child: &ColumnRef{Name: key}, Name: semiKey}}})
		if err != nil {
			return n, false
		}
		keys, keyName = p, semiKey
	}
	j, err := analyzeNode(&Join{Meta: Meta{CallSite: n.Site()}, Left: n, Right: keys,
		LeftKeys: []string{col}, RightKeys: []string{keyName}, Kind: LeftSemiJoin})
	if err != nil {
		return n, false
	}
	return j, true
}

// projectedColumn returns the input column p outputs as col unchanged.
func projectedColumn(p *Project, col string) (string, bool) {
	for _, e := range p.Exprs {
		if OutputName(e) != col {
			continue
		}
		if a, ok := e.(*Alias); ok {
			e = a.Child
		}
		if r, ok := e.(*ColumnRef); ok {
			return r.Name, true
		}
		return "", false
	}
	return "", false
}

func hasColumn(n Node, col string) bool { return fieldType(n, col) != nil }

func fieldType(n Node, col string) arrow.DataType {
	s := n.Schema()
	if s == nil {
		return nil
	}
	idx := s.FieldIndices(col)
	if len(idx) != 1 {
		return nil
	}
	return s.Field(idx[0]).Type
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// isStoredInput reports whether n reads stored rows: a scan, or a cached dataset's
// read (a table the program persisted), whose filtered rows are cheap to read twice.
func isStoredInput(n Node) bool {
	switch n.(type) {
	case *Scan, *Cache:
		return true
	}
	return false
}

// semiBelowJoins places a semi join of column col with src's key right above the table
// (a scan or cached read, perhaps filtered) col comes from, when that table meets inner
// joins below n; ok is false when col's table is n itself (no join to spare) or the
// table is itself a small selective read.
func (o *optimizer) semiBelowJoins(n Node, col string, src Node, key string, underJoin bool) (Node, bool) {
	switch x := n.(type) {
	case *Join:
		if x.Kind != InnerJoin {
			return n, false
		}
		inLeft, inRight := hasColumn(x.Left, col), hasColumn(x.Right, col)
		var l, r Node = x.Left, x.Right
		var ok bool
		switch {
		case inLeft && !inRight:
			l, ok = o.semiBelowJoins(x.Left, col, src, key, true)
		case inRight && !inLeft && hasColumn(x, col):
			r, ok = o.semiBelowJoins(x.Right, col, src, key, true)
		}
		if !ok {
			return n, false
		}
		return o.rebuild(x.WithChildren([]Node{l, r})), true
	case *Project:
		ref, found := projectedColumn(x, col)
		if !found {
			return n, false
		}
		in, ok := o.semiBelowJoins(x.Input, ref, src, key, underJoin)
		if !ok {
			return n, false
		}
		return o.rebuild(x.WithChildren([]Node{in})), true
	case *Filter:
		if !isStoredInput(x.Input) {
			in, ok := o.semiBelowJoins(x.Input, col, src, key, underJoin)
			if !ok {
				return n, false
			}
			return o.rebuild(x.WithChildren([]Node{in})), true
		}
		if selectivity(x.Cond) <= semiSelective {
			return n, false // already few rows
		}
	case *Scan, *Cache:
	default:
		return n, false
	}
	if !underJoin {
		return n, false
	}
	return semiJoinOn(n, col, src, key)
}
