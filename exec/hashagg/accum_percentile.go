package hashagg

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// aggPercentileAcc is the exact percentile: it keeps every non-NULL value of each group
// as median does (same state, list<float64>) and, when the result is asked for, sorts
// each group and interpolates linearly between the closest ranks, as Spark's percentile:
// at fraction f of n sorted values, position f*(n-1) between ranks lo and hi gives
// (hi-pos)*v[lo] + (pos-lo)*v[hi]. NaN sorts above every number.
type aggPercentileAcc struct {
	aggMedianAcc
	fractions []float64
}

func (p *aggPercentileAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	out := make([][]float64, hi-lo)
	p.eachGroup(lo, hi, func(i int, v []float64) {
		if len(p.fractions) == 1 {
			out[i] = []float64{aggSelectPercentile(v, p.fractions[0])}
			return
		}
		aggSortNaNLast(v)
		r := make([]float64, len(p.fractions))
		for j, f := range p.fractions {
			r[j] = aggInterpolate(v, f)
		}
		out[i] = r
	})
	return aggBuildFractions(mem, dt, out)
}

// aggBuildFractions builds the result of a percentile over groups whose values at each
// fraction are vals[i] (nil: no value, NULL): the one value per group, or a list of
// them when dt is a list type.
func aggBuildFractions(mem memory.Allocator, dt arrow.DataType, vals [][]float64) (arrow.Array, error) {
	if lt, ok := dt.(*arrow.ListType); ok {
		return aggBuildNumberLists(mem, lt, vals)
	}
	return aggBuildNumber(mem, dt, len(vals), func(i int) float64 {
		if vals[i] == nil {
			return 0
		}
		return vals[i][0]
	}, func(i int) bool { return vals[i] != nil })
}

// aggSortNaNLast sorts v ascending with every NaN after the numbers.
func aggSortNaNLast(v []float64) {
	m := 0
	for i, x := range v {
		if x == x {
			v[m], v[i] = x, v[m]
			m++
		}
	}
	slices.Sort(v[:m])
}

// aggSelectPercentile is aggInterpolate of v sorted, by selection: the two ranks it
// reads are found in linear time, as the median finds its middle (v is reordered).
func aggSelectPercentile(v []float64, f float64) float64 {
	m := 0 // NaNs to the end: the selection compares with < and must not meet them
	for i, x := range v {
		if x == x {
			v[m], v[i] = x, v[m]
			m++
		}
	}
	pos := f * float64(len(v)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	at := func(r int) float64 {
		if r >= m {
			return math.NaN()
		}
		return v[r]
	}
	if int(lo) < m {
		aggSelect(v[:m], int(lo))
	}
	a := at(int(lo))
	if lo == hi {
		return a
	}
	// Past the selection, v[lo+1:m] holds the values above rank lo: rank hi is their
	// minimum.
	b := math.NaN()
	if int(hi) < m {
		b = v[int(hi)]
		for _, x := range v[int(hi)+1 : m] {
			b = min(b, x)
		}
	}
	return (hi-pos)*a + (pos-lo)*b
}

// aggInterpolate is the percentile at fraction f of the sorted values v (not empty).
func aggInterpolate(v []float64, f float64) float64 {
	pos := f * float64(len(v)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	a := v[int(lo)]
	if lo == hi {
		return a
	}
	return (hi-pos)*a + (pos-lo)*v[int(hi)]
}

// aggApproxPercentileAcc is percentile_approx: per group, a mergeable quantile sketch of
// compactors (the scheme of Karnin, Lang and Liberty's KLL sketch, with every level of
// the same capacity k = 10*accuracy). Level h holds values standing for 2^h inputs each;
// when a level reaches k values it is sorted and every other value, starting at a random
// offset, moves up a level with twice the weight (an odd value out stays). Up to k
// values per group the sketch is exact.
//
// Error bound: a compaction at level h moves any rank by 0 or ±2^h with equal odds, and
// level h compacts at most n/(k*2^h) times, so by Hoeffding's inequality the rank
// estimate of any value is off by more than 8n/k = 0.8n/accuracy with probability under
// 2.3e-7; picking the answer among the sketch's values adds at most one value's weight,
// under 2n/k. So the value returned for fraction f has a rank within n/accuracy of f*n
// (Spark's guarantee for its Greenwald-Khanna summary): the smallest value whose
// estimated rank reaches ceil(f*n). Values are kept as float64 (dates and times as their
// integers): integers beyond 2^53 round.
type aggApproxPercentileAcc struct {
	fractions []float64
	k         int
	groups    []*aggQuantileSketch
	used      int64 // bytes of the groups' sketches
	scratch   []float64
	ints      []int64
	rng       uint64
}

// aggMaxLevel bounds a sketch's levels: a value at level h stands for 2^h inputs.
const aggMaxLevel = 62

// aggQuantileSketch is one group's compactors: levels[h] holds values of weight 2^h.
type aggQuantileSketch struct {
	levels [][]float64
}

func newAggApproxPercentileAcc(fractions []float64, accuracy int) *aggApproxPercentileAcc {
	// Beyond 2^40 values a level, no group fits in memory anyway; the cap keeps 10*accuracy
	// from overflowing.
	return &aggApproxPercentileAcc{fractions: fractions, k: max(8, 10*min(accuracy, 1<<40)), rng: 0x9e3779b97f4a7c15}
}

func (a *aggApproxPercentileAcc) grow(n int) { a.groups = aggGrowTo(a.groups, n) }
func (a *aggApproxPercentileAcc) bytes() int64 {
	return int64(cap(a.groups))*8 + a.used + int64(cap(a.scratch)+cap(a.ints))*8
}

// growthBound allows each value twice its size (appends double a level's capacity) and
// each row a new group's sketch.
func (a *aggApproxPercentileAcc) growthBound(rows int, inputs []arrow.Array) int64 {
	bound := int64(rows) * 64
	for _, in := range inputs {
		if l, ok := in.(*array.List); ok {
			bound += int64(l.ListValues().Len()) * 16
		} else {
			bound += int64(in.Len()) * 16
		}
	}
	return bound
}

func (s *aggQuantileSketch) capBytes() int64 {
	b := int64(cap(s.levels)) * 24
	for _, l := range s.levels {
		b += int64(cap(l)) * 8
	}
	return b
}

// add puts x at level h of group g's sketch, compacting the levels that fill up.
func (a *aggApproxPercentileAcc) add(g int32, x float64, h int) {
	s := a.groups[g]
	if s == nil {
		s = &aggQuantileSketch{}
		a.groups[g] = s
	} else if h < len(s.levels) {
		if l := s.levels[h]; len(l) < cap(l) && len(l)+1 < a.k {
			s.levels[h] = append(l, x)
			return
		}
	}
	before := s.capBytes()
	for len(s.levels) <= h {
		s.levels = append(s.levels, nil)
	}
	s.levels[h] = append(s.levels[h], x)
	for ; h < len(s.levels) && len(s.levels[h]) >= a.k; h++ {
		a.compact(s, h)
	}
	a.used += s.capBytes() - before
}

// compact halves level h of s into level h+1.
func (a *aggApproxPercentileAcc) compact(s *aggQuantileSketch, h int) {
	if h+1 == len(s.levels) {
		s.levels = append(s.levels, nil)
	}
	v := s.levels[h]
	aggSortNaNLast(v)
	pairs := len(v) &^ 1
	a.rng ^= a.rng << 13
	a.rng ^= a.rng >> 7
	a.rng ^= a.rng << 17
	for i := int(a.rng & 1); i < pairs; i += 2 {
		s.levels[h+1] = append(s.levels[h+1], v[i])
	}
	if pairs < len(v) {
		v[0] = v[pairs]
		s.levels[h] = v[:1]
	} else {
		s.levels[h] = v[:0]
	}
}

func (a *aggApproxPercentileAcc) update(arg arrow.Array, gids []int32) error {
	xs, err := a.asFloat64(arg)
	if err != nil {
		return err
	}
	bm, off := kernel.Validity(arg)
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		// The common case inline: room at level 0 and no compaction due.
		if s := a.groups[g]; s != nil && len(s.levels) > 0 {
			if l := s.levels[0]; len(l) < cap(l) && len(l)+1 < a.k {
				s.levels[0] = append(l, xs[i])
				continue
			}
		}
		a.add(g, xs[i], 0)
	}
	return nil
}

func (a *aggApproxPercentileAcc) merge(states []arrow.Array, gids []int32) error {
	if len(states) != 2 {
		return fmt.Errorf("exec: hash aggregate: percentile_approx wants 2 state columns, got %d", len(states))
	}
	vl, velems, err := aggListState(states[:1], "percentile_approx")
	if err != nil {
		return err
	}
	ll, lelems, err := aggListState(states[1:], "percentile_approx")
	if err != nil {
		return err
	}
	if velems.DataType().ID() != arrow.FLOAT64 || lelems.DataType().ID() != arrow.INT8 {
		return fmt.Errorf("exec: hash aggregate: percentile_approx state holds %s and %s, not float64 and int8", velems.DataType(), lelems.DataType())
	}
	xs, hs := kernel.FixedValues[float64](velems), kernel.FixedValues[int8](lelems)
	voffs, loffs := kernel.ListSpan(vl), kernel.ListSpan(ll)
	bm, off := kernel.Validity(vl)
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		lo, hi := voffs[i], voffs[i+1]
		if loffs[i+1]-loffs[i] != hi-lo {
			return fmt.Errorf("exec: hash aggregate: percentile_approx state has %d values and %d levels", hi-lo, loffs[i+1]-loffs[i])
		}
		for j := lo; j < hi; j++ {
			h := hs[loffs[i]+j-lo]
			if h < 0 || h > aggMaxLevel {
				return fmt.Errorf("exec: hash aggregate: percentile_approx state has level %d, not in [0, %d]", h, aggMaxLevel)
			}
			a.add(g, xs[j], int(h))
		}
	}
	return nil
}

// asFloat64 returns arr's values as float64 (dates and times as their integers).
func (a *aggApproxPercentileAcc) asFloat64(arr arrow.Array) ([]float64, error) {
	if !plan.IsTemporal(arr.DataType()) {
		xs, scratch, err := aggAsFloat64(arr, a.scratch)
		a.scratch = scratch
		return xs, err
	}
	ints, err := aggAsInt64(arr, a.ints)
	if err != nil {
		return nil, err
	}
	a.ints = ints
	a.scratch = kernel.Resize(a.scratch, len(ints))
	for i, v := range ints {
		a.scratch[i] = float64(v)
	}
	return a.scratch, nil
}

// query returns the values of sketch s at each fraction (nil for an empty sketch).
func (a *aggApproxPercentileAcc) query(s *aggQuantileSketch) []float64 {
	if s == nil {
		return nil
	}
	if len(s.levels) == 1 { // nothing compacted: every value weighs 1
		v := s.levels[0] // the table is emitted once: sorting in place is free
		if len(v) == 0 {
			return nil
		}
		aggSortNaNLast(v)
		out := make([]float64, len(a.fractions))
		for j, f := range a.fractions {
			r := max(1, int(math.Ceil(f*float64(len(v)))))
			out[j] = v[min(r, len(v))-1]
		}
		return out
	}
	type item struct {
		x float64
		w int64
	}
	var items []item
	for h, l := range s.levels {
		for _, x := range l {
			items = append(items, item{x, int64(1) << h})
		}
	}
	if len(items) == 0 {
		return nil
	}
	slices.SortFunc(items, func(p, q item) int { return aggCompareNaNLast(p.x, q.x) })
	cum := make([]int64, len(items))
	var total int64
	for i, it := range items {
		total += it.w
		cum[i] = total
	}
	out := make([]float64, len(a.fractions))
	for j, f := range a.fractions {
		r := max(1, int64(math.Ceil(f*float64(total))))
		i := sort.Search(len(cum), func(i int) bool { return cum[i] >= r })
		out[j] = items[min(i, len(items)-1)].x
	}
	return out
}

// aggCompareNaNLast orders floats ascending with NaN above every number.
func aggCompareNaNLast(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	case x != x && y != y:
		return 0
	case x != x:
		return 1
	}
	return -1
}

func (a *aggApproxPercentileAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	out := make([][]float64, hi-lo)
	for i := range out {
		out[i] = a.query(a.groups[lo+i])
	}
	return aggBuildFractions(mem, dt, out)
}

func (a *aggApproxPercentileAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	if len(types) != 2 {
		return nil, fmt.Errorf("exec: hash aggregate: percentile_approx has 2 state columns, not %d", len(types))
	}
	vt, ok1 := types[0].(*arrow.ListType)
	lt, ok2 := types[1].(*arrow.ListType)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("exec: hash aggregate: percentile_approx state types %v are not two lists", types)
	}
	groups := a.groups[lo:hi]
	lens := func(i int) int {
		n := 0
		if s := groups[i]; s != nil {
			for _, l := range s.levels {
				n += len(l)
			}
		}
		return n
	}
	vs, err := aggBuildList(mem, vt, len(groups), lens, func(i int, dst []float64) {
		if s := groups[i]; s != nil {
			pos := 0
			for _, l := range s.levels {
				pos += copy(dst[pos:], l)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	ls, err := aggBuildList(mem, lt, len(groups), lens, func(i int, dst []int8) {
		if s := groups[i]; s != nil {
			pos := 0
			for h, l := range s.levels {
				for range l {
					dst[pos] = int8(h)
					pos++
				}
			}
		}
	})
	if err != nil {
		vs.Release()
		return nil, err
	}
	return []arrow.Array{vs, ls}, nil
}
