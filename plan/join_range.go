package plan

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// RangeCond is a conjunct of a join condition that bounds a column of one side between two
// columns of the other: Lo <= Point <= Hi (or with < where LoStrict, HiStrict). A
// nested-loop join with one can index its build side by the range instead of pairing
// every row with every row (exec/hashjoin's interval join); the whole condition, this
// conjunct included, still decides each candidate pair, so the index only has to find
// every pair the conjunct can accept.
type RangeCond struct {
	// Point, Lo and Hi name columns of the join's PairSchema; Point is of one side, Lo and
	// Hi of the other, all three of one orderable type (RangeType).
	Point, Lo, Hi      string
	LoStrict, HiStrict bool
	// PointLeft reports whether Point is a column of the left input.
	PointLeft bool
}

// String renders the conjunct as in Explain, e.g. "ts between lo and hi".
func (r *RangeCond) String() string {
	if !r.LoStrict && !r.HiStrict {
		return fmt.Sprintf("%s between %s and %s", r.Point, r.Lo, r.Hi)
	}
	op := func(strict bool) string {
		if strict {
			return "<"
		}
		return "<="
	}
	return fmt.Sprintf("%s %s %s %s %s", r.Lo, op(r.LoStrict), r.Point, op(r.HiStrict), r.Hi)
}

// RangeType reports whether t is a type the interval join orders: int64, float64,
// date32 and timestamps (all compared as their stored numbers, as Spark compares them).
func RangeType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT64, arrow.FLOAT64, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// findJoinRange looks among the top-level conjuncts of a join condition (over pair, whose
// first nLeft columns are the left input's) for a lower and an upper bound of one column
// by two columns of the other side, all plain column references of one RangeType type.
// It returns nil when there is none: the join stays a plain nested loop.
func findJoinRange(cond Expr, pair *arrow.Schema, nLeft int) *RangeCond {
	if cond == nil || pair == nil {
		return nil
	}
	type bound struct {
		other  string
		strict bool
	}
	// lower[p] and upper[p]: the columns bounding column p from below and above.
	lower, upper := map[string][]bound{}, map[string][]bound{}
	var order []string
	side := func(name string) (left bool, t arrow.DataType, ok bool) {
		idx := pair.FieldIndices(name)
		if len(idx) != 1 {
			return false, nil, false
		}
		return idx[0] < nLeft, pair.Field(idx[0]).Type, true
	}
	var walk func(e Expr)
	walk = func(e Expr) {
		b, ok := e.(*Binary)
		if !ok {
			return
		}
		if b.Op == OpAnd {
			walk(b.Left)
			walk(b.Right)
			return
		}
		l, lok := b.Left.(*ColumnRef)
		r, rok := b.Right.(*ColumnRef)
		if !lok || !rok {
			return
		}
		// small < big (or <=): small bounds big from below, big bounds small from above.
		var small, big string
		strict := false
		switch b.Op {
		case OpLt, OpLtEq:
			small, big, strict = l.Name, r.Name, b.Op == OpLt
		case OpGt, OpGtEq:
			small, big, strict = r.Name, l.Name, b.Op == OpGt
		default:
			return
		}
		ls, lt, ok1 := side(small)
		bs, bt, ok2 := side(big)
		if !ok1 || !ok2 || ls == bs || !RangeType(lt) || !arrow.TypeEqual(lt, bt) {
			return
		}
		if _, seen := lower[big]; !seen {
			if _, seen := upper[big]; !seen {
				order = append(order, big)
			}
		}
		lower[big] = append(lower[big], bound{small, strict})
		if _, seen := lower[small]; !seen {
			if _, seen := upper[small]; !seen {
				order = append(order, small)
			}
		}
		upper[small] = append(upper[small], bound{big, strict})
	}
	walk(cond)
	for _, p := range order {
		if len(lower[p]) == 0 || len(upper[p]) == 0 {
			continue
		}
		pl, _, _ := side(p)
		lo, hi := lower[p][0], upper[p][0]
		return &RangeCond{Point: p, Lo: lo.other, Hi: hi.other, LoStrict: lo.strict, HiStrict: hi.strict, PointLeft: pl}
	}
	return nil
}
