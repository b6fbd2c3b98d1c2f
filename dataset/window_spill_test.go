package dataset

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/util"
)

// TestWindowOutOfCore computes windows over data about ten times the memory budget:
// the exchange and the sort within partitions spill, the window operator holds one
// window partition at a time, and the answer equals the one with an ample budget and a
// plain-Go computation of each key's total and rank.
func TestWindowOutOfCore(t *testing.T) {
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	probe := newFixtureSession(t, Config{})
	recs, err := bigData(probe.s, probe.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var dataBytes int64
	for _, r := range recs {
		dataBytes += int64(util.TotalRecordSize(r))
	}
	releaseAll(recs)
	budget := max(dataBytes/10, outOfCoreMinBudget)
	job := func(d *Dataset) *Dataset {
		w := PartitionBy("k").OrderBy(Desc("v"))
		return d.Select(Col("k"), Col("v"),
			Rank().Over(w).As("rk"),
			Sum("v").Over(PartitionBy("k")).As("total"),
			Max("s").Over(w.RowsBetween(-2, 0)).As("ms"))
	}
	ample := newFixtureSession(t, Config{BatchRows: 2048})
	want := collectRows(t, job(bigData(ample.s, ample.mem)))
	tight := newFixtureSession(t, Config{MemoryLimit: budget, BatchRows: 1024, ShufflePartitions: 4})
	got := collectRows(t, job(bigData(tight.s, tight.mem)))
	assertSameRows(t, got, want)

	// Plain Go: each key's total, and ranks from counting larger values.
	byKey := map[int64][]float64{}
	for _, r := range want {
		byKey[r[0].(int64)] = append(byKey[r[0].(int64)], r[1].(float64))
	}
	for _, r := range got {
		vs := byKey[r[0].(int64)]
		total, larger := 0.0, 0
		for _, v := range vs {
			total += v
			if v > r[1].(float64) {
				larger++
			}
		}
		if r[2] != any(int64(larger+1)) || !sameRow([]any{r[3]}, []any{total}) {
			t.Fatalf("row %v: want rank %d, total %v", r, larger+1, total)
		}
	}
	last := tight.s.LastJob()
	totals := last.Totals()
	if totals.SpillCount == 0 || totals.SpilledBytes == 0 {
		t.Fatalf("nothing spilled under a %d-byte budget:\n%s", budget, last)
	}
	if peak := last.Memory.PeakExecution; peak > budget {
		t.Fatalf("peak execution memory %d exceeds the budget %d", peak, budget)
	}
	t.Logf("spilled %d bytes in %d spills; peak execution %d of %d", totals.SpilledBytes, totals.SpillCount, last.Memory.PeakExecution, budget)
}

// TestWindowPartitionOverBudget: a window partition larger than the whole budget (no
// PARTITION BY over the big data) fails with an error naming the window and the
// reservation, without hanging or leaking.
func TestWindowPartitionOverBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	tight := newFixtureSession(t, Config{MemoryLimit: 1 << 20, BatchRows: 1024, ShufflePartitions: 4})
	d := bigData(tight.s, tight.mem).Select(Col("k"), Sum("v").Over(Window().OrderBy(Asc("k"))).As("running"))
	recs, err := d.Collect(t.Context())
	releaseAll(recs)
	if err == nil || !strings.Contains(err.Error(), "exec: window PARTITION BY [] ORDER BY [k ASC NULLS FIRST]: reserving") {
		t.Fatalf("err = %v, want the window's budget error", err)
	}
	t.Logf("error: %v", err)
}
