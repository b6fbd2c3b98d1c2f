package dataset

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestWindowStreamsBoundedFrames computes row_number, a running sum, lag(1) and a mean
// over ROWS BETWEEN 6 PRECEDING AND CURRENT ROW over one window partition several times
// the memory limit. Their frames end at the current row, so the window operator streams
// them: it never holds the partition and writes nothing to disk. The stage's spill
// metrics also count the sort below the window, so the proof is a comparison: the same
// job with cume_dist added (which needs the partition's end, so the window holds or
// spills the partition) spills once more; the streaming job's answer equals a plain-Go
// computation and its peak execution memory stays under the limit.
func TestWindowStreamsBoundedFrames(t *testing.T) {
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	const rows, budget = 16000, int64(3 << 20)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "g", Type: arrow.PrimitiveTypes.Int64},
		{Name: "t", Type: arrow.PrimitiveTypes.Int64},
		{Name: "pad", Type: arrow.BinaryTypes.String},
	}, nil)
	run := func(extra bool) ([][]any, *JobMetrics) {
		s := newFixtureSession(t, Config{MemoryLimit: budget, BatchRows: 256, ShufflePartitions: 2})
		parts := make([][]arrow.RecordBatch, 2)
		for p := range parts {
			for b := 0; b < rows/2/1000; b++ {
				bld := array.NewRecordBuilder(s.mem, schema)
				for i := 0; i < 1000; i++ {
					x := int64(p*rows/2 + b*1000 + i)
					bld.Field(0).(*array.Int64Builder).Append(7) // one window partition
					bld.Field(1).(*array.Int64Builder).Append((x * 7919) % rows)
					bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%01200x", uint64(x)*0x9E3779B97F4A7C15))
				}
				parts[p] = append(parts[p], bld.NewRecordBatch())
				bld.Release()
			}
		}
		d := s.s.FromPartitions(schema, parts...)
		for _, p := range parts {
			releaseAll(p)
		}
		w := PartitionBy("g").OrderBy(Asc("t"))
		cols := []Expr{Col("g"), Col("t"), Col("pad"),
			RowNumber().Over(w).As("rn"),
			Sum("t").Over(w).As("running"),
			Lag(Col("t"), 1, Expr{}).Over(w).As("prev"),
			Mean("t").Over(w.RowsBetween(-6, 0)).As("mean7")}
		if extra {
			cols = append(cols, CumeDist().Over(w).As("cd"))
		}
		got := collectRows(t, d.Select(cols...))
		return got, s.s.LastJob()
	}
	got, job := run(false)
	if len(got) != rows {
		t.Fatalf("%d rows, want %d", len(got), rows)
	}
	// Plain Go: the t values are a permutation of 0..rows-1, so the row with t = v has
	// row number v+1, running sum v(v+1)/2, previous value v-1 and a mean of the up to
	// seven values v-6..v.
	for _, r := range got {
		v := r[1].(int64)
		var prev any
		if v > 0 {
			prev = v - 1
		}
		lo := max(v-6, 0)
		mean := float64(lo+v) / 2
		if r[3] != any(v+1) || r[4] != any(v*(v+1)/2) || r[5] != prev || math.Abs(r[6].(float64)-mean) > 1e-9 || len(r[2].(string)) != 1200 {
			t.Fatalf("row %v: want rn %d, running %d, prev %v, mean %v", append(r[:2:2], r[3:]...), v+1, v*(v+1)/2, prev, mean)
		}
	}
	totals := job.Totals()
	if peak := job.Memory.PeakExecution; peak > budget {
		t.Fatalf("peak execution memory %d exceeds the limit %d", peak, budget)
	}
	_, held := run(true)
	heldTotals := held.Totals()
	if totals.SpillCount >= heldTotals.SpillCount || totals.SpilledBytes >= heldTotals.SpilledBytes {
		t.Fatalf("streaming spilled %d bytes in %d spills, holding the partition %d in %d: the window spilled",
			totals.SpilledBytes, totals.SpillCount, heldTotals.SpilledBytes, heldTotals.SpillCount)
	}
	t.Logf("input %d rows of ~1220 bytes, limit %d: streaming spilled %d bytes in %d spills (the sort's), peak %d; holding spilled %d bytes in %d spills",
		rows, budget, totals.SpilledBytes, totals.SpillCount, job.Memory.PeakExecution, heldTotals.SpilledBytes, heldTotals.SpillCount)
}
