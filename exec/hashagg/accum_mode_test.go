package hashagg

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestAggModeAndApproxPercentileTemporal: over timestamps (with NULLs and ties, in three
// accumulators merged through their states) mode is the smallest of the most frequent
// values and percentile_approx an exact rank below the sketch's capacity, both of the
// timestamp type.
func TestAggModeAndApproxPercentileTemporal(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		b := array.NewTimestampBuilder(mem, ts)
		counts := map[int64]int{}
		var vals []int64
		for i := 0; i < 500; i++ {
			if r.IntN(10) == 0 {
				b.AppendNull()
				continue
			}
			v := int64(1_700_000_000_000_000) + int64(r.IntN(1+int(seed)*5))*3_600_000_000
			b.Append(arrow.Timestamp(v))
			counts[v]++
			vals = append(vals, v)
		}
		arr := b.NewArray()
		b.Release()
		var want int64
		best := 0
		for v, c := range counts {
			if c > best || (c == best && v < want) {
				want, best = v, c
			}
		}
		mode := aggSketchRun(t, mem, plan.AggExpr{Func: plan.AggStatMode, Name: "m"}, ts, arr, 3, ts)
		if got := int64(mode.(*array.Timestamp).Value(0)); got != want {
			t.Errorf("seed %d: mode %d, want %d (%d times)", seed, got, want, best)
		}
		mode.Release()
		a := plan.AggExpr{Func: plan.AggApproxPercentile, Name: "p", Stat: &plan.AggStatParams{Fractions: []float64{0.5}}}
		p := aggSketchRun(t, mem, a, ts, arr, 3, ts)
		slices.Sort(vals)
		if got, want := int64(p.(*array.Timestamp).Value(0)), vals[(len(vals)+1)/2-1]; got != want {
			t.Errorf("seed %d: percentile_approx 0.5 = %d, want %d", seed, got, want)
		}
		p.Release()
		arr.Release()
	}
}
