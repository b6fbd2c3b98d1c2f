package dataset

import (
	"math"
	"strings"
	"testing"
	"time"
)

// asOfOracle finds each left row's as-of match among right by nested loops: same by
// (when byG), the latest right time at or before the left one (forward: the earliest at
// or after), the last (forward: first) of equal times in right order, within tol.
func asOfOracle(left []testRow, right []rightRow, byG, forward bool, tol float64) [][]any {
	var out [][]any
	lv := func(l testRow) []any {
		v := leftValues(l)
		if l.x != nil {
			v[2] = float64(*l.x) // compared with the right's float times, as float64
		}
		return v
	}
	for _, l := range left {
		best := -1
		for j, r := range right {
			if l.x == nil || r.w == nil || (byG && (l.g == nil || r.g == nil || *l.g != *r.g)) {
				continue
			}
			lx, rx := float64(*l.x), *r.w
			if math.Abs(lx-rx) > tol {
				continue
			}
			switch {
			case !forward && rx <= lx && (best < 0 || rx >= *right[best].w):
				best = j
			case forward && rx >= lx && (best < 0 || rx < *right[best].w):
				best = j
			}
		}
		row := append(lv(l), nil, nil)
		if best >= 0 {
			r := right[best]
			row[5], row[6] = val(r.k), val(r.w)
			if !byG {
				row = append(lv(l), val(r.g), val(r.k), val(r.w))
			}
		} else if !byG {
			row = append(row, nil)
		}
		out = append(out, row)
	}
	return out
}

func TestJoinAsOf(t *testing.T) {
	for _, c := range []struct {
		name    string
		by      []string
		forward bool
		tol     float64
	}{
		{"backward-by", []string{"g"}, false, math.Inf(1)},
		{"forward-by", []string{"g"}, true, math.Inf(1)},
		{"backward-tolerance", []string{"g"}, false, 3},
		{"forward-no-by", nil, true, math.Inf(1)},
		{"backward-no-by-tolerance", nil, false, 2},
	} {
		for _, sides := range []struct {
			name        string
			left, right []int
		}{{"both", []int{0, 40, 1, 150}, []int{30, 0, 45}}, {"empty-right", []int{9, 3}, []int{0}}, {"empty-left", []int{0}, []int{7}}} {
			t.Run(c.name+"/"+sides.name, func(t *testing.T) {
				f := newFixture(t, sides.left, Config{ShufflePartitions: 3})
				right, rds := f.rightSide(t, sides.right)
				var opts []AsOfOption
				if c.forward {
					opts = append(opts, Forward())
				}
				if !math.IsInf(c.tol, 1) {
					opts = append(opts, ToleranceValue(c.tol))
				}
				d := f.ds.JoinAsOf(rds.WithColumn("x", Col("w")), "x", c.by, opts...)
				schema, err := d.Schema()
				if err != nil {
					t.Fatal(err)
				}
				wantNames := "k,g,x,y,s,k_right,w"
				if c.by == nil {
					wantNames = "k,g,x,y,s,g_right,k_right,w"
				}
				if got := schemaNames(schema); got != wantNames {
					t.Fatalf("columns %s, want %s", got, wantNames)
				}
				want := asOfOracle(f.rows, right, c.by != nil, c.forward, c.tol)
				assertSameRows(t, collectRows(t, d), want)
				if ex := d.Explain(); !strings.Contains(ex, "AsOfMergeJoin") || !strings.Contains(ex, "Sort [") {
					t.Fatalf("plan:\n%s", ex)
				}
			})
		}
	}
}

func TestJoinAsOfErrors(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	_, rds := f.rightSide(t, []int{4})
	cases := map[string]struct {
		d    *Dataset
		want string
	}{
		"on":        {f.ds.JoinAsOf(rds, "x", []string{"g"}), `unknown right as-of time column "x"`},
		"by":        {f.ds.JoinAsOf(rds.WithColumn("x", Col("w")), "x", []string{"gg"}), `unknown left as-of by key "gg"`},
		"on-type":   {f.ds.JoinAsOf(rds.WithColumn("s", Col("k")), "s", nil), `as-of time column "s" is string`},
		"tolerance": {f.ds.JoinAsOf(rds.WithColumn("x", Col("w")), "x", nil, Tolerance(time.Second)), "as-of tolerance: a duration (1s) for a float64 time column"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.d.Collect(t.Context())
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "join_asof_test.go") {
				t.Fatalf("error %v, want one naming %q at the call site", err, c.want)
			}
		})
	}
}
