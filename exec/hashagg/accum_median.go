package hashagg

import (
	"fmt"
	"math"
	"slices"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// aggMedianAcc keeps every non-NULL value of each group (as float64) and selects the
// middle one(s) when the result is asked for (percentile shares it).
//
// Values are not kept in a slice per group: growing thousands of slices by append
// allocates about twice their final size, all of it garbage that a process with a large
// live heap (its cached input) collects rarely, so the resident set grew by several
// times the values held. Instead every (group, value) pair is appended to chunks of one
// log, and the first read of the values (states or result) groups the log once by a
// counting sort into one array of values ordered by group, with each group's offset.
// Chunks and arrays are slabs (colop.SlabAlloc): recycled when the table is dropped, so
// the next task's table reuses them. Pairs added after the grouping (a table is not
// updated once emitted, but nothing relies on it) are grouped with the values already
// grouped at the next read.
//
// Merged list states are not logged value by value: their element arrays are retained
// (the shuffle's blocks already hold them) and each list is a run of one group's values,
// which the grouping copies in place. A merge then costs its values' grouped bytes
// instead of a logged pair and the grouped bytes (8 bytes a value, not 20).
type aggMedianAcc struct {
	n int // groups
	// The log of pairs not grouped yet: chunk c holds gids[c][i], vals[c][i] for i below
	// len(vals[c]); only the last chunk has room left.
	gids    [][]int32
	vals    [][]float64
	logged  int64 // pairs in the log
	logCap  int64 // capacity of the log's chunks, in pairs
	scratch []float64
	// offs[g]..offs[g+1] is group g's span of grouped, for the groups below len(offs)-1.
	offs    []int64
	grouped []float64
	// runs are merged lists not grouped yet: values xs[lo:hi] of the retained element
	// array kept[arr], for group g; runVals counts their values.
	kept    []arrow.Array
	runs    []medianRun
	runVals int64
	// byGroup lists the runs' indices ordered by group, group g's at
	// byGroup[runStart[g]:runStart[g+1]]: the index a result read straight from the runs
	// uses (resultFromRuns); nil until then, and dropped when runs change.
	byGroup, runStart []int32
	// sel is the scratch one group's values are gathered into from its runs (a slab of
	// the largest group's size).
	sel []float64
	// fromLog is set when the first states call finds the table emitted in a few
	// batches: every batch's states are then built from the log (statesFromLog).
	fromLog bool
}

// medianRun is one merged list's span of a retained element array.
type medianRun struct {
	g, arr, lo, hi int32
}

const (
	aggMedianMinChunk = 256
	aggMedianMaxChunk = 64 << 10
	// aggMedianPairBytes is a logged pair's bytes (4 + 8) plus its 8 bytes in grouped,
	// which the grouping will allocate: reserved ahead, with the log.
	aggMedianPairBytes = 20
	// aggMedianLogScans is the most batches a partial table's states are built in
	// straight from its log, each batch scanning the whole log; a table emitted in more
	// is grouped once instead.
	aggMedianLogScans = 4
)

func (m *aggMedianAcc) grow(n int) { m.n = max(m.n, n) }

func (m *aggMedianAcc) bytes() int64 {
	return (m.logCap-m.logged)*12 + m.logged*aggMedianPairBytes +
		int64(cap(m.offs)+cap(m.grouped)+cap(m.scratch))*8 +
		m.runVals*16 + int64(cap(m.runs))*16
}

// growthBound allows each value its pair and grouped bytes, each group its offset, and
// a new chunk.
func (m *aggMedianAcc) growthBound(rows int, inputs []arrow.Array) int64 {
	var values int64
	for _, in := range inputs {
		if l, ok := in.(*array.List); ok {
			values += int64(l.ListValues().Len())
		} else {
			values += int64(in.Len())
		}
	}
	return values*aggMedianPairBytes + int64(m.nextChunk())*12 + int64(rows)*8
}

// nextChunk is the pairs of the chunk the log adds next: chunks double up to
// aggMedianMaxChunk, so that a small table's log stays small.
func (m *aggMedianAcc) nextChunk() int {
	if c := len(m.vals); c > 0 {
		return min(aggMedianMaxChunk, 2*cap(m.vals[c-1]))
	}
	return aggMedianMinChunk
}

// room returns the last chunk's free space, adding a chunk when it is full.
func (m *aggMedianAcc) room() ([]int32, []float64) {
	if c := len(m.vals) - 1; c >= 0 && len(m.vals[c]) < cap(m.vals[c]) {
		return m.gids[c], m.vals[c]
	}
	size := m.nextChunk()
	m.gids = append(m.gids, colop.SlabAlloc[int32](0, size))
	m.vals = append(m.vals, colop.SlabAlloc[float64](0, size))
	m.logCap += int64(size)
	c := len(m.vals) - 1
	return m.gids[c], m.vals[c]
}

// log appends the pairs (gids[i], xs[i]) for the rows i that valid accepts (nil: all).
func (m *aggMedianAcc) log(gids []int32, xs []float64, valid func(i int) bool) {
	for i := 0; i < len(xs); {
		gs, vs := m.room()
		c := len(m.vals) - 1
		for ; i < len(xs) && len(vs) < cap(vs); i++ {
			if valid == nil || valid(i) {
				gs = append(gs, gids[i])
				vs = append(vs, xs[i])
			}
		}
		m.logged += int64(len(vs) - len(m.vals[c]))
		m.gids[c], m.vals[c] = gs, vs
	}
}

func (m *aggMedianAcc) update(arg arrow.Array, gids []int32) error {
	xs, scratch, err := aggAsFloat64(arg, m.scratch)
	m.scratch = scratch
	if err != nil {
		return err
	}
	bm, off := kernel.Validity(arg)
	if bm == nil {
		m.log(gids, xs, nil)
		return nil
	}
	m.log(gids, xs, func(i int) bool { return kernel.IsSet(bm, off, i) })
	return nil
}

func (m *aggMedianAcc) merge(states []arrow.Array, gids []int32) error {
	l, elems, err := aggListState(states, "median")
	if err != nil {
		return err
	}
	if elems.DataType().ID() != arrow.FLOAT64 {
		return fmt.Errorf("exec: hash aggregate: median state holds %s, not float64", elems.DataType())
	}
	xs := kernel.FixedValues[float64](elems)
	offs := kernel.ListSpan(l)
	bm, off := kernel.Validity(l)
	ebm, eoff := kernel.Validity(elems)
	if ebm == nil && len(m.kept) < math.MaxInt32 {
		m.keepRuns(elems, offs, bm, off, gids)
		return nil
	}
	var egids []int32
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		lo, hi := offs[i], offs[i+1]
		egids = egids[:0]
		for range hi - lo {
			egids = append(egids, g)
		}
		if ebm == nil {
			m.log(egids, xs[lo:hi], nil)
			continue
		}
		m.log(egids, xs[lo:hi], func(j int) bool { return kernel.IsSet(ebm, eoff, int(lo)+j) })
	}
	return nil
}

// keepRuns retains elems, the element array of list states without NULL elements, and
// records each valid list (spans offs) as a run of its group gids[i].
func (m *aggMedianAcc) keepRuns(elems arrow.Array, offs []int32, bm []byte, off int, gids []int32) {
	arr := int32(len(m.kept))
	used := false
	for i, g := range gids {
		lo, hi := offs[i], offs[i+1]
		if hi == lo || !kernel.IsSet(bm, off, i) {
			continue
		}
		m.runs = append(m.runs, medianRun{g: g, arr: arr, lo: lo, hi: hi})
		m.runVals += int64(hi - lo)
		used = true
	}
	m.byGroup, m.runStart = nil, nil
	if used {
		elems.Retain()
		m.kept = append(m.kept, elems)
	}
}

// group returns group g's values (after groupLog).
func (m *aggMedianAcc) group(g int) []float64 {
	if g+1 >= len(m.offs) {
		return nil
	}
	return m.grouped[m.offs[g]:m.offs[g+1]]
}

// groupLog moves the logged pairs into grouped, by a counting sort over the groups:
// count each group's values, turn the counts into offsets, and place every value at
// its group's next position. Values already grouped keep their place ahead of the new.
func (m *aggMedianAcc) groupLog() {
	if m.logged == 0 && len(m.runs) == 0 && len(m.offs) > m.n {
		return
	}
	n := m.n
	offs := colop.SlabAlloc[int64](n+1, n+1)
	for g := 0; g+1 < len(m.offs) && g < n; g++ {
		offs[g+1] = m.offs[g+1] - m.offs[g]
	}
	for _, gs := range m.gids {
		for _, g := range gs {
			offs[g+1]++
		}
	}
	for _, r := range m.runs {
		offs[r.g+1] += int64(r.hi - r.lo)
	}
	for g := 0; g < n; g++ {
		offs[g+1] += offs[g]
	}
	grouped := colop.SlabAlloc[float64](int(offs[n]), int(offs[n]))
	next := colop.SlabAlloc[int64](n, n)
	copy(next, offs[:n])
	for g := 0; g+1 < len(m.offs) && g < n; g++ {
		next[g] += int64(copy(grouped[next[g]:], m.grouped[m.offs[g]:m.offs[g+1]]))
	}
	for c, gs := range m.gids {
		vs := m.vals[c]
		for i, g := range gs {
			grouped[next[g]] = vs[i]
			next[g]++
		}
		colop.SlabFree(gs)
		colop.SlabFree(vs)
	}
	for _, r := range m.runs {
		xs := kernel.FixedValues[float64](m.kept[r.arr])
		next[r.g] += int64(copy(grouped[next[r.g]:], xs[r.lo:r.hi]))
	}
	m.releaseRuns()
	colop.SlabFree(next)
	colop.SlabFree(m.offs)
	colop.SlabFree(m.grouped)
	m.gids, m.vals, m.logged, m.logCap = nil, nil, 0, 0
	m.offs, m.grouped = offs, grouped
}

// release gives the log and the grouped values back to the slab pool.
func (m *aggMedianAcc) release() {
	for c := range m.gids {
		colop.SlabFree(m.gids[c])
		colop.SlabFree(m.vals[c])
	}
	colop.SlabFree(m.offs)
	colop.SlabFree(m.grouped)
	colop.SlabFree(m.sel)
	m.gids, m.vals, m.offs, m.grouped, m.sel = nil, nil, nil, nil, nil
	m.logged, m.logCap = 0, 0
	m.releaseRuns()
}

// releaseRuns drops the merged runs and the element arrays they retain.
func (m *aggMedianAcc) releaseRuns() {
	for _, a := range m.kept {
		a.Release()
	}
	m.kept, m.runs, m.runVals = nil, nil, 0
	m.byGroup, m.runStart = nil, nil
}

// result selects the median of each group in place: the table is emitted once, so the
// order of its values no longer matters.
func (m *aggMedianAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	meds := make([]float64, hi-lo)
	valid := make([]bool, hi-lo)
	m.eachGroup(lo, hi, func(i int, v []float64) {
		meds[i], valid[i] = aggMedian(v), true
	})
	return kernel.BuildFixed(mem, dt, len(meds), func(i int) float64 { return meds[i] },
		func(i int) bool { return valid[i] }), nil
}

// eachGroup calls fn with the values of each group lo+i in [lo, hi) that has any, in a
// slice fn may reorder. A table that holds only merged runs (a final aggregation's, fed
// by the shuffle) gathers each group's runs into one scratch slice instead of grouping
// every value into a second copy: the result needs each group's values once, and the
// retained element arrays already hold them.
func (m *aggMedianAcc) eachGroup(lo, hi int, fn func(i int, v []float64)) {
	if m.logged > 0 || len(m.offs) > 0 || len(m.runs) == 0 {
		m.groupLog()
		for i := range hi - lo {
			if v := m.group(lo + i); len(v) > 0 {
				fn(i, v)
			}
		}
		return
	}
	m.indexRuns()
	for i := range hi - lo {
		g := lo + i
		if g+1 >= len(m.runStart) {
			continue
		}
		v := m.sel[:0]
		for _, r := range m.byGroup[m.runStart[g]:m.runStart[g+1]] {
			run := m.runs[r]
			v = append(v, kernel.FixedValues[float64](m.kept[run.arr])[run.lo:run.hi]...)
		}
		if len(v) > 0 {
			fn(i, v)
		}
	}
}

// indexRuns orders the runs' indices by group (byGroup, runStart), by a counting sort;
// runs of a group keep their merge order.
func (m *aggMedianAcc) indexRuns() {
	if m.runStart != nil {
		return
	}
	start := make([]int32, m.n+1)
	for _, r := range m.runs {
		start[r.g+1]++
	}
	for g := range m.n {
		start[g+1] += start[g]
	}
	byGroup := make([]int32, len(m.runs))
	next := slices.Clone(start[:m.n])
	vals := make([]int64, m.n)
	for i, r := range m.runs {
		byGroup[next[r.g]] = int32(i)
		next[r.g]++
		vals[r.g] += int64(r.hi - r.lo)
	}
	m.byGroup, m.runStart = byGroup, start
	// The scratch is sized once for the largest group, so that gathering never grows it.
	if most := int(slices.Max(append(vals, 0))); cap(m.sel) < most {
		colop.SlabFree(m.sel)
		m.sel = colop.SlabAlloc[float64](0, most)
	}
}

func (m *aggMedianAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	lt, ok := types[0].(*arrow.ListType)
	if !ok || lt.Elem().ID() != arrow.FLOAT64 {
		return nil, fmt.Errorf("exec: hash aggregate: median state type %s is not list<float64>", types[0])
	}
	if lo == 0 && hi > 0 {
		// The first batch: the table is emitted in ceil(n/(hi-lo)) batches.
		m.fromLog = (m.n+hi-1)/hi <= aggMedianLogScans
	}
	if len(m.offs) == 0 && len(m.runs) == 0 && m.fromLog {
		a, err := m.statesFromLog(mem, lt, lo, hi)
		if err != nil {
			return nil, err
		}
		return []arrow.Array{a}, nil
	}
	m.groupLog()
	a, err := aggBuildList(mem, lt, hi-lo, func(i int) int { return len(m.group(lo + i)) },
		func(i int, dst []float64) { copy(dst, m.group(lo+i)) })
	if err != nil {
		return nil, err
	}
	return []arrow.Array{a}, nil
}

// statesFromLog builds the list states of groups [lo, hi) straight from the log, which
// it leaves as it is: a partial aggregation emits its table in a few batches, and
// grouping the log first would hold every value three times (log, grouped, states)
// instead of twice. Used while nothing is grouped and the table is at most a few
// batches, so that the log is scanned a few times at most.
func (m *aggMedianAcc) statesFromLog(mem memory.Allocator, lt *arrow.ListType, lo, hi int) (arrow.Array, error) {
	cnt := make([]int, hi-lo)
	for _, gs := range m.gids {
		for _, g := range gs {
			if k := int(g) - lo; uint(k) < uint(len(cnt)) {
				cnt[k]++
			}
		}
	}
	// spans[k] is group lo+k's span of the child buffer, filled by append up to its
	// exact length.
	spans := make([][]float64, hi-lo)
	a, err := aggBuildList(mem, lt, hi-lo, func(i int) int { return cnt[i] },
		func(i int, dst []float64) { spans[i] = dst[:0:len(dst)] })
	if err != nil {
		return nil, err
	}
	for c, gs := range m.gids {
		vs := m.vals[c]
		for i, g := range gs {
			if k := int(g) - lo; uint(k) < uint(len(spans)) {
				spans[k] = append(spans[k], vs[i])
			}
		}
	}
	return a, nil
}
