package plan

// Ordering chains of inner joins by guessed sizes, in one place: OrderJoins, which the
// optimizer's reorder rule below and the SQL binder's comma joins both call, and the size
// guesses a front end feeds it (GuessRows, GuessSelectivity; join_stats.go has the
// guesses themselves).

// GuessRows guesses the rows n outputs: a persisted dataset's stored bytes or a scan's
// estimated input bytes over a guessed row width, scaled by the selectivity guess of
// each filter above it. ok is false when the input's size is unknown or n holds an
// operator the guess does not follow (a join, an aggregate).
func GuessRows(n Node) (rows float64, ok bool) {
	rows, _, ok = guessRowsAndBase(n)
	return rows, ok
}

// guessRowsAndBase is GuessRows and the rows of n's input before its filters (what
// bounds the distinct values of its columns).
// Over a materialized cache the filters' share is measured on its stored rows
// (sampledSelectivity) when no projection between them renamed a column.
func guessRowsAndBase(n Node) (rows, base float64, ok bool) {
	sel := 1.0
	var conds []Expr
	renamed := false
	for {
		switch x := n.(type) {
		case *Filter:
			sel *= selectivity(x.Cond)
			conds = append(conds, x.Cond)
			n = x.Input
			continue
		case *Project:
			renamed = renamed || !plainColumns(x)
			n = x.Input
			continue
		case *Limit, *Sort, *Broadcast, *Coalesce, *Repartition:
			n = x.Children()[0]
			continue
		case *Cache:
			if x.Status != nil && x.Status.Active() {
				if b := cachedBytes(x.Status); b >= 0 {
					base = float64(b) / guessWidth(x)
					if len(conds) > 0 && !renamed {
						if s, ok := sampledSelectivity(x, conds); ok {
							sel = s
						}
					}
					return base * sel, base, true
				}
			}
			n = x.Input
			continue
		case *Scan:
			b, ok := scanBytes(x)
			base = b / guessWidth(x)
			return base * sel, base, ok
		}
		return 0, 0, false
	}
}

// plainColumns reports whether p passes on columns under their own names only.
func plainColumns(p *Project) bool {
	for _, e := range p.Exprs {
		if a, ok := e.(*Alias); ok {
			if r, ok := a.Child.(*ColumnRef); !ok || r.Name != a.Name {
				return false
			}
			continue
		}
		if _, ok := e.(*ColumnRef); !ok {
			return false
		}
	}
	return true
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
// column, whatever the order); the order is greedy by guessed sizes: the smallest
// leaf first, then the connected leaf whose join is guessed smallest (OrderJoins, which
// the SQL binder's comma joins use too). A projection on top gives the columns their
// written order.

// reorderJoins reorders the chains of inner joins under n, innermost first.
func (o *optimizer) reorderJoins(n Node) Node {
	if j, ok := n.(*Join); ok && chainJoin(j) {
		var leaves []Node
		var edges []JoinEquality
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
func flattenChain(n Node, leaves *[]Node, edges *[]JoinEquality) bool {
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
		*edges = append(*edges, JoinEquality{A: a, B: b, ColA: j.LeftKeys[k], ColB: j.RightKeys[k]})
	}
	return true
}

// reorderChain returns the chain rebuilt in the guessed order, or nil to keep it.
func (o *optimizer) reorderChain(top *Join, leaves []Node, edges []JoinEquality) Node {
	seen := map[string]bool{}
	rels := make([]JoinRelation, len(leaves))
	for i, l := range leaves {
		for _, f := range l.Schema().Fields() {
			if seen[f.Name] {
				return nil
			}
			seen[f.Name] = true
		}
		r, base, ok := guessRowsAndBase(l)
		if !ok {
			return nil
		}
		rels[i] = JoinRelation{Rows: max(r, 1), BaseRows: max(base, r, 1)}
	}
	leaves, rels, edges, folded := o.foldFilteredLeaves(top, leaves, rels, edges)
	edges = closeEqualities(leaves, edges)
	order := OrderJoins(rels, edges, nil)
	if order == nil {
		if !folded {
			return nil
		}
		order = make([]int, len(leaves))
		for i := range order {
			order[i] = i
		}
	}
	joined := make([]bool, len(leaves))
	joined[order[0]] = true
	cur := leaves[order[0]]
	for _, next := range order[1:] {
		j := &Join{Meta: Meta{CallSite: top.CallSite}, Left: cur, Right: leaves[next], Kind: InnerJoin}
		for _, e := range edges {
			switch {
			case e.A == next && joined[e.B] && !impliedKey(j, e.ColB, e.ColA, edges):
				j.LeftKeys, j.RightKeys = append(j.LeftKeys, e.ColB), append(j.RightKeys, e.ColA)
			case e.B == next && joined[e.A] && !impliedKey(j, e.ColA, e.ColB, edges):
				j.LeftKeys, j.RightKeys = append(j.LeftKeys, e.ColA), append(j.RightKeys, e.ColB)
			}
		}
		if len(j.LeftKeys) == 0 {
			return nil // the greedy order never leaves a connected chain disconnected
		}
		joined[next] = true
		cur = o.rebuild(j)
		if next != order[len(order)-1] {
			cur = o.rebuild(identityProject(cur, top.CallSite))
		}
	}
	o.reordered = true
	exprs := make([]Expr, 0, top.Schema().NumFields())
	for _, f := range top.Schema().Fields() {
		exprs = append(exprs, &ColumnRef{Name: f.Name})
	}
	return o.rebuild(&Project{Meta: Meta{CallSite: top.CallSite}, Input: cur, Exprs: exprs})
}

// identityProject selects every column of n: a place for the second prune (after the
// reordering) to drop the columns no later join or the chain's consumer reads, which
// each join would otherwise copy on to the next.
func identityProject(n Node, site string) Node {
	exprs := make([]Expr, 0, n.Schema().NumFields())
	for _, f := range n.Schema().Fields() {
		exprs = append(exprs, &ColumnRef{Name: f.Name})
	}
	return &Project{Meta: Meta{CallSite: site}, Input: n, Exprs: exprs}
}

// JoinRelation is one relation of a chain of inner joins to order: its guessed rows
// after its own filters, and its base rows before them (what bounds the distinct values
// of its columns).
type JoinRelation struct {
	Rows, BaseRows float64
}

// JoinEquality is a join key pair: column ColA of relation A equals column ColB of
// relation B.
type JoinEquality struct {
	A, B       int
	ColA, ColB string
}

// Connection classes of a relation to the ones joined so far, best first: the greedy
// order takes every equality-connected relation before one connected only by another
// condition, and a relation connected by none (a cross join) last.
const (
	ConnectedByEquality = iota
	ConnectedByCondition
	NotConnected
)

// OrderJoins orders a chain of inner joins greedily by guessed sizes: from a first
// relation, repeatedly the best-connected relation (see ConnectedByEquality) whose join
// with those joined is guessed smallest, |joined| * |relation| / distinct keys, where a
// key has at most as many distinct values as the base rows of every relation whose
// column is equated with it, directly or through other equalities (a supplier's nation
// key equated with the nation table's key has at most 25 values). Each relation is tried
// as the first, and the order whose joins' guessed outputs sum smallest wins (the
// smallest relation first on a tie): starting from the smallest relation alone would
// join a dimension's own dimension first (nation, then supplier) and the fact table to
// them, before the filtered dimension that shrinks it.
// class says how relation j connects to the joined ones; nil derives it from eqs alone.
// The result is nil when the written order is already the chosen one.
func OrderJoins(rels []JoinRelation, eqs []JoinEquality, class func(j int, joined []bool) int) []int {
	if len(rels) == 0 {
		return nil
	}
	if class == nil {
		class = func(j int, joined []bool) int { return eqClass(j, joined, eqs) }
	}
	distinct := keyDistinct(rels, eqs)
	smallest := 0
	for i := range rels {
		if rels[i].Rows < rels[smallest].Rows {
			smallest = i
		}
	}
	order, cost, worst := greedyJoinOrder(rels, eqs, class, distinct, smallest)
	for start := range rels {
		if start == smallest {
			continue
		}
		o, c, w := greedyJoinOrder(rels, eqs, class, distinct, start)
		if w < worst || (w == worst && c < cost*(1-1e-9)) {
			order, cost, worst = o, c, w
		}
	}
	for i := range order {
		if order[i] != i {
			return order
		}
	}
	return nil
}

// greedyJoinOrder is the greedy order from relation start, the sum of its joins' guessed
// outputs, and the worst connection class it had to take.
func greedyJoinOrder(rels []JoinRelation, eqs []JoinEquality, class func(j int, joined []bool) int, distinct []float64, start int) (order []int, cost float64, worst int) {
	order = []int{start}
	joined := make([]bool, len(rels))
	joined[start] = true
	cur := max(rels[start].Rows, 1)
	for len(order) < len(rels) {
		next, best, bestClass := -1, 0.0, NotConnected+1
		for j := range rels {
			if joined[j] {
				continue
			}
			c := class(j, joined)
			est := cur * max(rels[j].Rows, 1) / joinDistinct(cur, rels[j], j, joined, eqs, distinct)
			if c < bestClass || (c == bestClass && est < best) {
				next, best, bestClass = j, est, c
			}
		}
		order = append(order, next)
		joined[next] = true
		cur = max(best, 1)
		cost += cur
		worst = max(worst, bestClass)
	}
	return order, cost, worst
}

// eqClass is ConnectedByEquality when an equality connects relation j to a joined one,
// NotConnected otherwise.
func eqClass(j int, joined []bool, eqs []JoinEquality) int {
	for _, e := range eqs {
		if (e.A == j && joined[e.B]) || (e.B == j && joined[e.A]) {
			return ConnectedByEquality
		}
	}
	return NotConnected
}

// keyDistinct guesses each equality's distinct key values: at most the base rows of
// every relation whose column is equated with it. Equated keys share the smallest bound;
// a few passes reach every chain of TPC-H's size (the bound only ever shrinks, so
// stopping early merely guesses higher).
func keyDistinct(rels []JoinRelation, eqs []JoinEquality) []float64 {
	type colKey struct {
		rel  int
		name string
	}
	m := map[colKey]float64{}
	for _, e := range eqs {
		m[colKey{e.A, e.ColA}] = max(rels[e.A].BaseRows, 1)
		m[colKey{e.B, e.ColB}] = max(rels[e.B].BaseRows, 1)
	}
	for range 4 {
		for _, e := range eqs {
			a, b := colKey{e.A, e.ColA}, colKey{e.B, e.ColB}
			v := min(m[a], m[b])
			m[a], m[b] = v, v
		}
	}
	out := make([]float64, len(eqs))
	for i, e := range eqs {
		out[i] = m[colKey{e.A, e.ColA}]
	}
	return out
}

// joinDistinct is the distinct keys of joining relation j (r) to the joined ones (cur
// rows): the most any one equality connecting them allows, each side having at most
// its rows of them; 1 (the cross product) without an equality. When the key may be
// unique in r (its distinct values bound no lower than r's base rows: r's primary key
// in a foreign-key join), each joined row finds at most one row of r, kept with the
// share of r its filters keep: the distinct keys are then r's base rows, so that a
// fact table joined to a filtered dimension shrinks by the dimension's filters
// whatever was joined before.
func joinDistinct(cur float64, r JoinRelation, j int, joined []bool, eqs []JoinEquality, distinct []float64) float64 {
	d := 1.0
	for i, e := range eqs {
		if (e.A == j && joined[e.B]) || (e.B == j && joined[e.A]) {
			d = max(d, min(distinct[i], max(cur, max(r.Rows, 1))))
			if distinct[i] >= r.BaseRows {
				d = max(d, r.BaseRows)
			}
		}
	}
	return d
}
