package dataset

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/util"
)

// TestHelpersSpill runs DropDuplicates and SortWithinPartitions over data about ten times
// the memory budget: the results equal those of an ample budget, and the aggregate and
// the sort spilled.
func TestHelpersSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	probe := newFixtureSession(t, Config{})
	var dataBytes int64
	recs, err := bigData(probe.s, probe.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		dataBytes += int64(util.TotalRecordSize(r))
	}
	releaseAll(recs)
	budget := max(dataBytes/10, outOfCoreMinBudget)
	jobs := map[string]func(d *Dataset) *Dataset{
		"drop-duplicates": func(d *Dataset) *Dataset { return d.DropDuplicates("k", "s").Drop("v") },
		"sort-within":     func(d *Dataset) *Dataset { return d.SortWithinPartitions(Asc("s"), Desc("v")) },
	}
	for name, job := range jobs {
		t.Run(name, func(t *testing.T) {
			ample := newFixtureSession(t, Config{BatchRows: 2048})
			want := collectRows(t, job(bigData(ample.s, ample.mem)))
			tight := newFixtureSession(t, Config{MemoryLimit: budget, BatchRows: 1024, ShufflePartitions: 4})
			got := collectRows(t, job(bigData(tight.s, tight.mem)))
			if name == "sort-within" {
				// The same partitions, each sorted: equal in order.
				for i := range got {
					if !sameRow(got[i], want[i]) {
						t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
					}
				}
			}
			assertSameRows(t, got, want)
			job := tight.s.LastJob()
			if totals := job.Totals(); totals.SpillCount == 0 {
				t.Fatalf("no operator spilled under a %d-byte budget:\n%s", budget, job)
			}
			if peak := job.Memory.PeakExecution; peak > budget {
				t.Fatalf("peak execution memory %d exceeds the budget %d", peak, budget)
			}
		})
	}
}
