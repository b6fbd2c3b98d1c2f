package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestPipelineDays runs the pipeline as a scheduler would: day 1, day 2, a broken day 3
// that the gate must stop with nothing committed, day 3 fixed, and day 3 again (nothing
// new). Every run checks the whole warehouse against the generator's account.
func TestPipelineDays(t *testing.T) {
	root := filepath.Join(t.TempDir(), "lake")
	const orders = 4000
	for _, step := range []struct {
		day    int
		broken bool
	}{{1, false}, {2, false}, {3, true}, {3, false}, {3, false}} {
		err := run(t.Context(), root, step.day, orders, step.broken)
		var gate *gateStopped
		switch {
		case step.broken && !errors.As(err, &gate):
			t.Fatalf("day %d with the bug: %v, want the gate to stop it", step.day, err)
		case !step.broken && err != nil:
			t.Fatalf("day %d: %v", step.day, err)
		}
	}
	// The lineage file holds each write's run: START then COMPLETE, or FAIL for the write
	// the gate stopped.
	f, err := os.Open(filepath.Join(root, "lineage.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ends := map[string]map[string]int{} // job → event type → count
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var ev struct {
			EventType string
			Job       struct{ Name string }
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		if ends[ev.Job.Name] == nil {
			ends[ev.Job.Name] = map[string]int{}
		}
		ends[ev.Job.Name][ev.EventType]++
	}
	for _, job := range []string{"pipeline.ods_orders", "pipeline.ods_customers", "pipeline.dim_customer", "pipeline.fact_orders", "pipeline.mart_city_revenue"} {
		e := ends[job]
		if e["START"] == 0 || e["START"] != e["COMPLETE"]+e["FAIL"] {
			t.Errorf("lineage of %s: %v", job, e)
		}
	}
	if ends["pipeline.ods_orders"]["FAIL"] != 1 {
		t.Errorf("the stopped write is not one FAIL run: %v", ends["pipeline.ods_orders"])
	}
}
