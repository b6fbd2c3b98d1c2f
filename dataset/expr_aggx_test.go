package dataset

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// aggxWant accumulates, per group, the expected values of TestAggregatesOverExpressions,
// computed in plain Go from the generated rows.
type aggxWant struct {
	sum2xg   int64
	nSum2xg  int
	sumY10   float64
	nY       int
	minUpper *string
	maxXG    *int64
	cntXG    int64
	lowers   map[string]bool
	countIf  int64
	countG1  int64
	sumXF    int64
	nSumXF   int
	sumXS    float64
	nXS      int
	ys       []float64 // y where x > 0, for the filtered variance
	corrX    []float64 // x, y where both non-NULL and g != 0
	corrY    []float64
}

func sampleVariance(v []float64) any {
	if len(v) < 2 {
		return nil
	}
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var m2 float64
	for _, x := range v {
		m2 += (x - mean) * (x - mean)
	}
	return m2 / float64(len(v)-1)
}

func pearson(x, y []float64) any {
	if len(x) < 2 {
		return nil
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxx, syy, sxy float64
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return nil
	}
	return sxy / math.Sqrt(sxx*syy)
}

func (w *aggxWant) add(r testRow) {
	if r.x != nil && r.g != nil {
		w.sum2xg += 2**r.x + *r.g
		w.nSum2xg++
		w.cntXG++
		if d := *r.x - *r.g; w.maxXG == nil || d > *w.maxXG {
			w.maxXG = &d
		}
	}
	if r.y != nil {
		w.sumY10 += *r.y * 10
		w.nY++
	}
	if r.s != nil {
		u := strings.ToUpper(*r.s)
		if w.minUpper == nil || u < *w.minUpper {
			w.minUpper = &u
		}
		w.lowers[strings.ToLower(*r.s)] = true
	}
	if r.x != nil && *r.x > 10 {
		w.countIf++
	}
	if r.g != nil && *r.g == 1 {
		w.countG1++
	}
	// As in Spark, NaN is larger than every number, so NaN > 50.
	if r.x != nil && r.y != nil && (*r.y > 50 || math.IsNaN(*r.y)) {
		w.sumXF += *r.x
		w.nSumXF++
	}
	if r.x != nil && r.s != nil {
		w.sumXS += float64(*r.x)
		w.nXS++
	}
	if r.y != nil && r.x != nil && *r.x > 0 && !math.IsNaN(*r.y) {
		w.ys = append(w.ys, *r.y)
	}
	if r.x != nil && r.y != nil && r.g != nil && *r.g != 0 && !math.IsNaN(*r.y) {
		w.corrX = append(w.corrX, float64(*r.x))
		w.corrY = append(w.corrY, *r.y)
	}
}

func (w *aggxWant) row() []any {
	var sum2xg, meanY10, sumXF, meanXS any
	if w.nSum2xg > 0 {
		sum2xg = w.sum2xg
	}
	if w.nY > 0 {
		meanY10 = w.sumY10 / float64(w.nY)
	}
	if w.nSumXF > 0 {
		sumXF = w.sumXF
	}
	if w.nXS > 0 {
		meanXS = w.sumXS / float64(w.nXS)
	}
	return []any{sum2xg, meanY10, val(w.minUpper), val(w.maxXG), w.cntXG, int64(len(w.lowers)),
		w.countIf, w.countG1, sumXF, meanXS, sampleVariance(w.ys), pearson(w.corrX, w.corrY)}
}

func aggxAggs() []Agg {
	return []Agg{
		SumExpr(Col("x").Mul(Lit(2)).Add(Col("g"))).As("sum2xg"),
		MeanExpr(Col("y").Mul(Lit(10))),
		MinExpr(Upper(Col("s"))),
		MaxExpr(Col("x").Sub(Col("g"))),
		CountExpr(Col("x").Add(Col("g"))),
		CountDistinctExpr(Lower(Col("s"))),
		CountIf(Col("x").Gt(Lit(10))),
		Count().Filter(Col("g").Eq(Lit(1))).As("n_g1"),
		Sum("x").Filter(Col("y").Gt(Lit(50))),
		MeanExpr(Col("x")).Filter(Col("s").IsNotNull()),
		// NaN y are filtered out so that Go's reference needs no NaN rules.
		VarianceExpr(Col("y")).Filter(Col("x").Gt(Lit(0))).Filter(IsNaN(Col("y")).Not()),
		CorrExpr(Col("x"), Col("y")).Filter(Col("g").NotEq(Lit(0)).And(IsNaN(Col("y")).Not())),
	}
}

// aggxConfig pins the budget of these tests: a count-distinct group keeps its set of
// values whole (one group's state is never split), and a global aggregate is one group
// of every row, so the spilling budgets a metamorphic run draws (256 KiB) are smaller
// than one group's state and the job fails by design. Spilling aggregates are covered by
// the differential tests that draw them.
var aggxConfig = Config{Parallelism: 3, ShufflePartitions: 5, MemoryLimit: 64 << 20}

func TestAggregatesOverExpressions(t *testing.T) {
	forEachShapeWith(t, aggxConfig, func(t *testing.T, f *fixture) {
		d := f.ds.GroupBy("k").Agg(aggxAggs()...)
		groups := map[string]*aggxWant{}
		keys := map[string]any{}
		for _, r := range f.rows {
			k := "∅"
			var key any
			if r.k != nil {
				k, key = *r.k, *r.k
			}
			w := groups[k]
			if w == nil {
				w = &aggxWant{lowers: map[string]bool{}}
				groups[k] = w
				keys[k] = key
			}
			w.add(r)
		}
		var want [][]any
		for k, w := range groups {
			want = append(want, append([]any{keys[k]}, w.row()...))
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

func TestGlobalAggregatesOverExpressions(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		d := f.ds.GroupBy().Agg(aggxAggs()...)
		w := &aggxWant{lowers: map[string]bool{}}
		for _, r := range f.rows {
			w.add(r)
		}
		assertSameRows(t, collectRows(t, d), [][]any{w.row()})
	})
}

func TestAggregateExpressionNames(t *testing.T) {
	f := newFixture(t, []int{3}, aggxConfig)
	d := f.ds.GroupBy("k").Agg(
		SumExpr(Col("x").Mul(Col("g"))),
		CountIf(Col("x").Gt(Lit(1))),
		Count().Filter(Col("g").Eq(Lit(1))),
		Max("y").Filter(Col("x").IsNotNull()),
		MinExpr(Col("x").As("ignored")).As("lo"),
	)
	sch, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fl := range sch.Fields() {
		names = append(names, fl.Name)
	}
	got := strings.Join(names, "|")
	want := "k|sum((x * g))|count_if((x > 1))|count FILTER (WHERE (g = 1))|max(y) FILTER (WHERE (x IS NOT NULL))|lo"
	if got != want {
		t.Fatalf("names\n got %s\nwant %s", got, want)
	}
}

func TestAggregateExpressionErrors(t *testing.T) {
	f := newFixture(t, []int{3}, aggxConfig)
	for _, tc := range []struct {
		agg  Agg
		want string
	}{
		{SumExpr(Upper(Col("s"))), "sum(upper(s))"},
		{MeanExpr(Col("s")), "mean(s)"},
		{MedianExpr(Lower(Col("s"))), "median(lower(s))"},
		{CorrExpr(Col("x"), Col("s")), "corr"},
		{CountIf(Col("x")), "in count_if(x): case_when(x, 1, NULL)"},
		{Sum("x").Filter(Col("s")), "in sum(x) FILTER (WHERE s): case_when"},
		{SumExpr(Col("nope")), "nope"},
		{SumExpr(Expr{}), "zero Expr"},
		{Count().Filter(Expr{}), "zero Expr"},
		{SumExpr(Lit(struct{}{})), "struct"},
	} {
		_, err := f.ds.GroupBy("k").Agg(tc.agg).Collect(t.Context())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got error %v, want one naming %q", tc.agg, err, tc.want)
		}
		if testing.Verbose() {
			t.Logf("%v", err)
		}
	}
}

// TestAggregateExpressionsOverDictionary aggregates a dictionary-encoded string column
// under expressions and filters (case_when turns it into plain strings): min, max and
// distinct counts of it and of its upper-cased values, and a count_if on it, against Go
// maps, with NULLs, the empty string and multi-byte UTF-8.
func TestAggregateExpressionsOverDictionary(t *testing.T) {
	f := newFixture(t, []int{1}, Config{ShufflePartitions: 3, BatchRows: 50, MemoryLimit: aggxConfig.MemoryLimit})
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "w", Type: dictType, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	words := []string{"éclair", "", "Zebra", "apple", "ÿes", "banana"}
	type acc struct {
		minF, maxU *string
		distinctU  map[string]bool
		countIf    int64
	}
	want := map[int64]*acc{}
	var parts []arrow.RecordBatch
	for p := 0; p < 3; p++ {
		b := array.NewRecordBuilder(f.mem, schema)
		wb := b.Field(0).(*array.BinaryDictionaryBuilder)
		for i := 0; i < 300; i++ {
			k, v := int64(i%4), int64(i*3+p)
			a := want[k]
			if a == nil {
				a = &acc{distinctU: map[string]bool{}}
				want[k] = a
			}
			b.Field(1).(*array.Int64Builder).Append(k)
			b.Field(2).(*array.Int64Builder).Append(v)
			if (i+p)%11 == 0 {
				wb.AppendNull()
				continue
			}
			w := words[(i*5+p)%len(words)]
			if err := wb.AppendString(w); err != nil {
				t.Fatal(err)
			}
			if v%2 == 0 && (a.minF == nil || w < *a.minF) {
				a.minF = &w
			}
			u := strings.ToUpper(w)
			if a.maxU == nil || u > *a.maxU {
				a.maxU = &u
			}
			a.distinctU[u] = true
			if w == "éclair" {
				a.countIf++
			}
		}
		parts = append(parts, b.NewRecordBatch())
		b.Release()
	}
	d := f.s.FromRecords(parts...)
	releaseAll(parts)
	got := collectRows(t, d.GroupBy("k").Agg(
		Min("w").Filter(Col("v").Mod(Lit(2)).Eq(Lit(0))),
		MaxExpr(Upper(Col("w"))),
		CountDistinctExpr(Upper(Col("w"))),
		CountIf(Col("w").Eq(Lit("éclair"))),
	))
	var rows [][]any
	for k, a := range want {
		rows = append(rows, []any{k, val(a.minF), val(a.maxU), int64(len(a.distinctU)), a.countIf})
	}
	assertSameRows(t, got, rows)
}
