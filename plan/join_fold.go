package plan

import "github.com/apache/arrow-go/v18/arrow"

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
// original leaf (never into a fold) other than the largest (the fact table, which the
// order itself joins to whichever filter shrinks it most first), and at least two
// leaves remain, so the chain is still ordered. ok is false when nothing folds.
func (o *optimizer) foldFilteredLeaves(top *Join, leaves []Node, rels []JoinRelation, edges []JoinEquality) ([]Node, []JoinRelation, []JoinEquality, bool) {
	into := make([]int, len(leaves))
	for i := range into {
		into[i] = -1
	}
	largest := 0
	for i := range rels {
		if rels[i].Rows > rels[largest].Rows {
			largest = i
		}
	}
	folded, remaining := 0, len(leaves)
	for d := range leaves {
		r := onlyNeighbor(d, edges)
		if r < 0 || r == largest || into[r] >= 0 || remaining <= 2 {
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

// closeEqualities adds the equalities the chain's keys imply through shared columns
// (c_nationkey = s_nationkey and s_nationkey = n_nationkey give c_nationkey =
// n_nationkey) between columns of the same type in different leaves, so that the order
// may join the customers to their nation directly instead of only through the
// suppliers. Each added equality is redundant with the written ones, which stay: the
// join that meets both of its leaves checks it, whatever the order.
func closeEqualities(leaves []Node, edges []JoinEquality) []JoinEquality {
	type colKey struct {
		leaf int
		name string
	}
	parent := map[colKey]colKey{}
	var find func(k colKey) colKey
	find = func(k colKey) colKey {
		p, ok := parent[k]
		if !ok || p == k {
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	var cols []colKey
	for _, e := range edges {
		a, b := colKey{e.A, e.ColA}, colKey{e.B, e.ColB}
		for _, k := range []colKey{a, b} {
			if _, ok := parent[k]; !ok {
				parent[k] = k
				cols = append(cols, k)
			}
		}
		parent[find(a)] = find(b)
	}
	has := func(a, b colKey) bool {
		for _, e := range edges {
			if (colKey{e.A, e.ColA} == a && colKey{e.B, e.ColB} == b) || (colKey{e.A, e.ColA} == b && colKey{e.B, e.ColB} == a) {
				return true
			}
		}
		return false
	}
	out := edges
	for i, a := range cols {
		for _, b := range cols[i+1:] {
			if a.leaf == b.leaf || find(a) != find(b) || has(a, b) || !sameColumnType(leaves, a.leaf, a.name, b.leaf, b.name) {
				continue
			}
			out = append(out, JoinEquality{A: a.leaf, B: b.leaf, ColA: a.name, ColB: b.name})
		}
	}
	return out
}

// sameColumnType reports whether column an of leaf a and bn of leaf b have one type.
func sameColumnType(leaves []Node, a int, an string, b int, bn string) bool {
	fa, fb := leaves[a].Schema().FieldIndices(an), leaves[b].Schema().FieldIndices(bn)
	if len(fa) != 1 || len(fb) != 1 {
		return false
	}
	return arrow.TypeEqual(leaves[a].Schema().Field(fa[0]).Type, leaves[b].Schema().Field(fb[0]).Type)
}

// impliedKey reports whether the key pair left = right adds nothing to j's keys: j
// already equates right with a left column that an equality of the chain equates with
// left (both on the joined side, where an earlier join checked it). The chain's column
// names are unique, so names identify the columns.
func impliedKey(j *Join, left, right string, edges []JoinEquality) bool {
	for k, rk := range j.RightKeys {
		if rk != right {
			continue
		}
		for _, e := range edges {
			if (e.ColA == left && e.ColB == j.LeftKeys[k]) || (e.ColB == left && e.ColA == j.LeftKeys[k]) {
				return true
			}
		}
	}
	return false
}
