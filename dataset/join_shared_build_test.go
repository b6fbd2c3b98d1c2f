package dataset

import (
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
