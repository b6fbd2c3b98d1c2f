package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Size guesses for join planning. EstimateBytes (the broadcast test Spark also uses
// without statistics) assumes operators shrink nothing; these guesses go further, the
// way an optimizer without column statistics does: each filter conjunct keeps a fixed
// share of the rows (an equality with a literal a tenth, a comparison a third, anything
// else half), a projection keeps the share of the row width its columns have, and an
// inner equi-join is taken for a foreign-key join, whose result has the rows of the
// larger side that survive the smaller side's filters. They pick a join's build side and
// let a dimension that filters make small enough be broadcast; they never decide
// anything the answer depends on.

// sizeEst is a guessed output: its bytes and the share of its base rows that survive
// the filters applied so far (1 when none).
type sizeEst struct {
	bytes float64
	frac  float64
}

// Selectivity guesses of one filter conjunct.
const (
	selEquality   = 0.1
	selComparison = 1.0 / 3
	selOther      = 0.5
	// aggShrink is the guessed share of input rows an aggregate's groups are.
	aggShrink = 0.25
)

// selectivity guesses the share of rows cond keeps.
func selectivity(cond Expr) float64 {
	switch e := cond.(type) {
	case *Binary:
		switch {
		case e.Op == OpAnd:
			return selectivity(e.Left) * selectivity(e.Right)
		case e.Op == OpOr:
			a, b := selectivity(e.Left), selectivity(e.Right)
			return a + b - a*b
		case e.Op == OpEq && (isLiteral(e.Left) || isLiteral(e.Right)):
			return selEquality
		case e.Op.IsComparison():
			return selComparison
		}
	case *Unary:
		if e.Op == OpNot {
			return 1 - selectivity(e.Child)
		}
	}
	return selOther
}

func isLiteral(e Expr) bool {
	_, ok := e.(*Literal)
	return ok
}

// rowWidth guesses the bytes of one row of s (strings and nested values count 16).
func rowWidth(s *arrow.Schema) float64 {
	w := 0.0
	for _, f := range s.Fields() {
		if fw, ok := f.Type.(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
			w += float64(fw.BitWidth() / 8)
		} else if f.Type.ID() == arrow.BOOL {
			w++
		} else {
			w += 16
		}
	}
	return max(w, 1)
}

// widthRatio is the share of in's row width that out's rows have.
func widthRatio(out, in *arrow.Schema) float64 {
	return min(rowWidth(out)/rowWidth(in), 1)
}

// readWidthRatio is the share of a scan's or cached read's stored row width that the
// columns it reads have: EstimateBytes counts every column of the source or the cache,
// and a read of a few narrow columns of a wide table guesses proportionally less (how
// Spark sizes a projection). 1 when the full schema is unknown.
func readWidthRatio(n PhysNode) float64 {
	var full *arrow.Schema
	switch x := n.(type) {
	case *PScan:
		if x.Source != nil {
			full, _ = x.Source.Schema()
		}
	case *PCacheRead:
		full = x.Stored
	}
	if full == nil || n.Schema() == nil {
		return 1
	}
	return widthRatio(n.Schema(), full)
}

// guessSize guesses the bytes n outputs; ok is false when an input's size is unknown.
func guessSize(n PhysNode) (sizeEst, bool) { return guessSizeWith(n, nil) }

// ShuffleWriter returns the root of the stage that writes the shuffle r reads, or nil.
type ShuffleWriter func(r *PShuffleRead) PhysNode

// guessSizeWith is guessSize that guesses a shuffle read as the stage writing it, where
// writer names it.
func guessSizeWith(n PhysNode, writer ShuffleWriter) (sizeEst, bool) {
	switch x := n.(type) {
	case *PScan, *PCacheRead:
		b := EstimateBytes(x)
		return sizeEst{bytes: float64(b) * readWidthRatio(x), frac: 1}, b >= 0
	case *PShuffleRead:
		if writer != nil {
			if root := writer(x); root != nil {
				return guessSizeWith(root, writer)
			}
		}
		return sizeEst{}, false
	case *PFilter:
		in, ok := guessSizeWith(x.Input, writer)
		s := selectivity(x.Cond)
		in.bytes *= s
		if x.Keep != nil {
			in.bytes *= widthRatio(x.Schema(), x.Input.Schema())
		}
		return sizeEst{bytes: in.bytes, frac: in.frac * s}, ok
	case *PProject:
		in, ok := guessSizeWith(x.Input, writer)
		in.bytes *= widthRatio(x.OutSchema, x.Input.Schema())
		return in, ok
	case *PHashAggregate:
		in, ok := guessSizeWith(x.Input, writer)
		if x.Mode != AggFinal {
			in.bytes *= aggShrink
		}
		return in, ok
	case *PHashJoin:
		return guessJoinSize(x, writer)
	}
	if c := n.Children(); len(c) == 1 {
		return guessSizeWith(c[0], writer) // exchanges, sorts, windows…: rows as they come
	}
	var total sizeEst
	total.frac = 1
	for _, c := range n.Children() {
		s, ok := guessSizeWith(c, writer)
		if !ok {
			return sizeEst{}, false
		}
		total.bytes += s.bytes
	}
	return total, true
}

// guessJoinSize guesses a hash join's output (see the guesses above).
func guessJoinSize(j *PHashJoin, writer ShuffleWriter) (sizeEst, bool) {
	l, lok := guessSizeWith(j.Left, writer)
	r, rok := guessSizeWith(j.Right, writer)
	if !lok || !rok {
		return sizeEst{}, false
	}
	ls, rs := j.Left.Schema(), j.Right.Schema()
	switch {
	case j.Kind == LeftSemiJoin || j.Kind == LeftAntiJoin:
		return sizeEst{bytes: l.bytes * selOther, frac: l.frac * selOther}, true
	case len(j.LeftKeys) == 0:
		rows := l.bytes / rowWidth(ls) * r.bytes / rowWidth(rs)
		return sizeEst{bytes: rows * rowWidth(j.OutSchema), frac: l.frac * r.frac}, true
	}
	big, small, bigSchema := l, r, ls
	if r.bytes > l.bytes {
		big, small, bigSchema = r, l, rs
	}
	keep := small.frac
	if j.Kind != InnerJoin {
		keep = 1 // outer joins keep the rows the other side does not match
	}
	rows := big.bytes / rowWidth(bigSchema) * keep
	return sizeEst{bytes: rows * rowWidth(j.OutSchema), frac: big.frac * keep}, true
}

// buildSmallerLeft reports whether a shuffled join of kind should build its hash table
// on the left input, guessed smaller: an inner join builds the smaller side, a left semi
// or anti join the left side when it is under half the right one (it then marks the
// build rows a probe matches and emits them at the end, a little more work per row).
func buildSmallerLeft(kind JoinKind, l, r sizeEst) bool {
	switch kind {
	case InnerJoin:
		return l.bytes < r.bytes
	case LeftSemiJoin, LeftAntiJoin:
		return l.bytes < r.bytes/2
	}
	return false
}

// GuessPhysRows guesses the rows physical node n outputs from the sizes of its sources and the shares
// their filters and joins are guessed to keep (see the guesses above); ok is false when
// an input's size is unknown (a shuffle read).
func GuessPhysRows(n PhysNode) (rows float64, ok bool) { return GuessPhysRowsWith(n, nil) }

// GuessPhysRowsWith is GuessPhysRows that guesses a shuffle read's rows as those of the
// stage writing it, where writer names it (not nil).
func GuessPhysRowsWith(n PhysNode, writer ShuffleWriter) (rows float64, ok bool) {
	s, ok := guessSizeWith(n, writer)
	if !ok {
		return 0, false
	}
	return s.bytes / rowWidth(n.Schema()), true
}
