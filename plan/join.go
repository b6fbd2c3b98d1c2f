package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// JoinKind is the kind of an equi-join.
type JoinKind int

// The join kinds. NULL keys never match: outer joins keep such rows unmatched, anti
// joins keep them, inner and semi joins drop them.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	LeftSemiJoin
	LeftAntiJoin
)

var joinKindNames = [...]string{"inner", "left", "right", "full", "left_semi", "left_anti"}

// String returns the kind's lower-case name as Explain prints it, e.g. left_semi.
func (k JoinKind) String() string { return joinKindNames[k] }

// RightSuffix is appended to a right-side column whose name is already taken by a left
// column in a join's output (as Polars does), so both stay distinguishable.
const RightSuffix = "_right"

// Join is an equi-join of Left and Right on LeftKeys[i] = RightKeys[i].
//
// Output columns: for semi and anti joins, Left's columns. Otherwise Left's columns
// followed by Right's, where a right key whose name equals its left key's name (a "using"
// key, as in Join(other, "id")) is dropped and, for right and full joins, the left key
// column carries coalesce(left key, right key); any other right column whose name clashes
// gets RightSuffix.
type Join struct {
	Meta
	Left, Right         Node
	LeftKeys, RightKeys []string
	Kind                JoinKind
	// Cond, when set, is the rest of the join condition: a boolean expression over both
	// inputs' columns (JoinSideRef tells same-named ones apart once analyzed) that a
	// pair of rows with equal keys must also satisfy to match; NULL counts as false. It
	// decides matching inside the join, so outer, semi and anti joins keep the rows it
	// rejects as unmatched. The analyzer moves its left.a = right.b conjuncts into the
	// keys. With no keys at all the join is a nested-loop join over Cond.
	Cond Expr
	// CondKeys counts the last keys, taken from Cond: never "using" keys, so both columns
	// stay in the output even when their names are equal.
	CondKeys int
	// Cross makes a join without keys or Cond a cartesian product (Spark's crossJoin).
	Cross bool
	// Suffix renames a right column whose name a left column takes; "" means
	// RightSuffix.
	Suffix string
}

// Broadcast marks its input as small enough to copy to every task of a join: the planner
// then uses a broadcast hash join with this side as the build side, whatever its
// estimated size. It is a hint and changes no rows.
type Broadcast struct {
	Meta
	Input Node
}

// SortKey orders by one column.
type SortKey struct {
	Column     string
	Descending bool
	// NullsFirst puts NULLs before every value. Spark's default is nulls first when
	// ascending and last when descending; the dataset API sets it accordingly.
	NullsFirst bool
}

// String renders the key as e.g. amount DESC NULLS LAST.
func (k SortKey) String() string {
	s := k.Column + " ASC"
	if k.Descending {
		s = k.Column + " DESC"
	}
	if k.NullsFirst {
		return s + " NULLS FIRST"
	}
	return s + " NULLS LAST"
}

func sortKeyList(keys []SortKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}

// Sort orders all rows globally by Keys: partition i holds rows that sort before those of
// partition i+1, each partition sorted. NaN sorts above every number; strings by bytes.
// The sort is stable: rows with equal keys keep their input order within a partition.
type Sort struct {
	Meta
	Input Node
	Keys  []SortKey
	Local bool // sort each partition on its own, without the range shuffle
}

// Children returns the left and right inputs, in that order.
func (n *Join) Children() []Node { return []Node{n.Left, n.Right} }

// WithChildren returns a copy joining c[0] and c[1] on the same keys.
func (n *Join) WithChildren(c []Node) Node {
	m := *n
	m.Left, m.Right = c[0], c[1]
	return &m
}

// Describe renders the join with its kind, both key lists and its residual condition.
func (n *Join) Describe() string {
	if len(n.LeftKeys) == 0 && n.Cond == nil {
		return fmt.Sprintf("CrossJoin %s", n.Kind)
	}
	s := fmt.Sprintf("Join %s on [%s] = [%s]", n.Kind, strings.Join(n.LeftKeys, ", "), strings.Join(n.RightKeys, ", "))
	if n.Cond != nil {
		s += " cond=" + n.Cond.String()
	}
	return s
}

// Children returns the input marked for broadcast.
func (n *Broadcast) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy marking c[0] for broadcast.
func (n *Broadcast) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node as a hint, since it changes no rows.
func (n *Broadcast) Describe() string { return "Broadcast (hint)" }

// Children returns the sort's one input.
func (n *Sort) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy sorting c[0] by the same keys.
func (n *Sort) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the sort with its keys.
func (n *Sort) Describe() string {
	if n.Local {
		return "SortWithinPartitions [" + sortKeyList(n.Keys) + "]"
	}
	return "Sort [" + sortKeyList(n.Keys) + "]"
}

// BuildSide says which input of a hash join is loaded into the hash table.
type BuildSide int

// The build sides.
const (
	BuildRight BuildSide = iota
	BuildLeft
)

// PHashJoin joins two inputs with the same number of partitions, partition by partition:
// both hash-partitioned the same way on the keys (a shuffled hash join), or, when
// Broadcast is set, the build side is a broadcast read that every task sees whole.
//
// Its output is Left's columns then Right's columns exactly as they come (semi and anti:
// Left's only), named by OutSchema (renames applied); the planner puts a projection on
// top for using-key handling. NULL keys never match.
type PHashJoin struct {
	Left, Right         PhysNode
	LeftKeys, RightKeys []string
	Kind                JoinKind
	Build               BuildSide
	Broadcast           bool
	OutSchema           *arrow.Schema
	// Residual, when set, is a boolean condition over PairSchema (left columns then right
	// columns, the clashing right names suffixed) that a pair with equal keys must also
	// satisfy to match. With no keys every pair is a candidate: a nested-loop join.
	Residual   Expr
	PairSchema *arrow.Schema
	// Cartesian (inner joins without keys only) makes one task per pair of a left and a
	// right partition: task p joins left partition p / R with right partition p % R,
	// where R is Right's partition count.
	Cartesian bool
	// Range, set on a broadcast nested-loop join (no keys) whose Residual has a conjunct
	// bounding a column of one side between two of the other, lets the join index its
	// build side by that range instead of pairing every row with every row; Residual
	// still decides each candidate pair.
	Range *RangeCond
	// KeyFilter marks a broadcast left semi join that only filters its left input for a
	// join later in the job (a runtime key filter): rows it keeps but need not are
	// dropped by that join, so once it sees it keeps nearly every row it may pass the
	// rest on unfiltered.
	KeyFilter bool
}

// PSort sorts each partition by Keys. With Limit > 0 it keeps only the first Limit rows
// (a top-N: a bounded heap, not a full sort).
type PSort struct {
	Input PhysNode
	Keys  []SortKey
	Limit int64
}

// Children returns the left and right inputs, in that order.
func (n *PHashJoin) Children() []PhysNode { return []PhysNode{n.Left, n.Right} }

// Schema returns the left columns then the right ones (left only for semi and anti
// joins), renamed as the planner decided.
func (n *PHashJoin) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the partition count of the streamed side: in a broadcast join the
// build side is read whole by every task, so it does not count; in a shuffled join both
// sides have the same count.
func (n *PHashJoin) NumPartitions() int {
	if n.Cartesian {
		return n.Left.NumPartitions() * n.Right.NumPartitions()
	}
	if n.Broadcast && n.Build == BuildRight {
		return n.Left.NumPartitions()
	}
	if n.Broadcast {
		return n.Right.NumPartitions()
	}
	return n.Left.NumPartitions()
}

// Describe renders the join with its strategy (shuffled or broadcast), kind, keys and
// build side.
func (n *PHashJoin) Describe() string {
	strategy := "ShuffledHashJoin"
	if n.Broadcast {
		strategy = "BroadcastHashJoin"
	}
	side := "right"
	if n.Build == BuildLeft {
		side = "left"
	}
	if len(n.LeftKeys) == 0 {
		strategy = "NestedLoopJoin (single partition)"
		switch {
		case n.Broadcast:
			strategy = "BroadcastNestedLoopJoin"
		case n.Cartesian:
			strategy = "CartesianProduct"
		}
		s := fmt.Sprintf("%s %s build=%s", strategy, n.Kind, side)
		if n.Range != nil {
			s += " range=[" + n.Range.String() + "]"
		}
		if n.Residual != nil {
			s += " cond=" + n.Residual.String()
		}
		return s
	}
	s := fmt.Sprintf("%s %s on [%s] = [%s] build=%s", strategy, n.Kind,
		strings.Join(n.LeftKeys, ", "), strings.Join(n.RightKeys, ", "), side)
	if n.Residual != nil {
		s += " residual=" + n.Residual.String()
	}
	return s
}

// Children returns the sort's one input.
func (n *PSort) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema: sorting reorders rows, not columns.
func (n *PSort) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions returns the input's partition count: each partition is sorted on its
// own; a global order comes from the exchange the planner puts below.
func (n *PSort) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node as TopN with its limit when it keeps only the first rows,
// else as Sort, with its keys.
func (n *PSort) Describe() string {
	if n.Limit > 0 {
		return fmt.Sprintf("TopN %d [%s]", n.Limit, sortKeyList(n.Keys))
	}
	return "Sort [" + sortKeyList(n.Keys) + "]"
}
