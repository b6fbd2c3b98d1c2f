package hashagg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// aggSketchRun feeds vals to `parts` accumulators of one group (each a slice of the
// values), then merges the states of all but the first into the first, as a final
// aggregate does after the shuffle, and returns the result array.
func aggSketchRun(t *testing.T, mem memory.Allocator, a plan.AggExpr, argType arrow.DataType, vals arrow.Array, parts int, dt arrow.DataType) arrow.Array {
	t.Helper()
	states := plan.AggStateFields(a, argType)
	types := make([]arrow.DataType, len(states))
	for i, f := range states {
		types[i] = f.Type
	}
	var accs []aggAccumulator
	n := vals.Len()
	for p := 0; p < parts; p++ {
		acc, err := newAggAccumulator(a, argType)
		if err != nil {
			t.Fatal(err)
		}
		acc.grow(1)
		lo, hi := n*p/parts, n*(p+1)/parts
		part := array.NewSlice(vals, int64(lo), int64(hi))
		if err := acc.update(part, make([]int32, hi-lo)); err != nil {
			t.Fatal(err)
		}
		part.Release()
		accs = append(accs, acc)
	}
	for _, acc := range accs[1:] {
		st, err := acc.states(mem, types, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := accs[0].merge(st, []int32{0}); err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			s.Release()
		}
	}
	res, err := accs[0].result(mem, dt, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// aggSketchDists are the test distributions: continuous, bell-shaped, heavy ties.
var aggSketchDists = map[string]func(r *rand.Rand) float64{
	"uniform": func(r *rand.Rand) float64 { return r.Float64() * 1000 },
	"normal":  func(r *rand.Rand) float64 { return r.NormFloat64()*50 + 7 },
	"ties":    func(r *rand.Rand) float64 { return math.Floor(r.ExpFloat64() * 4) },
}

// TestAggApproxPercentileErrorBound checks the documented bound over 50 seeds of three
// distributions: the rank of the value returned for fraction f is within n/accuracy of
// f*n, with data large enough for several compaction levels, split over four
// accumulators merged through their states.
func TestAggApproxPercentileErrorBound(t *testing.T) {
	if raceEnabled {
		t.Skip("single-goroutine arithmetic over many seeds: nothing for the race detector")
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	const n, accuracy = 30000, 100
	fractions := []float64{0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1}
	a := plan.AggExpr{Func: plan.AggApproxPercentile, Name: "p",
		Stat: &plan.AggStatParams{Fractions: fractions, Many: true, Accuracy: accuracy}}
	f64 := arrow.PrimitiveTypes.Float64
	worst := 0.0
	for name, dist := range aggSketchDists {
		for seed := uint64(0); seed < 50; seed++ {
			r := rand.New(rand.NewPCG(seed, 99))
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = dist(r)
			}
			b := array.NewFloat64Builder(mem)
			b.AppendValues(xs, nil)
			vals := b.NewArray()
			b.Release()
			res := aggSketchRun(t, mem, a, f64, vals, 4, arrow.ListOf(f64))
			vals.Release()
			got := res.(*array.List).ListValues().(*array.Float64).Float64Values()
			slices.Sort(xs)
			for j, f := range fractions {
				v := got[j]
				less, _ := slices.BinarySearch(xs, v)
				leq := less
				for leq < n && xs[leq] == v {
					leq++
				}
				if leq == less {
					t.Errorf("%s seed %d: percentile %g = %g is not an input value", name, seed, f, v)
				}
				// v holds ranks [less+1, leq]; the target rank is ceil(f*n), at least 1.
				target := max(1, math.Ceil(f*n))
				d := max(0, float64(less+1)-target, target-float64(leq))
				worst = max(worst, d/n)
				if d > n/accuracy {
					t.Errorf("%s seed %d: percentile %g = %g has ranks (%d, %d], %g from %g: over n/accuracy = %d",
						name, seed, f, v, less, leq, d, target, n/accuracy)
				}
			}
			res.Release()
		}
	}
	t.Logf("worst rank error %.5f n (bound %.5f n)", worst, 1.0/accuracy)
}

// TestAggApproxPercentileExactWhenSmall: up to 10*accuracy values nothing is compacted.
func TestAggApproxPercentileExactWhenSmall(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 5))
	xs := make([]int64, 999)
	for i := range xs {
		xs[i] = int64(r.IntN(100) - 50)
	}
	b := array.NewInt64Builder(mem)
	b.AppendValues(xs, nil)
	vals := b.NewArray()
	b.Release()
	defer vals.Release()
	fr := []float64{0, 0.3, 0.5, 0.999, 1}
	a := plan.AggExpr{Func: plan.AggApproxPercentile, Name: "p", Stat: &plan.AggStatParams{Fractions: fr, Many: true, Accuracy: 100}}
	i64 := arrow.PrimitiveTypes.Int64
	res := aggSketchRun(t, mem, a, i64, vals, 3, arrow.ListOf(i64))
	defer res.Release()
	got := res.(*array.List).ListValues().(*array.Int64).Int64Values()
	slices.Sort(xs)
	for j, f := range fr {
		want := xs[max(1, int(math.Ceil(f*float64(len(xs)))))-1]
		if got[j] != want {
			t.Errorf("percentile %g = %d, want %d", f, got[j], want)
		}
	}
}

// TestAggHLLErrorBound checks approx_count_distinct over 50 seeds of three kinds of
// values (integers, strings, floats) and several cardinalities: every estimate within
// four standard errors (1.04/sqrt(m)), and the root mean square error near one; the
// sketch is split over two accumulators merged through their states, whose registers
// must equal one accumulator's over all the values.
func TestAggHLLErrorBound(t *testing.T) {
	if raceEnabled {
		t.Skip("single-goroutine arithmetic over many seeds: nothing for the race detector")
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, rsd := range []float64{0.05, 0.02} {
		a := plan.AggExpr{Func: plan.AggApproxCountDistinct, Name: "n", Stat: &plan.AggStatParams{RSD: rsd}}
		p, err := plan.HLLPrecision(a.Stat)
		if err != nil {
			t.Fatal(err)
		}
		m := float64(int(1) << p)
		sigma := 1.04 / math.Sqrt(m)
		var sq float64
		trials := 0
		for _, kind := range []string{"int", "string", "float"} {
			for seed := uint64(0); seed < 50; seed++ {
				card := []int{10, 300, 3000, 40000}[seed%4]
				vals, dt := aggHLLValues(mem, kind, card, seed)
				res := aggSketchRun(t, mem, a, dt, vals, 2, arrow.PrimitiveTypes.Int64)
				est := float64(res.(*array.Int64).Value(0))
				res.Release()
				aggHLLSameMerged(t, mem, a, dt, vals)
				vals.Release()
				rel := (est - float64(card)) / float64(card)
				sq += rel * rel
				trials++
				if math.Abs(est-float64(card)) > 2.5+float64(card*card)/m+4*sigma*float64(card) {
					t.Errorf("rsd %g, %s seed %d: estimate %g of %d distinct values (p=%d)", rsd, kind, seed, est, card, p)
				}
			}
		}
		rms := math.Sqrt(sq / float64(trials))
		t.Logf("rsd %g: p=%d, relative rms error %.4f (standard error %.4f)", rsd, p, rms, sigma)
		if rms > 1.5*sigma {
			t.Errorf("rsd %g: relative rms error %.4f, over 1.5 standard errors (%.4f)", rsd, rms, sigma)
		}
	}
}

// aggHLLValues makes card distinct values of a kind, each once to three times, shuffled.
func aggHLLValues(mem memory.Allocator, kind string, card int, seed uint64) (arrow.Array, arrow.DataType) {
	r := rand.New(rand.NewPCG(seed, 77))
	base := r.Int64()
	var idx []int
	for i := 0; i < card; i++ {
		for c := r.IntN(3); c >= 0; c-- {
			idx = append(idx, i)
		}
	}
	r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	switch kind {
	case "string":
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for _, i := range idx {
			b.Append(fmt.Sprintf("key-%d-%d", base, i))
		}
		return b.NewArray(), arrow.BinaryTypes.String
	case "float":
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, i := range idx {
			b.Append(float64(i)/7 + float64(base%1000))
		}
		return b.NewArray(), arrow.PrimitiveTypes.Float64
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for _, i := range idx {
		b.Append(base + int64(i))
	}
	return b.NewArray(), arrow.PrimitiveTypes.Int64
}

// aggHLLSameMerged checks that merging two halves' registers gives the registers of
// one sketch over all the values (max is exact).
func aggHLLSameMerged(t *testing.T, mem memory.Allocator, a plan.AggExpr, dt arrow.DataType, vals arrow.Array) {
	t.Helper()
	one, err := newAggAccumulator(a, dt)
	if err != nil {
		t.Fatal(err)
	}
	one.grow(1)
	if err := one.update(vals, make([]int32, vals.Len())); err != nil {
		t.Fatal(err)
	}
	two, _ := newAggAccumulator(a, dt)
	two.grow(1)
	half := vals.Len() / 2
	for _, part := range []arrow.Array{array.NewSlice(vals, 0, int64(half)), array.NewSlice(vals, int64(half), int64(vals.Len()))} {
		other, _ := newAggAccumulator(a, dt)
		other.grow(1)
		if err := other.update(part, make([]int32, part.Len())); err != nil {
			t.Fatal(err)
		}
		st, err := other.states(mem, []arrow.DataType{plan.AggStateFields(a, dt)[0].Type}, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := two.merge(st, []int32{0}); err != nil {
			t.Fatal(err)
		}
		st[0].Release()
		part.Release()
	}
	if !slices.Equal(one.(*aggHLLAcc).regs, two.(*aggHLLAcc).regs) {
		t.Errorf("merged registers differ from one sketch's")
	}
}

// TestAggHLLEstimator checks Ertl's estimator at its ends: no value gives 0, and with
// every register saturated it is capped so that it converts to int64.
func TestAggHLLEstimator(t *testing.T) {
	regs := make([]uint8, 512)
	if e := hllEstimate(regs, 9); e != 0 {
		t.Errorf("empty sketch estimates %g", e)
	}
	for i := range regs {
		regs[i] = 64 - 9 + 1
	}
	if e := hllEstimate(regs, 9); e != hllMaxEstimate {
		t.Errorf("saturated sketch estimates %g", e)
	}
}

// BenchmarkHashAggStatistical times each statistical aggregate alone over 1e6 rows in
// 1000 groups (Complete mode), next to count and count(DISTINCT) of the same column.
func BenchmarkHashAggStatistical(b *testing.B) {
	mem := memory.NewGoAllocator()
	schema, batches, _ := benchAggBatches(b, mem, 1000, false)
	defer func() {
		for _, rec := range batches {
			rec.Release()
		}
	}()
	v := &plan.ColumnRef{Name: "v"}
	fr := &plan.AggStatParams{Fractions: []float64{0.5}}
	for _, a := range []plan.AggExpr{
		{Func: plan.AggCount, Arg: v, Name: "count"},
		{Func: plan.AggCountDistinct, Arg: v, Name: "count_distinct"},
		{Func: plan.AggApproxCountDistinct, Arg: v, Name: "approx_count_distinct"},
		{Func: plan.AggMedian, Arg: v, Name: "median"},
		{Func: plan.AggPercentile, Arg: v, Name: "percentile", Stat: fr},
		{Func: plan.AggApproxPercentile, Arg: v, Name: "percentile_approx", Stat: fr},
		{Func: plan.AggStatMode, Arg: v, Name: "mode"},
	} {
		b.Run(a.Name, func(b *testing.B) {
			_, _, complete := aggSketchNodesOf(b, schema, []string{"k"}, []plan.AggExpr{a})
			for b.Loop() {
				for _, rec := range batches {
					rec.Retain()
				}
				op := NewHashAggregate(&exectest.Source{Batches: append([]arrow.RecordBatch(nil), batches...)}, complete, colop.Options{Mem: mem})
				out, err := exectest.Drain(b, op)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range out {
					o.Release()
				}
				op.Close()
			}
			b.ReportMetric(float64(benchAggRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
