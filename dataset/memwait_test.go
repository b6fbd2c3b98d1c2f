package dataset

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestMemoryPressureNeverStallsOnWaits runs a shuffled group-by whose tasks contend for a
// 1 MB budget, many times: a task that waits for memory must be woken by the release it
// waits for, so no wait may run out its TaskWait (a lost wake-up stalled runs for 10 s).
// The result is checked against a computation in Go each time.
func TestMemoryPressureNeverStallsOnWaits(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	leakcheck.Check(t)
	mem := memtest.Checked()
	s, err := NewSession(Config{MemoryLimit: 1_000_000, BatchRows: 256, BroadcastThreshold: -1, Allocator: mem, SpillDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	}()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "cat", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "big", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	type group struct {
		n, sum int64
		bigSum float64
		s      map[string]bool
	}
	want := map[int64]*group{}
	var batches []arrow.RecordBatch
	const rows, perBatch = 20_000, 2_000
	for b := 0; b < rows/perBatch; b++ {
		bld := array.NewRecordBuilder(mem, schema)
		for i := b * perBatch; i < (b+1)*perBatch; i++ {
			cat, str, v, big := int64(i%37), fmt.Sprintf("s%05d", i%3001), int64(i%101-50), float64(i)*1e6
			bld.Field(0).(*array.Int64Builder).Append(cat)
			bld.Field(1).(*array.StringBuilder).Append(str)
			bld.Field(2).(*array.Int64Builder).Append(v)
			bld.Field(3).(*array.Float64Builder).Append(big)
			g := want[cat]
			if g == nil {
				g = &group{s: map[string]bool{}}
				want[cat] = g
			}
			g.n++
			g.sum += v
			g.bigSum += big
			g.s[str] = true
		}
		batches = append(batches, bld.NewRecordBatch())
		bld.Release()
	}
	d := s.FromPartitions(schema, batches)
	releaseAll(batches)
	q := d.Repartition(4).GroupBy("cat").Agg(Count(), CountDistinct("s"), Sum("v"), Mean("big"))

	const runs = 50
	var slowest time.Duration
	for run := range runs {
		start := time.Now()
		recs, err := q.Collect(t.Context())
		slowest = max(slowest, time.Since(start))
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		got := 0
		for _, r := range recs {
			cat := r.Column(0).(*array.Int64)
			n, nd, sum := r.Column(1).(*array.Int64), r.Column(2).(*array.Int64), r.Column(3).(*array.Int64)
			mean := r.Column(4).(*array.Float64)
			for i := range int(r.NumRows()) {
				g := want[cat.Value(i)]
				if g == nil || n.Value(i) != g.n || nd.Value(i) != int64(len(g.s)) || sum.Value(i) != g.sum ||
					math.Abs(mean.Value(i)-g.bigSum/float64(g.n)) > 1e-9*math.Abs(g.bigSum/float64(g.n)) {
					t.Fatalf("run %d: group %d = (%d, %d, %d, %v), want %+v", run, cat.Value(i),
						n.Value(i), nd.Value(i), sum.Value(i), mean.Value(i), g)
				}
				got++
			}
		}
		releaseAll(recs)
		if got != len(want) {
			t.Fatalf("run %d: %d groups, want %d", run, got, len(want))
		}
	}
	st := s.MemoryStats()
	t.Logf("%d runs, slowest %v; waits %d, wait timeouts %d", runs, slowest, st.WaitCount, st.WaitTimeouts)
	if st.WaitTimeouts != 0 {
		t.Fatalf("%d memory waits ran out their TaskWait (%d waits in all)", st.WaitTimeouts, st.WaitCount)
	}
}
