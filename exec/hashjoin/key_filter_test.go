package hashjoin

import (
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestHashJoinKeyFilter: a left semi join marked as a key filter keeps exactly the
// matching probe rows while it filters well; once it has kept at least 90% of enough
// rows it passes the rest on unfiltered: every matching row is still there, and the
// unmatched ones it let through come only after the judging point.
func TestHashJoinKeyFilter(t *testing.T) {
	const probeRows = 3 * keyFilterJudgeRows
	for _, c := range []struct {
		buildKeys int // build keys 0..buildKeys-1 of probe keys i%100
		passes    bool
	}{{10, false}, {95, true}, {100, true}} {
		t.Run(fmt.Sprintf("keys=%d", c.buildKeys), func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			probe := hjBenchBatches(mem, probeRows, 4096, func(i int) int64 { return int64(i % 100) })
			build := hjBenchBatches(mem, c.buildKeys, 4096, func(i int) int64 { return int64(i) })
			schema := probe[0].Schema()
			node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: plan.LeftSemiJoin,
				Build: plan.BuildRight, Broadcast: true, OutSchema: schema, KeyFilter: true}
			got, err := hjRun(t, mem, probe, build, node, 0, &exectest.FakeReservation{Limit: 1 << 40})
			if err != nil {
				t.Fatal(err)
			}
			matched, unmatched, firstUnmatched := 0, 0, int64(-1)
			for _, r := range got {
				if r[0].(int64) < int64(c.buildKeys) {
					matched++
				} else {
					unmatched++
					if firstUnmatched < 0 {
						firstUnmatched = r[1].(int64)
					}
				}
			}
			wantMatched := 0
			for i := range probeRows {
				if i%100 < c.buildKeys {
					wantMatched++
				}
			}
			if matched != wantMatched {
				t.Errorf("%d matching rows, want %d", matched, wantMatched)
			}
			if !c.passes && unmatched > 0 {
				t.Errorf("a selective filter let %d unmatched rows through", unmatched)
			}
			if c.passes && c.buildKeys < 100 && (unmatched == 0 || firstUnmatched < keyFilterJudgeRows) {
				t.Errorf("unmatched rows %d, the first at %d: want some, after row %d", unmatched, firstUnmatched, keyFilterJudgeRows)
			}
		})
	}
}
