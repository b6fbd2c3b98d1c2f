package plan

import (
	"fmt"
	"slices"
)

// checkArity panics when a rewiring passes the wrong number of inputs: that is a bug in
// the caller, and silently dropping or ignoring an input would run a different plan.
func checkArity(n PhysNode, children []PhysNode, want int) {
	if len(children) != want {
		panic(fmt.Sprintf("plan: %T.WithChildren got %d children, want %d", n, len(children), want))
	}
}

// WithChildren returns n: a scan has no inputs (children must be empty).
func (n *PScan) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 0)
	return n
}

// WithChildren returns n: a shuffle read has no inputs (children must be empty).
func (n *PShuffleRead) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 0)
	return n
}

// WithChildren returns n: a cached read has no inputs (children must be empty).
func (n *PCacheRead) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 0)
	return n
}

// WithChildren returns a copy reading children[0].
func (n *PFilter) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PProject) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PHashAggregate) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PExchange) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PLimit) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy concatenating children, one per input.
func (n *PUnion) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, len(n.Inputs))
	m := *n
	m.Inputs = slices.Clone(children)
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PCoalesce) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PMapBatches) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PExplode) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PSort) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy reading children[0].
func (n *PCache) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// WithChildren returns a copy joining children[0] (left) with children[1] (right).
func (n *PHashJoin) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 2)
	m := *n
	m.Left, m.Right = children[0], children[1]
	return &m
}
