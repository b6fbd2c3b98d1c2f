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
	keys := make(map[string]bool, len(in.PartitionBy))
	for _, k := range in.PartitionBy {
		keys[k] = true
	}
	var below, above []Expr
	for _, c := range conjuncts(f.Cond) {
		cols := columnsOf(c)
		ok := len(cols) > 0
		for _, name := range cols {
			ok = ok && keys[name]
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
	w := o.rebuild(in.WithChildren([]Node{pushed(in.Input, andAll(below))}))
	if len(above) == 0 {
		return w
	}
	return o.filterOn(f, w, andAll(above))
}
