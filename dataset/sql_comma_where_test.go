package dataset

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestSQLCommaJoinWhere: a comma join matches on the WHERE's column equalities and
// applies the other conjuncts over both relations as a filter after it (as a DataFrame
// program does); without an equality they stay the join's condition. The answers equal
// a plain loop over the pairs, with NULLs on both sides.
func TestSQLCommaJoinWhere(t *testing.T) {
	f := newSubFixture(t, Config{Parallelism: 2}, true)
	cases := []struct {
		name, q  string
		keep     func(o subO, l subL) bool
		residual bool // the join keeps a condition
	}{
		{"equality and a disjunction", `SELECT o.ok, l.qty FROM o, l WHERE o.ok = l.lok AND (o.price > 50 OR l.qty < 3)`,
			func(o subO, l subL) bool {
				return eqInt(&o.ok, l.lok) && ((o.price != nil && *o.price > 50) || (l.qty != nil && *l.qty < 3))
			}, false},
		{"no equality", `SELECT o.ok, l.qty FROM o, l WHERE o.ok < l.lok AND l.qty = 1`,
			func(o subO, l subL) bool { return l.lok != nil && o.ok < *l.lok && l.qty != nil && *l.qty == 1 }, true},
	}
	for _, c := range cases {
		d, err := f.s.SQL(c.q)
		if err != nil {
			t.Fatal(err)
		}
		plan := d.Explain()
		if got := strings.Contains(plan, "residual=") || strings.Contains(plan, "NestedLoop"); got != c.residual {
			t.Errorf("%s: join with a condition %v, want %v:\n%s", c.name, got, c.residual, plan)
		}
		var got, want []string
		for _, r := range collectRows(t, d) {
			got = append(got, fmt.Sprint(r...))
		}
		for _, o := range f.os {
			for _, l := range f.ls {
				if c.keep(o, l) {
					q := any(nil)
					if l.qty != nil {
						q = *l.qty
					}
					want = append(want, fmt.Sprint(o.ok, q))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: %d rows, want %d (none is no test)", c.name, len(got), len(want))
		}
	}
}
