package dataset

import (
	"strings"
	"testing"
)

// TestFilterOverJoinDerivesSideFilters filters a join's output with a disjunction whose
// branches read both sides: each side is pre-filtered with what the disjunction implies
// for it, the disjunction still decides, and the answers match nested loops. Over a left
// join the unmatched rows (w NULL) fail the filter, so inner and left give the same rows.
func TestFilterOverJoinDerivesSideFilters(t *testing.T) {
	cond := Col("x").Gt(Lit(int64(20))).And(Col("w").Lt(Lit(10.0))).
		Or(Col("x").Lt(Lit(int64(5))).And(Col("w").Gt(Lit(30.0))))
	match := func(l testRow, r rightRow) bool {
		return l.g != nil && r.g != nil && *l.g == *r.g && l.x != nil && r.w != nil &&
			(*l.x > 20 && *r.w < 10 || *l.x < 5 && *r.w > 30)
	}
	for strat, threshold := range joinStrategies {
		for _, kind := range []JoinKind{Inner, LeftOuter} {
			t.Run(strat+"/"+kind.String(), func(t *testing.T) {
				f := newFixture(t, partitionSizes["mixed"], Config{BroadcastThreshold: threshold, ShufflePartitions: 3})
				right, rds := f.rightSide(t, []int{0, 40, 1, 25})
				d := f.ds.Join(rds, On("g"), kind).Filter(cond)
				want := joinOracle(Inner, f.rows, right, match, func(l *testRow, r *rightRow) []any {
					row := []any{nil, nil, nil, nil, nil, nil, nil}
					copy(row, leftValues(*l))
					row[5], row[6] = val(r.k), val(r.w)
					return row
				})
				assertSameRows(t, collectRows(t, d), want)
				ex := d.Explain()
				if !strings.Contains(ex, "((x > 20) OR (x < 5))") {
					t.Errorf("no filter derived for the left side:\n%s", ex)
				}
				if derived := strings.Contains(ex, "((w < 10) OR (w > 30))"); derived != (kind == Inner) {
					t.Errorf("filter derived for the right side: %v, want %v:\n%s", derived, kind == Inner, ex)
				}
			})
		}
	}
}
