package plan

// pushIntoJoin moves the conjuncts of f that read one side of join j only into that
// side, where that is safe: never into the side an outer join fills with NULLs, since a
// filter there would keep rows the join then NULL-fills instead of dropping them.
func (o *optimizer) pushIntoJoin(f *Filter, j *Join, pushed func(Node, Expr) Node) Node {
	shape, err := shapeJoin(j)
	if err != nil {
		return f
	}
	left := map[string]bool{}
	for _, fl := range j.Left.Schema().Fields() {
		left[fl.Name] = true
	}
	// Output names of the right columns, mapped back to the right input's names.
	right := map[string]Expr{}
	if j.Kind.keepsRight() {
		for i, fl := range j.Right.Schema().Fields() {
			if !shape.usingRight[i] {
				right[shape.rightNames[i]] = &ColumnRef{Name: fl.Name}
			}
		}
	}
	canLeft := j.Kind == InnerJoin || j.Kind == LeftJoin || j.Kind == LeftSemiJoin || j.Kind == LeftAntiJoin
	canRight := j.Kind == InnerJoin || j.Kind == RightJoin
	sides := func(c Expr) (allLeft, allRight bool) {
		cols := columnsOf(c)
		allLeft, allRight = len(cols) > 0, len(cols) > 0
		for _, name := range cols {
			allLeft = allLeft && left[name]
			_, r := right[name]
			allRight = allRight && r
		}
		return allLeft, allRight
	}
	isLeft := func(c Expr) bool { l, _ := sides(c); return l }
	isRight := func(c Expr) bool { _, r := sides(c); return r }
	var toLeft, toRight, above []Expr
	for _, c := range conjuncts(f.Cond) {
		allLeft, allRight := sides(c)
		switch {
		case canLeft && allLeft:
			toLeft = append(toLeft, c)
		case canRight && allRight:
			toRight = append(toRight, substitute(c, right))
		default:
			above = append(above, c)
			// A disjunction stays above, and implies a filter of each side (derive.go).
			if d := impliedPredicate(c, isLeft); canLeft && d != nil {
				toLeft = append(toLeft, d)
			}
			if d := impliedPredicate(c, isRight); canRight && d != nil {
				toRight = append(toRight, substitute(d, right))
			}
		}
	}
	if len(toLeft) == 0 && len(toRight) == 0 {
		return f
	}
	l, r := j.Left, j.Right
	if len(toLeft) > 0 {
		l = pushed(l, andAll(toLeft))
	}
	if len(toRight) > 0 {
		r = pushed(r, andAll(toRight))
	}
	nj := o.rebuild(j.WithChildren([]Node{l, r}))
	if len(above) == 0 {
		return nj
	}
	return o.filterOn(f, nj, andAll(above))
}

// joinOrigins maps each logical output column of a join to where it comes from: "L" or
// "R" and the input column's name. Pruning an input can change the suffixes of right
// columns, and the origins let pruneJoin restore the names its parents use.
func joinOrigins(j *Join, shape *joinShape) map[string]string {
	out := map[string]string{}
	for _, f := range j.Left.Schema().Fields() {
		out[f.Name] = "L" + f.Name
	}
	if j.Kind.keepsRight() {
		for i, f := range j.Right.Schema().Fields() {
			if !shape.usingRight[i] {
				out[shape.rightNames[i]] = "R" + f.Name
			}
		}
	}
	return out
}

// pruneJoin keeps of each input only the keys and the columns needed above the join.
func (o *optimizer) pruneJoin(j *Join, need map[string]bool) Node {
	shape, err := shapeJoin(j)
	if err != nil {
		return j
	}
	leftNeed, rightNeed := map[string]bool{}, map[string]bool{}
	for _, f := range j.Left.Schema().Fields() {
		if need[f.Name] {
			leftNeed[f.Name] = true
		}
	}
	if j.Kind.keepsRight() {
		for i, f := range j.Right.Schema().Fields() {
			if !shape.usingRight[i] && need[shape.rightNames[i]] {
				rightNeed[f.Name] = true
			}
		}
	}
	for i := range j.LeftKeys {
		leftNeed[j.LeftKeys[i]] = true
		rightNeed[j.RightKeys[i]] = true
	}
	lc, rc := sideColumns(j.Cond)
	for _, c := range lc {
		leftNeed[c] = true
	}
	for _, c := range rc {
		rightNeed[c] = true
	}
	nj := o.rebuild(j.WithChildren([]Node{o.prune(j.Left, leftNeed), o.prune(j.Right, rightNeed)}))
	nshape, err := shapeJoin(nj.(*Join))
	if err != nil {
		return nj
	}
	oldOrigin := joinOrigins(j, shape)
	newName := map[string]string{}
	for name, origin := range joinOrigins(nj.(*Join), nshape) {
		newName[origin] = name
	}
	var exprs []Expr
	renamed := false
	for _, f := range j.OutSchema.Fields() {
		if !need[f.Name] {
			continue
		}
		nn := newName[oldOrigin[f.Name]]
		if nn == f.Name {
			exprs = append(exprs, &ColumnRef{Name: nn})
			continue
		}
		renamed = true
		exprs = append(exprs, &Alias{Child: &ColumnRef{Name: nn}, Name: f.Name})
	}
	if !renamed {
		return nj
	}
	return o.rebuild(&Project{Meta: Meta{CallSite: j.CallSite}, Input: nj, Exprs: exprs})
}
