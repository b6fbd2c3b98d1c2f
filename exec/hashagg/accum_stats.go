package hashagg

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Statistical accumulators: median, stddev and variance, corr (and, in
// hashagg_accum_topk.go, top_k). Their arguments are read as float64: a float64 column
// is viewed in place, other numeric columns are converted once per batch into a scratch
// slice, so every update is one typed loop over the batch.

// aggPairAccumulator is an accumulator of two arguments (corr): the operator calls
// updatePair instead of update when an aggregate has two input columns.
type aggPairAccumulator interface {
	updatePair(x, y arrow.Array, gids []int32) error
}

// newAggStatAccumulator returns the accumulator of median, stddev, variance, corr or
// top_k over arguments of type argType.
func newAggStatAccumulator(a plan.AggExpr, argType arrow.DataType) (aggAccumulator, error) {
	if !plan.IsIntOrFloat(argType) {
		return nil, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", a, argType)
	}
	switch a.Func {
	case plan.AggMedian:
		return &aggMedianAcc{}, nil
	case plan.AggStddev, plan.AggVariance:
		return &aggVarAcc{stddev: a.Func == plan.AggStddev}, nil
	case plan.AggCorr:
		return &aggCorrAcc{}, nil
	case plan.AggTopK:
		return newAggTopKAcc(a, argType)
	}
	return nil, fmt.Errorf("exec: hash aggregate: %s is not a statistical aggregate", a)
}

// aggAsFloat64 returns arr's values as float64: a float64 column's own buffer, or the
// values converted into buf (grown as needed; returned for reuse).
func aggAsFloat64(arr arrow.Array, buf []float64) (vals, scratch []float64, err error) {
	if arr.DataType().ID() == arrow.FLOAT64 {
		return kernel.FixedValues[float64](arr), buf, nil
	}
	n := arr.Len()
	if cap(buf) < n {
		buf = make([]float64, n)
	}
	buf = buf[:n]
	switch arr.DataType().ID() {
	case arrow.INT8:
		aggWidenFloat(buf, kernel.FixedValues[int8](arr))
	case arrow.UINT8:
		aggWidenFloat(buf, kernel.FixedValues[uint8](arr))
	case arrow.INT16:
		aggWidenFloat(buf, kernel.FixedValues[int16](arr))
	case arrow.UINT16:
		aggWidenFloat(buf, kernel.FixedValues[uint16](arr))
	case arrow.INT32:
		aggWidenFloat(buf, kernel.FixedValues[int32](arr))
	case arrow.UINT32:
		aggWidenFloat(buf, kernel.FixedValues[uint32](arr))
	case arrow.INT64:
		aggWidenFloat(buf, kernel.FixedValues[int64](arr))
	case arrow.UINT64:
		aggWidenFloat(buf, kernel.FixedValues[uint64](arr))
	case arrow.FLOAT32:
		aggWidenFloat(buf, kernel.FixedValues[float32](arr))
	default:
		return nil, buf, fmt.Errorf("exec: hash aggregate: numeric argument expected, got %s", arr.DataType())
	}
	return buf, buf, nil
}

func aggWidenFloat[T kernel.FixedWidth](dst []float64, src []T) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// aggListState returns a list state column and its elements.
func aggListState(states []arrow.Array, what string) (*array.List, arrow.Array, error) {
	if len(states) != 1 {
		return nil, nil, fmt.Errorf("exec: hash aggregate: %s wants one state column, got %d", what, len(states))
	}
	l, ok := states[0].(*array.List)
	if !ok {
		return nil, nil, fmt.Errorf("exec: hash aggregate: %s state is %s, not a list", what, states[0].DataType())
	}
	return l, l.ListValues(), nil
}

// aggBuildList builds a list array of type lt over n groups: group i's elements are
// put(i, dst) written into its span of the child buffer, whose lengths are lens(i); a
// group of no elements is NULL.
func aggBuildList[T kernel.FixedWidth](mem memory.Allocator, lt *arrow.ListType, n int, lens func(i int) int, put func(i int, dst []T)) (arrow.Array, error) {
	total := 0
	for i := 0; i < n; i++ {
		total += lens(i)
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("exec: hash aggregate: %d list elements overflow 32-bit offsets", total)
	}
	nb, nulls := kernel.ValidityBuffer(mem, func(i int) bool { return lens(i) > 0 }, n)
	ob, offs := kernel.NewFixedBuffer[int32](mem, n+1)
	vb, vals := kernel.NewFixedBuffer[T](mem, total)
	pos := 0
	for i := 0; i < n; i++ {
		offs[i] = int32(pos)
		l := lens(i)
		put(i, vals[pos:pos+l])
		pos += l
	}
	offs[n] = int32(pos)
	child := kernel.MakeArray(lt.Elem(), total, 0, []*memory.Buffer{nil, vb}, nil)
	defer child.Release()
	return kernel.MakeArray(lt, n, nulls, []*memory.Buffer{nb, ob}, []arrow.ArrayData{child.Data()}), nil
}

// aggMedian returns the median of v (not empty), reordering v. NaN is larger than every
// number, so it is the median only when at least half the values are NaN; the median of
// an even count is the mean of the two middle values.
func aggMedian(v []float64) float64 {
	// NaNs to the end: the selection compares with < and must not meet them.
	m := 0
	for i, x := range v {
		if x == x {
			v[m], v[i] = x, v[m]
			m++
		}
	}
	n := len(v)
	hi := n / 2
	if hi >= m {
		return math.NaN()
	}
	aggSelect(v[:m], hi)
	if n%2 == 1 {
		return v[hi]
	}
	// v[:hi] holds the hi smallest values: the lower middle one is their maximum.
	lower := v[0]
	for _, x := range v[1:hi] {
		lower = max(lower, x)
	}
	return lower/2 + v[hi]/2
}

// aggSelect reorders v (no NaN) so that v[k] is the value a sort would put there, every
// value before it is <= v[k] and every value after it >= v[k]. It is quickselect with a
// median-of-three pivot, falling back to sorting the remaining range when the
// partitions stay unbalanced, so the worst case is O(n log n).
func aggSelect(v []float64, k int) {
	lo, hi := 0, len(v)-1
	budget := 2*bits.Len(uint(len(v))) + 4
	for hi > lo {
		if hi-lo < 16 || budget == 0 {
			slices.Sort(v[lo : hi+1])
			return
		}
		budget--
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		// [lo, j] <= pivot, (j, i) == pivot, [i, hi] >= pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// aggVarAcc computes the sample variance or standard deviation with Welford's update
// per value and Chan et al.'s pairwise merge of (count, mean, m2) states, which stay
// accurate when the mean is large next to the spread (unlike sum and sum of squares).
type aggVarAcc struct {
	stddev  bool
	counts  []int64
	means   []float64
	m2s     []float64
	scratch []float64
}

func (v *aggVarAcc) grow(n int) {
	v.counts = aggGrowTo(v.counts, n)
	v.means = aggGrowTo(v.means, n)
	v.m2s = aggGrowTo(v.m2s, n)
}
func (v *aggVarAcc) bytes() int64 {
	return int64(cap(v.counts)+cap(v.means)+cap(v.m2s)+cap(v.scratch)) * 8
}
func (v *aggVarAcc) growthBound(rows int, _ []arrow.Array) int64 { return int64(rows) * 32 }

func (v *aggVarAcc) name() string {
	if v.stddev {
		return "stddev"
	}
	return "variance"
}

func (v *aggVarAcc) update(arg arrow.Array, gids []int32) error {
	xs, scratch, err := aggAsFloat64(arg, v.scratch)
	v.scratch = scratch
	if err != nil {
		return err
	}
	counts, means, m2s := v.counts, v.means, v.m2s
	bm, off := kernel.Validity(arg)
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		x := xs[i]
		counts[g]++
		d := x - means[g]
		means[g] += d / float64(counts[g])
		m2s[g] += d * (x - means[g])
	}
	return nil
}

// aggChan merges the moments (nb, mb, m2b) into (na, ma, m2a).
func aggChan(na int64, ma, m2a float64, nb int64, mb, m2b float64) (int64, float64, float64) {
	if na == 0 {
		return nb, mb, m2b
	}
	n := na + nb
	d := mb - ma
	fa, fb, fn := float64(na), float64(nb), float64(n)
	return n, ma + d*fb/fn, m2a + m2b + d*d*fa*fb/fn
}

func (v *aggVarAcc) merge(states []arrow.Array, gids []int32) error {
	cs, err := aggCheckState(states, 0, arrow.INT64)
	if err != nil {
		return err
	}
	ms, err := aggCheckState(states, 1, arrow.FLOAT64)
	if err != nil {
		return err
	}
	qs, err := aggCheckState(states, 2, arrow.FLOAT64)
	if err != nil {
		return err
	}
	counts, means, m2s := kernel.FixedValues[int64](cs), kernel.FixedValues[float64](ms), kernel.FixedValues[float64](qs)
	cbm, coff := kernel.Validity(cs)
	for i, g := range gids {
		if !kernel.IsSet(cbm, coff, i) || counts[i] <= 0 { // mean and m2 are valid where count > 0
			continue
		}
		v.counts[g], v.means[g], v.m2s[g] = aggChan(v.counts[g], v.means[g], v.m2s[g], counts[i], means[i], m2s[i])
	}
	return nil
}

func (v *aggVarAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	counts, m2s := v.counts[lo:hi], v.m2s[lo:hi]
	return kernel.BuildFixed(mem, dt, len(counts), func(i int) float64 {
		if counts[i] < 2 {
			return 0
		}
		r := m2s[i] / float64(counts[i]-1)
		if v.stddev {
			r = math.Sqrt(r)
		}
		return r
	}, func(i int) bool { return counts[i] >= 2 }), nil
}

func (v *aggVarAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	if len(types) != 3 {
		return nil, fmt.Errorf("exec: hash aggregate: %s has 3 state columns, not %d", v.name(), len(types))
	}
	counts, means, m2s := v.counts[lo:hi], v.means[lo:hi], v.m2s[lo:hi]
	has := func(i int) bool { return counts[i] > 0 }
	return []arrow.Array{
		kernel.BuildFixed(mem, types[0], len(counts), func(i int) int64 { return counts[i] }, kernel.AllValid),
		kernel.BuildFixed(mem, types[1], len(counts), func(i int) float64 { return means[i] }, has),
		kernel.BuildFixed(mem, types[2], len(counts), func(i int) float64 { return m2s[i] }, has),
	}, nil
}

// aggCorrAcc computes Pearson's correlation from the co-moments of the rows where both
// arguments are non-NULL, updated per row as Welford does and merged pairwise.
type aggCorrAcc struct {
	counts       []int64
	mx, my       []float64
	m2x, m2y, cx []float64
	sx, sy       []float64 // scratch: the arguments as float64
}

func (c *aggCorrAcc) grow(n int) {
	c.counts = aggGrowTo(c.counts, n)
	c.mx, c.my = aggGrowTo(c.mx, n), aggGrowTo(c.my, n)
	c.m2x, c.m2y, c.cx = aggGrowTo(c.m2x, n), aggGrowTo(c.m2y, n), aggGrowTo(c.cx, n)
}
func (c *aggCorrAcc) bytes() int64 {
	return int64(cap(c.counts)+cap(c.mx)+cap(c.my)+cap(c.m2x)+cap(c.m2y)+cap(c.cx)+cap(c.sx)+cap(c.sy)) * 8
}
func (c *aggCorrAcc) growthBound(rows int, _ []arrow.Array) int64 { return int64(rows) * 64 }

func (c *aggCorrAcc) update(arrow.Array, []int32) error {
	return fmt.Errorf("exec: hash aggregate: corr needs two arguments")
}

func (c *aggCorrAcc) updatePair(x, y arrow.Array, gids []int32) error {
	xs, sx, err := aggAsFloat64(x, c.sx)
	c.sx = sx
	if err != nil {
		return err
	}
	ys, sy, err := aggAsFloat64(y, c.sy)
	c.sy = sy
	if err != nil {
		return err
	}
	xbm, xoff := kernel.Validity(x)
	ybm, yoff := kernel.Validity(y)
	counts, mx, my, m2x, m2y, cx := c.counts, c.mx, c.my, c.m2x, c.m2y, c.cx
	for i, g := range gids {
		if !kernel.IsSet(xbm, xoff, i) || !kernel.IsSet(ybm, yoff, i) {
			continue
		}
		a, b := xs[i], ys[i]
		counts[g]++
		n := float64(counts[g])
		dx := a - mx[g]
		dy := b - my[g]
		mx[g] += dx / n
		my[g] += dy / n
		ey := b - my[g]
		m2x[g] += dx * (a - mx[g])
		m2y[g] += dy * ey
		cx[g] += dx * ey
	}
	return nil
}

func (c *aggCorrAcc) merge(states []arrow.Array, gids []int32) error {
	cs, err := aggCheckState(states, 0, arrow.INT64)
	if err != nil {
		return err
	}
	var f [5][]float64
	for j := range f {
		s, err := aggCheckState(states, j+1, arrow.FLOAT64)
		if err != nil {
			return err
		}
		f[j] = kernel.FixedValues[float64](s) // valid where the count is positive
	}
	if len(gids) == 0 {
		return nil
	}
	counts := kernel.FixedValues[int64](cs)
	cbm, coff := kernel.Validity(cs)
	for i, g := range gids {
		if !kernel.IsSet(cbm, coff, i) || counts[i] <= 0 {
			continue
		}
		na, nb := c.counts[g], counts[i]
		if na == 0 {
			c.counts[g] = nb
			c.mx[g], c.my[g], c.m2x[g], c.m2y[g], c.cx[g] = f[0][i], f[1][i], f[2][i], f[3][i], f[4][i]
			continue
		}
		n := na + nb
		fa, fb, fn := float64(na), float64(nb), float64(n)
		dx, dy := f[0][i]-c.mx[g], f[1][i]-c.my[g]
		w := fa * fb / fn
		c.counts[g] = n
		c.mx[g] += dx * fb / fn
		c.my[g] += dy * fb / fn
		c.m2x[g] += f[2][i] + dx*dx*w
		c.m2y[g] += f[3][i] + dy*dy*w
		c.cx[g] += f[4][i] + dx*dy*w
	}
	return nil
}

// corrOf is the correlation of group g, and whether it is defined (two rows or more,
// neither argument constant).
func (c *aggCorrAcc) corrOf(g int) (float64, bool) {
	if c.counts[g] < 2 || c.m2x[g] <= 0 || c.m2y[g] <= 0 {
		return 0, false
	}
	r := c.cx[g] / math.Sqrt(c.m2x[g]*c.m2y[g])
	return max(-1, min(1, r)), true
}

func (c *aggCorrAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	return kernel.BuildFixed(mem, dt, hi-lo, func(i int) float64 { r, _ := c.corrOf(lo + i); return r },
		func(i int) bool { _, ok := c.corrOf(lo + i); return ok }), nil
}

func (c *aggCorrAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	if len(types) != 6 {
		return nil, fmt.Errorf("exec: hash aggregate: corr has 6 state columns, not %d", len(types))
	}
	counts := c.counts[lo:hi]
	has := func(i int) bool { return counts[i] > 0 }
	out := []arrow.Array{kernel.BuildFixed(mem, types[0], len(counts), func(i int) int64 { return counts[i] }, kernel.AllValid)}
	for j, s := range [][]float64{c.mx, c.my, c.m2x, c.m2y, c.cx} {
		s := s[lo:hi]
		out = append(out, kernel.BuildFixed(mem, types[j+1], len(s), func(i int) float64 { return s[i] }, has))
	}
	return out, nil
}
