package hashjoin

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
)

// A broadcast join's build side is the same for every task of its stage. Rather than
// each task loading and indexing it again, the first task to need it builds it as usual
// and publishes the columns and the table in a SharedBuild; the stage's other tasks wait
// for it and probe the same table, read only. Its memory moves from the builder's
// reservation to the SharedBuild's, held once until the stage ends (Release).
//
// A build side that does not fit in memory is not shared: the builder turned into a grace
// join, and every other task builds (and spills) its own, as without sharing. A builder
// that fails hands the turn to the next task. Joins that track which build rows matched
// (outer on the build side, build-side semi or anti) never share: each task would need
// its own marks, and the planner does not broadcast those sides anyway.

// sharedState is where a SharedBuild is in its life.
type sharedState uint8

const (
	sharedNone     sharedState = iota // nobody has built it: the next task to ask builds it
	sharedBuilding                    // a task is building it; the others wait on done
	sharedReady                       // built: every task adopts it
	sharedPrivate                     // not shareable (it spilled): every task builds its own
)

// SharedBuild is the build side of one broadcast join, loaded once for all the tasks of
// a stage (see SetShared). It is safe for concurrent use.
type SharedBuild struct {
	res colop.Reservation // the published side's memory (nil: untracked)

	mu    sync.Mutex
	state sharedState
	done  chan struct{} // closed when the current builder has finished, either way
	held  int64         // bytes held in res
	// The published build side: its columns (one reference owned here), key classes
	// and table, which tasks only read.
	schema  *arrow.Schema
	cols    []arrow.Array
	rows    int
	classes []hjKeyClass
	table   hjTable
}

// NewSharedBuild returns an empty shared build side whose memory, once built, is held
// in res (nil: untracked) until Release.
func NewSharedBuild(res colop.Reservation) *SharedBuild {
	return &SharedBuild{res: res}
}

// Release drops the published build side and frees its reservation; the stage's tasks
// have all ended. It is idempotent.
func (s *SharedBuild) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cols {
		if c != nil {
			c.Release()
		}
	}
	s.cols, s.table, s.schema, s.classes = nil, hjTable{}, nil, nil
	if s.res != nil {
		s.res.Free()
		s.res = nil
	}
	s.held = 0
	if s.state == sharedReady {
		s.state = sharedPrivate // released: a straggler builds its own
	}
}

// SetShared makes the join take its build side from s, shared with the other tasks of
// its stage that read the same broadcast build input. A join that must track its build
// rows, or an interval join, ignores it.
func (o *HashJoinOp) SetShared(s *SharedBuild) {
	o.shared = s
}

// shareable reports whether the join can use a shared build side.
func (o *HashJoinOp) shareable() bool {
	return o.shared != nil && !o.track && o.node.Range == nil && o.level == 0
}

// loadShared adopts the shared build side, or builds and publishes it. done is false
// when the join must load its own build side.
func (o *HashJoinOp) loadShared() (done bool, err error) {
	s := o.shared
	for {
		s.mu.Lock()
		switch s.state {
		case sharedReady:
			o.adopt(s)
			s.mu.Unlock()
			return true, nil
		case sharedPrivate:
			s.mu.Unlock()
			return false, nil
		case sharedBuilding:
			ch := s.done
			s.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-o.ctx.Done():
				return true, o.ctx.Err()
			}
		}
		s.state, s.done = sharedBuilding, make(chan struct{})
		s.mu.Unlock()
		err := o.loadOwn()
		s.mu.Lock()
		switch {
		case err != nil:
			s.state = sharedNone // another task tries
		case o.grace != nil || !o.publish(s):
			s.state = sharedPrivate
		default:
			s.state = sharedReady
		}
		close(s.done)
		s.mu.Unlock()
		return true, err
	}
}

// publish hands the join's build side to s (under s.mu): s retains the columns and
// takes over their memory. It reports false, keeping everything, when s's reservation
// refuses the bytes.
func (o *HashJoinOp) publish(s *SharedBuild) bool {
	held := o.budget.Held
	if s.res != nil && held > 0 {
		if err := s.res.TryGrow(held); err != nil {
			return false
		}
	}
	s.held = held
	o.table.share()
	s.schema, s.rows, s.classes, s.table = o.buildSchema, o.buildRows, o.classes, o.table
	s.cols = retainAll(o.buildCols)
	o.budget.ShrinkTo(0)
	return true
}

// adopt takes the published build side (under s.mu), with a reference of its own to
// each column.
func (o *HashJoinOp) adopt(s *SharedBuild) {
	o.buildSchema, o.buildRows, o.table = s.schema, s.rows, s.table
	o.classes = append([]hjKeyClass(nil), s.classes...)
	o.buildCols = retainAll(s.cols)
}

// retainAll returns a new reference to each column (nil for nil: no build batch).
func retainAll(cols []arrow.Array) []arrow.Array {
	if cols == nil {
		return nil
	}
	out := make([]arrow.Array, len(cols))
	for i, c := range cols {
		c.Retain()
		out[i] = c
	}
	return out
}
