package hashagg

import (
	"fmt"
	"math/big"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Decimal aggregates. Values are read straight from the decimal128 value buffer as
// unscaled 128-bit integers (decimal128.Num, a plain two-word struct: no boxing and no
// big.Int per row). sum and mean keep, per group, a 128-bit running sum in the sum type
// decimal(min(38,p+10),s), a count of the values summed and an overflow flag: Spark's
// non-ANSI Sum and Average turn a sum that leaves the sum type into NULL, and it stays
// NULL. The state that crosses the shuffle (and the spill files) is the sum column
// (NULL once overflowed) and the count column: a NULL sum with a positive count is an
// overflowed one. min, max and first keep the values themselves.

// newAggDecimalAccumulator returns the accumulator of a over decimal128 arguments of type
// dt, or nil when a is not one of the decimal aggregates.
func newAggDecimalAccumulator(a plan.AggExpr, dt *arrow.Decimal128Type) aggAccumulator {
	switch a.Func {
	case plan.AggSum, plan.AggMean:
		sumType := plan.SumType(dt).(*arrow.Decimal128Type)
		return &aggDecSumAcc{
			mean:  a.Func == plan.AggMean,
			arg:   dt,
			limit: decimal128.GetMaxValue(sumType.Precision),
		}
	case plan.AggMin, plan.AggMax, plan.AggFirst:
		return &aggDecValueAcc{kind: aggValueKind(a.Func)}
	}
	return nil
}

// aggDecSumAcc computes sum or (mean) avg over decimal(p,s) values.
type aggDecSumAcc struct {
	mean   bool
	arg    *arrow.Decimal128Type
	limit  decimal128.Num // the largest unscaled value of the sum type: 10^precision - 1
	sums   []decimal128.Num
	counts []int64
	over   []bool
}

func (s *aggDecSumAcc) grow(n int) {
	s.sums = aggGrowTo(s.sums, n)
	s.counts = aggGrowTo(s.counts, n)
	s.over = aggGrowTo(s.over, n)
}
func (s *aggDecSumAcc) bytes() int64 {
	return int64(cap(s.sums))*16 + int64(cap(s.counts))*8 + int64(cap(s.over))
}
func (s *aggDecSumAcc) growthBound(rows int, _ []arrow.Array) int64 { return int64(rows) * 25 }

func (s *aggDecSumAcc) name() string {
	if s.mean {
		return "mean"
	}
	return "sum"
}

// aggDecAdd returns a+b and whether it stays within [-limit, limit]. a is within the
// bounds and b within 10^38, so a wrap of the 128-bit sum shows as a sign flip.
func aggDecAdd(a, b, limit decimal128.Num) (decimal128.Num, bool) {
	r := a.Add(b)
	an, bn, rn := a.HighBits() < 0, b.HighBits() < 0, r.HighBits() < 0
	if an == bn && rn != an {
		return r, false
	}
	if rn {
		return r, kernel.CompareDecimal(r.Negate(), limit) <= 0
	}
	return r, kernel.CompareDecimal(r, limit) <= 0
}

func (s *aggDecSumAcc) update(arg arrow.Array, gids []int32) error {
	if !kernel.IsDecimal128(arg.DataType()) {
		return fmt.Errorf("exec: hash aggregate: decimal %s got %s", s.name(), arg.DataType())
	}
	vals := kernel.DecimalValues(arg)
	bm, off := kernel.Validity(arg)
	if bm == nil {
		s.updateValid(vals[:len(gids)], gids)
		return nil
	}
	sums, counts, over, limit := s.sums, s.counts, s.over, s.limit
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		counts[g]++
		if over[g] {
			continue
		}
		r, ok := aggDecAdd(sums[g], vals[i], limit)
		sums[g], over[g] = r, !ok
	}
	return nil
}

// updateValid is update over values without NULLs. A sum whose high word h has
// |h| < safe, the limit's high word, is within the limit whatever its low word, so the
// exact bound check (aggDecAdd) runs only near the limit. An overflowed group's sum keeps
// being added to (it is never read: its flag is sticky).
func (s *aggDecSumAcc) updateValid(vals []decimal128.Num, gids []int32) {
	if len(s.sums) <= aggLaneGroups && len(gids) >= 64 && s.updateLanes(vals, gids) {
		return
	}
	sums, counts, over, limit := s.sums, s.counts, s.over, s.limit
	safe := limit.HighBits()
	for i, g := range gids {
		counts[g]++
		a, v := sums[g], vals[i]
		r := a.Add(v)
		sums[g] = r
		if h := r.HighBits(); h > -safe && h < safe {
			continue
		}
		if !over[g] {
			r, ok := aggDecAdd(a, v, limit)
			sums[g], over[g] = r, !ok
		}
	}
}

func (s *aggDecSumAcc) merge(states []arrow.Array, gids []int32) error {
	ss, err := aggCheckState(states, 0, arrow.DECIMAL128)
	if err != nil {
		return err
	}
	cs, err := aggCheckState(states, 1, arrow.INT64)
	if err != nil {
		return err
	}
	sums, counts := kernel.DecimalValues(ss), kernel.FixedValues[int64](cs)
	sbm, soff := kernel.Validity(ss)
	cbm, coff := kernel.Validity(cs)
	for i, g := range gids {
		if !kernel.IsSet(cbm, coff, i) || counts[i] == 0 {
			continue
		}
		s.counts[g] += counts[i]
		switch {
		case s.over[g]:
		case !kernel.IsSet(sbm, soff, i): // the partial sum overflowed
			s.over[g] = true
		default:
			r, ok := aggDecAdd(s.sums[g], sums[i], s.limit)
			s.sums[g], s.over[g] = r, !ok
		}
	}
	return nil
}

func (s *aggDecSumAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	sums, counts, over := s.sums[lo:hi], s.counts[lo:hi], s.over[lo:hi]
	sa := kernel.BuildDecimal(mem, types[0], len(sums), func(i int) decimal128.Num { return sums[i] },
		func(i int) bool { return counts[i] > 0 && !over[i] })
	ca := kernel.BuildFixed(mem, types[1], len(counts), func(i int) int64 { return counts[i] }, kernel.AllValid)
	return []arrow.Array{sa, ca}, nil
}

func (s *aggDecSumAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	sums, counts, over := s.sums[lo:hi], s.counts[lo:hi], s.over[lo:hi]
	if !s.mean {
		return kernel.BuildDecimal(mem, dt, len(sums), func(i int) decimal128.Num { return sums[i] },
			func(i int) bool { return counts[i] > 0 && !over[i] }), nil
	}
	rt, ok := dt.(*arrow.Decimal128Type)
	if !ok {
		return nil, fmt.Errorf("exec: hash aggregate: decimal mean cannot return %s", dt)
	}
	// One division per group (not per row), exact in big integers.
	means := make([]decimal128.Num, len(sums))
	valid := make([]bool, len(sums))
	avg := newAggDecAvg(s.arg, rt)
	for i := range sums {
		if counts[i] > 0 && !over[i] {
			means[i], valid[i] = avg.of(sums[i], counts[i])
		}
	}
	return kernel.BuildDecimal(mem, dt, len(means), func(i int) decimal128.Num { return means[i] },
		func(i int) bool { return valid[i] }), nil
}

// aggDecAvg computes Spark's decimal average of a sum of type decimal(p1,s) and a count:
// Divide(sum, cast(count as decimal(20,0))) in the type Spark's decimal precision rules
// give it (scale max(6, s+21), cut back to fit 38 digits while keeping at least 6
// fractional digits), rounded half up, then cast (rounding half up again) to the result
// type decimal(min(38,p+4), min(38,s+4)); a value that does not fit a type is NULL.
type aggDecAvg struct {
	sumScale, divScale, divPrec int32
	res                         *arrow.Decimal128Type
	num, den, q, r, ten         big.Int
}

func newAggDecAvg(arg, res *arrow.Decimal128Type) *aggDecAvg {
	p1 := min(38, arg.Precision+10)
	s1 := arg.Scale
	const p2, s2 = 20, 0
	scale := max(6, s1+p2+1)
	prec := p1 - s1 + s2 + scale
	if prec > 38 {
		intDigits := prec - scale
		scale = max(38-intDigits, min(scale, 6))
		prec = 38
	}
	a := &aggDecAvg{sumScale: s1, divScale: scale, divPrec: prec, res: res}
	a.ten.SetInt64(10)
	return a
}

// rescaleHalfUp returns x (of scale from) at scale to, rounding half away from zero.
func (a *aggDecAvg) rescaleHalfUp(x *big.Int, from, to int32) {
	if to >= from {
		x.Mul(x, a.pow10(to-from))
		return
	}
	a.divHalfUp(x, a.pow10(from-to))
}

func (a *aggDecAvg) pow10(n int32) *big.Int {
	return new(big.Int).Exp(&a.ten, big.NewInt(int64(n)), nil)
}

// divHalfUp sets x to x/d (d > 0) rounded half away from zero.
func (a *aggDecAvg) divHalfUp(x, d *big.Int) {
	a.q.QuoRem(x, d, &a.r)
	a.r.Abs(&a.r)
	a.r.Lsh(&a.r, 1)
	if a.r.Cmp(d) >= 0 {
		if x.Sign() < 0 {
			a.q.Sub(&a.q, big.NewInt(1))
		} else {
			a.q.Add(&a.q, big.NewInt(1))
		}
	}
	x.Set(&a.q)
}

func (a *aggDecAvg) of(sum decimal128.Num, count int64) (decimal128.Num, bool) {
	x := &a.num
	x.Set(sum.BigInt())
	// sum / count at divScale: x * 10^(divScale - sumScale) / count, half up.
	if a.divScale >= a.sumScale {
		x.Mul(x, a.pow10(a.divScale-a.sumScale))
		a.divHalfUp(x, a.den.SetInt64(count))
	} else {
		a.divHalfUp(x, a.den.Mul(a.pow10(a.sumScale-a.divScale), big.NewInt(count)))
	}
	if !aggBigFits(x, a.divPrec) {
		return decimal128.Num{}, false
	}
	a.rescaleHalfUp(x, a.divScale, a.res.Scale)
	if !aggBigFits(x, a.res.Precision) {
		return decimal128.Num{}, false
	}
	return decimal128.FromBigInt(x), true
}

// aggBigFits reports whether |x| has at most prec decimal digits.
func aggBigFits(x *big.Int, prec int32) bool {
	return new(big.Int).Abs(x).Cmp(decimal128.GetMaxValue(prec).BigInt()) <= 0
}

// aggDecValueAcc computes min, max or first over decimal128 values (of one scale, so
// the unscaled order is the numeric order).
type aggDecValueAcc struct {
	kind aggKind
	vals []decimal128.Num
	has  []bool
}

func (v *aggDecValueAcc) grow(n int)   { v.vals = aggGrowTo(v.vals, n); v.has = aggGrowTo(v.has, n) }
func (v *aggDecValueAcc) bytes() int64 { return int64(cap(v.vals))*16 + int64(cap(v.has)) }
func (v *aggDecValueAcc) growthBound(rows int, _ []arrow.Array) int64 {
	return int64(rows) * 17
}

func (v *aggDecValueAcc) update(arg arrow.Array, gids []int32) error {
	if !kernel.IsDecimal128(arg.DataType()) {
		return fmt.Errorf("exec: hash aggregate: decimal %s got %s", [...]string{"min", "max", "first"}[v.kind], arg.DataType())
	}
	in := kernel.DecimalValues(arg)
	bm, off := kernel.Validity(arg)
	vals, has := v.vals, v.has
	if v.kind == aggKindFirst {
		aggFirstInto(vals, has, in, bm, off, gids)
		return nil
	}
	want := -1 // min keeps x when x < cur
	if v.kind == aggKindMax {
		want = 1
	}
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		x := in[i]
		if !has[g] || kernel.CompareDecimal(x, vals[g]) == want {
			vals[g], has[g] = x, true
		}
	}
	return nil
}

func (v *aggDecValueAcc) merge(states []arrow.Array, gids []int32) error {
	if len(states) != 1 {
		return fmt.Errorf("exec: hash aggregate: decimal value aggregate wants one state column, got %d", len(states))
	}
	return v.update(states[0], gids)
}

func (v *aggDecValueAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	vals, has := v.vals[lo:hi], v.has[lo:hi]
	return kernel.BuildDecimal(mem, dt, len(vals), func(i int) decimal128.Num { return vals[i] },
		func(i int) bool { return has[i] }), nil
}

func (v *aggDecValueAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	a, err := v.result(mem, types[0], lo, hi)
	return []arrow.Array{a}, err
}

// aggDecKeys groups decimal128 values (one type per column: equal unscaled values are
// equal numbers).
type aggDecKeys struct {
	// small holds the values that fit an int64 (by their low word: nearly every value of
	// a price or balance column), m the others.
	small aggIntMap
	m     map[decimal128.Num]int32
	vals  []decimal128.Num
	null  int32
}

func (t *aggDecKeys) size() int     { return len(t.vals) }
func (t *aggDecKeys) nullID() int32 { return t.null }
func (t *aggDecKeys) bytes() int64 {
	return t.small.bytes() + int64(len(t.m))*(intKeyEntryBytes+8) + int64(cap(t.vals))*16
}
func (t *aggDecKeys) growthBound(arr arrow.Array) int64 {
	return int64(arr.Len())*(intKeyEntryBytes+8+32) + t.small.growthBound(arr.Len())
}

func (t *aggDecKeys) assign(arr arrow.Array, ids []int32) error {
	if !kernel.IsDecimal128(arr.DataType()) {
		return fmt.Errorf("exec: hash aggregate: decimal key table got %s", arr.DataType())
	}
	vals := kernel.DecimalValues(arr)
	bm, off := kernel.Validity(arr)
	for i := 0; i < arr.Len(); i++ {
		if !kernel.IsSet(bm, off, i) {
			if t.null < 0 {
				t.null = int32(len(t.vals))
				t.vals = append(t.vals, decimal128.Num{})
			}
			ids[i] = t.null
			continue
		}
		k := vals[i]
		if lo := int64(k.LowBits()); k.HighBits() == lo>>63 {
			slot, ok := t.small.find(lo)
			id := t.small.ids[slot] - 1
			if !ok {
				id = int32(len(t.vals))
				t.small.insertAt(slot, lo, id)
				t.vals = append(t.vals, k)
			}
			ids[i] = id
			continue
		}
		id, ok := t.m[k]
		if !ok {
			id = int32(len(t.vals))
			t.m[k] = id
			t.vals = append(t.vals, k)
		}
		ids[i] = id
	}
	return nil
}

func (t *aggDecKeys) build(mem memory.Allocator, dt arrow.DataType, ids []int32) (arrow.Array, error) {
	if !kernel.IsDecimal128(dt) {
		return nil, fmt.Errorf("exec: hash aggregate: cannot build %s from decimal keys", dt)
	}
	return kernel.BuildDecimal(mem, dt, len(ids), func(i int) decimal128.Num { return t.vals[ids[i]] },
		func(i int) bool { return ids[i] != t.null }), nil
}

// aggDecRowState returns the one-row-group states of sum or mean over decimal values
// arg (skipping partial aggregation): the values, retyped to the sum type (the same
// unscaled integers at the same scale), and the counts.
func aggDecRowState(mem memory.Allocator, arg arrow.Array, types []arrow.DataType, n int) []arrow.Array {
	d := arg.Data()
	sd := array.NewData(types[0], d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	sum := array.MakeFromData(sd)
	sd.Release()
	return []arrow.Array{sum, aggOnes(mem, n, arg)}
}
