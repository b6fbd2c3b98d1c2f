package dataset

import (
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
)

// ordersBatchFor is a small batch of 1,000 rows for s's in-memory sources.
func ordersBatchFor(_ *Session) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < 1000; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

// TestSessionHoldsGoMemoryLimit: a session's budget sets the Go runtime's soft memory
// limit while it is open (two sessions: the sum), and closing them restores the limit.
func TestSessionHoldsGoMemoryLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set: sessions leave it alone")
	}
	before := debug.SetMemoryLimit(-1)
	if before != math.MaxInt64 {
		t.Skipf("a soft limit of %d is in force (another session is open)", before)
	}
	var derived kmemory.Config
	derived.EnsureDefaults()
	a, err := NewSession(Config{MemoryLimit: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := debug.SetMemoryLimit(-1), kmemory.GoLimitForBudget(64<<20); got != want {
		t.Errorf("one session of 64 MiB: soft limit %s, want %s", kmemory.FormatBytes(got), kmemory.FormatBytes(want))
	}
	b, err := NewSession(Config{MemoryLimit: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := debug.SetMemoryLimit(-1), kmemory.GoLimitForBudget(64<<20)+kmemory.GoLimitForBudget(32<<20); got != want {
		t.Errorf("two sessions: soft limit %s, want the sum %s", kmemory.FormatBytes(got), kmemory.FormatBytes(want))
	}
	// In-memory input, which the budget does not count, raises the session's share
	// until it is released.
	rec := ordersBatchFor(b)
	in := b.FromRecords(rec)
	rec.Release()
	inBytes := inMemoryBytes(in.node.(*plan.Scan).Source)
	if got, want := debug.SetMemoryLimit(-1), kmemory.GoLimitForBudget(64<<20)+kmemory.GoLimitForBudget(32<<20)+inBytes; inBytes <= 0 || got != want {
		t.Errorf("with %d bytes of input: soft limit %d, want %d", inBytes, got, want)
	}
	in.Release()
	if got, want := debug.SetMemoryLimit(-1), kmemory.GoLimitForBudget(64<<20)+kmemory.GoLimitForBudget(32<<20); got != want {
		t.Errorf("input released: soft limit %d, want %d", got, want)
	}
	// A derived budget is not lowered to the limit the other sessions hold.
	c, err := NewSession(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Config().MemoryLimit; got != derived.Limit {
		t.Errorf("derived budget %s, want %s: lowered by the sessions' soft limit", kmemory.FormatBytes(got), kmemory.FormatBytes(derived.Limit))
	}
	for _, s := range []*Session{a, b, c} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("after Close: soft limit %d, want the previous %d", got, before)
	}
}

// TestJobMemoryPeaksAreTheJobs: a small job after a large one reports its own peak of
// execution memory, not the session's high-water mark.
func TestJobMemoryPeaksAreTheJobs(t *testing.T) {
	f := newFixtureSession(t, Config{})
	big := bigData(f.s, f.mem)
	if _, err := big.GroupBy("k").Agg(Count().As("n")).Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := f.s.LastJob().Memory.PeakExecution
	if first <= 0 {
		t.Fatalf("group-by job: PeakExecution %d, want > 0", first)
	}
	if _, err := big.Limit(3).Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	second := f.s.LastJob().Memory.PeakExecution
	if second >= first {
		t.Errorf("limit job after the group-by: PeakExecution %s, want less than the group-by's %s",
			kmemory.FormatBytes(second), kmemory.FormatBytes(first))
	}
	if got := f.s.MemoryStats().PeakExecution; got < first {
		t.Errorf("session's PeakExecution %s below the group-by job's %s", kmemory.FormatBytes(got), kmemory.FormatBytes(first))
	}
}
