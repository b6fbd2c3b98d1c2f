package exec

import (
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/hashjoin"
	"github.com/kindling-data/kindling/plan"
)

// sharedBuilds are the build sides of a stage's broadcast joins, shared by its tasks.
type sharedBuilds map[*plan.PHashJoin]*hashjoin.SharedBuild

// sharedBuild returns the build side of broadcast join n shared by the tasks of the
// running stage (hashjoin.SharedBuild), or nil when n's build side is not the same for
// every task: only a build side that reads broadcast shuffles alone is.
func (j *job) sharedBuild(stage int, n *plan.PHashJoin) *hashjoin.SharedBuild {
	if !n.Broadcast || n.Cartesian || len(n.LeftKeys) == 0 {
		return nil
	}
	side := n.Right
	if n.Build == plan.BuildLeft {
		side = n.Left
	}
	if !readsBroadcastOnly(side) {
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

// readsBroadcastOnly reports whether every leaf under n is a broadcast shuffle read.
func readsBroadcastOnly(n plan.PhysNode) bool {
	if r, ok := n.(*plan.PShuffleRead); ok {
		return r.Partitioning.Kind == plan.BroadcastPartitioning
	}
	children := n.Children()
	for _, c := range children {
		if !readsBroadcastOnly(c) {
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
