package exec

import (
	"fmt"
	"maps"
	"slices"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
)

// Defaults of adaptive execution, Spark's (spark.sql.adaptive.*).
const (
	// DefaultAdvisoryPartitionBytes is the input a coalesced reduce task aims at, and
	// the least a skewed partition's pieces hold (advisoryPartitionSizeInBytes).
	DefaultAdvisoryPartitionBytes = 64 << 20
	// DefaultSkewedPartitionFactor: a partition more than this many times the median is
	// skewed (skewJoin.skewedPartitionFactor)...
	DefaultSkewedPartitionFactor = 5
	// DefaultSkewedPartitionBytes ...and above this size (skewedPartitionThresholdInBytes).
	DefaultSkewedPartitionBytes = 256 << 20
)

// Adaptive configures the re-planning of a stage from the map-output statistics of the
// shuffles it reads, once they are written (Spark's adaptive query execution).
type Adaptive struct {
	// Enabled turns adaptive execution on; the other fields take their defaults when zero.
	Enabled bool
	// AdvisoryPartitionBytes is the input a reduce task aims at when adjacent reduce
	// partitions are coalesced (default DefaultAdvisoryPartitionBytes).
	AdvisoryPartitionBytes int64
	// MinPartitions is the fewest tasks coalescing leaves when the data allows (default
	// Env.Parallelism: small data still uses every core; sessions ask for twice that, so
	// that tasks of uneven size still balance over the cores).
	MinPartitions int
	// SkewedPartitionFactor and SkewedPartitionBytes say when a reduce partition of a
	// shuffled join is skewed: larger than both factor × the median and bytes.
	SkewedPartitionFactor float64
	SkewedPartitionBytes  int64
	// BroadcastBytes is the largest build side, measured from its map outputs, for which a
	// shuffled hash join runs as a broadcast join (negative: never).
	BroadcastBytes int64
}

// readSpec is what one task reads of one shuffle.
type readSpec struct {
	rng shuffle.Range
	// shared: other tasks of the stage read the same blocks (a broadcast-switched build
	// side, either side of a split skewed partition), so they are kept to the job's end.
	shared bool
}

// stagePlan is a stage's tasks as adaptive execution re-planned them: task i reads, of
// each shuffle (by plan-local ID), reads[i][id].
type stagePlan struct {
	reads     []map[int]readSpec
	decisions []string
}

// adaptiveJoin is a shuffled hash join of the stage.
type adaptiveJoin struct {
	join *plan.PHashJoin
	// left and right are the shuffle reads under each side through filters and
	// projections (nil: the side is something else): a skewed partition may be split.
	left, right *plan.PShuffleRead
	// leftKeyed and rightKeyed are the one shuffle read under each side through
	// operators that work on whole key groups (nil: none, or several): read whole, the
	// side computes what all its partitions would, so it may be broadcast.
	leftKeyed, rightKeyed *plan.PShuffleRead
	rowWise               bool // only row-by-row operators above it: its partitions may be split
}

// planStage re-plans stage s from the statistics of the shuffles it reads, or returns nil
// to run it as planned: one task per partition. Only stages whose leaves are all shuffle
// reads with the same partition count, through operators that work on any set of whole
// key groups, are re-planned; not those reading a partitioning the user asked for
// (Repartition), as Spark leaves a repartition to a number alone.
func (j *job) planStage(s *plan.Stage) *stagePlan {
	cfg := j.env.Adaptive
	if !cfg.Enabled {
		return nil
	}
	reads, joins, ok := adaptiveShape(s.Root)
	n := s.NumPartitions()
	if !ok || n <= 1 || len(reads) == 0 {
		return nil
	}
	count := map[int]int{}
	for _, r := range reads {
		if r.Partitioning.N != n || r.Partitioning.Fixed {
			return nil
		}
		count[r.ShuffleID]++
	}
	sizes := map[int][]int64{}
	for id := range count {
		sizes[id] = j.partitionBytes(id, n)
	}
	sp := &stagePlan{}
	whole := j.switchToBroadcast(joins, count, sizes, sp)
	skew := j.findSkew(joins, count, whole, sizes, sp)
	j.coalesce(count, whole, sizes, skew, n, sp)
	return sp
}

// partitionBytes returns the bytes of each of the n reduce partitions of a shuffle.
func (j *job) partitionBytes(local, n int) []int64 {
	st := j.env.Shuffle.Stats(j.shuffleID(local))
	if len(st.Bytes) == n {
		return st.Bytes
	}
	return make([]int64, n) // no committed output: every partition empty
}

// adaptiveShape collects the partitioned shuffle reads and the shuffled joins of a
// stage's tree; ok is false when an operator depends on the partition index or on the
// exact partitioning (scans, unions, caches, samples, as-of and cartesian joins).
func adaptiveShape(root plan.PhysNode) (reads []*plan.PShuffleRead, joins []adaptiveJoin, ok bool) {
	var walk func(n plan.PhysNode, rowWise bool) bool
	walk = func(n plan.PhysNode, rowWise bool) bool {
		switch n := n.(type) {
		case *plan.PShuffleRead:
			if n.Partitioning.Kind != plan.BroadcastPartitioning {
				reads = append(reads, n)
			}
			return true
		case *plan.PHashJoin:
			if n.Cartesian {
				return false
			}
			if !n.Broadcast && len(n.LeftKeys) > 0 {
				joins = append(joins, adaptiveJoin{join: n, left: readUnder(n.Left), right: readUnder(n.Right),
					leftKeyed: keyedRead(n.Left), rightKeyed: keyedRead(n.Right), rowWise: rowWise})
			}
			rowWise = false
		case *plan.PFilter, *plan.PProject, *plan.PExplode, *plan.PMapBatches:
		case *plan.PMapPartitions:
			if !n.RowWise {
				return false
			}
		case *plan.PHashAggregate:
			rowWise = rowWise && n.Mode == plan.AggPartial
		case *plan.PSort, *plan.PWindow, *plan.PWindowGroupLimit, *plan.PExpand, *plan.PLimit:
			rowWise = false
		default:
			return false
		}
		for _, c := range n.Children() {
			if !walk(c, rowWise) {
				return false
			}
		}
		return true
	}
	ok = walk(root, true)
	return reads, joins, ok
}

// readUnder returns the partitioned shuffle read under n through filters and projections.
func readUnder(n plan.PhysNode) *plan.PShuffleRead {
	for {
		switch x := n.(type) {
		case *plan.PShuffleRead:
			if x.Partitioning.Kind == plan.BroadcastPartitioning {
				return nil
			}
			return x
		case *plan.PFilter:
			n = x.Input
		case *plan.PProject:
			n = x.Input
		default:
			return nil
		}
	}
}

// keyedRead returns the one partitioned shuffle read under n, if n reaches it only
// through operators that compute each key group on its own (filters, projections,
// aggregates, windows, sorts without a limit), so that n over the read's every partition
// at once computes what n over each would, together.
func keyedRead(n plan.PhysNode) *plan.PShuffleRead {
	var found *plan.PShuffleRead
	var walk func(n plan.PhysNode) bool
	walk = func(n plan.PhysNode) bool {
		switch x := n.(type) {
		case *plan.PShuffleRead:
			if x.Partitioning.Kind == plan.BroadcastPartitioning || found != nil {
				return false
			}
			found = x
			return true
		case *plan.PSort:
			if x.Limit > 0 {
				return false
			}
		case *plan.PFilter, *plan.PProject, *plan.PHashAggregate, *plan.PWindow, *plan.PWindowGroupLimit,
			*plan.PExplode, *plan.PExpand, *plan.PMapBatches:
		default:
			return false
		}
		for _, c := range n.Children() {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	if !walk(n) {
		return nil
	}
	return found
}

// switchToBroadcast finds the shuffled joins whose build side turned out small enough to
// broadcast: every task then reads that side's shuffle whole, and the other side by
// partition, with no new shuffle (Spark's switch to a broadcast hash join with a local
// shuffle reader). Only a build side whose unmatched rows the join does not emit can be
// read by every task. It returns the shuffles read whole.
func (j *job) switchToBroadcast(joins []adaptiveJoin, count map[int]int, sizes map[int][]int64, sp *stagePlan) map[int]bool {
	whole := map[int]bool{}
	limit := j.env.Adaptive.BroadcastBytes
	if limit < 0 {
		return whole
	}
	for _, aj := range joins {
		if aj.join.Kind == plan.FullJoin {
			continue
		}
		build := aj.rightKeyed
		if aj.join.Build == plan.BuildLeft {
			build = aj.leftKeyed
		}
		if build == nil || count[build.ShuffleID] != 1 || len(count) < 2 {
			continue
		}
		if b := sum(sizes[build.ShuffleID]); b <= limit {
			whole[build.ShuffleID] = true
			sp.decisions = append(sp.decisions, fmt.Sprintf("%s join switched to broadcast (build side %s)", aj.join.Kind, kmemory.FormatBytes(b)))
		}
	}
	return whole
}

// skewSplit is how a skewed reduce partition is read: the pieces of each split side, by
// plan-local shuffle ID (a side not there is read whole); a task runs for every pair of
// pieces.
type skewSplit map[int][][]int

// findSkew finds the skewed partitions of a shuffled join that is the stage's only pair
// of partitioned reads, with only row-by-row operators above it, and splits each skewed
// side that the join kind allows into pieces by map output; the other side is read whole
// by each piece's task (Spark's OptimizeSkewedJoin).
func (j *job) findSkew(joins []adaptiveJoin, count map[int]int, whole map[int]bool, sizes map[int][]int64, sp *stagePlan) map[int]skewSplit {
	if len(joins) != 1 || len(count) != 2 || !joins[0].rowWise {
		return nil
	}
	aj := joins[0]
	if aj.left == nil || aj.right == nil {
		return nil
	}
	l, r := aj.left.ShuffleID, aj.right.ShuffleID
	if l == r || count[l] != 1 || count[r] != 1 || whole[l] || whole[r] {
		return nil
	}
	kind := aj.join.Kind
	splitLeft := kind == plan.InnerJoin || kind == plan.LeftJoin || kind == plan.LeftSemiJoin || kind == plan.LeftAntiJoin
	splitRight := kind == plan.InnerJoin || kind == plan.RightJoin
	var out map[int]skewSplit
	side := func(id int, allowed bool) {
		if !allowed {
			return
		}
		for p, pieces := range j.skewedPieces(id, sizes[id], sp) {
			if out == nil {
				out = map[int]skewSplit{}
			}
			if out[p] == nil {
				out[p] = skewSplit{}
			}
			out[p][id] = pieces
		}
	}
	side(l, splitLeft)
	side(r, splitRight)
	return out
}

// skewedPieces returns, for each skewed partition of a shuffle, its map outputs cut into
// pieces of about the split target: the advisory size or the mean of the partitions that
// are not skewed, whichever is larger.
func (j *job) skewedPieces(local int, bytes []int64, sp *stagePlan) map[int][][]int {
	cfg := j.env.Adaptive
	med := median(bytes)
	threshold := max(cfg.SkewedPartitionBytes, int64(cfg.SkewedPartitionFactor*float64(med)))
	var normal, nNormal int64
	for _, b := range bytes {
		if b <= threshold {
			normal += b
			nNormal++
		}
	}
	target := cfg.AdvisoryPartitionBytes
	if nNormal > 0 {
		target = max(target, normal/nNormal)
	}
	out := map[int][][]int{}
	for p, b := range bytes {
		if b <= threshold {
			continue
		}
		maps, mb := j.env.Shuffle.PartitionMapBytes(j.shuffleID(local), p)
		pieces := splitBySize(maps, mb, target)
		if len(pieces) < 2 {
			continue
		}
		out[p] = pieces
		sp.decisions = append(sp.decisions, fmt.Sprintf("partition %d of shuffle %d skewed (%s, median %s) split into %d",
			p, local, kmemory.FormatBytes(b), kmemory.FormatBytes(med), len(pieces)))
	}
	return out
}

// splitBySize cuts maps, in order, into runs of about target bytes.
func splitBySize(maps []int, bytes []int64, target int64) [][]int {
	var out [][]int
	var cur []int
	var size int64
	for i, m := range maps {
		if len(cur) > 0 && size+bytes[i] > target {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, m)
		size += bytes[i]
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// coalesce groups adjacent reduce partitions into tasks of about equal size: as many as
// the advisory size needs, at least MinPartitions. Every
// shuffle the stage reads by partition gets the same groups, so co-partitioned inputs
// stay aligned, and adjacent ranges keep a range partitioning's order. A skewed
// partition ends the group before it and runs as the tasks of its pieces.
func (j *job) coalesce(count map[int]int, whole map[int]bool, sizes map[int][]int64, skew map[int]skewSplit, n int, sp *stagePlan) {
	cfg := j.env.Adaptive
	ids := make([]int, 0, len(count))
	for id := range count {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	total := make([]int64, n)
	var all int64
	for _, id := range ids {
		if whole[id] {
			continue
		}
		for p, b := range sizes[id] {
			total[p] += b
			all += b
		}
	}
	minParts := cfg.MinPartitions
	if minParts <= 0 {
		minParts = max(1, j.env.Parallelism)
	}
	for p := range skew {
		all -= total[p]
	}
	// As many groups as the target size needs, at least minParts, at most the
	// partitions; each about the same size.
	target, bounded := j.coalesceTarget()
	k := min(int64(n), max(int64(minParts), (all+target-1)/target))
	task := func(lo, hi int, maps map[int][]int) {
		reads := make(map[int]readSpec, len(ids))
		for _, id := range ids {
			switch {
			case whole[id]:
				reads[id] = readSpec{rng: shuffle.Range{Start: 0, End: n}, shared: true}
			case maps != nil:
				reads[id] = readSpec{rng: shuffle.Range{Start: lo, End: hi, Maps: maps[id]}, shared: true}
			default:
				reads[id] = readSpec{rng: shuffle.Range{Start: lo, End: hi}}
			}
		}
		sp.reads = append(sp.reads, reads)
	}
	segments := coalesceSegments(total, skew, int(k))
	for _, seg := range segments {
		if s := skew[seg[0]]; s != nil && seg[1] == seg[0]+1 {
			skewTasks(ids, s, seg[0], task)
		} else {
			task(seg[0], seg[1], nil)
		}
	}
	if len(sp.reads) != n || len(skew) > 0 {
		why := "advisory " + kmemory.FormatBytes(target)
		if bounded {
			why += ", a task's share of the budget"
		}
		sp.decisions = append([]string{fmt.Sprintf("coalesced %d → %d partitions (about %s each, %s)",
			n, len(segments), kmemory.FormatBytes(all/max(1, k)), why)}, sp.decisions...)
	}
}

// coalesceTarget is the input a coalesced task aims at: the advisory size, but no more
// than a task's share of the budget (budget / Parallelism), and whether that bound took
// it. Coalescing saves the cost of tiny tasks; past a task's share it would make the
// merged task spill what the separate ones held in memory (db-benchmark's groupby q3
// at a tenth of its input as budget: six coalesced reduce tasks of 64 MiB, each needing
// twice its 15 MiB share, took 1.6 s where the eight uncoalesced ones took 1.1 s).
func (j *job) coalesceTarget() (int64, bool) {
	target := max(1, j.env.Adaptive.AdvisoryPartitionBytes)
	if j.env.Mem == nil || j.env.Mem.Limit() <= 0 {
		return target, false
	}
	share := max(1, j.env.Mem.Limit()/int64(max(1, j.env.Parallelism)))
	return min(target, share), share < target
}

// coalesceSegments cuts partitions [0, len(total)) into adjacent segments: each skewed
// partition alone, the others in about k groups of equal size. A cut falls before the
// partition whose midpoint passes the next multiple of the group size, so that a
// partition goes to the group holding most of it; empty partitions join the group
// before them.
func coalesceSegments(total []int64, skew map[int]skewSplit, k int) [][2]int {
	var all int64
	for p, b := range total {
		if skew[p] == nil {
			all += b
		}
	}
	unit := float64(all) / float64(max(1, k))
	var out [][2]int
	start, group := 0, 0
	cum := 0.0
	for p, b := range total {
		if skew[p] != nil {
			if p > start {
				out = append(out, [2]int{start, p})
			}
			out = append(out, [2]int{p, p + 1})
			start = p + 1
			continue
		}
		if g := int((cum + float64(b)/2) / max(unit, 1)); g > group && b > 0 {
			if p > start {
				out = append(out, [2]int{start, p})
				start = p
			}
			group = g
		}
		cum += float64(b)
	}
	if start < len(total) {
		out = append(out, [2]int{start, len(total)})
	}
	return out
}

// skewTasks adds the tasks of skewed partition p: one per combination of the split
// sides' pieces; a side not split is read whole by each.
func skewTasks(ids []int, s skewSplit, p int, task func(lo, hi int, maps map[int][]int)) {
	combos := []map[int][]int{{}}
	for _, id := range ids {
		pieces, ok := s[id]
		if !ok {
			continue
		}
		var next []map[int][]int
		for _, c := range combos {
			for _, piece := range pieces {
				m := maps.Clone(c)
				m[id] = piece
				next = append(next, m)
			}
		}
		combos = next
	}
	for _, c := range combos {
		task(p, p+1, c)
	}
}

func sum(xs []int64) int64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return t
}

func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
