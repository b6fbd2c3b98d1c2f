package exec

import (
	"sync"
	"sync/atomic"
	"time"
)

// Event is something that happened in a session's jobs: a job, stage or task starting or
// ending, a task attempt failing, a spill, an eviction. Listeners receive them in the
// order they happened on the bus (a task's start before its end, a stage's end after its
// tasks'), on one goroutine that is not the job's.
type Event interface {
	// When returns the time of the event.
	When() time.Time
}

// JobStart is posted when a job begins, with the stages it plans to run.
type JobStart struct {
	JobID  int
	Action string
	Time   time.Time
	Stages []StageInfo
}

// StageInfo describes a planned stage: its tasks, the stages whose shuffles it reads, and
// its pipeline, one operator per line from the top.
type StageInfo struct {
	StageID   int
	Kind      string // "map" or "result"
	Tasks     int
	Parents   []int
	Operators []string
}

// JobEnd is posted when a job ends; Err is nil when it succeeded.
type JobEnd struct {
	JobID   int
	Time    time.Time
	Metrics *JobMetrics
	Err     error
}

// StageStart is posted when a stage's tasks are about to run (after adaptive execution
// re-planned it: Tasks is what it runs).
type StageStart struct {
	JobID, StageID int
	Tasks          int
	Adaptive       []string
	Time           time.Time
}

// StageEnd is posted when a stage's tasks are all done, or it failed (Err).
type StageEnd struct {
	JobID   int
	Time    time.Time
	Metrics *StageMetrics
	Err     error
}

// TaskStart is posted when a task attempt starts.
type TaskStart struct {
	JobID, StageID, Partition, Attempt int
	Time                               time.Time
}

// TaskEnd is posted when a task attempt ends: with its metrics when it succeeded, with Err
// when it failed, and Retry when the attempt will be run again (Cause says why it failed).
type TaskEnd struct {
	JobID, StageID, Partition, Attempt int
	Time                               time.Time
	Metrics                            *TaskMetrics
	Err                                error
	Cause                              FailureCause
	Retry                              bool
}

// Spill is posted when a spill file is written: by an operator short of memory, or by the
// block store moving a cached partition or a shuffle block to disk.
type Spill struct {
	Time time.Time
	// Name says what spilled (an operator and task, or a block).
	Name string
	// Bytes on disk and RawBytes in memory.
	Bytes, RawBytes, Rows int64
}

// Eviction is posted when the block store evicts a block for execution memory: to disk
// (ToDisk) or dropped, to be recomputed from lineage.
type Eviction struct {
	Time   time.Time
	Block  string
	Bytes  int64
	ToDisk bool
}

// When returns the time of the event.
func (e *JobStart) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *JobEnd) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *StageStart) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *StageEnd) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *TaskStart) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *TaskEnd) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *Spill) When() time.Time { return e.Time }

// When returns the time of the event.
func (e *Eviction) When() time.Time { return e.Time }

// Listener receives a session's events. OnEvent is called on the bus's goroutine, one
// event at a time; a slow listener delays the others, never a job.
type Listener interface {
	OnEvent(Event)
}

// ListenerFunc adapts a function to a Listener.
type ListenerFunc func(Event)

// OnEvent calls f(e).
func (f ListenerFunc) OnEvent(e Event) { f(e) }

// busCapacity bounds the events waiting for the listeners; beyond it events are dropped
// (and counted) rather than make a job wait, as Spark's listener bus does.
const busCapacity = 1 << 14

// Bus delivers events to listeners on its own goroutine. Posting never blocks: when the
// listeners fall busCapacity events behind, new events are dropped and counted. A nil
// *Bus, or one without listeners, takes no events (Active reports it), so that jobs build
// none.
type Bus struct {
	listeners []Listener
	queue     chan Event
	done      chan struct{}
	dropped   atomic.Int64
	closeOnce sync.Once
}

// NewBus starts a bus delivering to listeners (nil listeners are skipped). With none, it
// starts no goroutine and Active is false. Close stops it.
func NewBus(listeners ...Listener) *Bus {
	b := &Bus{}
	for _, l := range listeners {
		if l != nil {
			b.listeners = append(b.listeners, l)
		}
	}
	if len(b.listeners) == 0 {
		return b
	}
	b.queue = make(chan Event, busCapacity)
	b.done = make(chan struct{})
	go b.deliver()
	return b
}

func (b *Bus) deliver() {
	defer close(b.done)
	for e := range b.queue {
		for _, l := range b.listeners {
			l.OnEvent(e)
		}
	}
}

// Active reports whether events posted to b reach a listener.
func (b *Bus) Active() bool { return b != nil && b.queue != nil }

// Post queues e for the listeners, or drops it when the queue is full.
func (b *Bus) Post(e Event) {
	if !b.Active() {
		return
	}
	select {
	case b.queue <- e:
	default:
		b.dropped.Add(1)
	}
}

// Dropped returns how many events were dropped because the listeners fell behind.
func (b *Bus) Dropped() int64 {
	if b == nil {
		return 0
	}
	return b.dropped.Load()
}

// Close delivers the events queued so far, then stops the bus. No Post may follow.
func (b *Bus) Close() {
	if !b.Active() {
		return
	}
	b.closeOnce.Do(func() {
		close(b.queue)
		<-b.done
	})
}
