package plan

import (
	"math"
	"testing"
)

// fakeCache is a materialized cache status with a known (or unknown: -1) size.
type fakeCache struct{ bytes int64 }

func (c fakeCache) Materialized() (int, bool) { return 2, true }
func (c fakeCache) Level() string             { return "MEMORY_AND_DISK" }
func (c fakeCache) Active() bool              { return true }
func (c fakeCache) EstimatedBytes() int64     { return c.bytes }

// statusOnly is a cache status that cannot tell its size.
type statusOnly struct{ fakeCache }

func (statusOnly) EstimatedBytes() {}

func TestEstimateBytesOfCachedReads(t *testing.T) {
	read := func(st CacheStatus) PhysNode {
		return &PCacheRead{DatasetID: 1, Partitions: 2, Status: st, OutSchema: ordersSchema}
	}
	if got := EstimateBytes(read(fakeCache{bytes: 5000})); got != 5000 {
		t.Errorf("sized cache: %d", got)
	}
	if got := EstimateBytes(read(statusOnly{})); got != -1 {
		t.Errorf("a cache that cannot tell its size must be unknown (never broadcast), got %d", got)
	}
	if got := EstimateBytes(read(fakeCache{bytes: -1})); got != -1 {
		t.Errorf("unknown size: %d", got)
	}
}

func TestSelectivityGuesses(t *testing.T) {
	eq := bin(OpEq, col("name"), lit("a"))
	gt := bin(OpGt, col("amount"), lit(int64(0)))
	for _, c := range []struct {
		e    Expr
		want float64
	}{
		{eq, selEquality},
		{gt, selComparison},
		{bin(OpAnd, eq, gt), selEquality * selComparison},
		{bin(OpOr, eq, eq), 1 - (1-selEquality)*(1-selEquality)},
		{&Unary{Op: OpNot, Child: eq}, 1 - selEquality},
		{bin(OpEq, col("a"), col("b")), selComparison},
		{col("flag"), selOther},
	} {
		if got := selectivity(c.e); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %g, want %g", c.e, got, c.want)
		}
	}
}

// TestShuffledJoinBuildsGuessedSmallerSide: a semi join whose left side a filter makes
// much smaller than the right builds its table on the left; an inner join builds on the
// smaller side; the sizes being unknown keeps the right side.
func TestShuffledJoinBuildsGuessedSmallerSide(t *testing.T) {
	big := func() Node { return scanOf("big", ordersSchema, 4, 400*mib) }
	filtered := func() Node {
		return &Filter{Input: scanOf("small", ordersSchema, 4, 100*mib), Cond: bin(OpEq, col("name"), lit("a"))}
	}
	cfg := PhysicalConfig{ShufflePartitions: 4, BroadcastThreshold: -1}
	for _, c := range []struct {
		name string
		j    *Join
		want BuildSide
	}{
		{"semi-small-left", join(filtered(), big(), LeftSemiJoin, on("id"), on("id")), BuildLeft},
		{"anti-small-left", join(filtered(), big(), LeftAntiJoin, on("id"), on("id")), BuildLeft},
		{"inner-small-left", join(filtered(), big(), InnerJoin, on("id"), on("id")), BuildLeft},
		{"semi-big-left", join(big(), filtered(), LeftSemiJoin, on("id"), on("id")), BuildRight},
		{"left-outer-keeps-right", join(filtered(), big(), LeftJoin, on("id"), on("id")), BuildRight},
		{"unknown", join(scanOf("a", ordersSchema, 2, -1), big(), LeftSemiJoin, on("id"), on("id")), BuildRight},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, _ := planJoin(t, c.j, cfg)
			if hj := hashJoinOf(t, p); hj.Build != c.want || hj.Broadcast {
				t.Errorf("build %v broadcast %v, want %v shuffled\n%s", hj.Build, hj.Broadcast, c.want, FormatPhysical(p))
			}
		})
	}
}

// TestFilteredDimensionBroadcast: a side whose filters and projection make it guessed
// under half the threshold is broadcast although its input is above the threshold.
func TestFilteredDimensionBroadcast(t *testing.T) {
	dim := &Project{Input: &Filter{Input: scanOf("dim", ordersSchema, 1, 16*mib), Cond: bin(OpEq, col("name"), lit("a"))},
		Exprs: []Expr{col("id")}}
	p, _ := planJoin(t, join(scanOf("fact", ordersSchema, 4, 400*mib), dim, InnerJoin, on("id"), on("id")), PhysicalConfig{ShufflePartitions: 4})
	if hj := hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildRight {
		t.Errorf("want the filtered dimension broadcast:\n%s", FormatPhysical(p))
	}
}
