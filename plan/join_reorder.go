package plan

// Size guesses over logical plans, for a front end that orders a chain of inner joins
// (the SQL binder's comma joins): see join_stats.go for the guesses themselves.

// GuessRows guesses the rows n outputs: a persisted dataset's stored bytes or a scan's
// estimated input bytes over a guessed row width, scaled by the selectivity guess of
// each filter above it. ok is false when the input's size is unknown or n holds an
// operator the guess does not follow (a join, an aggregate).
func GuessRows(n Node) (rows float64, ok bool) {
	sel := 1.0
	for {
		switch x := n.(type) {
		case *Filter:
			sel *= selectivity(x.Cond)
			n = x.Input
			continue
		case *Project, *Limit, *Sort, *Broadcast, *Coalesce, *Repartition:
			n = x.Children()[0]
			continue
		case *Cache:
			if x.Status != nil && x.Status.Active() {
				if b := cachedBytes(x.Status); b >= 0 {
					return float64(b) / guessWidth(x) * sel, true
				}
			}
			n = x.Input
			continue
		case *Scan:
			b, ok := scanBytes(x)
			return b / guessWidth(x) * sel, ok
		}
		return 0, false
	}
}

// scanBytes is the estimated input of a scan of every column of its source (the size a
// scan's partitions report), or false when a partition cannot tell.
func scanBytes(s *Scan) (float64, bool) {
	if s.Source == nil {
		return 0, false
	}
	parts, err := s.Source.Partitions(ScanRequest{})
	if err != nil {
		return 0, false
	}
	total := 0.0
	for _, p := range parts {
		b := p.EstimatedBytes()
		if b < 0 {
			return 0, false
		}
		total += float64(b)
	}
	return total, true
}

// GuessSelectivity guesses the share of rows a condition keeps (an equality with a
// literal a tenth, a comparison a third, anything else half; AND multiplies).
func GuessSelectivity(cond Expr) float64 { return selectivity(cond) }

// guessWidth is rowWidth of n's schema, found in its source when n is not analyzed yet
// (a front end guesses before analysis).
func guessWidth(n Node) float64 {
	for n != nil {
		if s := n.Schema(); s != nil {
			return rowWidth(s)
		}
		if sc, ok := n.(*Scan); ok && sc.Source != nil {
			if s, err := sc.Source.Schema(); err == nil && s != nil {
				return rowWidth(s)
			}
			break
		}
		c := n.Children()
		if len(c) != 1 {
			break
		}
		n = c[0]
	}
	return 16
}

// Reordering chains of inner equi-joins (DataFrame joins, and SQL's once its equalities
// became keys). A chain is a tree of inner joins on keys without a residual condition;
// its leaves are the relations. It is reordered only when every leaf's size can be
// guessed and no two leaves share a column name (then no join renames or merges a
// column, whatever the order); the order is greedy as the SQL binder's: the smallest
// leaf first, then the connected leaf whose join is guessed smallest. A projection on
// top gives the columns their written order.

// joinEdge is one key pair of a chain: leaf a's column ca equals leaf b's column cb.
type joinEdge struct {
	a, b   int
	ca, cb string
}

// reorderJoins reorders the chains of inner joins under n, innermost first.
func (o *optimizer) reorderJoins(n Node) Node {
	if j, ok := n.(*Join); ok && chainJoin(j) {
		var leaves []Node
		var edges []joinEdge
		if flattenChain(j, &leaves, &edges) && len(leaves) >= 3 {
			for i, l := range leaves {
				leaves[i] = o.reorderJoins(l)
			}
			if r := o.reorderChain(j, leaves, edges); r != nil {
				return r
			}
		}
	}
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	changed := false
	out := make([]Node, len(ch))
	for i, c := range ch {
		out[i] = o.reorderJoins(c)
		changed = changed || out[i] != c
	}
	if !changed {
		return n
	}
	return o.rebuild(n.WithChildren(out))
}

// chainJoin reports whether j can be part of a chain.
func chainJoin(j *Join) bool {
	return j.Kind == InnerJoin && len(j.LeftKeys) > 0 && j.Cond == nil && !j.Cross
}

// flattenChain appends the leaves of the chain under n and its key pairs; false when a
// key does not name exactly one leaf column.
func flattenChain(n Node, leaves *[]Node, edges *[]joinEdge) bool {
	j, ok := n.(*Join)
	if !ok || !chainJoin(j) {
		*leaves = append(*leaves, n)
		return true
	}
	first := len(*leaves)
	if !flattenChain(j.Left, leaves, edges) {
		return false
	}
	mid := len(*leaves)
	if !flattenChain(j.Right, leaves, edges) {
		return false
	}
	find := func(lo, hi int, name string) int {
		for i := lo; i < hi; i++ {
			if (*leaves)[i].Schema().FieldIndices(name) != nil {
				return i
			}
		}
		return -1
	}
	for k := range j.LeftKeys {
		a, b := find(first, mid, j.LeftKeys[k]), find(mid, len(*leaves), j.RightKeys[k])
		if a < 0 || b < 0 {
			return false
		}
		*edges = append(*edges, joinEdge{a: a, b: b, ca: j.LeftKeys[k], cb: j.RightKeys[k]})
	}
	return true
}

// reorderChain returns the chain rebuilt in the guessed order, or nil to keep it.
func (o *optimizer) reorderChain(top *Join, leaves []Node, edges []joinEdge) Node {
	seen := map[string]bool{}
	rows := make([]float64, len(leaves))
	for i, l := range leaves {
		for _, f := range l.Schema().Fields() {
			if seen[f.Name] {
				return nil
			}
			seen[f.Name] = true
		}
		r, ok := GuessRows(l)
		if !ok {
			return nil
		}
		rows[i] = max(r, 1)
	}
	order := greedyChainOrder(rows, edges)
	if order == nil {
		return nil
	}
	joined := make([]bool, len(leaves))
	joined[order[0]] = true
	cur := leaves[order[0]]
	for _, next := range order[1:] {
		j := &Join{Meta: Meta{CallSite: top.CallSite}, Left: cur, Right: leaves[next], Kind: InnerJoin}
		for _, e := range edges {
			switch {
			case e.a == next && joined[e.b]:
				j.LeftKeys, j.RightKeys = append(j.LeftKeys, e.cb), append(j.RightKeys, e.ca)
			case e.b == next && joined[e.a]:
				j.LeftKeys, j.RightKeys = append(j.LeftKeys, e.ca), append(j.RightKeys, e.cb)
			}
		}
		if len(j.LeftKeys) == 0 {
			return nil // the greedy order never leaves a connected chain disconnected
		}
		joined[next] = true
		cur = o.rebuild(j)
	}
	exprs := make([]Expr, 0, top.Schema().NumFields())
	for _, f := range top.Schema().Fields() {
		exprs = append(exprs, &ColumnRef{Name: f.Name})
	}
	return o.rebuild(&Project{Meta: Meta{CallSite: top.CallSite}, Input: cur, Exprs: exprs})
}

// greedyChainOrder orders the leaves: the smallest first, then repeatedly the connected
// leaf whose join is guessed smallest (|joined| * |leaf| / distinct keys, a key having
// at most as many values as the smallest leaf it is equated with). nil keeps the
// written order (it is already the greedy one, or a leaf is not connected).
func greedyChainOrder(rows []float64, edges []joinEdge) []int {
	type colKey struct {
		leaf int
		name string
	}
	distinct := map[colKey]float64{}
	for _, e := range edges {
		distinct[colKey{e.a, e.ca}], distinct[colKey{e.b, e.cb}] = rows[e.a], rows[e.b]
	}
	for range 4 {
		for _, e := range edges {
			m := min(distinct[colKey{e.a, e.ca}], distinct[colKey{e.b, e.cb}])
			distinct[colKey{e.a, e.ca}], distinct[colKey{e.b, e.cb}] = m, m
		}
	}
	start := 0
	for i := range rows {
		if rows[i] < rows[start] {
			start = i
		}
	}
	order := []int{start}
	joined := make([]bool, len(rows))
	joined[start] = true
	cur := rows[start]
	for len(order) < len(rows) {
		next, best := -1, 0.0
		for j := range rows {
			if joined[j] {
				continue
			}
			denom := 0.0
			for _, e := range edges {
				if (e.a == j && joined[e.b]) || (e.b == j && joined[e.a]) {
					denom = max(denom, min(distinct[colKey{e.a, e.ca}], max(cur, rows[j])))
				}
			}
			if denom == 0 {
				continue // not connected yet
			}
			if est := cur * rows[j] / denom; next < 0 || est < best {
				next, best = j, est
			}
		}
		if next < 0 {
			return nil
		}
		order = append(order, next)
		joined[next] = true
		cur = max(best, 1)
	}
	for i := range order {
		if order[i] != i {
			return order
		}
	}
	return nil
}
