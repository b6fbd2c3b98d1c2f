package exec

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
)

// Key filters: a map stage whose shuffle feeds one side of a shuffled join is filtered,
// before it writes, by the join keys of the other side when that side's input has already
// been written and is small: a row whose keys are not among them cannot match, and the
// join would drop it (Spark's runtime filter, DuckDB's join filter pushdown). The filter
// is a broadcast left semi join of the stage's output with the written shuffle's key
// columns, its hash table built once per stage. The shuffle it filters then holds only
// the rows that may match, which the join and every stage after it no longer move.
const (
	// keyFilterMaxRows is the most rows the written side may have: its keys are held
	// in one hash table shared by the stage's tasks.
	keyFilterMaxRows = 4 << 20
	// keyFilterRatio: the filtered stage must be guessed to output at least this many
	// times the written side's rows (its distinct keys are at most its rows), so that
	// the keys have a chance to leave many of its rows out. A filter that keeps nearly
	// every row stops filtering (plan.PHashJoin.KeyFilter).
	keyFilterRatio = 2
)

// finishedStage is what a finished map stage read and wrote, in rows, and whether its
// output was filtered: it wrote at most half the rows it read, or read a shuffle that was.
type finishedStage struct {
	rowsIn, rowsOut int64
	selective       bool
}

// finish records map stage s as finished, with its metrics' totals.
func (j *job) finish(s *plan.Stage, t TaskMetrics) {
	f := finishedStage{rowsIn: t.RowsIn, rowsOut: t.RowsOut, selective: t.RowsOut*2 <= t.RowsIn}
	for _, p := range s.Parents {
		f.selective = f.selective || j.finished[p].selective
	}
	j.finished[s.ShuffleID] = f
}

// keyFilter is a key filter for a map stage: the semi join wrapped around its root and
// the shuffle whose keys it reads whole.
type keyFilter struct {
	root    plan.PhysNode
	shuffle int
	parts   int
	note    string
}

// keyFilterFor returns the key filter for map stage s, or nil: s's shuffle is read by
// one node only, on a side of a shuffled join of a later stage that drops the rows the
// other side does not match; the other side's keys come, through filters, projections
// and joins that keep them, from a shuffle already written that is small, filtered (see
// finishedStage) and guessed well under s's output.
func (j *job) keyFilterFor(s *plan.Stage, stages []*plan.Stage) *keyFilter {
	if !j.env.Adaptive.Enabled || s.Output == nil || s.Output.Kind != plan.HashPartitioning || j.readers[s.ShuffleID] != 1 {
		return nil
	}
	for _, c := range stages {
		if c.ID == s.ID || !slices.Contains(c.Parents, s.ID) {
			continue
		}
		var found *keyFilter
		walkPhys(c.Root, func(n plan.PhysNode) bool {
			if jn, ok := n.(*plan.PHashJoin); ok && found == nil {
				found = j.joinKeyFilter(s, jn)
			}
			return found == nil
		})
		return found
	}
	return nil
}

// runSmallSideFirst moves ahead of order[i] the stage that writes the other input of the
// shuffled join order[i] feeds, with the stages it needs that have not run, when that
// stage filters its rows and is guessed to output fewer: independent stages may run in
// any order, and the smaller side written first may filter the larger one by its keys.
// A stage reading shuffles is guessed from the stages writing them (TPC-H's Q5: 1994's
// orders of one region's customers, a join of two shuffles, written before lineitem's
// sixty million rows at SF 10, which it then filters).
func (j *job) runSmallSideFirst(order []*plan.Stage, i int) {
	s := order[i]
	if !j.env.Adaptive.Enabled || s.Output == nil || s.Output.Kind != plan.HashPartitioning {
		return
	}
	writer := stageWriters(order)
	rows, ok := plan.GuessPhysRowsWith(s.Root, writer)
	if !ok {
		return
	}
	for k := i + 1; k < len(order); k++ {
		o := order[k]
		if o.Output == nil || !j.joinedWith(order, s, o) {
			continue
		}
		if r, ok := plan.GuessPhysRowsWith(o.Root, writer); ok && r*keyFilterRatio <= rows && filters(o.Root) {
			j.moveAhead(order, i, k)
		}
		return
	}
}

// stageWriters names, for a shuffle read, the root of the stage of order writing it.
func stageWriters(order []*plan.Stage) plan.ShuffleWriter {
	roots := make(map[int]plan.PhysNode, len(order))
	for _, s := range order {
		if s.Output != nil {
			roots[s.ShuffleID] = s.Root
		}
	}
	return func(r *plan.PShuffleRead) plan.PhysNode { return roots[r.ShuffleID] }
}

// moveAhead moves order[k] and the stages it needs that have not run (all within
// order[i:k], since order is topological and order[:i] has run) ahead of order[i],
// keeping their order and that of the rest; it does nothing if order[k] needs order[i].
func (j *job) moveAhead(order []*plan.Stage, i, k int) {
	need := map[int]bool{order[k].ID: true}
	for m := k; m >= i; m-- {
		if !need[order[m].ID] {
			continue
		}
		for _, p := range order[m].Parents {
			if _, done := j.finished[p]; !done {
				need[p] = true
			}
		}
	}
	if need[order[i].ID] {
		return
	}
	var moved, rest []*plan.Stage
	for _, st := range order[i : k+1] {
		if need[st.ID] {
			moved = append(moved, st)
		} else {
			rest = append(rest, st)
		}
	}
	copy(order[i:], moved)
	copy(order[i+len(moved):], rest)
}

// filters reports whether a stage's tree drops rows (a filter or a join): the keys of
// a whole table seldom filter another.
func filters(root plan.PhysNode) bool {
	found := false
	walkPhys(root, func(n plan.PhysNode) bool {
		switch n.(type) {
		case *plan.PFilter, *plan.PHashJoin:
			found = true
		}
		return !found
	})
	return found
}

// joinedWith reports whether a shuffled join of a stage of order reads the shuffles of
// stages a and b on its two sides, each through filters and projections.
func (j *job) joinedWith(order []*plan.Stage, a, b *plan.Stage) bool {
	found := false
	for _, c := range order {
		if !slices.Contains(c.Parents, a.ID) || !slices.Contains(c.Parents, b.ID) {
			continue
		}
		walkPhys(c.Root, func(n plan.PhysNode) bool {
			jn, ok := n.(*plan.PHashJoin)
			if ok && !jn.Broadcast && len(jn.LeftKeys) > 0 {
				l, r := readUnder(jn.Left), readUnder(jn.Right)
				found = l != nil && r != nil && (l.ShuffleID == a.ShuffleID && r.ShuffleID == b.ShuffleID ||
					l.ShuffleID == b.ShuffleID && r.ShuffleID == a.ShuffleID)
			}
			return !found
		})
	}
	return found
}

// joinKeyFilter returns the key filter of stage s's output by the other side of join jn,
// if jn reads s's shuffle on a side it may filter.
func (j *job) joinKeyFilter(s *plan.Stage, jn *plan.PHashJoin) *keyFilter {
	if jn.Broadcast || jn.Cartesian || len(jn.LeftKeys) == 0 {
		return nil
	}
	leftOK := jn.Kind == plan.InnerJoin || jn.Kind == plan.LeftSemiJoin || jn.Kind == plan.RightJoin
	rightOK := jn.Kind == plan.InnerJoin || jn.Kind == plan.LeftSemiJoin || jn.Kind == plan.LeftAntiJoin || jn.Kind == plan.LeftJoin
	if leftOK {
		if f := j.sideKeyFilter(s, jn.Left, jn.LeftKeys, jn.Right, jn.RightKeys); f != nil {
			return f
		}
	}
	if rightOK {
		return j.sideKeyFilter(s, jn.Right, jn.RightKeys, jn.Left, jn.LeftKeys)
	}
	return nil
}

// sideKeyFilter builds the key filter of stage s, read by side on keys, from the keys
// of other.
func (j *job) sideKeyFilter(s *plan.Stage, side plan.PhysNode, keys []string, other plan.PhysNode, otherKeys []string) *keyFilter {
	var sideKeys, srcKeys []string
	var src *plan.PShuffleRead
	for i, k := range keys {
		r, name := keySource(side, k, false)
		if r == nil || r.ShuffleID != s.ShuffleID {
			continue
		}
		o, oname := keySource(other, otherKeys[i], true)
		if o == nil || o.ShuffleID == s.ShuffleID || (src != nil && o.ShuffleID != src.ShuffleID) {
			continue
		}
		f, ok1 := fieldOf(r.OutSchema, name)
		g, ok2 := fieldOf(o.OutSchema, oname)
		if !ok1 || !ok2 || !arrow.TypeEqual(f.Type, g.Type) || slices.Contains(sideKeys, name) {
			continue
		}
		src = o
		sideKeys, srcKeys = append(sideKeys, name), append(srcKeys, oname)
	}
	if src == nil {
		return nil
	}
	done, ok := j.finished[src.ShuffleID]
	if !ok {
		return nil
	}
	st := j.env.Shuffle.Stats(j.shuffleID(src.ShuffleID))
	rows := sum(st.Rows)
	if rows > keyFilterMaxRows || !done.selective || len(st.Rows) != src.NumPartitions() {
		return nil
	}
	if est, ok := plan.GuessPhysRows(s.Root); !ok || est < float64(rows*keyFilterRatio) {
		return nil
	}
	return newKeyFilter(s, src, sideKeys, srcKeys, rows, st)
}

// newKeyFilter wraps stage s's root in a broadcast semi join with the key columns of
// shuffle src.
func newKeyFilter(s *plan.Stage, src *plan.PShuffleRead, keys, srcKeys []string, rows int64, st shuffle.Stats) *keyFilter {
	read := &plan.PShuffleRead{ShuffleID: src.ShuffleID, Partitioning: src.Partitioning, OutSchema: src.OutSchema}
	exprs := make([]plan.Expr, len(srcKeys))
	fields := make([]arrow.Field, len(srcKeys))
	buildKeys := make([]string, len(srcKeys))
	for i, k := range srcKeys {
		f, _ := fieldOf(src.OutSchema, k)
		buildKeys[i] = fmt.Sprintf("__keyfilter%d", i)
		exprs[i] = &plan.Alias{Child: &plan.ColumnRef{Name: k}, Name: buildKeys[i]}
		fields[i] = arrow.Field{Name: buildKeys[i], Type: f.Type, Nullable: true}
	}
	keysOnly := &plan.PProject{Input: read, Exprs: exprs, OutSchema: arrow.NewSchema(fields, nil)}
	root := pushKeyFilter(s.Root, keys, func(n plan.PhysNode, keys []string) plan.PhysNode {
		return &plan.PHashJoin{Left: n, Right: keysOnly, LeftKeys: keys, RightKeys: buildKeys,
			Kind: plan.LeftSemiJoin, Build: plan.BuildRight, Broadcast: true, OutSchema: n.Schema(), KeyFilter: true}
	})
	return &keyFilter{root: root, shuffle: src.ShuffleID, parts: src.NumPartitions(),
		note: fmt.Sprintf("output filtered by the keys %v of shuffle %d (%d rows, %s)", keys, src.ShuffleID, rows, kmemory.FormatBytes(sum(st.Bytes)))}
}

// pushKeyFilter returns n with the key filter on keys (wrap) inserted as deep as the key
// columns go: below projections that pass them on and aggregates that group by them (a
// group of keys outside the set is dropped whole, so its rows need not be aggregated),
// and below filters on the way to such an aggregate; above a filter otherwise, which
// costs less per row than the filter's probe.
func pushKeyFilter(n plan.PhysNode, keys []string, wrap func(plan.PhysNode, []string) plan.PhysNode) plan.PhysNode {
	switch x := n.(type) {
	case *plan.PFilter:
		if aggBelow(x.Input) {
			c := *x
			c.Input = pushKeyFilter(x.Input, keys, wrap)
			return &c
		}
	case *plan.PProject:
		in := make([]string, len(keys))
		for i, k := range keys {
			idx := x.OutSchema.FieldIndices(k)
			if len(idx) != 1 {
				return wrap(n, keys)
			}
			if in[i] = columnRefOf(x.Exprs[idx[0]]); in[i] == "" {
				return wrap(n, keys)
			}
		}
		c := *x
		c.Input = pushKeyFilter(x.Input, in, wrap)
		return &c
	case *plan.PHashAggregate:
		for _, k := range keys {
			if !slices.Contains(x.Keys, k) {
				return wrap(n, keys)
			}
		}
		c := *x
		c.Input = pushKeyFilter(x.Input, keys, wrap)
		return &c
	}
	return wrap(n, keys)
}

// aggBelow reports whether an aggregate is reached from n through filters and projections.
func aggBelow(n plan.PhysNode) bool {
	for {
		switch x := n.(type) {
		case *plan.PHashAggregate:
			return true
		case *plan.PFilter:
			n = x.Input
		case *plan.PProject:
			n = x.Input
		default:
			return false
		}
	}
}

// apply returns stage s with its root filtered, and the adaptive plan sp (nil: one task
// per partition) with every task reading the key shuffle whole.
func (f *keyFilter) apply(s *plan.Stage, sp *stagePlan) (*plan.Stage, *stagePlan) {
	fs := *s
	fs.Root = f.root
	whole := readSpec{rng: shuffle.Range{Start: 0, End: f.parts}, shared: true}
	if sp == nil {
		sp = &stagePlan{reads: make([]map[int]readSpec, s.NumPartitions())}
	}
	for i := range sp.reads {
		if sp.reads[i] == nil {
			sp.reads[i] = map[int]readSpec{}
		}
		sp.reads[i][f.shuffle] = whole
	}
	sp.decisions = append(sp.decisions, f.note)
	return &fs, sp
}

// keySource follows key column name of n down to the shuffle read it comes from, through
// filters, aggregates grouping by it, projections that pass it on (renamed or not) and,
// with throughJoins, the
// inner, semi and anti joins and left outer joins' left sides that keep its values (the
// values reaching the join are then among the read's). It returns the read and the
// column's name there, or nil.
func keySource(n plan.PhysNode, name string, throughJoins bool) (*plan.PShuffleRead, string) {
	for {
		switch x := n.(type) {
		case *plan.PShuffleRead:
			if x.Partitioning.Kind == plan.BroadcastPartitioning {
				return nil, ""
			}
			return x, name
		case *plan.PFilter:
			n = x.Input
		case *plan.PHashAggregate:
			if !slices.Contains(x.Keys, name) {
				return nil, ""
			}
			n = x.Input
		case *plan.PProject:
			i := x.OutSchema.FieldIndices(name)
			if len(i) != 1 {
				return nil, ""
			}
			ref := columnRefOf(x.Exprs[i[0]])
			if ref == "" {
				return nil, ""
			}
			n, name = x.Input, ref
		case *plan.PHashJoin:
			if !throughJoins {
				return nil, ""
			}
			inLeft := len(x.Left.Schema().FieldIndices(name)) == 1
			switch {
			case inLeft && (x.Kind == plan.InnerJoin || x.Kind == plan.LeftSemiJoin || x.Kind == plan.LeftAntiJoin || x.Kind == plan.LeftJoin):
				n = x.Left
			case !inLeft && x.Kind == plan.InnerJoin && len(x.Right.Schema().FieldIndices(name)) == 1:
				n = x.Right
			default:
				return nil, ""
			}
		default:
			return nil, ""
		}
	}
}

// columnRefOf returns the column e reads when it is a column reference (aliased or not).
func columnRefOf(e plan.Expr) string {
	for {
		switch x := e.(type) {
		case *plan.ColumnRef:
			return x.Name
		case *plan.Alias:
			e = x.Child
		default:
			return ""
		}
	}
}

func fieldOf(s *arrow.Schema, name string) (arrow.Field, bool) {
	i := s.FieldIndices(name)
	if len(i) != 1 {
		return arrow.Field{}, false
	}
	return s.Field(i[0]), true
}

// walkPhys visits n and its descendants depth first while visit returns true.
func walkPhys(n plan.PhysNode, visit func(plan.PhysNode) bool) bool {
	if !visit(n) {
		return false
	}
	for _, c := range n.Children() {
		if !walkPhys(c, visit) {
			return false
		}
	}
	return true
}
