package plan

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// AsOfJoin matches each left row with one right row of the same By keys: the latest
// whose On value is at or before the left row's (Forward: the earliest at or after),
// within Tolerance when it is set; Polars' join_asof. Among right rows with the same On
// value, backward takes the last in the right side's order, forward the first. A left
// row with no such right row (or a NULL On or By value) gets NULL right columns.
//
// Output: Left's columns, then Right's but its On column and By keys; a right column
// whose name a left column takes gets RightSuffix.
type AsOfJoin struct {
	Meta
	Left, Right Node
	On          string
	By          []string
	Forward     bool
	// Tolerance, when set, is the largest distance between the two On values of a match:
	// a time.Duration for timestamp and date columns, an integer or float for numbers.
	Tolerance any
}

// Children returns the left and right inputs.
func (n *AsOfJoin) Children() []Node { return []Node{n.Left, n.Right} }

// WithChildren returns a copy joining c[0] and c[1].
func (n *AsOfJoin) WithChildren(c []Node) Node {
	m := *n
	m.Left, m.Right = c[0], c[1]
	return &m
}

func asOfDescribe(on string, by []string, forward bool, tol any) string {
	dir := "backward"
	if forward {
		dir = "forward"
	}
	s := fmt.Sprintf("on %s by [%s] %s", on, strings.Join(by, ", "), dir)
	if tol != nil {
		s += fmt.Sprintf(" tolerance=%v", tol)
	}
	return s
}

// Describe renders the join with its time column, keys, direction and tolerance.
func (n *AsOfJoin) Describe() string {
	return "AsOfJoin " + asOfDescribe(n.On, n.By, n.Forward, n.Tolerance)
}

// asOfShape returns the right columns an as-of join keeps (indices into the right
// schema) and the output schema.
func asOfShape(n *AsOfJoin, ls, rs *arrow.Schema) ([]int, *arrow.Schema) {
	drop := map[string]bool{n.On: true}
	for _, b := range n.By {
		drop[b] = true
	}
	taken := map[string]bool{}
	fields := append([]arrow.Field(nil), ls.Fields()...)
	for _, f := range ls.Fields() {
		taken[f.Name] = true
	}
	var keep []int
	for i, f := range rs.Fields() {
		if !drop[f.Name] {
			keep = append(keep, i)
		}
	}
	for _, i := range keep {
		f := rs.Field(i)
		for taken[f.Name] {
			f.Name += RightSuffix
		}
		taken[f.Name] = true
		f.Nullable = true
		fields = append(fields, f)
	}
	return keep, arrow.NewSchema(fields, nil)
}

// analyzeAsOfJoin checks the time column and keys (casting a side's key to the other's
// type where integers widths or int/float differ) and the tolerance.
func analyzeAsOfJoin(n *AsOfJoin, site string) (Node, error) {
	fail := func(kind error, format string, args ...any) error {
		return &AnalysisError{Site: site, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	}
	ls, rs := n.Left.Schema(), n.Right.Schema()
	leftCast, rightCast := map[string]arrow.DataType{}, map[string]arrow.DataType{}
	for i, k := range append([]string{n.On}, n.By...) {
		what := "by key"
		if i == 0 {
			what = "time column"
		}
		var lt, rt arrow.DataType
		for _, side := range []struct {
			name string
			s    *arrow.Schema
			t    *arrow.DataType
		}{{"left", ls, &lt}, {"right", rs, &rt}} {
			idx := side.s.FieldIndices(k)
			if len(idx) == 0 {
				return nil, fail(ErrUnknownColumn, "unknown %s as-of %s %q (%s columns: %s)%s", side.name, what, k, side.name,
					strings.Join(schemaNames(side.s), ", "), didYouMean(k, schemaNames(side.s)))
			}
			*side.t = side.s.Field(idx[0]).Type
		}
		to, ok := joinKeyType(lt, rt)
		if i == 0 && ok && !isSortable(lt) {
			ok = false
		}
		if i == 0 && ok && !(IsNumeric(lt) || lt.ID() == arrow.TIMESTAMP || lt.ID() == arrow.DATE32) {
			return nil, fail(ErrType, "as-of time column %q is %s: it must be a number, a date or a timestamp", k, typeName(lt))
		}
		if !ok {
			return nil, fail(ErrType, "as-of %s %q has incompatible types: %s (left) and %s (right)", what, k, typeName(lt), typeName(rt))
		}
		if to != nil && !arrow.TypeEqual(lt, to) {
			leftCast[k] = to
		}
		if to != nil && !arrow.TypeEqual(rt, to) {
			rightCast[k] = to
		}
	}
	m := *n
	m.By = append([]string(nil), n.By...)
	var err error
	if m.Left, err = castColumns(n.Left, leftCast, site); err != nil {
		return nil, err
	}
	if m.Right, err = castColumns(n.Right, rightCast, site); err != nil {
		return nil, err
	}
	onType := m.Left.Schema().Field(m.Left.Schema().FieldIndices(n.On)[0]).Type
	if _, err := asOfTolerance(n.Tolerance, onType); err != nil {
		return nil, fail(ErrType, "as-of tolerance: %v", err)
	}
	_, out := asOfShape(&m, m.Left.Schema(), m.Right.Schema())
	if err := checkUnique(schemaNames(out)); err != nil {
		return nil, atSite(err, site)
	}
	m.OutSchema = out
	return &m, nil
}

// asOfTolerance converts a tolerance to the units of a time column of type t: a
// time.Duration for a timestamp (its unit) or a date (whole days), a non-negative number
// for a number column. Nil (no tolerance) gives +Inf.
func asOfTolerance(tol any, t arrow.DataType) (float64, error) {
	if tol == nil {
		return math.Inf(1), nil
	}
	var v float64
	switch x := tol.(type) {
	case time.Duration:
		switch tt := t.(type) {
		case *arrow.TimestampType:
			v = float64(x) / float64(tt.Unit.Multiplier())
		case *arrow.Date32Type:
			v = math.Floor(x.Hours() / 24)
		default:
			return 0, fmt.Errorf("a duration (%v) for a %s time column: give a number", x, typeName(t))
		}
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	case float64:
		v = x
	default:
		return 0, fmt.Errorf("%v (%T) is neither a time.Duration nor a number", tol, tol)
	}
	if _, isDur := tol.(time.Duration); !isDur && (t.ID() == arrow.TIMESTAMP || t.ID() == arrow.DATE32) {
		return 0, fmt.Errorf("%v for a %s time column: give a time.Duration", tol, typeName(t))
	}
	if v < 0 || math.IsNaN(v) {
		return 0, fmt.Errorf("%v is negative", tol)
	}
	return v, nil
}

// PAsOfJoin merges two inputs partitioned alike by By and each sorted by (By..., On)
// ascending, NULLs first: each task reads its right partition whole and streams its left
// partition, matching with cursors that only move forward. Tolerance is in the On
// column's units (+Inf: none). RightCols are the right columns it outputs, after the
// left ones.
type PAsOfJoin struct {
	Left, Right PhysNode
	On          string
	By          []string
	Forward     bool
	Tolerance   float64
	RightCols   []int
	OutSchema   *arrow.Schema
}

// Children returns the left and right inputs.
func (n *PAsOfJoin) Children() []PhysNode { return []PhysNode{n.Left, n.Right} }

// WithChildren returns a copy merging children[0] and children[1].
func (n *PAsOfJoin) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 2)
	m := *n
	m.Left, m.Right = children[0], children[1]
	return &m
}

// Schema returns the left columns then the kept right ones.
func (n *PAsOfJoin) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the left input's partition count (the right's is the same).
func (n *PAsOfJoin) NumPartitions() int { return n.Left.NumPartitions() }

// Describe renders the merge with its time column, keys, direction and tolerance.
func (n *PAsOfJoin) Describe() string {
	var tol any
	if !math.IsInf(n.Tolerance, 1) {
		tol = n.Tolerance
	}
	return "AsOfMergeJoin " + asOfDescribe(n.On, n.By, n.Forward, tol)
}

// asOfJoin plans an as-of join: both sides hash-partitioned by the By keys into the same
// partitions (one partition without keys), each sorted by (By..., On), then merged.
func (p *planner) asOfJoin(n *AsOfJoin, left, right PhysNode) (PhysNode, error) {
	onType := n.Left.Schema().Field(n.Left.Schema().FieldIndices(n.On)[0]).Type
	tol, err := asOfTolerance(n.Tolerance, onType)
	if err != nil {
		return nil, atSite(errAt(ErrType, err.Error()), nodeSite(n))
	}
	if len(n.By) == 0 {
		left, right = singlePartition(left), singlePartition(right)
	} else {
		exchange := func(in PhysNode) PhysNode {
			return &PExchange{Input: in, Partitioning: Partitioning{Kind: HashPartitioning, Keys: append([]string(nil), n.By...), N: p.cfg.ShufflePartitions}}
		}
		left, right = exchange(left), exchange(right)
	}
	var keys []SortKey
	for _, b := range n.By {
		keys = append(keys, SortKey{Column: b, NullsFirst: true})
	}
	keys = append(keys, SortKey{Column: n.On, NullsFirst: true})
	keep, out := asOfShape(n, n.Left.Schema(), n.Right.Schema())
	return &PAsOfJoin{
		Left: &PSort{Input: left, Keys: keys}, Right: &PSort{Input: right, Keys: append([]SortKey(nil), keys...)},
		On: n.On, By: append([]string(nil), n.By...), Forward: n.Forward, Tolerance: tol,
		RightCols: keep, OutSchema: out,
	}, nil
}
