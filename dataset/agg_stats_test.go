package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

var statAggSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "w", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
}, nil)

// statAggRow is one generated row; nil fields are NULL.
type statAggRow struct {
	k int64
	x *int64
	f *float64
	w *string
}

// statAggRows makes n rows over `groups` small groups and two groups of 5000 rows (keys
// -1 and -2), with NULLs, NaNs, -0, ties and a handful of words.
func statAggRows(n, groups int) []statAggRow {
	r := rand.New(rand.NewPCG(8, 13))
	words := []string{"", "ash", "birch", "cedar", "élan", "oak"}
	var rows []statAggRow
	for i := 0; i < n+10000; i++ {
		row := statAggRow{k: int64(r.IntN(groups))}
		if i >= n {
			row.k = int64(-1 - (i-n)%2)
		}
		if r.IntN(9) > 0 {
			x := int64(r.IntN(61) - 30)
			row.x = &x
		}
		if r.IntN(9) > 0 {
			f := float64(r.IntN(400)) / 4
			switch r.IntN(200) {
			case 0:
				f = math.NaN()
			case 1:
				f = math.Copysign(0, -1)
			}
			row.f = &f
		}
		if r.IntN(9) > 0 {
			row.w = &words[r.IntN(len(words))]
		}
		rows = append(rows, row)
	}
	r.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	return rows
}

// statAggData loads rows into s as 4 partitions of batches of 1000 rows.
func statAggData(t *testing.T, fs fixtureSession, rows []statAggRow) *Dataset {
	parts := make([][]arrow.RecordBatch, 4)
	for lo := 0; lo < len(rows); lo += 1000 {
		b := array.NewRecordBuilder(fs.mem, statAggSchema)
		for _, r := range rows[lo:min(lo+1000, len(rows))] {
			b.Field(0).(*array.Int64Builder).Append(r.k)
			if r.x == nil {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.Int64Builder).Append(*r.x)
			}
			if r.f == nil {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float64Builder).Append(*r.f)
			}
			wb := b.Field(3).(*array.BinaryDictionaryBuilder)
			if r.w == nil {
				wb.AppendNull()
			} else if err := wb.AppendString(*r.w); err != nil {
				t.Fatal(err)
			}
		}
		p := (lo / 1000) % 4
		parts[p] = append(parts[p], b.NewRecordBatch())
		b.Release()
	}
	d := fs.s.FromPartitions(statAggSchema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	return d
}

// statAggGroup holds one group's non-NULL values.
type statAggGroup struct {
	xs, fs []float64
	ws     []string
	x7     []float64 // x mod 7 (Go's % truncates as Spark's does)
}

// statModeOf is the most frequent of vals (normalized by norm), the smallest among ties,
// or nil.
func statModeOf[T comparable](vals []T, less func(a, b T) bool, norm func(T) T) any {
	counts := map[T]int{}
	for _, v := range vals {
		counts[norm(v)]++
	}
	var best T
	n := 0
	for v, c := range counts {
		if c > n || (c == n && less(v, best)) {
			best, n = v, c
		}
	}
	if n == 0 {
		return nil
	}
	return best
}

func statFloatLess(a, b float64) bool { return a < b || (b != b && a == a) }

func statNormFloat(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// statSorted returns vals sorted, NaN last.
func statSorted(vals []float64) []float64 {
	v := slices.Clone(vals)
	slices.SortFunc(v, func(a, b float64) int {
		switch {
		case statFloatLess(a, b):
			return -1
		case statFloatLess(b, a):
			return 1
		}
		return 0
	})
	return v
}

func statPercentile(v []float64, f float64) float64 {
	pos := f * float64(len(v)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	if lo == hi {
		return v[int(lo)]
	}
	return (hi-pos)*v[int(lo)] + (pos-lo)*v[int(hi)]
}

// statListCell reads a list<float64|int64> cell as []float64 (nil: NULL).
func statListCell(a arrow.Array, i int) []float64 {
	l := a.(*array.List)
	if l.IsNull(i) {
		return nil
	}
	lo, hi := l.ValueOffsets(i)
	var out []float64
	for j := lo; j < hi; j++ {
		switch e := l.ListValues().(type) {
		case *array.Float64:
			out = append(out, e.Value(int(j)))
		case *array.Int64:
			out = append(out, float64(e.Value(int(j))))
		}
	}
	return out
}

// TestStatisticalAggregates runs every statistical aggregate grouped and global over
// data with NULLs, NaN, -0, ties and a dictionary string column, once with ample memory
// and once under a budget that makes the aggregates spill, against plain Go: sorting for
// the percentiles (percentile_approx is exact up to 10*accuracy values per group; over
// the two large groups with accuracy 50 its ranks must be within n/50), counting for
// the mode, and within four standard errors for approx_count_distinct.
func TestStatisticalAggregates(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	n, groups := 60000, 12000
	if statRace {
		n, groups = 12000, 2400
	}
	rows := statAggRows(n, groups)
	want := map[int64]*statAggGroup{}
	all := &statAggGroup{}
	for _, r := range rows {
		g := want[r.k]
		if g == nil {
			g = &statAggGroup{}
			want[r.k] = g
		}
		for _, g := range []*statAggGroup{g, all} {
			if r.x != nil {
				g.xs = append(g.xs, float64(*r.x))
				g.x7 = append(g.x7, float64(*r.x%7))
			}
			if r.f != nil {
				g.fs = append(g.fs, *r.f)
			}
			if r.w != nil {
				g.ws = append(g.ws, *r.w)
			}
		}
	}
	aggs := func() []Agg {
		return []Agg{
			ApproxCountDistinct("x", 0).As("acd_x"),
			ApproxCountDistinct("w", 0.02).As("acd_w"),
			Percentile("f", 0.5).As("p_f"),
			Percentiles("x", []float64{0.1, 0.9}).As("p_x"),
			ApproxPercentile("x", 0.25, 0).As("ap_x"),
			ApproxPercentiles("f", []float64{0, 0.5, 0.99}, 50).As("ap_f"),
			Mode("w").As("mode_w"),
			Mode("f").As("mode_f"),
			ModeExpr(Col("x").Mod(Lit(int64(7)))).As("mode_x7"),
			PercentileExpr(Col("x").Mul(Lit(int64(2))), 0.75).As("p_2x"),
		}
	}
	for _, tc := range []struct {
		name  string
		cfg   Config
		spill bool
	}{
		{"default", Config{ShufflePartitions: 3}, false},
		{"spilling", Config{MemoryLimit: 2 << 20, BatchRows: 1024, ShufflePartitions: 4, BroadcastThreshold: -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFixtureSession(t, tc.cfg)
			d := statAggData(t, fs, rows)
			statCheck(t, d.GroupBy("k").Agg(aggs()...), want, true)
			if tc.spill {
				if totals := fs.s.LastJob().Totals(); totals.SpillCount == 0 {
					t.Fatalf("nothing spilled under a 2 MiB budget:\n%s", fs.s.LastJob())
				}
			}
			if !tc.spill {
				// One group of every row: its exact percentiles alone outgrow the
				// small budget, and a single group cannot be split by spilling.
				statCheck(t, d.GroupBy().Agg(aggs()...), map[int64]*statAggGroup{0: all}, false)
			}
		})
	}
}

// statCheck collects d (key column first when keyed) and compares each row with want.
func statCheck(t *testing.T, d *Dataset, want map[int64]*statAggGroup, keyed bool) {
	t.Helper()
	recs, err := d.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	seen, bad := 0, 0
	fail := func(k int64, what string, got, want any) {
		if bad++; bad <= 10 {
			t.Errorf("group %d: %s = %v, want %v", k, what, got, want)
		}
	}
	for _, rec := range recs {
		c0 := 0
		if keyed {
			c0 = 1
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			var k int64
			if keyed {
				k = rec.Column(0).(*array.Int64).Value(i)
			}
			g := want[k]
			if g == nil {
				t.Fatalf("unexpected group %d", k)
			}
			seen++
			col := func(j int) arrow.Array { return rec.Column(c0 + j) }
			statCheckRow(g, col, i, func(what string, got, want any) { fail(k, what, got, want) })
		}
	}
	if seen != len(want) {
		t.Fatalf("%d groups, want %d", seen, len(want))
	}
}

// statCheckRow checks one result row's aggregates (in the order of the test's list).
func statCheckRow(g *statAggGroup, col func(int) arrow.Array, i int, fail func(what string, got, want any)) {
	distinct := func(n int, rsd float64, a arrow.Array) {
		p := math.Ceil(2 * math.Log2(1.106/rsd))
		m := math.Exp2(p)
		got := float64(a.(*array.Int64).Value(i))
		if math.Abs(got-float64(n)) > 2.5+float64(n*n)/m+4*1.04/math.Sqrt(m)*float64(n) {
			fail("approx_count_distinct", got, n)
		}
	}
	xset := map[float64]bool{}
	for _, x := range g.xs {
		xset[x] = true
	}
	wset := map[string]bool{}
	for _, w := range g.ws {
		wset[w] = true
	}
	distinct(len(xset), 0.05, col(0))
	distinct(len(wset), 0.02, col(1))

	fsorted, xsorted := statSorted(g.fs), statSorted(g.xs)
	same := func(what string, got any, want any) {
		gf, gok := got.(float64)
		wf, wok := want.(float64)
		if gok && wok && (gf == wf || (gf != gf && wf != wf) || math.Abs(gf-wf) <= 1e-9*math.Abs(wf)) {
			return
		}
		if !gok && !wok && got == nil && want == nil {
			return
		}
		fail(what, got, want)
	}
	cell := func(a arrow.Array) any {
		if a.IsNull(i) {
			return nil
		}
		switch a := a.(type) {
		case *array.Float64:
			return a.Value(i)
		case *array.Int64:
			return float64(a.Value(i))
		}
		return nil
	}
	var pf any
	if len(fsorted) > 0 {
		pf = statPercentile(fsorted, 0.5)
	}
	same("percentile(f, 0.5)", cell(col(2)), pf)
	px := statListCell(col(3), i)
	if len(xsorted) == 0 {
		if px != nil {
			fail("percentile(x, [0.1, 0.9])", px, nil)
		}
	} else if len(px) != 2 {
		fail("percentile(x, [0.1, 0.9])", px, "two values")
	} else {
		same("percentile(x, 0.1)", px[0], statPercentile(xsorted, 0.1))
		same("percentile(x, 0.9)", px[1], statPercentile(xsorted, 0.9))
	}
	var apx any
	if len(xsorted) > 0 {
		apx = xsorted[max(1, int(math.Ceil(0.25*float64(len(xsorted)))))-1]
	}
	same("percentile_approx(x, 0.25)", cell(col(4)), apx)
	statCheckApprox(fsorted, statListCell(col(5), i), []float64{0, 0.5, 0.99}, 50, fail)

	mw := statModeOf(g.ws, func(a, b string) bool { return a < b }, func(s string) string { return s })
	if a := col(6).(*array.String); (mw == nil) != a.IsNull(i) || (mw != nil && a.Value(i) != mw.(string)) {
		fail("mode(w)", a.ValueStr(i), mw)
	}
	same("mode(f)", cell(col(7)), statModeFloat(g.fs))
	same("mode(x % 7)", cell(col(8)), statModeOf(g.x7, statFloatLess, statNormFloat))
	var p2x any
	if len(xsorted) > 0 {
		p2x = 2 * statPercentile(xsorted, 0.75)
	}
	same("percentile(x * 2, 0.75)", cell(col(9)), p2x)
}

// statModeFloat is the mode of floats: NaNs count as one value (a map cannot key them),
// larger than every number.
func statModeFloat(fs []float64) any {
	var nans int
	var nonNaN []float64
	for _, f := range fs {
		if f != f {
			nans++
		} else {
			nonNaN = append(nonNaN, f)
		}
	}
	mf := statModeOf(nonNaN, statFloatLess, statNormFloat)
	if mf == nil {
		if nans > 0 {
			return math.NaN()
		}
		return nil
	}
	c := 0
	for _, f := range nonNaN {
		if f == mf.(float64) {
			c++
		}
	}
	if nans > c {
		return math.NaN()
	}
	return mf
}

// statCheckApprox checks percentile_approx's values: each an input value whose ranks
// are within n/accuracy of fraction*n.
func statCheckApprox(sorted, got, fractions []float64, accuracy int, fail func(string, any, any)) {
	if len(sorted) == 0 {
		if got != nil {
			fail("percentile_approx(f)", got, nil)
		}
		return
	}
	if len(got) != len(fractions) {
		fail("percentile_approx(f)", got, fractions)
		return
	}
	n := float64(len(sorted))
	for j, f := range fractions {
		v := got[j]
		less := 0 // sorted is short: a scan
		for less < len(sorted) && statFloatLess(sorted[less], v) {
			less++
		}
		leq := less
		for leq < len(sorted) && (sorted[leq] == v || (v != v && sorted[leq] != sorted[leq])) {
			leq++
		}
		// v holds ranks [less+1, leq]; the target rank is ceil(f*n), at least 1.
		target := max(1, math.Ceil(f*n))
		if leq == less || max(0, float64(less+1)-target, target-float64(leq)) > n/float64(accuracy) {
			fail(fmt.Sprintf("percentile_approx(f, %g)", f), v, fmt.Sprintf("ranks within %g of %g, not (%d, %d]", n/float64(accuracy), target, less, leq))
		}
	}
}

// TestStatisticalAggregateErrors: a bad argument or parameter fails analysis with an
// error naming the aggregate and the user's call site.
func TestStatisticalAggregateErrors(t *testing.T) {
	fs := newFixtureSession(t, Config{})
	d := statAggData(t, fs, statAggRows(10, 2))
	for _, tc := range []struct {
		agg  Agg
		want string
	}{
		{ApproxPercentile("w", 0.5, 0), "percentile_approx(w, 0.5, 10000) needs a numeric, date or time argument, got string (dictionary"},
		{Percentiles("w", []float64{0.5}), "percentile(w, array(0.5)) needs an integer or floating-point argument"},
		{Percentile("x", 2), "percentage 2 is not between 0 and 1"},
		{ApproxCountDistinct("x", 0.6), "relative standard deviation 0.6 is too large"},
		{ApproxPercentile("f", 0.5, -1), "accuracy must be positive"},
		{ModeExpr(Col("x").Gt(Lit(int64(0)))), "mode((x > 0)) needs a numeric, string, date or time argument, got bool"},
	} {
		_, err := d.GroupBy("k").Agg(tc.agg).Collect(t.Context())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "agg_stats_test.go") {
			t.Errorf("%v: error %v, want one naming %q and the call site", tc.agg, err, tc.want)
		}
	}
}

// TestStatisticalAggregateFilter: FILTER (WHERE ...) keeps the parameters and restricts
// the values, and the default names carry both.
func TestStatisticalAggregateFilter(t *testing.T) {
	fs := newFixtureSession(t, Config{ShufflePartitions: 2})
	rows := statAggRows(3000, 3)
	pos := Col("x").Gt(Lit(int64(0)))
	d := statAggData(t, fs, rows).GroupBy("k").Agg(Percentiles("x", []float64{0.5, 1}).Filter(pos), Mode("x").Filter(pos))
	sch, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if got := sch.Field(1).Name; got != "percentile(x, array(0.5, 1)) FILTER (WHERE (x > 0))" {
		t.Errorf("name %q", got)
	}
	xs := map[int64][]float64{}
	for _, r := range rows {
		if r.x != nil && *r.x > 0 {
			xs[r.k] = append(xs[r.k], float64(*r.x))
		}
	}
	for _, row := range collectRowsWith(t, d, func(a arrow.Array, i int) any { return statListCell(a, i) }) {
		k := row[0].(int64)
		v := statSorted(xs[k])
		if got := row[1].([]float64); len(got) != 2 || got[0] != statPercentile(v, 0.5) || got[1] != v[len(v)-1] {
			t.Errorf("group %d: percentiles %v of %v", k, got, v)
		}
		if want := statModeOf(v, statFloatLess, statNormFloat); float64(row[2].(int64)) != want.(float64) {
			t.Errorf("group %d: mode %v, want %v", k, row[2], want)
		}
	}
}

// collectRowsWith is collectRows with list columns read by list.
func collectRowsWith(t *testing.T, d *Dataset, list func(arrow.Array, int) any) [][]any {
	t.Helper()
	recs, err := d.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	var out [][]any
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]any, r.NumCols())
			for c := range row {
				if _, ok := r.Column(c).(*array.List); ok {
					row[c] = list(r.Column(c), i)
				} else {
					row[c] = cellValue(t, r.Column(c), i)
				}
			}
			out = append(out, row)
		}
	}
	return out
}
