package plan

import (
	"slices"
)

// DefaultBroadcastThreshold is the estimated input size at or under which a join side is
// broadcast when PhysicalConfig.BroadcastThreshold is 0 (Spark's default too).
const DefaultBroadcastThreshold int64 = 10 << 20

// EstimateBytes estimates the bytes of input behind n: the sum of the EstimatedBytes of
// the scan partitions under it, or -1 when any of them is unknown or n reads a shuffle
// (whose size is known only once the job runs). Operators are assumed to shrink nothing:
// filters, aggregates and limits count as their input, which errs toward not
// broadcasting.
func EstimateBytes(n PhysNode) int64 {
	var total int64
	stack := []PhysNode{n}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := x.(type) {
		case *PScan:
			for _, part := range x.Parts {
				b := part.EstimatedBytes()
				if b < 0 {
					return -1
				}
				total += b
			}
			continue
		case *PShuffleRead:
			return -1
		case *PCacheRead:
			b := cachedBytes(x.Status)
			if b < 0 {
				return -1
			}
			total += b
			continue
		}
		stack = append(stack, x.Children()...)
	}
	return total
}

// cacheSizer is implemented by a CacheStatus that knows the bytes its dataset's stored
// partitions hold.
type cacheSizer interface {
	// EstimatedBytes is the size of the stored partitions, or -1 if unknown.
	EstimatedBytes() int64
}

// cachedBytes is the size a cached read reads, or -1 when its status cannot tell: a
// cached dataset of unknown size is never assumed small enough to broadcast.
func cachedBytes(st CacheStatus) int64 {
	if s, ok := st.(cacheSizer); ok {
		return s.EstimatedBytes()
	}
	return -1
}

// hasBroadcastHint reports whether a join input carries a Broadcast hint, looking
// through the projections and filters the analyzer and optimizer put above it.
func hasBroadcastHint(n Node) bool {
	for {
		switch x := n.(type) {
		case *Broadcast:
			return true
		case *Project:
			n = x.Input
		case *Filter:
			n = x.Input
		default:
			return false
		}
	}
}

// join plans an equi-join: a broadcast hash join when a side the join kind allows to be
// the build side is hinted or small enough, else a shuffled hash join that exchanges
// only the sides not already hash-partitioned on their keys.
func (p *planner) join(n *Join, left, right PhysNode) (PhysNode, error) {
	shape, err := shapeJoin(n)
	if err != nil {
		return nil, atSite(err, nodeSite(n))
	}
	sz := measureJoinSides(n, left, right)
	buildLeft, buildRight := p.broadcastSides(n, sz)
	hj := &PHashJoin{
		Left: left, Right: right,
		LeftKeys:  append([]string(nil), n.LeftKeys...),
		RightKeys: append([]string(nil), n.RightKeys...),
		Kind:      n.Kind,
		OutSchema: shape.raw,
	}
	hj.Residual, hj.PairSchema = physicalResidual(n)
	broadcast := func(in PhysNode) PhysNode {
		return &PExchange{Input: in, Partitioning: Partitioning{Kind: BroadcastPartitioning, N: 1}}
	}
	switch {
	case buildRight:
		hj.Right, hj.Build, hj.Broadcast = broadcast(right), BuildRight, true
	case buildLeft:
		hj.Left, hj.Build, hj.Broadcast = broadcast(left), BuildLeft, true
	case len(n.LeftKeys) == 0 && n.Kind == InnerJoin && left.NumPartitions()*right.NumPartitions() > 1:
		hj.Cartesian = true
	case len(n.LeftKeys) == 0:
		hj.Left, hj.Right, hj.Build = singlePartition(left), singlePartition(right), BuildRight
		if n.Kind == RightJoin || (n.Kind == InnerJoin && sz.lSize >= 0 && (sz.rSize < 0 || sz.lSize < sz.rSize)) {
			hj.Build = BuildLeft
		}
	default:
		if n.Kind == RightJoin || (sz.lOK && sz.rOK && buildSmallerLeft(n.Kind, sz.lGuess, sz.rGuess)) {
			hj.Build = BuildLeft
		}
		hj.Left, hj.Right = p.coPartition(n, left, right)
	}
	if hj.Broadcast && len(hj.LeftKeys) == 0 {
		hj.Range = findJoinRange(hj.Residual, hj.PairSchema, left.Schema().NumFields())
	}
	if shape.post == nil {
		return hj, nil
	}
	return &PProject{Input: hj, Exprs: shape.post, OutSchema: n.OutSchema}, nil
}

// joinSides is what the planner knows of a join's sides' sizes: broadcast hints, the
// estimated bytes (-1: unknown) and the guesses through filters and projections.
type joinSides struct {
	lHint, rHint   bool
	lSize, rSize   int64
	lGuess, rGuess sizeEst
	lOK, rOK       bool
	lParts, rParts int
}

func measureJoinSides(n *Join, left, right PhysNode) joinSides {
	sz := joinSides{lHint: hasBroadcastHint(n.Left), rHint: hasBroadcastHint(n.Right),
		lSize: EstimateBytes(left), rSize: EstimateBytes(right),
		lParts: left.NumPartitions(), rParts: right.NumPartitions()}
	sz.lGuess, sz.lOK = guessSize(left)
	sz.rGuess, sz.rOK = guessSize(right)
	return sz
}

// broadcastSides says which sides may be broadcast as the build side: hinted, or small
// enough; when both may, the hinted one, else the one of a single partition when the
// other has several (streaming the single partition would run the join, and the
// pipeline above it, in one task), else the smaller.
func (p *planner) broadcastSides(n *Join, sz joinSides) (buildLeft, buildRight bool) {
	threshold := p.cfg.BroadcastThreshold
	if threshold == 0 {
		threshold = DefaultBroadcastThreshold
	}
	small := func(hint bool, size int64, guess sizeEst, guessed bool) bool {
		// A guess below half the threshold also broadcasts: a dimension its filters and
		// projection make small.
		return hint || (threshold >= 0 && ((size >= 0 && size <= threshold) || (guessed && guess.bytes <= float64(threshold)/2)))
	}
	// A broadcast build side is seen whole by every task, so it must be a side whose
	// unmatched rows the join does not emit: each task would emit them again.
	buildRight = n.Kind != RightJoin && n.Kind != FullJoin && small(sz.rHint, sz.rSize, sz.rGuess, sz.rOK)
	buildLeft = (n.Kind == InnerJoin || n.Kind == RightJoin) && small(sz.lHint, sz.lSize, sz.lGuess, sz.lOK)
	if !buildRight || !buildLeft {
		return buildLeft, buildRight
	}
	unknownLarge := func(s int64) int64 {
		if s < 0 {
			return int64(^uint64(0) >> 1)
		}
		return s
	}
	switch {
	case sz.lHint != sz.rHint:
		return sz.lHint, sz.rHint
	case sz.lParts == 1 && sz.rParts > 1:
		return true, false
	case sz.rParts == 1 && sz.lParts > 1:
		return false, true
	case sz.lOK && sz.rOK && sz.lGuess.bytes != sz.rGuess.bytes:
		return sz.lGuess.bytes <= sz.rGuess.bytes, sz.lGuess.bytes > sz.rGuess.bytes
	case unknownLarge(sz.lSize) < unknownLarge(sz.rSize):
		return true, false
	}
	return false, true
}

// singlePartition gathers in into one partition, unless it has only one already: a join
// without keys that broadcasts neither side sees every pair of rows in one task.
func singlePartition(in PhysNode) PhysNode {
	if in.NumPartitions() == 1 {
		return in
	}
	return &PExchange{Input: in, Partitioning: Partitioning{Kind: SinglePartition, N: 1}}
}

// coPartition hash-partitions both join inputs on their keys into the same number of
// partitions, reusing a partitioning an input already has.
func (p *planner) coPartition(n *Join, left, right PhysNode) (PhysNode, PhysNode) {
	exchange := func(in PhysNode, keys []string, parts int) PhysNode {
		return &PExchange{Input: in, Partitioning: Partitioning{Kind: HashPartitioning, Keys: append([]string(nil), keys...), N: parts}}
	}
	lp, rp := OutputPartitioning(left), OutputPartitioning(right)
	lOK := lp.Kind == HashPartitioning && slices.Equal(lp.Keys, n.LeftKeys)
	rOK := rp.Kind == HashPartitioning && slices.Equal(rp.Keys, n.RightKeys)
	switch {
	case lOK && rOK && lp.N == rp.N:
		return left, right
	case lOK:
		return left, exchange(right, n.RightKeys, lp.N)
	case rOK:
		return exchange(left, n.LeftKeys, rp.N), right
	}
	return exchange(left, n.LeftKeys, p.cfg.ShufflePartitions), exchange(right, n.RightKeys, p.cfg.ShufflePartitions)
}

// sort plans a global sort: a range exchange so partition i holds keys below partition
// i+1's, then a sort of each partition. One input partition needs no exchange.
func (p *planner) sort(n *Sort, in PhysNode) PhysNode {
	keys := append([]SortKey(nil), n.Keys...)
	if in.NumPartitions() > 1 && !n.Local {
		in = &PExchange{Input: in, Partitioning: Partitioning{Kind: RangePartitioning, SortKeys: keys, N: p.cfg.ShufflePartitions}}
	}
	return &PSort{Input: in, Keys: keys}
}

// topNShape recognizes a limit over a sort, possibly with a projection that only selects
// (or renames) columns in between; it returns the sort and that projection.
func topNShape(l *Limit) (*Sort, *Project) {
	if l.N <= 0 {
		return nil, nil
	}
	switch in := l.Input.(type) {
	case *Sort:
		if in.Local {
			return nil, nil // a limit over partitions sorted each on its own is no top-N
		}
		return in, nil
	case *Project:
		s, ok := in.Input.(*Sort)
		if !ok || s.Local {
			return nil, nil
		}
		for _, e := range in.Exprs {
			if a, ok := e.(*Alias); ok {
				e = a.Child
			}
			if _, ok := e.(*ColumnRef); !ok {
				return nil, nil
			}
		}
		return s, in
	}
	return nil, nil
}

// topN plans the first N rows of a sort without sorting everything: each partition keeps
// its own top N, one task merges them and keeps the top N of those.
func (p *planner) topN(l *Limit, s *Sort, proj *Project) (PhysNode, error) {
	in, err := p.plan(s.Input)
	if err != nil {
		return nil, err
	}
	keys := append([]SortKey(nil), s.Keys...)
	var out PhysNode = &PSort{Input: in, Keys: keys, Limit: l.N}
	if in.NumPartitions() > 1 {
		out = &PSort{Input: &PExchange{Input: out, Partitioning: Partitioning{Kind: SinglePartition, N: 1}}, Keys: keys, Limit: l.N}
	}
	if proj != nil {
		out = &PProject{Input: out, Exprs: proj.Exprs, OutSchema: proj.OutSchema}
	}
	return out, nil
}

// joinPartitioning is the OutputPartitioning of a hash join: a shuffled join keeps the
// left input's hash partitioning on the left keys (the rows it emits are left rows, maybe
// extended), a broadcast join its stream side's; right and full shuffled joins emit
// unmatched right rows with NULL left keys, so nothing is known.
func joinPartitioning(n *PHashJoin) Partitioning {
	unknown := Partitioning{Kind: UnknownPartitioning, N: n.NumPartitions()}
	if n.Cartesian {
		return unknown
	}
	if !n.Broadcast && len(n.LeftKeys) == 0 {
		return Partitioning{Kind: SinglePartition, N: 1}
	}
	if !n.Broadcast {
		if n.Kind == RightJoin || n.Kind == FullJoin {
			return unknown
		}
		return Partitioning{Kind: HashPartitioning, Keys: append([]string(nil), n.LeftKeys...), N: n.NumPartitions()}
	}
	if n.Build == BuildRight {
		return OutputPartitioning(n.Left)
	}
	// The stream side is the right one, whose columns may be renamed in the output.
	rp := OutputPartitioning(n.Right)
	if rp.Kind != HashPartitioning {
		if rp.Kind == SinglePartition {
			return rp
		}
		return unknown
	}
	rs := n.Right.Schema()
	nLeft := n.Left.Schema().NumFields()
	keys := make([]string, len(rp.Keys))
	for i, k := range rp.Keys {
		idx := rs.FieldIndices(k)
		if len(idx) == 0 || nLeft+idx[0] >= n.OutSchema.NumFields() {
			return unknown
		}
		keys[i] = n.OutSchema.Field(nLeft + idx[0]).Name
	}
	return Partitioning{Kind: HashPartitioning, Keys: keys, N: rp.N}
}
