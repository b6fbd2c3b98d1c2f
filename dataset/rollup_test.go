package dataset

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestRollupTotalFromGroups: a HAVING threshold over the same rows as the groups (TPC-H
// Q11's shape) is computed from the groups' sums and counts; the answers equal a plain
// computation, with NULL keys and values, over no rows, and under a small memory limit.
func TestRollupTotalFromGroups(t *testing.T) {
	for _, cfg := range []Config{{Parallelism: 2}, {Parallelism: 2, MemoryLimit: 1 << 20}} {
		f := newSubFixtureN(t, cfg, false, 4000, 10)
		type group struct {
			sum   float64
			count int64
			any   bool
		}
		for _, lo := range []int64{0, 1 << 40} { // 1<<40: no rows
			groups := map[string]*group{}
			var total float64
			var totalCount int64
			for _, o := range f.os {
				if o.ok < lo {
					continue
				}
				key := "NULL"
				if o.cust != nil {
					key = fmt.Sprint(*o.cust)
				}
				g := groups[key]
				if g == nil {
					g = &group{}
					groups[key] = g
				}
				g.count++
				totalCount++
				if o.price != nil {
					g.sum += *o.price
					g.any = true
					total += *o.price
				}
			}
			wantSum := map[string]float64{}
			wantCount := map[string]int64{}
			for k, g := range groups {
				if g.any && g.sum > 0.002*total {
					wantSum[k] = g.sum
				}
				if g.count*400 > totalCount {
					wantCount[k] = g.count
				}
			}
			t.Logf("limit %d, lo %d: %d groups, %d over the sum threshold, %d over the count threshold",
				cfg.MemoryLimit, lo, len(groups), len(wantSum), len(wantCount))
			qs := fmt.Sprintf(`SELECT cust, sum(price) AS s FROM o WHERE ok >= %d GROUP BY cust
				HAVING sum(price) > (SELECT 0.002 * sum(price) FROM o WHERE ok >= %d)`, lo, lo)
			d, err := f.s.SQL(qs)
			if err != nil {
				t.Fatal(err)
			}
			if plan := d.Explain(); !strings.Contains(plan, "ReusedExchange") {
				t.Errorf("the total is not computed from the groups:\n%s", plan)
			}
			got := map[string]float64{}
			for _, r := range collectRows(t, d) {
				got[fmt.Sprint(r[0])] = r[1].(float64)
			}
			if len(got) != len(wantSum) {
				t.Errorf("lo %d: %d groups over the threshold, want %d", lo, len(got), len(wantSum))
			}
			for k, w := range wantSum {
				if g, ok := got[strings.Replace(k, "NULL", "<nil>", 1)]; !ok || math.Abs(g-w) > 1e-6*math.Abs(w) {
					t.Errorf("lo %d: group %s sum %v (present %v), want %v", lo, k, g, ok, w)
				}
			}
			qc := fmt.Sprintf(`SELECT cust, count(*) AS n FROM o WHERE ok >= %d GROUP BY cust
				HAVING count(*) * 400 > (SELECT count(*) FROM o WHERE ok >= %d)`, lo, lo)
			dc, err := f.s.SQL(qc)
			if err != nil {
				t.Fatal(err)
			}
			gotCount := map[string]int64{}
			for _, r := range collectRows(t, dc) {
				gotCount[strings.Replace(fmt.Sprint(r[0]), "<nil>", "NULL", 1)] = r[1].(int64)
			}
			if fmt.Sprint(gotCount) != fmt.Sprint(wantCount) {
				t.Errorf("lo %d: counts %v, want %v", lo, gotCount, wantCount)
			}
		}
	}
}
