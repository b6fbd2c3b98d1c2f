package plan

// Folding a chain's filtered leaf dimensions into their only neighbor before ordering.
// The greedy order builds a left-deep chain, so a filtered relation joined to one other
// relation only (a nation narrowed by name, joined to the customers) could only come
// after that neighbor, and the neighbor would join the chain unfiltered: the whole
// customer table probes (or builds) the joined intermediate, and the nation filter
// shrinks it only afterwards. Joining such a leaf to its neighbor first, as its own
// subtree, filters the neighbor before it meets the chain: the subtree is small enough
// to broadcast, and every join after it sees only the rows the filter keeps. This is
// the bushy shape a DataFrame user writes (customers joined to their nation, then to
// the orders) and the one a cost-based optimizer picks for a snowflake.

// foldFilteredLeaves joins each leaf that its own filters shrink and that is connected
// to exactly one other leaf into that leaf, first, and returns the folded leaves, their
// guessed sizes and the equalities between them renumbered. A leaf folds only into an
// original leaf (never into a fold), and at least two leaves remain, so the chain is
// still ordered. ok is false when nothing folds.
func (o *optimizer) foldFilteredLeaves(top *Join, leaves []Node, rels []JoinRelation, edges []JoinEquality) ([]Node, []JoinRelation, []JoinEquality, bool) {
	into := make([]int, len(leaves))
	for i := range into {
		into[i] = -1
	}
	folded, remaining := 0, len(leaves)
	for d := range leaves {
		r := onlyNeighbor(d, edges)
		if r < 0 || into[r] >= 0 || remaining <= 2 {
			continue
		}
		if rels[d].Rows >= rels[d].BaseRows || rels[d].Rows > rels[r].Rows {
			continue
		}
		if isFoldTarget(d, into) {
			continue // d already took a leaf: folds stay one level deep
		}
		into[d] = r
		folded++
		remaining--
	}
	if folded == 0 {
		return leaves, rels, edges, false
	}
	distinct := keyDistinct(rels, edges)
	newIndex := make([]int, len(leaves))
	var outLeaves []Node
	var outRels []JoinRelation
	for i := range leaves {
		if into[i] >= 0 {
			continue
		}
		newIndex[i] = len(outLeaves)
		node, rel := leaves[i], rels[i]
		for d := range leaves {
			if into[d] != i {
				continue
			}
			j := &Join{Meta: Meta{CallSite: top.CallSite}, Left: node, Right: leaves[d], Kind: InnerJoin}
			keys := 1.0
			for k, e := range edges {
				switch {
				case e.A == i && e.B == d:
					j.LeftKeys, j.RightKeys = append(j.LeftKeys, e.ColA), append(j.RightKeys, e.ColB)
				case e.B == i && e.A == d:
					j.LeftKeys, j.RightKeys = append(j.LeftKeys, e.ColB), append(j.RightKeys, e.ColA)
				default:
					continue
				}
				keys = max(keys, distinct[k])
			}
			node = o.rebuild(j)
			rel.Rows = max(rel.Rows*max(rels[d].Rows, 1)/keys, 1)
		}
		outLeaves, outRels = append(outLeaves, node), append(outRels, rel)
	}
	var outEdges []JoinEquality
	for _, e := range edges {
		if into[e.A] >= 0 || into[e.B] >= 0 {
			continue // inside a fold
		}
		outEdges = append(outEdges, JoinEquality{A: newIndex[e.A], B: newIndex[e.B], ColA: e.ColA, ColB: e.ColB})
	}
	return outLeaves, outRels, outEdges, true
}

// onlyNeighbor is the one leaf every equality of leaf d connects it to, or -1.
func onlyNeighbor(d int, edges []JoinEquality) int {
	n := -1
	for _, e := range edges {
		var other int
		switch d {
		case e.A:
			other = e.B
		case e.B:
			other = e.A
		default:
			continue
		}
		if n >= 0 && other != n {
			return -1
		}
		n = other
	}
	return n
}

// isFoldTarget reports whether some leaf folds into leaf r.
func isFoldTarget(r int, into []int) bool {
	for _, t := range into {
		if t == r {
			return true
		}
	}
	return false
}
