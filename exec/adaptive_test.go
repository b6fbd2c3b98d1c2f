package exec

import (
	"slices"
	"strings"
	"testing"

	kmemory "github.com/kindling-data/kindling/memory"
)

// TestCoalesceRanges: coalescing gives every shuffle of the stage the same adjacent,
// covering ranges, at least MinPartitions of them when the data allows, none above the
// advisory size unless one (non-empty) partition is; skewed partitions run as their
// pieces.
func TestCoalesceRanges(t *testing.T) {
	j := &job{env: &Env{Adaptive: Adaptive{Enabled: true, AdvisoryPartitionBytes: 100, MinPartitions: 2}}}
	left := []int64{0, 0, 30, 0, 0, 40, 0, 0, 250, 0, 0, 10, 0, 5, 0, 0}
	right := []int64{1, 0, 0, 0, 20, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 60}
	count := map[int]int{1: 1, 2: 1}
	sizes := map[int][]int64{1: left, 2: right}
	sp := &stagePlan{}
	j.coalesce(count, map[int]bool{}, sizes, nil, 16, sp)
	next := 0
	for i, reads := range sp.reads {
		l, r := reads[1].rng, reads[2].rng
		if l.Start != r.Start || l.End != r.End || l.Start != next || reads[1].shared || l.Maps != nil {
			t.Fatalf("task %d reads %+v and %+v after %d", i, l, r, next)
		}
		var size int64
		nonEmpty := 0
		for p := l.Start; p < l.End; p++ {
			size += left[p] + right[p]
			if left[p]+right[p] > 0 {
				nonEmpty++
			}
		}
		if size > 100 && nonEmpty > 1 {
			t.Fatalf("task %d: %d bytes over %d partitions", i, size, nonEmpty)
		}
		next = l.End
	}
	if next != 16 || len(sp.reads) < 2 || len(sp.reads) >= 16 || len(sp.decisions) != 1 {
		t.Fatalf("%d tasks to partition %d; %v", len(sp.reads), next, sp.decisions)
	}

	// Partition 8 of shuffle 1 in two pieces: two tasks read it, each all of shuffle 2's.
	sp = &stagePlan{}
	j.coalesce(count, map[int]bool{}, sizes, map[int]skewSplit{8: {1: {{0, 1}, {2}}}}, 16, sp)
	var pieces [][]int
	for _, reads := range sp.reads {
		if reads[1].rng.Start == 8 {
			if reads[1].rng.End != 9 || reads[2].rng.Maps != nil || !reads[1].shared || !reads[2].shared {
				t.Fatalf("skewed task reads %+v and %+v", reads[1], reads[2])
			}
			pieces = append(pieces, reads[1].rng.Maps)
		} else if reads[1].rng.Start < 8 && reads[1].rng.End > 8 {
			t.Fatalf("a coalesced range %+v covers the skewed partition", reads[1].rng)
		}
	}
	if !slices.EqualFunc(pieces, [][]int{{0, 1}, {2}}, slices.Equal) {
		t.Fatalf("skewed partition's pieces %v", pieces)
	}
}

// TestSplitBySize: map outputs in order, in runs of about the target.
func TestSplitBySize(t *testing.T) {
	got := splitBySize([]int{0, 1, 2, 3, 4}, []int64{60, 50, 10, 200, 5}, 100)
	want := [][]int{{0}, {1, 2}, {3}, {4}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := splitBySize(nil, nil, 100); got != nil {
		t.Fatalf("no maps: %v", got)
	}
}

// TestCoalesceSegmentsBalanced: equal partitions make equal groups; a partition much
// larger than the group size is a group of its own; no data is one group.
func TestCoalesceSegmentsBalanced(t *testing.T) {
	equal := make([]int64, 16)
	for i := range equal {
		equal[i] = 1000 + int64(i%3) // not exactly equal
	}
	got := coalesceSegments(equal, nil, 4)
	if want := [][2]int{{0, 4}, {4, 8}, {8, 12}, {12, 16}}; !slices.Equal(got, want) {
		t.Fatalf("equal partitions: %v, want %v", got, want)
	}
	got = coalesceSegments([]int64{1, 1, 100, 1, 1, 1}, nil, 3)
	if want := [][2]int{{0, 2}, {2, 3}, {3, 6}}; !slices.Equal(got, want) {
		t.Fatalf("one large partition: %v, want %v", got, want)
	}
	if got := coalesceSegments(make([]int64, 5), nil, 2); !slices.Equal(got, [][2]int{{0, 5}}) {
		t.Fatalf("empty: %v", got)
	}
}

// TestCoalesceSegmentsEmptyPartitions: empty partitions never start a group.
func TestCoalesceSegmentsEmptyPartitions(t *testing.T) {
	got := coalesceSegments([]int64{0, 61, 0, 0, 0, 17, 22, 0, 61, 0, 0, 0}, nil, 4)
	if want := [][2]int{{0, 5}, {5, 6}, {6, 8}, {8, 12}}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestCoalesceBoundedByTaskShare: under a budget whose share per task (budget /
// Parallelism) is below the advisory size, coalesced tasks aim at the share, and the
// decision says so; without a budget the advisory size holds.
func TestCoalesceBoundedByTaskShare(t *testing.T) {
	sizes := map[int][]int64{1: {30, 30, 30, 30, 30, 30, 30, 30}}
	for _, tc := range []struct {
		limit    int64
		maxBytes int64
		bounded  bool
	}{{0, 100, false}, {240, 60, true}} {
		env := &Env{Adaptive: Adaptive{Enabled: true, AdvisoryPartitionBytes: 100, MinPartitions: 1}, Parallelism: 4}
		if tc.limit > 0 {
			env.Mem = kmemory.NewManager(kmemory.Config{Limit: tc.limit})
		}
		sp := &stagePlan{}
		(&job{env: env}).coalesce(map[int]int{1: 1}, map[int]bool{}, sizes, nil, 8, sp)
		var most int64
		for _, reads := range sp.reads {
			var size int64
			for p := reads[1].rng.Start; p < reads[1].rng.End; p++ {
				size += sizes[1][p]
			}
			most = max(most, size)
		}
		if most > tc.maxBytes || most < tc.maxBytes*2/3 {
			t.Errorf("budget %d: largest task reads %d bytes, want about %d (%d tasks)", tc.limit, most, tc.maxBytes, len(sp.reads))
		}
		if len(sp.decisions) != 1 || strings.Contains(sp.decisions[0], "a task's share of the budget") != tc.bounded {
			t.Errorf("budget %d: decisions %q", tc.limit, sp.decisions)
		}
	}
}
