package dataset

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// forEachShape runs a test over every partition shape.
func forEachShape(t *testing.T, fn func(t *testing.T, f *fixture)) {
	forEachShapeWith(t, Config{Parallelism: 3, ShufflePartitions: 5}, fn)
}

// forEachShapeWith is forEachShape with the test's own config.
func forEachShapeWith(t *testing.T, cfg Config, fn func(t *testing.T, f *fixture)) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			fn(t, newFixture(t, sizes, cfg))
		})
	}
}

func TestFilterWithColumnSelect(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		d := f.ds.
			Filter(Col("x").Gt(Lit(10)).And(Col("k").IsNotNull())).
			WithColumn("z", Col("x").Mul(Lit(2)).Add(Lit(1))).
			WithColumn("ratio", Col("y").Div(Col("x"))).
			Select(Col("k"), Col("z"), Col("ratio"), Upper(Col("s")).As("S"))
		var want [][]any
		for _, r := range f.rows {
			if r.x == nil || *r.x <= 10 || r.k == nil {
				continue
			}
			var ratio any
			if r.y != nil {
				ratio = *r.y / float64(*r.x)
			}
			var upper any
			if r.s != nil {
				upper = strings.ToUpper(*r.s)
			}
			want = append(want, []any{*r.k, 2**r.x + 1, ratio, upper})
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

func TestNullsAndCoalesce(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		d := f.ds.Select(
			Coalesce(Col("x"), Col("g"), Lit(-1)).As("c"),
			Col("y").IsNull().As("ynull"),
			Col("x").Gt(Lit(0)).Or(Col("g").Eq(Lit(1))).As("either"),
		)
		var want [][]any
		for _, r := range f.rows {
			c := int64(-1)
			if r.x != nil {
				c = *r.x
			} else if r.g != nil {
				c = *r.g
			}
			// three-valued OR
			var either any
			xa := r.x != nil && *r.x > 0
			ga := r.g != nil && *r.g == 1
			switch {
			case xa || ga:
				either = true
			case r.x == nil || r.g == nil:
				either = nil
			default:
				either = false
			}
			want = append(want, []any{c, r.y == nil, either})
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

func TestStringFunctions(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	d := f.ds.Filter(Contains(Lower(Col("s")), "an").Or(StartsWith(Col("s"), "Ch"))).
		Select(Col("s"), Length(Col("s")).As("n"), Substring(Col("s"), 2, 3).As("sub"))
	var want [][]any
	for _, r := range f.rows {
		if r.s == nil {
			continue
		}
		s := *r.s
		if !strings.Contains(strings.ToLower(s), "an") && !strings.HasPrefix(s, "Ch") {
			continue
		}
		runes := []rune(s)
		sub := ""
		if len(runes) > 1 {
			sub = string(runes[1:min(len(runes), 4)])
		}
		want = append(want, []any{s, int64(len(runes)), sub})
	}
	assertSameRows(t, collectRows(t, d), want)
}

type aggState struct {
	sumX     int64
	nX       int64
	rows     int64
	distinct map[int64]bool
	sumY     float64
	nY       int64
	minX     *int64
	maxY     *float64
}

func TestGroupByAgg(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		d := f.ds.GroupBy("k", "g").Agg(
			Sum("x").As("sx"), Count().As("n"), CountOf("x").As("nx"), CountDistinct("x").As("dx"),
			Mean("y").As("my"), Min("x").As("minx"), Max("y").As("maxy"))
		type key struct {
			k      string
			g      int64
			kn, gn bool
		}
		groups := map[key]*aggState{}
		for _, r := range f.rows {
			var kk key
			if r.k == nil {
				kk.kn = true
			} else {
				kk.k = *r.k
			}
			if r.g == nil {
				kk.gn = true
			} else {
				kk.g = *r.g
			}
			st := groups[kk]
			if st == nil {
				st = &aggState{distinct: map[int64]bool{}}
				groups[kk] = st
			}
			st.rows++
			if r.x != nil {
				st.sumX += *r.x
				st.nX++
				st.distinct[*r.x] = true
				if st.minX == nil || *r.x < *st.minX {
					st.minX = ptr(*r.x)
				}
			}
			if r.y != nil {
				st.sumY += *r.y
				st.nY++
				if st.maxY == nil || math.IsNaN(*r.y) || (!math.IsNaN(*st.maxY) && *r.y > *st.maxY) {
					st.maxY = ptr(*r.y)
				}
			}
		}
		var want [][]any
		for kk, st := range groups {
			row := []any{nil, nil}
			if !kk.kn {
				row[0] = kk.k
			}
			if !kk.gn {
				row[1] = kk.g
			}
			var sx, my any
			if st.nX > 0 {
				sx = st.sumX
			}
			if st.nY > 0 {
				my = st.sumY / float64(st.nY)
			}
			row = append(row, sx, st.rows, st.nX, int64(len(st.distinct)), my, val(st.minX), val(st.maxY))
			want = append(want, row)
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

func TestGlobalAggregateOverNoRows(t *testing.T) {
	f := newFixture(t, partitionSizes["all-empty"], Config{})
	got := collectRows(t, f.ds.GroupBy().Agg(Count().As("n"), Sum("x").As("sx"), Max("s").As("ms")))
	assertSameRows(t, got, [][]any{{int64(0), nil, nil}})
	n, err := f.ds.Count(t.Context())
	if err != nil || n != 0 {
		t.Fatalf("Count = %d, %v; want 0", n, err)
	}
}

func TestDistinct(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		d := f.ds.SelectColumns("k", "g").Distinct()
		seen := map[string][]any{}
		for _, r := range f.rows {
			row := []any{val(r.k), val(r.g)}
			seen[canon(row)] = row
		}
		var want [][]any
		for _, r := range seen {
			want = append(want, r)
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

func TestCountLimitTake(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		n, err := f.ds.Count(t.Context())
		if err != nil || n != int64(len(f.rows)) {
			t.Fatalf("Count = %d, %v; want %d", n, err, len(f.rows))
		}
		for _, lim := range []int64{0, 1, 7, 100000} {
			recs, err := f.ds.Take(t.Context(), lim)
			if err != nil {
				t.Fatal(err)
			}
			got := toRows(t, recs)
			releaseAll(recs)
			if want := min(lim, int64(len(f.rows))); int64(len(got)) != want {
				t.Fatalf("Take(%d) gave %d rows, want %d", lim, len(got), want)
			}
		}
		// A limit keeps whole rows: every limited row is an input row.
		all := map[string]int{}
		for _, r := range f.rows {
			all[canon([]any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})]++
		}
		for _, row := range collectRows(t, f.ds.Limit(25)) {
			if all[canon(row)] == 0 {
				t.Fatalf("limited row %v is not an input row", row)
			}
		}
	})
}

func TestUnionDropRenameCoalesceRepartition(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		a := f.ds.Drop("s", "y").Rename("x", "value")
		b := f.ds.Select(Col("x").As("value"), Col("g"), Col("k")) // same columns, another order
		u := a.Union(b).Coalesce(2).Repartition(3, "k").Repartition(2)
		var want [][]any
		for _, r := range f.rows {
			want = append(want, []any{val(r.k), val(r.g), val(r.x)}, []any{val(r.k), val(r.g), val(r.x)})
		}
		assertSameRows(t, collectRows(t, u), want)
		schema, err := u.Schema()
		if err != nil {
			t.Fatal(err)
		}
		if got := schemaNames(schema); got != "k,g,value" {
			t.Fatalf("union schema %s, want k,g,value (the first input's order)", got)
		}
	})
}

func schemaNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ",")
}

func TestMapBatches(t *testing.T) {
	forEachShape(t, func(t *testing.T, f *fixture) {
		out := arrow.NewSchema([]arrow.Field{{Name: "x10", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
		d := f.ds.MapBatches("times-ten", out, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
			xs := in.Column(in.Schema().FieldIndices("x")[0]).(*array.Int64)
			b := array.NewInt64Builder(mem)
			defer b.Release()
			for i := 0; i < xs.Len(); i++ {
				if xs.IsNull(i) {
					b.AppendNull()
				} else {
					b.Append(xs.Value(i) * 10)
				}
			}
			col := b.NewArray()
			defer col.Release()
			return array.NewRecordBatch(out, []arrow.Array{col}, int64(col.Len())), nil
		})
		var want [][]any
		for _, r := range f.rows {
			if r.x == nil {
				want = append(want, []any{nil})
			} else {
				want = append(want, []any{*r.x * 10})
			}
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}

func TestShowString(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	s, err := f.ds.Select(Col("g"), Lit("hi").As("greeting")).ShowString(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "| greeting |") || !strings.Contains(s, "only showing the first 2 rows") {
		t.Fatalf("unexpected Show output:\n%s", s)
	}
	if strings.Count(s, "hi |") != 2 {
		t.Fatalf("want 2 data rows:\n%s", s)
	}
}
