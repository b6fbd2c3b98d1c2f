package hashagg

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// The statistical aggregates of plan/agg_stats.go: approx_count_distinct (HyperLogLog,
// here), percentile and percentile_approx (accum_percentile.go) and mode
// (accum_mode.go).

// newAggSketchAccumulator returns the accumulator of a statistical aggregate.
func newAggSketchAccumulator(a plan.AggExpr, argType arrow.DataType) (aggAccumulator, error) {
	switch a.Func {
	case plan.AggApproxCountDistinct:
		p, err := plan.HLLPrecision(a.Stat)
		if err != nil {
			return nil, fmt.Errorf("exec: hash aggregate: %s: %w", a, err)
		}
		return &aggHLLAcc{p: p, m: 1 << p}, nil
	case plan.AggPercentile:
		if a.Stat == nil || len(a.Stat.Fractions) == 0 {
			return nil, fmt.Errorf("exec: hash aggregate: %s has no percentages", a)
		}
		return &aggPercentileAcc{fractions: a.Stat.Fractions}, nil
	case plan.AggApproxPercentile:
		if a.Stat == nil || len(a.Stat.Fractions) == 0 {
			return nil, fmt.Errorf("exec: hash aggregate: %s has no percentages", a)
		}
		return newAggApproxPercentileAcc(a.Stat.Fractions, a.Stat.AccuracyOrDefault()), nil
	case plan.AggStatMode:
		return newAggModeAcc(a, argType)
	}
	return nil, fmt.Errorf("exec: hash aggregate: %s is not a statistical aggregate", a)
}

// aggHLLAcc estimates count(DISTINCT x) per group with a HyperLogLog sketch of 2^p
// one-byte registers, the state Spark's HyperLogLogPlusPlus keeps (dense form). The
// values are hashed with the engine's 64-bit row hash (xxh3 for bytes, a murmur3
// finalizer for numbers) rather than Spark's Murmur3, so estimates differ from Spark's
// value for value, with the same accuracy: a relative standard error of about
// 1.04/sqrt(2^p). The cardinality is estimated with Ertl's improved estimator ("New
// cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs no
// empirical bias tables and is accurate from small to large counts.
type aggHLLAcc struct {
	p, m   int
	regs   []uint8 // group g's registers are regs[g*m : (g+1)*m]
	hashes []uint64
}

func (h *aggHLLAcc) grow(n int)   { h.regs = aggGrowTo(h.regs, n*h.m) }
func (h *aggHLLAcc) bytes() int64 { return int64(cap(h.regs)) + int64(cap(h.hashes))*8 }

// growthBound allows each row a new group's registers (doubling) and its hash.
func (h *aggHLLAcc) growthBound(rows int, _ []arrow.Array) int64 {
	return int64(rows) * int64(2*h.m+8)
}

func (h *aggHLLAcc) update(arg arrow.Array, gids []int32) error {
	h.hashes = kernel.Resize(h.hashes, arg.Len())
	if err := kernel.HashColumns([]arrow.Array{arg}, h.hashes); err != nil {
		return fmt.Errorf("exec: hash aggregate: approx_count_distinct: %w", err)
	}
	bm, off := kernel.Validity(arg)
	regs, p, m := h.regs, uint(h.p), h.m
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		x := h.hashes[i]
		idx := int(x >> (64 - p))
		// The bit set below the p shifted-out ones bounds rho at 64-p+1.
		rho := uint8(bits.LeadingZeros64(x<<p|1<<(p-1)) + 1)
		r := &regs[int(g)*m+idx]
		if rho > *r {
			*r = rho
		}
	}
	return nil
}

func (h *aggHLLAcc) merge(states []arrow.Array, gids []int32) error {
	s, err := aggCheckState(states, 0, arrow.FIXED_SIZE_BINARY)
	if err != nil {
		return err
	}
	fb := s.(*array.FixedSizeBinary)
	if w := fb.DataType().(*arrow.FixedSizeBinaryType).ByteWidth; w != h.m {
		return fmt.Errorf("exec: hash aggregate: approx_count_distinct state has %d registers, not %d", w, h.m)
	}
	for i, g := range gids {
		if fb.IsNull(i) {
			continue
		}
		dst := h.regs[int(g)*h.m : int(g+1)*h.m]
		for j, r := range fb.Value(i) {
			dst[j] = max(dst[j], r)
		}
	}
	return nil
}

func (h *aggHLLAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	return kernel.BuildFixed(mem, dt, hi-lo, func(i int) int64 {
		g := lo + i
		return int64(math.Round(hllEstimate(h.regs[g*h.m:(g+1)*h.m], h.p)))
	}, kernel.AllValid), nil
}

func (h *aggHLLAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	n := hi - lo
	vb, vals := kernel.NewFixedBuffer[uint8](mem, n*h.m)
	copy(vals, h.regs[lo*h.m:hi*h.m])
	return []arrow.Array{kernel.MakeArray(types[0], n, 0, []*memory.Buffer{nil, vb}, nil)}, nil
}

// hllMaxEstimate caps estimates so that they convert to int64.
const hllMaxEstimate = 1 << 62

// hllEstimate is Ertl's improved raw estimator over the registers of one sketch of
// precision p (Algorithm 6 of the paper).
func hllEstimate(regs []uint8, p int) float64 {
	q := 64 - p
	var c [66]int // c[k]: registers holding k, 0 <= k <= q+1
	for _, r := range regs {
		c[r]++
	}
	m := float64(len(regs))
	z := m * hllTau(1-float64(c[q+1])/m)
	for k := q; k >= 1; k-- {
		z = 0.5 * (z + float64(c[k]))
	}
	z += m * hllSigma(float64(c[0])/m)
	if math.IsInf(z, 1) {
		return 0 // every register empty
	}
	// Every register saturated (z = 0) cannot be told from infinity: the estimate is
	// capped far beyond any real count.
	return min(m*m/(2*math.Ln2)/z, hllMaxEstimate)
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == prev {
			return z / 3
		}
	}
}

// aggBuildNumber builds an array of the numeric type dt from n values of S produced by
// get, converting each to dt's Go type (dates and times to their storage integers).
func aggBuildNumber[S int64 | float64](mem memory.Allocator, dt arrow.DataType, n int, get func(int) S, valid func(int) bool) (arrow.Array, error) {
	switch dt.ID() {
	case arrow.INT8:
		return kernel.BuildFixed(mem, dt, n, func(i int) int8 { return int8(get(i)) }, valid), nil
	case arrow.INT16:
		return kernel.BuildFixed(mem, dt, n, func(i int) int16 { return int16(get(i)) }, valid), nil
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		return kernel.BuildFixed(mem, dt, n, func(i int) int32 { return int32(get(i)) }, valid), nil
	case arrow.INT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		return kernel.BuildFixed(mem, dt, n, func(i int) int64 { return int64(get(i)) }, valid), nil
	case arrow.UINT8:
		return kernel.BuildFixed(mem, dt, n, func(i int) uint8 { return uint8(get(i)) }, valid), nil
	case arrow.UINT16:
		return kernel.BuildFixed(mem, dt, n, func(i int) uint16 { return uint16(get(i)) }, valid), nil
	case arrow.UINT32:
		return kernel.BuildFixed(mem, dt, n, func(i int) uint32 { return uint32(get(i)) }, valid), nil
	case arrow.UINT64:
		return kernel.BuildFixed(mem, dt, n, func(i int) uint64 { return uint64(get(i)) }, valid), nil
	case arrow.FLOAT32:
		return kernel.BuildFixed(mem, dt, n, func(i int) float32 { return float32(get(i)) }, valid), nil
	case arrow.FLOAT64:
		return kernel.BuildFixed(mem, dt, n, func(i int) float64 { return float64(get(i)) }, valid), nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: cannot build %s values", dt)
}

// aggBuildNumberLists builds a list array of type lt, one list per group: group i's
// elements are vals[i] converted to lt's element type, and a group whose vals[i] is nil
// is NULL.
func aggBuildNumberLists[S int64 | float64](mem memory.Allocator, lt *arrow.ListType, vals [][]S) (arrow.Array, error) {
	var flat []S
	for _, v := range vals {
		flat = append(flat, v...)
	}
	if len(flat) > math.MaxInt32 {
		return nil, fmt.Errorf("exec: hash aggregate: %d list elements overflow 32-bit offsets", len(flat))
	}
	child, err := aggBuildNumber(mem, lt.Elem(), len(flat), func(i int) S { return flat[i] }, kernel.AllValid)
	if err != nil {
		return nil, err
	}
	defer child.Release()
	n := len(vals)
	nb, nulls := kernel.ValidityBuffer(mem, func(i int) bool { return vals[i] != nil }, n)
	ob, offs := kernel.NewFixedBuffer[int32](mem, n+1)
	pos := 0
	for i, v := range vals {
		offs[i] = int32(pos)
		pos += len(v)
	}
	offs[n] = int32(pos)
	return kernel.MakeArray(lt, n, nulls, []*memory.Buffer{nb, ob}, []arrow.ArrayData{child.Data()}), nil
}
