package dataset

import (
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"
)

// Plain-Go oracles of the statistical aggregates (NaN larger than every number).

func statLess(a, b float64) bool { return a < b || (math.IsNaN(b) && !math.IsNaN(a)) }

func oracleMedian(v []float64) any {
	if len(v) == 0 {
		return nil
	}
	v = append([]float64(nil), v...)
	sort.Slice(v, func(i, j int) bool { return statLess(v[i], v[j]) })
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func oracleVariance(v []float64, sqrt bool) any {
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
	if sqrt {
		r = math.Sqrt(r)
	}
	return r
}

func oracleCorr(xs, ys []float64) any {
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
}

// oracleTopK returns the k largest of v, largest first.
func oracleTopK[T int64 | float64](v []T, k int) []T {
	v = append([]T(nil), v...)
	sort.SliceStable(v, func(i, j int) bool { return statLess(float64(v[j]), float64(v[i])) })
	return v[:min(k, len(v))]
}

type statGroup struct {
	key      []any
	xs, ys   []float64
	xi       []int64
	cx, cy   []float64 // pairs where both x and y are non-NULL
	cgx, cgy []float64 // pairs where both x and g are non-NULL
}

// statGroups groups rows by the named keys (k, g) and collects their values.
func statGroups(rows []testRow, keys ...string) map[string]*statGroup {
	out := map[string]*statGroup{}
	for _, r := range rows {
		var key []any
		for _, k := range keys {
			switch k {
			case "k":
				key = append(key, val(r.k))
			case "g":
				key = append(key, val(r.g))
			}
		}
		ck := canon(key)
		st := out[ck]
		if st == nil {
			st = &statGroup{key: key}
			out[ck] = st
		}
		if r.x != nil {
			st.xs = append(st.xs, float64(*r.x))
			st.xi = append(st.xi, *r.x)
		}
		if r.y != nil {
			st.ys = append(st.ys, *r.y)
		}
		if r.x != nil && r.y != nil {
			st.cx = append(st.cx, float64(*r.x))
			st.cy = append(st.cy, *r.y)
		}
		if r.x != nil && r.g != nil {
			st.cgx = append(st.cgx, float64(*r.x))
			st.cgy = append(st.cgy, float64(*r.g))
		}
	}
	return out
}

func TestMedianStddevVarianceCorr(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		aggs := []Agg{Median("x").As("mx"), Median("y").As("my"), Stddev("x").As("sx"), Stddev("y").As("sy"),
			Variance("x").As("vx"), Corr("x", "y").As("rxy"), Corr("x", "g").As("rxg")}
		for _, keys := range [][]string{{"k", "g"}, {"k"}, nil} {
			d := f.ds.GroupBy(keys...).Agg(aggs...)
			groups := statGroups(f.rows, keys...)
			if len(keys) == 0 && len(groups) == 0 {
				groups[""] = &statGroup{}
			}
			var want [][]any
			for _, st := range groups {
				row := append([]any(nil), st.key...)
				row = append(row, oracleMedian(st.xs), oracleMedian(st.ys), oracleVariance(st.xs, true), oracleVariance(st.ys, true),
					oracleVariance(st.xs, false), oracleCorr(st.cx, st.cy), oracleCorr(st.cgx, st.cgy))
				want = append(want, row)
			}
			assertSameRows(t, collectRows(t, d), want)
		}
	})
}

func TestTopK(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		for _, k := range []int{1, 3, 40} { // 40 is more than most groups hold
			groups := statGroups(f.rows, "k", "g")
			var wantY, wantX [][]any
			for _, st := range groups {
				for _, v := range oracleTopK(st.ys, k) {
					wantY = append(wantY, append(append([]any(nil), st.key...), v))
				}
				for _, v := range oracleTopK(st.xi, k) {
					wantX = append(wantX, append(append([]any(nil), st.key...), v))
				}
			}
			gotY := collectRows(t, f.ds.GroupBy("k", "g").TopK("y", k))
			// Largest first within a group (rows of a group come out together).
			for i := 1; i < len(gotY); i++ {
				if canon(gotY[i][:2]) == canon(gotY[i-1][:2]) && statLess(gotY[i-1][2].(float64), gotY[i][2].(float64)) {
					t.Fatalf("rows %d, %d of a group out of order: %v then %v", i-1, i, gotY[i-1], gotY[i])
				}
			}
			assertSameRows(t, gotY, wantY)
			assertSameRows(t, collectRows(t, f.ds.GroupBy("k", "g").TopK("x", k)), wantX)
		}
		// A global top-k, and one whose result feeds more operators.
		var ys []float64
		for _, r := range f.rows {
			if r.y != nil {
				ys = append(ys, *r.y)
			}
		}
		var want [][]any
		for _, v := range oracleTopK(ys, 5) {
			want = append(want, []any{v})
		}
		assertSameRows(t, collectRows(t, f.ds.GroupBy().TopK("y", 5)), want)
		d := f.ds.GroupBy("k").TopK("x", 2).Filter(Col("x").Gt(Lit(0))).GroupBy("k").Agg(Count().As("n"))
		want = nil
		for _, st := range statGroups(f.rows, "k") {
			n := int64(0)
			for _, v := range oracleTopK(st.xi, 2) {
				if v > 0 {
					n++
				}
			}
			if n > 0 {
				want = append(want, []any{st.key[0], n})
			}
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

// statSpecialBatch has a group of one row, a constant group, an all-NULL group, a
// perfectly linear group and an empty input batch's worth of nothing.
func statSpecialBatch(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	add := func(k string, x *int64, y *float64) {
		b.Field(0).(*array.StringBuilder).Append(k)
		b.Field(1).(*array.Int64Builder).Append(1)
		appendI64(b.Field(2).(*array.Int64Builder), x)
		if y == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(*y)
		}
		b.Field(4).AppendNull()
	}
	add("one", ptr(int64(4)), ptr(2.5))
	for i := 0; i < 6; i++ {
		add("const", ptr(int64(7)), ptr(1.25))
		add("null", nil, nil)
		add("lin", ptr(int64(i)), ptr(float64(3*i)-1))
	}
	return b.NewRecordBatch()
}

func TestMedianStddevCorrSpecialGroups(t *testing.T) {
	s, mem := newCacheSession(t, Config{Parallelism: 2, ShufflePartitions: 3})
	rec := statSpecialBatch(mem)
	parts := [][]arrow.RecordBatch{{rec.NewSlice(0, 10), rec.NewSlice(0, 0)}, {rec.NewSlice(10, rec.NumRows())}}
	d := s.FromPartitions(testSchema, parts...)
	rec.Release()
	for _, p := range parts {
		releaseAll(p) // the dataset holds its own references
	}
	got := collectRows(t, d.GroupBy("k").Agg(Median("x").As("m"), Stddev("y").As("sd"), Variance("x").As("v"), Corr("x", "y").As("r")))
	assertSameRows(t, got, [][]any{
		{"one", 4.0, nil, nil, nil},
		{"const", 7.0, 0.0, 0.0, nil},
		{"null", nil, nil, nil, nil},
		{"lin", 2.5, oracleVariance([]float64{-1, 2, 5, 8, 11, 14}, true), 3.5, 1.0},
	})
	top := collectRows(t, d.GroupBy("k").TopK("y", 4))
	assertSameRows(t, top, [][]any{
		{"one", 2.5},
		{"const", 1.25}, {"const", 1.25}, {"const", 1.25}, {"const", 1.25},
		{"lin", 14.0}, {"lin", 11.0}, {"lin", 8.0}, {"lin", 5.0},
	})
	if _, err := d.GroupBy("k").TopK("y", 0).Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "k >= 1") {
		t.Errorf("TopK(y, 0): %v, want an error about k", err)
	}
	if _, err := d.GroupBy("k").Agg(Median("s")).Collect(t.Context()); err == nil {
		t.Error("median of a string column succeeded")
	}
}

// TestMedianStddevCorrTopKSpill runs the new aggregates over data a few times the
// memory budget and compares with an ample budget.
func TestMedianStddevCorrTopKSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if testing.Short() || statRace {
		t.Skip("out-of-core runs take a few seconds (half a minute under the race detector)")
	}
	probe := newFixtureSession(t, Config{})
	var dataBytes int64
	recs, err := statBigData(probe.s, probe.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		dataBytes += int64(util.TotalRecordSize(r))
	}
	releaseAll(recs)
	budget := max(dataBytes/4, 1<<20)
	t.Logf("data %d bytes, budget %d", dataBytes, budget)
	jobs := map[string]func(d *Dataset) *Dataset{
		"stats": func(d *Dataset) *Dataset {
			return d.GroupBy("k").Agg(Median("v").As("m"), Stddev("v").As("sd"), Variance("v").As("var"), Corr("v", "k").As("r"))
		},
		"topk": func(d *Dataset) *Dataset { return d.GroupBy("k").TopK("v", 2) },
	}
	for name, job := range jobs {
		t.Run(name, func(t *testing.T) {
			ample := newFixtureSession(t, Config{BatchRows: 2048})
			want := collectRows(t, job(statBigData(ample.s, ample.mem)))
			tight := newFixtureSession(t, Config{MemoryLimit: budget, BatchRows: 2048, ShufflePartitions: 4})
			got := collectRows(t, job(statBigData(tight.s, tight.mem)))
			assertSameRows(t, got, want)
			totals := tight.s.LastJob().Totals()
			if totals.SpillCount == 0 || (name == "stats" && totals.SpilledBytes == 0) {
				t.Fatalf("nothing spilled under a %d-byte budget", budget)
			}
			t.Logf("%s: %d spills, %d bytes", name, totals.SpillCount, totals.SpilledBytes)
		})
	}
}

// statBigData is the rows of bigData with half its keys (30k, so most groups hold a few
// values).
func statBigData(s *Session, mem memory.Allocator) *Dataset {
	return bigData(s, mem).Filter(Col("k").Lt(Lit(int64(30000))))
}
