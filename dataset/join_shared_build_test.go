package dataset

import (
	"strings"
	"testing"
)

// TestBroadcastJoinReadsItsBuildSideOnce: the tasks of a broadcast join's stage share
// one build side, so the stage reads the broadcast rows once, not once per task, and
// the join's answer is the plain count of matching pairs.
func TestBroadcastJoinReadsItsBuildSideOnce(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{ShufflePartitions: 4})
	right, dim := f.rightSide(t, []int{20, 15})
	recs, err := f.ds.Join(Broadcast(dim), On("g"), Inner).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	releaseAll(recs)
	perKey := map[int64]int64{}
	for _, r := range right {
		if r.g != nil {
			perKey[*r.g]++
		}
	}
	var want int64
	for _, l := range f.rows {
		if l.g != nil {
			want += perKey[*l.g]
		}
	}
	if n != want {
		t.Fatalf("count %d, want %d", n, want)
	}
	job := f.s.LastJob()
	join := job.Stages[len(job.Stages)-1]
	if len(join.Tasks) < 2 {
		t.Fatalf("the join stage ran %d tasks; the test needs several", len(join.Tasks))
	}
	if in, want := join.Totals().RowsIn, int64(len(f.rows)+len(right)); in != want {
		t.Fatalf("the join stage read %d rows, want the probe side's %d and the build side's %d once\n%s", in, len(f.rows), len(right), job)
	}
}

// TestAdaptiveBroadcastSwitchSharesTheBuildSide: a shuffled join that adaptive
// execution switches to broadcast has every task read the small side whole; its tasks
// share one build side, so the join stage reads those rows once, and the answer is the
// one without adaptive execution.
func TestAdaptiveBroadcastSwitchSharesTheBuildSide(t *testing.T) {
	run := func(disable bool) ([]string, *JobMetrics, int64) {
		s, mem := newCacheSession(t, Config{ShufflePartitions: 16, DisableAdaptive: disable, BroadcastThreshold: 8 << 10})
		s.env.Adaptive.MinPartitions = 2
		a := aqeData(s, mem, 4000, 40, false, 1)
		b := aqeData(s, mem, 8000, 60, false, 2).GroupBy("k").Agg(Count().As("bn"))
		groups, err := b.Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return aqeCells(t, a.Join(b, On("k"), Inner), false), s.LastJob(), groups
	}
	want, _, _ := run(true)
	got, jm, groups := run(false)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("adaptive: %d rows, without: %d rows", len(got), len(want))
	}
	join := jm.Stages[len(jm.Stages)-1]
	if !strings.Contains(jm.String(), "join switched to broadcast") || len(join.Tasks) < 2 {
		t.Fatalf("the join was not switched to broadcast over several tasks:\n%s", jm)
	}
	var written int64 // both sides' shuffled rows: the probe side's 4000 and the partial aggregates
	for _, st := range jm.Stages[:len(jm.Stages)-1] {
		written += st.Totals().RowsOut
	}
	if in := join.Totals().RowsIn; in != written || groups == 0 {
		t.Fatalf("the join stage read %d rows, want the %d shuffled rows once\n%s", in, written, jm)
	}
}
