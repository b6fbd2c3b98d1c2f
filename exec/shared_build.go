package exec

import (
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/hashjoin"
	"github.com/kindling-data/kindling/plan"
)

// sharedBuilds are the build sides of a stage's broadcast joins, shared by its tasks.
type sharedBuilds map[*plan.PHashJoin]*hashjoin.SharedBuild

// sharedBuild returns the build side of join n shared by the tasks of the running stage
// (hashjoin.SharedBuild), or nil when n's build side is not the same for every task:
// only one that reads nothing but whole shuffles is (broadcast ones, or one adaptive
// execution switched to broadcast: spec gives what each task reads).
func (j *job) sharedBuild(stage int, n *plan.PHashJoin, spec map[int]readSpec) *hashjoin.SharedBuild {
	if n.Cartesian || len(n.LeftKeys) == 0 {
		return nil
	}
	side := n.Right
	if n.Build == plan.BuildLeft {
		side = n.Left
	}
	if !readsWholeOnly(side, spec) {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if s := j.shared[n]; s != nil {
		return s
	}
	var res colop.Reservation
	if j.env.Mem != nil {
		res = j.env.Mem.NewReservation(fmt.Sprintf("hash-join broadcast build side@stage %d", stage))
	}
	s := hashjoin.NewSharedBuild(res)
	if j.shared == nil {
		j.shared = sharedBuilds{}
	}
	j.shared[n] = s
	return s
}

// readsWholeOnly reports whether every leaf under n is a shuffle read that every task
// reads whole: a broadcast, or every partition of a shuffle by the adaptive plan.
func readsWholeOnly(n plan.PhysNode, spec map[int]readSpec) bool {
	if r, ok := n.(*plan.PShuffleRead); ok {
		if r.Partitioning.Kind == plan.BroadcastPartitioning {
			return true
		}
		s, ok := spec[r.ShuffleID]
		return ok && s.shared && s.rng.Maps == nil && s.rng.Start == 0 && s.rng.End >= r.NumPartitions()
	}
	children := n.Children()
	for _, c := range children {
		if !readsWholeOnly(c, spec) {
			return false
		}
	}
	return len(children) > 0
}

// releaseShared releases the shared build sides of the stage that has just ended.
func (j *job) releaseShared() {
	j.mu.Lock()
	shared := j.shared
	j.shared = nil
	j.mu.Unlock()
	for _, s := range shared {
		s.Release()
	}
}
