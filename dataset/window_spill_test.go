package dataset

import (
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/util"

	kmemory "github.com/kindling-data/kindling/memory"
)

// TestWindowOutOfCore computes windows over data about ten times the memory budget:
// the exchange and the sort within partitions spill, the window operator holds one
// window partition at a time, and the answer equals the one with an ample budget and a
// plain-Go computation of each key's total and rank.
func TestWindowOutOfCore(t *testing.T) {
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
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

// windowBudgetError is the error of a window that cannot hold its partition's keys: it
// names the window, the user's call site and the reservation.
var windowBudgetError = regexp.MustCompile(`exec: window PARTITION BY \[\] ORDER BY \[k ASC NULLS FIRST\] \(over@window_spill_test\.go:\d+\): reserving`)

// TestWindowPartitionOverBudget: a window partition whose keys alone exceed the whole
// budget (no PARTITION BY over the big data) fails with an error naming the window and
// the reservation, without hanging or leaking. A running max needs the partition held (a
// running sum would stream, holding a few rows).
func TestWindowPartitionOverBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	tight := newFixtureSession(t, Config{MemoryLimit: 1 << 20, BatchRows: 1024, ShufflePartitions: 4})
	d := bigData(tight.s, tight.mem).Select(Col("k"), Max("v").Over(Window().OrderBy(Asc("k"))).As("running"))
	recs, err := d.Collect(t.Context())
	releaseAll(recs)
	if err == nil || !windowBudgetError.MatchString(err.Error()) || !errors.Is(err, kmemory.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want the window's budget error", err)
	}
	t.Logf("error: %v", err)
}

// TestWindowPartitionSpills computes windows whose partitions are several times the
// memory budget: their rows go to spill files and only the keys and arguments are held,
// so the job succeeds (it fails if the operator holds whole partitions) and matches a
// plain-Go computation.
func TestWindowPartitionSpills(t *testing.T) {
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	const groups, rows = 2, 24000
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "g", Type: arrow.PrimitiveTypes.Int64},
		{Name: "t", Type: arrow.PrimitiveTypes.Int64},
		{Name: "pad", Type: arrow.BinaryTypes.String},
	}, nil)
	tight := newFixtureSession(t, Config{MemoryLimit: 3 << 20, BatchRows: 1024, ShufflePartitions: 2})
	parts := make([][]arrow.RecordBatch, 2)
	for p := range parts {
		for b := 0; b < rows/2/1000; b++ {
			bld := array.NewRecordBuilder(tight.mem, schema)
			for i := 0; i < 1000; i++ {
				t := int64(p*rows/2 + b*1000 + i)
				bld.Field(0).(*array.Int64Builder).Append(t % groups)
				bld.Field(1).(*array.Int64Builder).Append((t * 7919) % rows) // distinct, shuffled
				bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%0400d", t))
			}
			parts[p] = append(parts[p], bld.NewRecordBatch())
			bld.Release()
		}
	}
	d := tight.s.FromPartitions(schema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	w := PartitionBy("g").OrderBy(Asc("t"))
	got := collectRows(t, d.Select(Col("g"), Col("t"), Col("pad"),
		RowNumber().Over(w).As("rn"),
		Sum("t").Over(PartitionBy("g")).As("total"),
		Lag(Col("t"), 1, Expr{}).Over(w).As("prev")))
	if len(got) != rows {
		t.Fatalf("%d rows, want %d", len(got), rows)
	}
	byGroup := map[int64][]int64{}
	for _, r := range got {
		byGroup[r[0].(int64)] = append(byGroup[r[0].(int64)], r[1].(int64))
	}
	for _, r := range got {
		ts := byGroup[r[0].(int64)]
		var total, before, prev int64
		prev = -1
		for _, x := range ts {
			total += x
			if x < r[1].(int64) {
				before++
				prev = max(prev, x)
			}
		}
		var wantPrev any = prev
		if prev < 0 {
			wantPrev = nil
		}
		if r[3] != any(before+1) || r[4] != any(total) || r[5] != wantPrev || len(r[2].(string)) != 400 {
			t.Fatalf("row %v: want rn %d, total %d, prev %v", r[:2], before+1, total, wantPrev)
		}
	}
	last := tight.s.LastJob()
	if totals := last.Totals(); totals.SpillCount == 0 {
		t.Fatalf("nothing spilled:\n%s", last)
	}
	t.Logf("peak execution %d of %d", last.Memory.PeakExecution, int64(3<<20))
}
