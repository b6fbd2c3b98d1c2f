package plan

// pruneWindow drops the window functions no one reads above n and prunes n's input to
// the columns still needed: those asked for, the partition and order keys and the
// functions' arguments.
func (o *optimizer) pruneWindow(n *Window, need map[string]bool) Node {
	m := *n
	m.Exprs = nil
	for _, e := range n.Exprs {
		if need[e.Name] {
			m.Exprs = append(m.Exprs, e)
		}
	}
	childNeed := map[string]bool{}
	for _, f := range n.Input.Schema().Fields() {
		if need[f.Name] {
			childNeed[f.Name] = true
		}
	}
	if len(m.Exprs) == 0 {
		return o.prune(n.Input, childNeed)
	}
	for _, k := range n.PartitionBy {
		childNeed[k] = true
	}
	for _, k := range n.OrderBy {
		childNeed[k.Column] = true
	}
	for _, e := range m.Exprs {
		addColumns(e.Fn, childNeed)
	}
	return o.pruneInput(&m, childNeed)
}

// pushFilterThroughWindow moves the conjuncts of f that read only partition keys below
// the window (Spark does the same): they keep or drop whole window partitions, so every
// function over the rows kept sees the same rows. The other conjuncts stay above.
func (o *optimizer) pushFilterThroughWindow(f *Filter, in *Window, pushed func(Node, Expr) Node) Node {
	return o.pushFilterBelowKeys(f, in, in.Input, in.PartitionBy, pushed)
}

// pushFilterBelowKeys moves the conjuncts of f that read only the columns keys of n (an
// aggregate's grouping keys, a window's partition keys) below n, onto its input: such a
// conjunct keeps or drops whole groups, so n computes the same rows for those kept. The
// other conjuncts stay above.
func (o *optimizer) pushFilterBelowKeys(f *Filter, n, input Node, keys []string, pushed func(Node, Expr) Node) Node {
	isKey := make(map[string]bool, len(keys))
	for _, k := range keys {
		isKey[k] = true
	}
	var below, above []Expr
	for _, c := range conjuncts(f.Cond) {
		cols := columnsOf(c)
		ok := len(cols) > 0
		for _, name := range cols {
			ok = ok && isKey[name]
		}
		if ok {
			below = append(below, c)
		} else {
			above = append(above, c)
		}
	}
	if len(below) == 0 {
		return f
	}
	moved := o.rebuild(n.WithChildren([]Node{pushed(input, andAll(below))}))
	if len(above) == 0 {
		return moved
	}
	return o.filterOn(f, moved, andAll(above))
}
