package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// PWindowGroupLimit is Spark 3.5's WindowGroupLimit in its partial form: below the
// exchange of a Window whose only functions are row_number, rank or dense_rank, under a
// filter keeping ranks up to Limit, it keeps per partition key only the rows that can
// still rank within Limit in their window partition. The exchange, sort, window and filter
// above it stay and do the exact work: the node only shrinks what they see, from every
// row to at most Limit (plus ties for rank and dense_rank) per key and map partition.
//
// Why it is correct: a row whose rank within the rows of its map partition exceeds Limit
// ranks at least as far in the whole window partition (the other partitions only add
// rows before or beside it), so dropping it changes no kept row's rank. For row_number
// the kept rows' tied order may differ from the plain plan's, which Spark allows (ties
// of row_number are ordered arbitrarily); rank and dense_rank keep every tie of the
// Limit-th value, so their values are exact.
type PWindowGroupLimit struct {
	Input       PhysNode
	PartitionBy []string
	OrderBy     []SortKey
	// Func is the ranking function the filter reads: WinRowNumber, WinRank or WinDenseRank.
	Func WindowFuncKind
	// Limit is the largest rank kept (>= 1).
	Limit int64
}

// Children returns the one input.
func (n *PWindowGroupLimit) Children() []PhysNode { return []PhysNode{n.Input} }

// WithChildren returns a copy reading children[0].
func (n *PWindowGroupLimit) WithChildren(children []PhysNode) PhysNode {
	if len(children) != 1 {
		panic(fmt.Sprintf("plan: PWindowGroupLimit.WithChildren: %d children, want 1", len(children)))
	}
	m := *n
	m.Input = children[0]
	return &m
}

// Schema is the input's: the node only drops rows.
func (n *PWindowGroupLimit) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions is the input's.
func (n *PWindowGroupLimit) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node, e.g. WindowGroupLimit [k] order by [t DESC NULLS LAST]
// row_number limit 1 (partial).
func (n *PWindowGroupLimit) Describe() string {
	return fmt.Sprintf("WindowGroupLimit [%s] order by [%s] %s limit %d (partial)",
		strings.Join(n.PartitionBy, ", "), sortKeyList(n.OrderBy), n.Func, n.Limit)
}

// windowGroupLimit rewrites a filter planned over a window (filter is the planned filter,
// cond its condition) when the condition bounds a ranking column of the window by a
// constant: a PWindowGroupLimit goes between the window's exchange and the exchange's
// input. Any other plan is returned unchanged.
func windowGroupLimit(cond Expr, in PhysNode) PhysNode {
	w, ok := in.(*PWindow)
	if !ok || len(w.PartitionBy) == 0 || len(w.OrderBy) == 0 {
		return in
	}
	fn, limit, ok := rankBound(cond, w)
	if !ok {
		return in
	}
	for _, e := range w.Exprs {
		switch e.Fn.Func {
		case WinRowNumber, WinRank, WinDenseRank:
		default:
			// Another function (an aggregate, lag, ntile...) reads every row of the
			// partition: dropping rows below the window would change it.
			return in
		}
	}
	// The window's input must be [sort over] an exchange the planner put there; a window
	// over an input already partitioned by its keys has no shuffle to save.
	var sort *PSort
	below := w.Input
	if s, ok := below.(*PSort); ok {
		sort, below = s, s.Input
	}
	ex, ok := below.(*PExchange)
	if !ok || ex.Partitioning.Kind != HashPartitioning {
		return in
	}
	gl := &PWindowGroupLimit{Input: ex.Input, PartitionBy: w.PartitionBy, OrderBy: w.OrderBy, Func: fn, Limit: limit}
	var newIn PhysNode = ex.WithChildren([]PhysNode{gl})
	if sort != nil {
		newIn = sort.WithChildren([]PhysNode{newIn})
	}
	return w.WithChildren([]PhysNode{newIn})
}

// rankBound finds in cond's conjuncts one that keeps only ranks up to a constant K of a
// row_number, rank or dense_rank column of w: rn = 1, rn <= K, rn < K+1 (either side,
// the column possibly cast to a wider integer). It returns the function and K.
func rankBound(cond Expr, w *PWindow) (WindowFuncKind, int64, bool) {
	funcs := map[string]WindowFuncKind{}
	for _, e := range w.Exprs {
		funcs[e.Name] = e.Fn.Func
	}
	best := int64(math.MaxInt64)
	var bestFn WindowFuncKind
	for _, c := range conjuncts(cond) {
		b, ok := c.(*Binary)
		if !ok || !b.Op.IsComparison() {
			continue
		}
		op, colSide, litSide := b.Op, b.Left, b.Right
		if _, isLit := b.Left.(*Literal); isLit {
			op, colSide, litSide = op.Flipped(), b.Right, b.Left
		}
		name, ok := rankColumn(colSide)
		if !ok {
			continue
		}
		fn, ok := funcs[name]
		if !ok || (fn != WinRowNumber && fn != WinRank && fn != WinDenseRank) {
			continue
		}
		k, ok := intLiteral(litSide)
		if !ok {
			continue
		}
		switch op {
		case OpEq, OpLtEq:
		case OpLt:
			k--
		default:
			continue
		}
		if k < 1 {
			// No row passes; the window's exact work is cheap then anyway.
			continue
		}
		if k < best {
			best, bestFn = k, fn
		}
	}
	return bestFn, best, best != math.MaxInt64
}

// rankColumn returns the column a ranking comparison reads: a column, or a column cast to
// an integer type (the analyzer widens int32 ranks to compare with int64 literals).
func rankColumn(e Expr) (string, bool) {
	if c, ok := e.(*Cast); ok {
		switch c.To.ID() {
		case arrow.INT32, arrow.INT64:
			e = c.Child
		default:
			return "", false
		}
	}
	c, ok := e.(*ColumnRef)
	if !ok {
		return "", false
	}
	return c.Name, true
}

// intLiteral returns a non-NULL integer literal's value.
func intLiteral(e Expr) (int64, bool) {
	l, ok := e.(*Literal)
	if !ok {
		return 0, false
	}
	switch v := l.Value.(type) {
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case int:
		return int64(v), true
	}
	return 0, false
}
