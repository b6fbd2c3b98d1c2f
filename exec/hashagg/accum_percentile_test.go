package hashagg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// aggSketchSchema is aggStatSchema with a string and a dictionary string column.
var aggSketchSchema = arrow.NewSchema(append(aggStatSchema.Fields(),
	arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "d", Type: exectest.DictType, Nullable: true},
), nil)

// aggSketchRows is aggStatRows (NULLs, NaNs, ties, special groups) with a string and a
// dictionary string column of few distinct values.
func aggSketchRows(n, groups int, seed uint64) [][][]any {
	r := rand.New(rand.NewPCG(seed, 12))
	parts := aggStatRows(n, groups, seed)
	words := []string{"", "ash", "birch", "cedar", "elm", "fir", "oak"}
	pick := func() any {
		if r.IntN(8) == 0 {
			return nil
		}
		return words[r.IntN(len(words))]
	}
	for _, p := range parts {
		for i, row := range p {
			p[i] = append(row[:len(row):len(row)], pick(), pick())
		}
	}
	return parts
}

func aggSketchAggs() []plan.AggExpr {
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	fr := func(f ...float64) *plan.AggStatParams { return &plan.AggStatParams{Fractions: f} }
	many := func(f ...float64) *plan.AggStatParams { return &plan.AggStatParams{Fractions: f, Many: true} }
	return []plan.AggExpr{
		{Func: plan.AggApproxCountDistinct, Arg: col("x"), Name: "acd_x"},
		{Func: plan.AggApproxCountDistinct, Arg: col("f"), Name: "acd_f", Stat: &plan.AggStatParams{RSD: 0.02}},
		{Func: plan.AggApproxCountDistinct, Arg: col("s"), Name: "acd_s"},
		{Func: plan.AggApproxCountDistinct, Arg: col("d"), Name: "acd_d"},
		{Func: plan.AggPercentile, Arg: col("x"), Name: "p_x", Stat: fr(0.5)},
		{Func: plan.AggPercentile, Arg: col("f"), Name: "p_f", Stat: many(0, 0.25, 0.9, 1)},
		{Func: plan.AggPercentile, Arg: col("i"), Name: "p_i", Stat: fr(0.3)},
		{Func: plan.AggPercentile, Arg: col("u"), Name: "p_u", Stat: many(0.5)},
		{Func: plan.AggApproxPercentile, Arg: col("x"), Name: "ap_x", Stat: fr(0.5)},
		{Func: plan.AggApproxPercentile, Arg: col("f"), Name: "ap_f", Stat: many(0.1, 0.5, 1)},
		{Func: plan.AggApproxPercentile, Arg: col("i"), Name: "ap_i", Stat: fr(0)},
		{Func: plan.AggApproxPercentile, Arg: col("u"), Name: "ap_u", Stat: &plan.AggStatParams{Fractions: []float64{0.75}, Accuracy: 5000}},
		{Func: plan.AggStatMode, Arg: col("x"), Name: "mode_x"},
		{Func: plan.AggStatMode, Arg: col("f"), Name: "mode_f"},
		{Func: plan.AggStatMode, Arg: col("i"), Name: "mode_i"},
		{Func: plan.AggStatMode, Arg: col("u"), Name: "mode_u"},
		{Func: plan.AggStatMode, Arg: col("s"), Name: "mode_s"},
	}
}

// aggSketchNodes is aggNodes with the statistical aggregates' result types.
func aggSketchNodes(t testing.TB, keys []string, aggs []plan.AggExpr) (partial, final, complete *plan.PHashAggregate) {
	return aggSketchNodesOf(t, aggSketchSchema, keys, aggs)
}

// aggSketchNodesOf is aggSketchNodes over any input schema.
func aggSketchNodesOf(t testing.TB, schema *arrow.Schema, keys []string, aggs []plan.AggExpr) (partial, final, complete *plan.PHashAggregate) {
	partial, final, complete = aggNodes(t, schema, keys, aggs)
	fields := append([]arrow.Field(nil), final.OutSchema.Fields()[:len(keys)]...)
	for i, a := range aggs {
		fields = append(fields, plan.AggOutputField(a, final.ArgTypes[i]))
	}
	final.OutSchema = arrow.NewSchema(fields, nil)
	complete.OutSchema = final.OutSchema
	return partial, final, complete
}

// aggSketchKey keys a value as the aggregates compare it: all NaNs alike, -0 as 0.
func aggSketchKey(v any) any {
	if f, ok := v.(float64); ok {
		if f != f {
			return "NaN"
		}
		if f == 0 {
			return 0.0
		}
	}
	return v
}

// aggSketchOracle computes a statistical aggregate over a group's rows plainly: sort
// then index, or count in a map. For approx_count_distinct it returns the exact count.
func aggSketchOracle(a plan.AggExpr, rows [][]any) any {
	c := aggSketchSchema.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]
	var vals []any
	for _, r := range rows {
		if r[c] != nil {
			vals = append(vals, r[c])
		}
	}
	switch a.Func {
	case plan.AggApproxCountDistinct:
		seen := map[any]bool{}
		for _, v := range vals {
			seen[aggSketchKey(v)] = true
		}
		return int64(len(seen))
	case plan.AggStatMode:
		return aggModeOracle(vals)
	}
	if len(vals) == 0 {
		return nil
	}
	sort.Slice(vals, func(i, j int) bool { return aggStatLess(aggStatFloat(vals[i]), aggStatFloat(vals[j])) })
	var out []any
	for _, f := range a.Stat.Fractions {
		if a.Func == plan.AggPercentile {
			pos := f * float64(len(vals)-1)
			lo, hi := math.Floor(pos), math.Ceil(pos)
			v := aggStatFloat(vals[int(lo)])
			if lo != hi {
				v = (hi-pos)*v + (pos-lo)*aggStatFloat(vals[int(hi)])
			}
			out = append(out, v)
			continue
		}
		// The exact answer of percentile_approx (the sketch is exact up to 10*accuracy
		// values): the smallest value whose rank reaches ceil(f*n).
		r := max(1, int(math.Ceil(f*float64(len(vals)))))
		out = append(out, vals[r-1])
	}
	if a.Stat.Many {
		return out
	}
	return out[0]
}

// aggModeOracle is the most frequent value, the smallest among ties (NaN largest).
func aggModeOracle(vals []any) any {
	counts := map[any]int{}
	first := map[any]any{}
	for _, v := range vals {
		k := aggSketchKey(v)
		counts[k]++
		if _, ok := first[k]; !ok {
			first[k] = v
		}
	}
	var best any
	bestN := 0
	for k, n := range counts {
		v := first[k]
		if n > bestN || (n == bestN && aggSketchValueLess(v, best)) {
			best, bestN = v, n
		}
	}
	if f, ok := best.(float64); ok && f == 0 {
		return 0.0
	}
	return best
}

func aggSketchValueLess(a, b any) bool {
	if s, ok := a.(string); ok {
		return s < b.(string)
	}
	return aggStatLess(aggStatFloat(a), aggStatFloat(b))
}

// aggSketchCheck compares result rows with the oracle: approx_count_distinct within
// four standard errors (and register collisions), the others exactly (floats to 1e-9).
func aggSketchCheck(t *testing.T, parts [][][]any, keys []string, aggs []plan.AggExpr, got [][]any) {
	t.Helper()
	groups := map[string][][]any{}
	for _, p := range parts {
		for _, r := range p {
			var kv []any
			if len(keys) > 0 {
				kv = []any{r[0]}
			}
			gk := aggGroupKeyOf(kv)
			groups[gk] = append(groups[gk], r)
		}
	}
	if len(keys) == 0 && len(groups) == 0 {
		groups[""] = nil
	}
	if len(got) != len(groups) {
		t.Fatalf("%d groups, want %d", len(got), len(groups))
	}
	bad := 0
	for _, row := range got {
		gk := aggGroupKeyOf(row[:len(keys)])
		rows, ok := groups[gk]
		if !ok {
			t.Fatalf("unexpected group %s", gk)
		}
		for i, a := range aggs {
			want, g := aggSketchOracle(a, rows), row[len(keys)+i]
			okv := aggStatSame(g, want)
			if a.Func == plan.AggApproxCountDistinct {
				p, _ := plan.HLLPrecision(a.Stat)
				n := float64(want.(int64))
				gi, isInt := g.(int64)
				// Four standard errors, plus what register collisions lose at small
				// counts (about n^2/2m; a few groups of thousands lose two).
				m := float64(int(1) << p)
				okv = isInt && math.Abs(float64(gi)-n) <= 2.5+n*n/m+4*1.04/math.Sqrt(m)*n
			}
			if !okv {
				if bad++; bad <= 10 {
					t.Errorf("group %s: %s = %v, want %v", gk, a, g, want)
				}
			}
		}
	}
}

func TestHashAggPercentileApproxModeDistinct(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggSketchRows(3000, 40, 1)
	aggs := aggSketchAggs()
	for _, keys := range [][]string{{"k"}, nil} {
		partial, final, complete := aggSketchNodes(t, keys, aggs)
		for _, batchRows := range []int{0, 1, 7} {
			got, err := aggRunComplete(t, mem, aggSketchSchema, parts, complete, batchRows)
			if err != nil {
				t.Fatal(err)
			}
			aggSketchCheck(t, parts, keys, aggs, got)
		}
		got, err := aggRunTwoPhase(t, mem, aggSketchSchema, parts, partial, final)
		if err != nil {
			t.Fatal(err)
		}
		aggSketchCheck(t, parts, keys, aggs, got)
	}
	// No input: the global row has 0 distinct values and NULL everywhere else.
	_, final, complete := aggSketchNodes(t, nil, aggs)
	for _, node := range []*plan.PHashAggregate{complete, final} {
		got, err := aggRunComplete(t, mem, aggSketchSchema, nil, node, 0)
		if err != nil {
			t.Fatal(err)
		}
		aggSketchCheck(t, nil, nil, aggs, got)
	}
}

func TestHashAggPercentileApproxModeDistinctSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	mem := memtest.Checked()
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	var parts [][][]any
	for _, p := range aggSketchRows(60000/aggSpillTestScale, 8000/aggSpillTestScale, 3) {
		if n := len(parts); len(p) > 0 && n > 0 && len(parts[n-1]) < 2000 {
			parts[n-1] = append(parts[n-1], p...)
			continue
		}
		parts = append(parts, p)
	}
	aggs := aggSketchAggs()
	keys := []string{"k"}
	partial, final, complete := aggSketchNodes(t, keys, aggs)
	input := aggNewBatches(t, mem, aggSketchSchema, parts)
	defer aggReleaseAll(input)
	_, peak := aggUnlimitedBatches(t, mem, aggShared(input), complete)
	limit := peak / 8

	t.Run("complete", func(t *testing.T) {
		run := newAggSpillRun(t, &exectest.Source{Batches: aggShared(input)}, complete, mem, limit)
		out, err := exectest.Drain(t, run.op)
		if err != nil {
			t.Fatal(err)
		}
		aggSketchCheck(t, parts, keys, aggs, aggSpillRowsOf(t, out))
		aggCheckSpilled(t, run, limit)
		run.finish(t)
	})
	t.Run("partial-and-final", func(t *testing.T) {
		var states []arrow.RecordBatch
		defer func() { aggReleaseAll(states) }()
		for task := 0; task < 3; task++ {
			var mine []arrow.RecordBatch
			for i := task; i < len(input); i += 3 {
				mine = append(mine, input[i])
			}
			op := NewHashAggregate(&exectest.Source{Batches: aggShared(mine)}, partial, colop.Options{Mem: mem}.WithReservation(&aggLimitRes{limit: limit}))
			out, err := exectest.Drain(t, op)
			op.Close()
			if err != nil {
				t.Fatal(fmt.Errorf("map task %d: %w", task, err))
			}
			states = append(states, out...)
		}
		run := newAggSpillRun(t, &exectest.Source{Batches: aggShared(states)}, final, mem, limit)
		out, err := exectest.Drain(t, run.op)
		if err != nil {
			t.Fatal(err)
		}
		aggSketchCheck(t, parts, keys, aggs, aggSpillRowsOf(t, out))
		aggCheckSpilled(t, run, limit)
		run.finish(t)
	})
}

// TestAggSelectPercentile: the selection path of a single percentile equals sorting and
// interpolating, over sizes, ties, NaNs and fractions at and between ranks.
func TestAggSelectPercentile(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for trial := 0; trial < 2000; trial++ {
		n := 1 + r.IntN(60)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(1 + r.IntN(40)))
			if r.IntN(15) == 0 {
				v[i] = math.NaN()
			}
		}
		f := []float64{0, 1, 0.5, r.Float64(), float64(r.IntN(n)) / float64(max(1, n-1))}[trial%5]
		sorted := append([]float64(nil), v...)
		aggSortNaNLast(sorted)
		want := aggInterpolate(sorted, f)
		if got := aggSelectPercentile(v, f); !exectest.SameValue(got, want) {
			t.Fatalf("percentile %g of %v = %g, want %g", f, sorted, got, want)
		}
	}
}
