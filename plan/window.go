package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// WindowFuncKind identifies a window function.
type WindowFuncKind int

// The window functions. The ranking functions (row_number to ntile) and lag/lead ignore
// the frame; first_value, last_value, nth_value and the aggregates read it.
const (
	WinRowNumber   WindowFuncKind = iota // 1, 2, 3... within the partition (int32)
	WinRank                              // 1 + rows before the row's peer group (int32)
	WinDenseRank                         // 1 + peer groups before the row's (int32)
	WinPercentRank                       // (rank-1)/(rows-1), 0 for a one-row partition (float64)
	WinCumeDist                          // rows up to the end of the row's peer group / rows (float64)
	WinNTile                             // bucket 1..N, Spark's split of the partition (int32)
	WinLag                               // the value Offset rows before, else Args[1] (NULL)
	WinLead                              // the value Offset rows after, else Args[1] (NULL)
	WinFirstValue                        // the frame's first value (first non-NULL with IgnoreNulls)
	WinLastValue                         // the frame's last value (last non-NULL with IgnoreNulls)
	WinNthValue                          // the frame's Offset-th value (1-based)
	WinAgg                               // Agg over the frame
)

var winFuncNames = [...]string{"row_number", "rank", "dense_rank", "percent_rank", "cume_dist",
	"ntile", "lag", "lead", "first_value", "last_value", "nth_value", "agg"}

// String returns the function's lower-case name, e.g. dense_rank.
func (k WindowFuncKind) String() string { return winFuncNames[k] }

// IsRanking reports whether k is a ranking function or lag/lead: they need an ORDER BY
// and take no frame.
func (k WindowFuncKind) IsRanking() bool { return k <= WinLead }

// FrameKind says how a frame's bounds count: in rows, or in values of the order key.
type FrameKind int

// The frame kinds.
const (
	FrameRows FrameKind = iota
	FrameRange
)

// The frame bounds with a meaning of their own; any other bound is an offset from the
// current row (negative: preceding).
const (
	UnboundedPreceding int64 = math.MinInt64
	UnboundedFollowing int64 = math.MaxInt64
	CurrentRow         int64 = 0
)

// WindowFrame is the rows of the partition a frame function reads for each row: from
// Start to End (inclusive), as row offsets (ROWS) or order-key value offsets (RANGE).
type WindowFrame struct {
	Kind       FrameKind
	Start, End int64
}

// String renders the frame as Spark does, e.g. ROWS BETWEEN 6 PRECEDING AND CURRENT ROW.
func (f WindowFrame) String() string {
	kind := "ROWS"
	if f.Kind == FrameRange {
		kind = "RANGE"
	}
	return kind + " BETWEEN " + frameBound(f.Start) + " AND " + frameBound(f.End)
}

func frameBound(b int64) string {
	switch {
	case b == UnboundedPreceding:
		return "UNBOUNDED PRECEDING"
	case b == UnboundedFollowing:
		return "UNBOUNDED FOLLOWING"
	case b == 0:
		return "CURRENT ROW"
	case b < 0:
		return fmt.Sprintf("%d PRECEDING", -b)
	}
	return fmt.Sprintf("%d FOLLOWING", b)
}

// WindowSpec is a window: the partitioning columns, the order within a partition and
// the frame (nil: Spark's default, see DefaultFrame).
type WindowSpec struct {
	PartitionBy []string
	OrderBy     []SortKey
	Frame       *WindowFrame
}

// DefaultFrame is Spark's frame when none is given: with an ORDER BY, RANGE BETWEEN
// UNBOUNDED PRECEDING AND CURRENT ROW (peers share the frame); without, the whole
// partition.
func (s WindowSpec) DefaultFrame() WindowFrame {
	if len(s.OrderBy) > 0 {
		return WindowFrame{Kind: FrameRange, Start: UnboundedPreceding, End: CurrentRow}
	}
	return WindowFrame{Kind: FrameRows, Start: UnboundedPreceding, End: UnboundedFollowing}
}

// String renders the specification as in SQL, e.g. PARTITION BY k ORDER BY t ASC NULLS FIRST.
func (s WindowSpec) String() string {
	var parts []string
	if len(s.PartitionBy) > 0 {
		parts = append(parts, "PARTITION BY "+strings.Join(s.PartitionBy, ", "))
	}
	if len(s.OrderBy) > 0 {
		parts = append(parts, "ORDER BY "+sortKeyList(s.OrderBy))
	}
	if s.Frame != nil {
		parts = append(parts, s.Frame.String())
	}
	return strings.Join(parts, " ")
}

// sameKeys reports whether two specs partition and order alike (frames may differ):
// such window functions share one exchange and sort.
func (s WindowSpec) sameKeys(o WindowSpec) bool {
	if len(s.PartitionBy) != len(o.PartitionBy) || len(s.OrderBy) != len(o.OrderBy) {
		return false
	}
	for i := range s.PartitionBy {
		if s.PartitionBy[i] != o.PartitionBy[i] {
			return false
		}
	}
	for i := range s.OrderBy {
		if s.OrderBy[i] != o.OrderBy[i] {
			return false
		}
	}
	return true
}

// WindowFunc is a window function applied over a window: an expression that may appear
// in a projection (Select, WithColumn), anywhere in its expressions. The analyzer moves
// it into a Window node below the projection, as Spark's ExtractWindowExpressions does.
type WindowFunc struct {
	Func WindowFuncKind
	// Args: the value for lag, lead, first_value, last_value and nth_value; lag and lead
	// take the default as Args[1] (nil: NULL).
	Args []Expr
	// Offset is lag/lead's offset, ntile's bucket count or nth_value's N.
	Offset      int64
	IgnoreNulls bool
	// Agg is the aggregate of WinAgg (its Name unused).
	Agg  AggExpr
	Spec WindowSpec
	// Site is the user's call site of the function, e.g. rank@report.go:12.
	Site string
}

// String renders the call as in SQL, e.g. rank() OVER (PARTITION BY k ORDER BY t ASC NULLS FIRST).
func (w *WindowFunc) String() string {
	var call string
	switch w.Func {
	case WinAgg:
		a := w.Agg
		a.Name = ""
		call = a.String()
	case WinNTile:
		call = fmt.Sprintf("ntile(%d)", w.Offset)
	case WinLag, WinLead:
		def := "NULL"
		if len(w.Args) > 1 && w.Args[1] != nil {
			def = w.Args[1].String()
		}
		call = fmt.Sprintf("%s(%s, %d, %s)", w.Func, w.Args[0], w.Offset, def)
	case WinFirstValue, WinLastValue, WinNthValue:
		arg := w.Args[0].String()
		if w.Func == WinNthValue {
			arg += fmt.Sprintf(", %d", w.Offset)
		}
		if w.IgnoreNulls {
			arg += ") IGNORE NULLS"
		} else {
			arg += ")"
		}
		call = w.Func.String() + "(" + arg
	default:
		call = w.Func.String() + "()"
	}
	return call + " OVER (" + w.Spec.String() + ")"
}

// Children returns the arguments, then the aggregate's arguments.
func (w *WindowFunc) Children() []Expr {
	var out []Expr
	for _, a := range w.Args {
		if a != nil {
			out = append(out, a)
		}
	}
	if w.Agg.Arg != nil {
		out = append(out, w.Agg.Arg)
	}
	if w.Agg.Arg2 != nil {
		out = append(out, w.Agg.Arg2)
	}
	return out
}

// WithChildren returns a copy with the arguments replaced, in Children's order.
func (w *WindowFunc) WithChildren(c []Expr) Expr {
	m := *w
	m.Args = append([]Expr(nil), w.Args...)
	i := 0
	for j, a := range m.Args {
		if a != nil {
			m.Args[j] = c[i]
			i++
		}
	}
	if m.Agg.Arg != nil {
		m.Agg.Arg = c[i]
		i++
	}
	if m.Agg.Arg2 != nil {
		m.Agg.Arg2 = c[i]
	}
	return &m
}

// WindowExpr is one window function of a Window node, with the name of its output
// column, its resolved frame and the types the operator needs.
type WindowExpr struct {
	Fn    *WindowFunc
	Name  string
	Frame WindowFrame
	// ArgType is the type of Args[0] or of the aggregate's argument (nil when none).
	ArgType arrow.DataType
	// Type is the output column's type.
	Type arrow.DataType
}

// Window computes window functions that share a partitioning and an order: its output
// is the input's columns followed by one column per expression. The analyzer builds it
// from the window functions of a projection.
type Window struct {
	Meta
	Input       Node
	PartitionBy []string
	OrderBy     []SortKey
	Exprs       []WindowExpr
}

// Children returns the window's one input.
func (n *Window) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy computing the same functions over c[0].
func (n *Window) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node with its functions and its partitioning.
func (n *Window) Describe() string {
	return "Window [" + windowExprList(n.Exprs) + "]" + windowKeys(n.PartitionBy, n.OrderBy)
}

func windowExprList(es []WindowExpr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Fn.String() + " AS " + e.Name
	}
	return strings.Join(s, ", ")
}

func windowKeys(part []string, order []SortKey) string {
	s := " partition [" + strings.Join(part, ", ") + "] order [" + sortKeyList(order) + "]"
	if len(part) == 0 {
		s += " (single partition: no PARTITION BY)"
	}
	return s
}

// PWindow computes window functions over each partition of its input, which holds every
// row of a window partition in one task and is sorted by (PartitionBy, OrderBy): the
// planner puts a hash exchange on PartitionBy and a PSort below it. Arguments are input
// columns (the planner projects expressions into columns first).
type PWindow struct {
	Input       PhysNode
	PartitionBy []string
	OrderBy     []SortKey
	Exprs       []WindowExpr
	OutSchema   *arrow.Schema
}

// Children returns the window's one input.
func (n *PWindow) Children() []PhysNode { return []PhysNode{n.Input} }

// WithChildren returns a copy reading children[0].
func (n *PWindow) WithChildren(children []PhysNode) PhysNode {
	if len(children) != 1 {
		panic(fmt.Sprintf("plan: PWindow.WithChildren: %d children, want 1", len(children)))
	}
	m := *n
	m.Input = children[0]
	return &m
}

// Schema returns the input's columns then one per window function.
func (n *PWindow) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the input's partition count.
func (n *PWindow) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the operator as the logical Window.
func (n *PWindow) Describe() string {
	return "Window [" + windowExprList(n.Exprs) + "]" + windowKeys(n.PartitionBy, n.OrderBy)
}
