package hashagg

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

var aggStatSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "u", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
}, nil)

// Special groups of aggStatRows.
const (
	aggStatOne      = 1000 + iota // one row: stddev, variance and corr NULL
	aggStatConstant               // constant values: stddev 0, corr NULL
	aggStatAllNull                // every value NULL: all NULL, top_k no values
	aggStatLinear                 // f = 2x + 1 and i = -x: corr 1 and -1
	aggStatBigMean                // values near 1e9 with a spread of a few units
)

// aggStatBigMeanTol is the relative error allowed for the aggStatBigMean group.
const aggStatBigMeanTol = 1e-6

// aggStatRows makes about n rows over groups random keys (and a NULL key), plus the
// special groups, with NULLs, rare NaNs and many ties, cut into batches of varied sizes.
func aggStatRows(n, groups int, seed uint64) [][][]any {
	r := rand.New(rand.NewPCG(seed, 11))
	maybe := func(v any) any {
		if r.IntN(10) == 0 {
			return nil
		}
		return v
	}
	var rows [][]any
	for j := 0; j < n; j++ {
		var k any = int64(r.IntN(groups))
		if r.IntN(50) == 0 {
			k = nil
		}
		f := float64(r.IntN(20000)-10000) / 100
		if r.IntN(300) == 0 {
			f = math.NaN()
		}
		rows = append(rows, []any{k, maybe(int64(r.IntN(2001) - 1000)), maybe(f), maybe(int32(r.IntN(11) - 5)), maybe(uint32(r.Uint32()))})
	}
	rows = append(rows, []any{int64(aggStatOne), int64(3), 1.5, int32(2), uint32(9)})
	for j := 0; j < 20; j++ {
		rows = append(rows, []any{int64(aggStatConstant), int64(5), 2.5, int32(7), uint32(1)})
		rows = append(rows, []any{int64(aggStatLinear), int64(j), float64(2*j + 1), int32(-j), maybe(uint32(j))})
		rows = append(rows, []any{int64(aggStatBigMean), int64(1e9 + j%3), 1e9 + float64(j%4)/4, int32(j % 2), uint32(j)})
	}
	for j := 0; j < 5; j++ {
		rows = append(rows, []any{int64(aggStatAllNull), nil, nil, nil, nil})
	}
	r.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	return aggSplitRows(rows)
}

func aggStatAggs() []plan.AggExpr {
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	return []plan.AggExpr{
		{Func: plan.AggMedian, Arg: col("x"), Name: "med_x"},
		{Func: plan.AggMedian, Arg: col("f"), Name: "med_f"},
		{Func: plan.AggMedian, Arg: col("i"), Name: "med_i"},
		{Func: plan.AggStddev, Arg: col("x"), Name: "sd_x"},
		{Func: plan.AggStddev, Arg: col("f"), Name: "sd_f"},
		{Func: plan.AggVariance, Arg: col("i"), Name: "var_i"},
		{Func: plan.AggVariance, Arg: col("f"), Name: "var_f"},
		{Func: plan.AggCorr, Arg: col("x"), Arg2: col("f"), Name: "corr_xf"},
		{Func: plan.AggCorr, Arg: col("i"), Arg2: col("x"), Name: "corr_ix"},
		{Func: plan.AggTopK, Arg: col("x"), K: 3, Name: "top_x"},
		{Func: plan.AggTopK, Arg: col("f"), K: 2, Name: "top_f"},
		{Func: plan.AggTopK, Arg: col("i"), K: 1, Name: "top_i1"},
		{Func: plan.AggTopK, Arg: col("u"), K: 40, Name: "top_u"}, // per-group slices
	}
}

// aggStatFloats returns the non-NULL values of column c of rows as float64.
func aggStatFloats(rows [][]any, c int) []float64 {
	var out []float64
	for _, r := range rows {
		if r[c] != nil {
			out = append(out, aggStatFloat(r[c]))
		}
	}
	return out
}

func aggStatFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	case uint32:
		return float64(v)
	case float64:
		return v
	}
	panic("not a number")
}

// aggStatLess sorts NaN above every number.
func aggStatLess(a, b float64) bool { return a < b || (math.IsNaN(b) && !math.IsNaN(a)) }

// aggStatOracle computes one of the new aggregates over a group's rows, plainly.
func aggStatOracle(a plan.AggExpr, schema *arrow.Schema, rows [][]any) any {
	c := schema.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]
	switch a.Func {
	case plan.AggMedian:
		v := aggStatFloats(rows, c)
		if len(v) == 0 {
			return nil
		}
		sort.Slice(v, func(i, j int) bool { return aggStatLess(v[i], v[j]) })
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	case plan.AggStddev, plan.AggVariance:
		v := aggStatFloats(rows, c)
		if len(v) < 2 {
			return nil
		}
		var mean, ss float64
		for _, x := range v {
			mean += x
		}
		mean /= float64(len(v))
		for _, x := range v {
			ss += (x - mean) * (x - mean)
		}
		r := ss / float64(len(v)-1)
		if a.Func == plan.AggStddev {
			r = math.Sqrt(r)
		}
		return r
	case plan.AggCorr:
		c2 := schema.FieldIndices(a.Arg2.(*plan.ColumnRef).Name)[0]
		var xs, ys []float64
		for _, r := range rows {
			if r[c] != nil && r[c2] != nil {
				xs = append(xs, aggStatFloat(r[c]))
				ys = append(ys, aggStatFloat(r[c2]))
			}
		}
		if len(xs) < 2 {
			return nil
		}
		var mx, my float64
		for i := range xs {
			mx += xs[i]
			my += ys[i]
		}
		mx /= float64(len(xs))
		my /= float64(len(xs))
		var sxx, syy, sxy float64
		for i := range xs {
			sxx += (xs[i] - mx) * (xs[i] - mx)
			syy += (ys[i] - my) * (ys[i] - my)
			sxy += (xs[i] - mx) * (ys[i] - my)
		}
		if sxx == 0 || syy == 0 {
			return nil
		}
		return math.Max(-1, math.Min(1, sxy/math.Sqrt(sxx*syy)))
	case plan.AggTopK:
		var vals []any
		for _, r := range rows {
			if r[c] != nil {
				vals = append(vals, r[c])
			}
		}
		if len(vals) == 0 {
			return nil
		}
		sort.SliceStable(vals, func(i, j int) bool { return aggStatLess(aggStatFloat(vals[j]), aggStatFloat(vals[i])) })
		return vals[:min(len(vals), a.K)]
	}
	panic("not a statistical aggregate")
}

// aggStatSame compares a result with the oracle: lists element by element, floats to a
// relative 1e-9.
func aggStatSame(got, want any) bool { return aggStatNear(got, want, 1e-9) }

// aggStatNear is aggStatSame with a relative tolerance for floats.
func aggStatNear(got, want any, tol float64) bool {
	if gf, ok := got.(float64); ok {
		if wf, ok := want.(float64); ok && !math.IsNaN(gf) && !math.IsNaN(wf) {
			return math.Abs(gf-wf) <= tol*math.Max(1e-300, math.Abs(wf))
		}
	}
	if wl, ok := want.([]any); ok {
		gl, ok := got.([]any)
		if !ok || len(gl) != len(wl) {
			return false
		}
		for i := range wl {
			if !exectest.SameValue(gl[i], wl[i]) {
				return false
			}
		}
		return true
	}
	return exectest.SameValue(got, want)
}

// aggStatCheck compares result rows (key, then one column per aggregate) with the oracle.
func aggStatCheck(t *testing.T, parts [][][]any, keys []string, aggs []plan.AggExpr, got [][]any) {
	t.Helper()
	groups := map[string][][]any{}
	keyVals := map[string][]any{}
	for _, p := range parts {
		for _, r := range p {
			var kv []any
			if len(keys) > 0 {
				kv = []any{r[0]}
			}
			gk := aggGroupKeyOf(kv)
			groups[gk] = append(groups[gk], r)
			keyVals[gk] = kv
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
			want := aggStatOracle(a, aggStatSchema, rows)
			tol := 1e-9
			g := row[len(keys)+i]
			if gk == aggGroupKeyOf([]any{int64(aggStatBigMean)}) {
				tol = aggStatBigMeanTol
				if a.Func == plan.AggCorr && g != nil && want != nil {
					// corr is in [-1, 1]: its error is absolute.
					g, want = g.(float64)+2, want.(float64)+2
				}
			}
			if !aggStatNear(g, want, tol) {
				if bad++; bad <= 10 {
					t.Errorf("group %s: %s = %v, want %v", gk, a, g, want)
				}
			}
		}
	}
}

func TestHashAggMedianStddevCorrTopK(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggStatRows(3000, 40, 1)
	aggs := aggStatAggs()
	for _, keys := range [][]string{{"k"}, nil} {
		partial, final, complete := aggNodes(t, aggStatSchema, keys, aggs)
		for _, batchRows := range []int{0, 1, 7} {
			got, err := aggRunComplete(t, mem, aggStatSchema, parts, complete, batchRows)
			if err != nil {
				t.Fatal(err)
			}
			aggStatCheck(t, parts, keys, aggs, got)
		}
		got, err := aggRunTwoPhase(t, mem, aggStatSchema, parts, partial, final)
		if err != nil {
			t.Fatal(err)
		}
		aggStatCheck(t, parts, keys, aggs, got)
	}
	// No input at all: the global aggregate's row is all NULL.
	_, final, complete := aggNodes(t, aggStatSchema, nil, aggs)
	for _, node := range []*plan.PHashAggregate{complete, final} {
		got, err := aggRunComplete(t, mem, aggStatSchema, nil, node, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || slices.ContainsFunc(got[0], func(v any) bool { return v != nil }) {
			t.Errorf("%s over no input: %v, want one row of NULLs", node.Mode, got)
		}
	}
}

func TestHashAggMedianStddevCorrSpecialGroups(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts := aggStatRows(0, 1, 2)
	aggs := aggStatAggs()
	_, _, complete := aggNodes(t, aggStatSchema, []string{"k"}, aggs)
	got, err := aggRunComplete(t, mem, aggStatSchema, parts, complete, 0)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[int64][]any{}
	for _, r := range got {
		byKey[r[0].(int64)] = r[1:]
	}
	idx := func(name string) int {
		for i, a := range aggs {
			if a.Name == name {
				return i
			}
		}
		t.Fatalf("no aggregate %s", name)
		return -1
	}
	check := func(key int64, name string, want any) {
		t.Helper()
		if g := byKey[key][idx(name)]; !aggStatSame(g, want) {
			t.Errorf("group %d %s = %v, want %v", key, name, g, want)
		}
	}
	check(aggStatOne, "sd_x", nil)
	check(aggStatOne, "var_f", nil)
	check(aggStatOne, "corr_xf", nil)
	check(aggStatOne, "med_f", 1.5)
	check(aggStatOne, "top_x", []any{int64(3)})
	check(aggStatConstant, "sd_x", 0.0)
	check(aggStatConstant, "corr_xf", nil)
	check(aggStatConstant, "top_f", []any{2.5, 2.5}) // ties keep their multiplicity
	check(aggStatAllNull, "med_x", nil)
	check(aggStatAllNull, "sd_f", nil)
	check(aggStatAllNull, "top_u", nil)
	check(aggStatLinear, "corr_xf", 1.0)
	check(aggStatLinear, "corr_ix", -1.0)
	check(aggStatLinear, "med_x", 9.5)
	check(aggStatLinear, "top_x", []any{int64(19), int64(18), int64(17)})
	// Values near 1e9 that differ by a quarter: the sum of squares (about 2e19) would
	// leave no digit of the variance (about 0.08); Welford's updates keep it to the
	// rounding of the mean (ulp(1e9)/spread, about 1e-7 relative).
	big := aggStatGroup(parts, aggStatBigMean)
	for _, name := range []string{"var_f", "sd_x"} {
		want := aggStatOracle(aggs[idx(name)], aggStatSchema, big)
		if g := byKey[aggStatBigMean][idx(name)]; !aggStatNear(g, want, aggStatBigMeanTol) {
			t.Errorf("group %d %s = %v, want %v", aggStatBigMean, name, g, want)
		}
	}
}

func aggStatGroup(parts [][][]any, key int64) [][]any {
	var out [][]any
	for _, p := range parts {
		for _, r := range p {
			if r[0] == key {
				out = append(out, r)
			}
		}
	}
	return out
}

func TestHashAggMedianStddevCorrTopKSpill(t *testing.T) {
	mem := memtest.Checked()
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	var parts [][][]any
	for _, p := range aggStatRows(60000/aggSpillTestScale, 8000/aggSpillTestScale, 3) {
		if len(p) > 0 { // bigger batches than aggSplitRows makes: fewer, larger steps
			if n := len(parts); n > 0 && len(parts[n-1]) < 2000 {
				parts[n-1] = append(parts[n-1], p...)
				continue
			}
		}
		parts = append(parts, p)
	}
	aggs := aggStatAggs()
	keys := []string{"k"}
	partial, final, complete := aggNodes(t, aggStatSchema, keys, aggs)
	input := aggNewBatches(t, mem, aggStatSchema, parts)
	defer aggReleaseAll(input)
	_, peak := aggUnlimitedBatches(t, mem, aggShared(input), complete)
	limit := peak / 8

	t.Run("complete", func(t *testing.T) {
		run := newAggSpillRun(t, &exectest.Source{Batches: aggShared(input)}, complete, mem, limit)
		out, err := exectest.Drain(t, run.op)
		if err != nil {
			t.Fatal(err)
		}
		aggStatCheck(t, parts, keys, aggs, aggSpillRowsOf(t, out))
		aggCheckSpilled(t, run, limit)
		run.finish(t)
	})
	t.Run("partial-and-final", func(t *testing.T) {
		// Partial under the limit emits early; Final under the limit spills its merge.
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
				t.Fatal(err)
			}
			states = append(states, out...)
		}
		run := newAggSpillRun(t, &exectest.Source{Batches: aggShared(states)}, final, mem, limit)
		out, err := exectest.Drain(t, run.op)
		if err != nil {
			t.Fatal(err)
		}
		aggStatCheck(t, parts, keys, aggs, aggSpillRowsOf(t, out))
		aggCheckSpilled(t, run, limit)
		run.finish(t)
	})
}

func TestAggMedianSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	shapes := map[string]func(n int) []float64{
		"random": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(r.IntN(1000))
			}
			return v
		},
		"few-distinct": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(r.IntN(3))
			}
			return v
		},
		"sorted": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(i)
			}
			return v
		},
		"reversed": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(n - i)
			}
			return v
		},
		"organ-pipe": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(min(i, n-i))
			}
			return v
		},
		"with-nan": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(r.IntN(100))
				if r.IntN(3) == 0 {
					v[i] = math.NaN()
				}
			}
			return v
		},
	}
	for name, gen := range shapes {
		for _, n := range []int{1, 2, 3, 4, 15, 16, 17, 100, 1001, 4096} {
			v := gen(n)
			var rows [][]any
			for _, x := range v {
				rows = append(rows, []any{x})
			}
			want := aggStatOracle(plan.AggExpr{Func: plan.AggMedian, Arg: &plan.ColumnRef{Name: "f"}},
				arrow.NewSchema([]arrow.Field{{Name: "f", Type: arrow.PrimitiveTypes.Float64}}, nil), rows)
			if got := aggMedian(v); !exectest.SameValue(got, want) {
				t.Errorf("%s n=%d: median %v, want %v", name, n, got, want)
			}
		}
	}
}
