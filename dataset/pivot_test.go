package dataset

import (
	"math"
	"strconv"
	"testing"
)

func TestPivotMatchesPlainGo(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			got := collectRows(t, f.ds.GroupBy("g").Pivot("k").Agg(Sum("x"), Count().As("n")))
			keys := map[string]bool{}
			type cell struct {
				sum  int64
				some bool
				n    int64
			}
			sums := map[any]map[any]*cell{}
			for _, r := range f.rows {
				keys[canon([]any{val(r.k)})] = true
				g, k := val(r.g), val(r.k)
				if sums[g] == nil {
					sums[g] = map[any]*cell{}
				}
				c := sums[g][k]
				if c == nil {
					c = &cell{}
					sums[g][k] = c
				}
				c.n++
				if r.x != nil {
					c.sum += *r.x
					c.some = true
				}
			}
			values := []any{nil, "a", "b", "c", "d", "e"}
			var present []any
			for _, v := range values {
				if keys[canon([]any{v})] {
					present = append(present, v)
				}
			}
			var want [][]any
			for g, byK := range sums {
				row := []any{g}
				for _, v := range present {
					c := byK[v]
					switch {
					case c == nil:
						row = append(row, nil, nil) // no row: both cells NULL, as Spark
					case c.some:
						row = append(row, c.sum, c.n)
					default:
						row = append(row, nil, c.n)
					}
				}
				want = append(want, row)
			}
			assertSameRows(t, got, want)
		})
	}
}

func TestUnpivotMatchesPlainGo(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			got := collectRows(t, f.ds.Unpivot([]string{"k"}, []string{"g", "x", "y"}, "name", "v"))
			var want [][]any
			asF := func(p *int64) any {
				if p == nil {
					return nil
				}
				return float64(*p)
			}
			for _, r := range f.rows {
				want = append(want, []any{val(r.k), "g", asF(r.g)}, []any{val(r.k), "x", asF(r.x)}, []any{val(r.k), "y", val(r.y)})
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range got { // the order is the input's, each row's columns in order
				if !sameRow(got[i], want[i]) {
					t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestDescribeMatchesPlainGo(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			got := collectRows(t, f.ds.Describe("x", "s"))
			var n, sum float64
			lo, hi := math.Inf(1), math.Inf(-1)
			var ns int64
			for _, r := range f.rows {
				if r.x != nil {
					n++
					sum += float64(*r.x)
					lo, hi = min(lo, float64(*r.x)), max(hi, float64(*r.x))
				}
				if r.s != nil {
					ns++
				}
			}
			if len(got) != 5 {
				t.Fatalf("%d rows: %v", len(got), got)
			}
			if got[0][0] != "count" || got[0][1] != strconv.Itoa(int(n)) || got[0][2] != strconv.FormatInt(ns, 10) {
				t.Errorf("count row %v", got[0])
			}
			if n == 0 {
				if got[1][1] != nil || got[3][1] != nil {
					t.Errorf("over no value: %v", got)
				}
				return
			}
			mean, err := strconv.ParseFloat(got[1][1].(string), 64)
			if err != nil || math.Abs(mean-sum/n) > 1e-9*math.Abs(sum/n)+1e-12 || got[1][2] != nil {
				t.Errorf("mean row %v, want %v", got[1], sum/n)
			}
			if got[3][1] != strconv.Itoa(int(lo)) || got[4][1] != strconv.Itoa(int(hi)) {
				t.Errorf("min/max rows %v %v, want %v %v", got[3], got[4], lo, hi)
			}
		})
	}
}
