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
