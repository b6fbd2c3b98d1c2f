package memory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindling-data/kindling/internal/leakcheck"
)

// consumer is a test Spiller that records what it was asked for and spills all it holds,
// unless told to free nothing or to fail.
type consumer struct {
	name    string
	r       *Reservation
	log     *[]string // shared by a task's consumers: the order of Spill calls
	freeNil bool      // Spill frees nothing, like an operator that is not accumulating
	err     error
	calls   int
}

func (c *consumer) Spill(need int64) (int64, error) {
	c.calls++
	*c.log = append(*c.log, fmt.Sprintf("%s(%d)", c.name, need/mib))
	if c.err != nil {
		return 0, c.err
	}
	if c.freeNil {
		return 0, nil
	}
	freed := c.r.Size()
	c.r.Shrink(freed)
	return freed, nil
}

// newConsumer adds a spillable (or, with spill false, plain) reservation holding size bytes.
func newConsumer(t *testing.T, task *Task, log *[]string, name string, size int64, spill bool) *consumer {
	t.Helper()
	c := &consumer{name: name, log: log}
	if spill {
		c.r = task.NewReservation(name, c)
	} else {
		c.r = task.NewReservation(name, nil)
	}
	if err := c.r.TryGrow(size); err != nil {
		t.Fatalf("setting up %s: %v", name, err)
	}
	return c
}

// waitFor polls cond until it holds or a generous bound passes; the bound only keeps a broken
// build from hanging, it asserts nothing about timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv returns the TryGrow result sent on ch, failing the test if none comes in a bound.
func recv(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("TryGrow did not return")
		return nil
	}
}

func TestTaskCapsWithNTasks(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib})
	ctx := context.Background()
	t1, t2 := m.NewTask(ctx, "t1"), m.NewTask(ctx, "t2")
	// One task can take everything.
	a := t1.NewReservation("a", nil)
	if err := a.TryGrow(100 * mib); err != nil {
		t.Fatalf("a lone task must get the whole budget: %v", err)
	}
	if t1.PeakExecution() != 100*mib || t1.Used() != 100*mib {
		t.Fatalf("peak %d used %d", t1.PeakExecution(), t1.Used())
	}
	a.Shrink(90 * mib)
	// With two active tasks the cap is 50 MiB each.
	b := t2.NewReservation("b", nil)
	if err := b.TryGrow(30 * mib); err != nil {
		t.Fatal(err)
	}
	if s := m.Stats(); s.ActiveTasks != 2 {
		t.Fatalf("active tasks %d", s.ActiveTasks)
	}
	// 30 + 25 > 50 although 60 MiB are free: refused at once (t2 is above its minimum
	// share), naming the cap.
	err := b.TryGrow(25 * mib)
	var be *BudgetError
	if !errors.As(err, &be) || be.Tasks != 2 || be.TaskCap != 50*mib || be.TaskHeld != 30*mib {
		t.Fatalf("over the cap: %v (%+v)", err, be)
	}
	if !strings.Contains(err.Error(), "its task holds 30.0 MiB of its cap 50.0 MiB (1/2 of execution memory)") {
		t.Fatalf("error text %q", err)
	}
	// Below the minimum share but over the cap with a request that alone fits the cap: no
	// wait, the task is told to spill itself.
	b.Shrink(10 * mib)
	if err := b.TryGrow(40 * mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("20 + 40 > cap 50: %v", err)
	}
	if err := b.TryGrow(30 * mib); err != nil {
		t.Fatalf("exactly the cap: %v", err)
	}
	// A third task lowers the cap to 33 MiB: t2 keeps what it holds but cannot grow.
	t3 := m.NewTask(ctx, "t3")
	c := t3.NewReservation("c", nil)
	if err := c.TryGrow(mib); err != nil {
		t.Fatal(err)
	}
	if err := b.TryGrow(mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("over the cap of three tasks: %v", err)
	}
	// Ending tasks raises the cap again.
	t1.Close()
	t3.Close()
	if s := m.Stats(); s.ActiveTasks != 1 || s.ExecutionUsed != 50*mib {
		t.Fatalf("after closing: %+v", s)
	}
	if err := b.TryGrow(50 * mib); err != nil {
		t.Fatalf("alone again: %v", err)
	}
	if s := m.Stats(); s.WaitCount != 0 {
		t.Fatalf("no request here should have waited: %+v", s)
	}
	t2.Close()
	t2.Close()
	if err := b.TryGrow(mib); err == nil || errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("TryGrow on a closed task: %v", err)
	}
	if s := m.Stats(); s.ExecutionUsed != 0 || s.ActiveTasks != 0 || s.PeakExecution != 100*mib {
		t.Fatalf("end: %+v", s)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTaskBelowMinShareWaitsForRelease(t *testing.T) {
	leakcheck.Check(t)
	m := NewManager(Config{Limit: 100 * mib})
	ctx := context.Background()
	t1, t2 := m.NewTask(ctx, "t1"), m.NewTask(ctx, "t2")
	a := t1.NewReservation("a", nil)
	if err := a.TryGrow(90 * mib); err != nil {
		t.Fatal(err)
	}
	b := t2.NewReservation("b", nil)
	done := make(chan error, 1)
	go func() { done <- b.TryGrow(20 * mib) }() // 0 < minimum share 25, only 10 free: waits
	waitFor(t, "the first wait", func() bool { return m.Stats().WaitCount == 1 })
	// Not enough released: it keeps waiting.
	a.Shrink(5 * mib)
	waitFor(t, "the second wait", func() bool { return m.Stats().WaitCount == 2 })
	select {
	case err := <-done:
		t.Fatalf("TryGrow returned %v with 15 MiB free", err)
	default:
	}
	a.Shrink(5 * mib)
	if err := recv(t, done); err != nil {
		t.Fatalf("after the release: %v", err)
	}
	if b.Size() != 20*mib || m.Stats().ExecutionUsed != 100*mib {
		t.Fatalf("b %d, stats %+v", b.Size(), m.Stats())
	}
	// Closing a task wakes a waiter too.
	b2 := t2.NewReservation("b2", nil)
	go func() { done <- b2.TryGrow(5 * mib) }() // t2 holds 20 < 25
	waitFor(t, "the third wait", func() bool { return m.Stats().WaitCount == 3 })
	t1.Close()
	if err := recv(t, done); err != nil {
		t.Fatalf("after Close: %v", err)
	}
	t2.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTaskWaitEndsOnContextAndDeadline(t *testing.T) {
	leakcheck.Check(t)
	m := NewManager(Config{Limit: 100 * mib, TaskWait: 20 * time.Millisecond})
	holder := m.NewTask(context.Background(), "holder")
	a := holder.NewReservation("a", nil)
	if err := a.TryGrow(95 * mib); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waiter := m.NewTask(ctx, "waiter")
	b := waiter.NewReservation("b", nil)
	done := make(chan error, 1)
	go func() { done <- b.TryGrow(10 * mib) }()
	waitFor(t, "the wait", func() bool { return m.Stats().WaitCount >= 1 })
	cancel()
	err := recv(t, done)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrBudgetExceeded) || !strings.Contains(err.Error(), "b") {
		t.Fatalf("cancelled wait: %v", err)
	}
	if b.Size() != 0 || m.Stats().ExecutionUsed != 95*mib {
		t.Fatalf("a cancelled wait changed the accounting: %+v", m.Stats())
	}
	// The bound: nobody releases, so the wait ends with a budget error.
	w2 := m.NewTask(context.Background(), "w2")
	c := w2.NewReservation("c", nil)
	if err := c.TryGrow(10 * mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("wait past TaskWait: %v", err)
	}
	// A request larger than all execution memory never waits: the minimum working set does
	// not fit.
	before := m.Stats().WaitCount
	if err := c.TryGrow(101 * mib); !errors.Is(err, ErrBudgetExceeded) || m.Stats().WaitCount != before {
		t.Fatalf("request over the budget: %v, waits %d → %d", err, before, m.Stats().WaitCount)
	}
	holder.Close()
	waiter.Close()
	w2.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTasksWantingMoreThanTheirCapDoNotDeadlock(t *testing.T) {
	leakcheck.Check(t)
	m := NewManager(Config{Limit: 100 * mib})
	ctx := context.Background()
	t1, t2 := m.NewTask(ctx, "t1"), m.NewTask(ctx, "t2")
	a, b := t1.NewReservation("a", nil), t2.NewReservation("b", nil)
	if err := a.TryGrow(10 * mib); err != nil {
		t.Fatal(err)
	}
	if err := b.TryGrow(10 * mib); err != nil {
		t.Fatal(err)
	}
	// One batch of t1 needs 60 MiB > cap 50: t1 waits for N to drop.
	done := make(chan error, 1)
	go func() { done <- a.TryGrow(60 * mib) }()
	waitFor(t, "t1 to wait", func() bool { return m.Stats().WaitCount == 1 })
	// t2 wants as much: waiting too would leave nobody to release, so it may use the memory
	// t1 cannot.
	if err := b.TryGrow(60 * mib); err != nil {
		t.Fatalf("the last runnable task: %v", err)
	}
	t2.Close() // N drops to 1: t1 proceeds
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	if a.Size() != 70*mib {
		t.Fatalf("a holds %d", a.Size())
	}
	if st := m.Stats(); st.WaitTime <= 0 {
		t.Fatalf("%d waits took %v", st.WaitCount, st.WaitTime)
	}
	t1.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// spillTask sets up one task with spillable consumers of the given MiB sizes, a requester, and
// 100 MiB of budget, of which the consumers hold sum(sizes).
func spillTask(t *testing.T, sizes ...int64) (*Manager, *Task, *Reservation, *consumer, []*consumer, *[]string) {
	t.Helper()
	m := NewManager(Config{Limit: 100 * mib})
	task := m.NewTask(context.Background(), "stage 1 task 0")
	log := new([]string)
	var cs []*consumer
	for i, sz := range sizes {
		cs = append(cs, newConsumer(t, task, log, fmt.Sprintf("c%d", i), sz*mib, true))
	}
	// The requester is spillable too, to prove it is never asked through the callback.
	self := &consumer{name: "self", log: log}
	self.r = task.NewReservation("requester", self)
	return m, task, self.r, self, cs, log
}

func TestSpillOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ask   int64 // MiB; 10 are free, so the shortfall is ask − 10
		want  []string
		sizes []int64
	}{
		// Need 25: the smallest consumer covering it is the 30 MiB one.
		{"smallest covering", 35, []string{"c1(25)"}, []int64{10, 30, 50}},
		// Need 60: nobody covers it, so the largest, then for the remaining 10 the smallest
		// covering that.
		{"largest then covering", 70, []string{"c2(60)", "c0(10)"}, []int64{10, 30, 50}},
		// Need 65: largest (50), then 15 remain: the 30 MiB one covers them.
		{"largest then next", 75, []string{"c2(65)", "c1(15)"}, []int64{10, 30, 50}},
		// Need 90: all of them, largest first each time.
		{"everything", 100, []string{"c2(90)", "c1(40)", "c0(10)"}, []int64{10, 30, 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, task, req, self, _, log := spillTask(t, tc.sizes...)
			if err := req.TryGrow(tc.ask * mib); err != nil {
				t.Fatal(err)
			}
			if strings.Join(*log, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("spill calls %v, want %v", *log, tc.want)
			}
			if self.calls != 0 {
				t.Fatal("the requester was asked to spill itself")
			}
			s := m.Stats()
			if s.Spills != int64(len(tc.want)) || s.ExecutionUsed > s.Limit || req.Size() != tc.ask*mib {
				t.Fatalf("stats %+v, requester %d", s, req.Size())
			}
			task.Close()
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSpillSkipsConsumersThatFreeNothing(t *testing.T) {
	m, task, req, self, cs, log := spillTask(t, 10, 30, 50)
	cs[1].freeNil = true
	if err := req.TryGrow(35 * mib); err != nil {
		t.Fatal(err)
	}
	// The 30 MiB one frees nothing, so the next smallest covering 25 is the 50 MiB one.
	if got := strings.Join(*log, " "); got != "c1(25) c2(25)" {
		t.Fatalf("spill calls %s", got)
	}
	if s := m.Stats(); s.Spills != 1 || self.calls != 0 {
		t.Fatalf("stats %+v, self calls %d", s, self.calls)
	}
	// Nobody can free anything: the requester gets the budget error and must spill itself.
	*log = nil
	cs[0].freeNil = true
	err := req.TryGrow(60 * mib) // 100 − 10 − 30 − 35 = 25 free
	if !errors.Is(err, ErrBudgetExceeded) || self.calls != 0 {
		t.Fatalf("TryGrow = %v, self calls %d", err, self.calls)
	}
	if got := strings.Join(*log, " "); got != "c1(35) c0(35)" {
		t.Fatalf("spill calls %s", got)
	}
	task.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSpillErrorIsReturned(t *testing.T) {
	m, task, req, _, cs, _ := spillTask(t, 10, 30, 50)
	diskFull := errors.New("no space left on device")
	cs[1].err = diskFull
	err := req.TryGrow(35 * mib)
	if !errors.Is(err, diskFull) || errors.Is(err, ErrBudgetExceeded) ||
		!strings.Contains(err.Error(), "requester") || !strings.Contains(err.Error(), "c1") {
		t.Fatalf("TryGrow = %v", err)
	}
	if req.Size() != 0 || m.Stats().ExecutionUsed != 90*mib {
		t.Fatalf("a failed spill changed the accounting: %+v", m.Stats())
	}
	task.Close()
}

func TestTaskEvictsStorageOnlyDownToRegion(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib, StorageFraction: 0.4}) // region 40 MiB
	fs := &fakeStore{m: m}
	m.SetEvictor(fs)
	for range 7 {
		fs.put(t, 10*mib)
	}
	task := m.NewTask(context.Background(), "t")
	log := new([]string)
	sp := newConsumer(t, task, log, "sp", 0, true)
	r := task.NewReservation("r", nil)
	// M_exec = 100 − min(70, 40) = 60. 30 free, 20 evicted (two blocks).
	if err := r.TryGrow(50 * mib); err != nil {
		t.Fatal(err)
	}
	if s := m.Stats(); s.StorageUsed != 50*mib || s.EvictedBytes != 20*mib || len(*log) != 0 {
		t.Fatalf("after eviction: %+v, spills %v", s, *log)
	}
	// Over M_exec: eviction cannot help, so nothing is evicted.
	calls := fs.calls
	if err := r.TryGrow(15 * mib); !errors.Is(err, ErrBudgetExceeded) || fs.calls != calls {
		t.Fatalf("over M_exec: %v, evictor calls %d → %d", err, calls, fs.calls)
	}
	// Up to M_exec: storage goes down to the region, not below.
	if err := r.TryGrow(10 * mib); err != nil {
		t.Fatal(err)
	}
	if err := r.TryGrow(mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("past the region: %v", err)
	}
	if s := m.Stats(); s.StorageUsed != 40*mib || s.ExecutionUsed != 60*mib {
		t.Fatalf("storage went below its region: %+v", s)
	}
	// Eviction comes before spilling: with storage above the region again, a consumer
	// holding memory is not asked while eviction suffices.
	r.Shrink(30 * mib)
	if err := sp.r.TryGrow(20 * mib); err != nil {
		t.Fatal(err)
	}
	fs.put(t, 10*mib) // storage 50, exec 50: nothing free
	if err := r.TryGrow(10 * mib); err != nil {
		t.Fatal(err)
	}
	if s := m.Stats(); len(*log) != 0 || s.StorageUsed != 40*mib {
		t.Fatalf("spilled %v although eviction sufficed: %+v", *log, s)
	}
	// Storage at its region: now the spillable consumer is asked.
	if err := r.TryGrow(5 * mib); err != nil || strings.Join(*log, " ") != "sp(5)" {
		t.Fatalf("TryGrow = %v, spills %v", err, *log)
	}
	task.Close()
	fs.EvictBlocks(1 << 40)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStorageNeverEvictsExecution(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib})
	task := m.NewTask(context.Background(), "t")
	log := new([]string)
	c := newConsumer(t, task, log, "c", 100*mib, true)
	if err := m.AcquireStorage(mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("storage past free memory: %v", err)
	}
	if c.calls != 0 || c.r.Size() != 100*mib || m.Stats().StorageUsed != 0 {
		t.Fatalf("storage took execution memory: %+v, spills %v", m.Stats(), *log)
	}
	task.Close()
}

func TestUntaskedReservationNeverWaits(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib})
	holder := m.NewTask(context.Background(), "holder")
	if err := holder.NewReservation("a", nil).TryGrow(95 * mib); err != nil {
		t.Fatal(err)
	}
	r := m.NewReservation("legacy")
	if err := r.TryGrow(10 * mib); !errors.Is(err, ErrBudgetExceeded) || m.Stats().WaitCount != 0 {
		t.Fatalf("untasked TryGrow: %v, %+v", err, m.Stats())
	}
	if err := r.TryGrow(5 * mib); err != nil {
		t.Fatal(err)
	}
	// It holds memory but is not one of the N tasks.
	if s := m.Stats(); s.ActiveTasks != 1 || s.ExecutionUsed != 100*mib {
		t.Fatalf("%+v", s)
	}
	r.Free()
	holder.Close()
	if s := m.Stats(); s.ActiveTasks != 0 || s.ExecutionUsed != 0 {
		t.Fatalf("%+v", s)
	}
}

// TestWaitEndsWhenTheOtherTaskEnds: a task below its minimum share whose request is over
// its cap waits for N to drop. A reservation outside any task (a stage's broadcast build
// side, held until the stage ends) must not count in N: with it counted, the cap after the
// other task ended would still be M_exec/2, too small, and the wait would run out TaskWait.
func TestWaitEndsWhenTheOtherTaskEnds(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib, StorageFraction: 0.01, TaskWait: time.Minute})
	shared := m.NewReservation("broadcast build side")
	if err := shared.TryGrow(mib); err != nil {
		t.Fatal(err)
	}
	other := m.NewTask(t.Context(), "other")
	if err := other.NewReservation("a", nil).TryGrow(10 * mib); err != nil {
		t.Fatal(err)
	}
	waiter := m.NewTask(t.Context(), "waiter")
	done := make(chan error, 1)
	go func() { done <- waiter.NewReservation("table", nil).TryGrow(60 * mib) }()
	for m.Stats().WaitCount == 0 {
		select {
		case err := <-done:
			t.Fatalf("the request did not wait for the other task (cap M_exec/2): %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	other.Close()
	if err := <-done; err != nil {
		t.Fatalf("after the other task ended: %v", err)
	}
	if s := m.Stats(); s.WaitTimeouts != 0 || s.ActiveTasks != 1 || s.ExecutionUsed != 61*mib {
		t.Fatalf("%+v", s)
	}
	waiter.Close()
	shared.Free()
}

// TestConcurrentTasks runs 8 tasks of three consumers each (two spillable) against a budget
// smaller than their appetite, plus storage traffic, and checks that nothing ever exceeds the
// budget and that the accounting returns to zero.
func TestConcurrentTasks(t *testing.T) {
	leakcheck.Check(t)
	const limit = 64 * mib
	m := NewManager(Config{Limit: limit, TaskWait: 2 * time.Second})
	fs := &fakeStore{m: m}
	m.SetEvictor(fs)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := m.NewTask(context.Background(), fmt.Sprintf("task %d", g))
			defer task.Close()
			log := new([]string)
			cs := make([]*consumer, 3)
			for i := range cs {
				cs[i] = &consumer{name: fmt.Sprint(i), log: log}
				var s Spiller = cs[i]
				if i == 2 {
					s = nil
				}
				cs[i].r = task.NewReservation(cs[i].name, s)
			}
			for i := range 1500 {
				if len(*log) > 64 {
					*log = (*log)[:0]
				}
				c := cs[i%3]
				n := int64((g*31+i*17)%2048+1) * 1024
				err := c.r.TryGrow(n)
				switch {
				case err == nil:
					if s := m.Stats(); s.ExecutionUsed+s.StorageUsed > limit {
						t.Errorf("over the limit: %+v", s)
						return
					}
				case errors.Is(err, ErrBudgetExceeded):
					c.r.Free() // the requester spills itself
				default:
					t.Error(err)
					return
				}
				if i%5 == 0 {
					c.r.Shrink(n / 2)
				}
				if i%40 == 0 && m.AcquireStorage(256*1024) == nil {
					fs.mu.Lock()
					fs.blocks = append(fs.blocks, 256*1024)
					fs.mu.Unlock()
				}
			}
			if task.PeakExecution() > limit {
				t.Errorf("task %d peak %d", g, task.PeakExecution())
			}
		}()
	}
	wg.Wait()
	fs.EvictBlocks(1 << 40)
	s := m.Stats()
	if s.ExecutionUsed != 0 || s.StorageUsed != 0 || s.ActiveTasks != 0 || s.PeakExecution > limit {
		t.Fatalf("after concurrent use: %+v", s)
	}
	t.Logf("stats %+v", s)
	if s.Spills == 0 {
		t.Fatalf("no consumer was ever spilled: %+v", s)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// closingEvictor stands for a storage layer whose eviction races with the end of another
// task: while it runs (without the manager's lock) that task closes, and it frees nothing.
type closingEvictor struct {
	other *Task
	calls int
}

func (e *closingEvictor) EvictBlocks(int64) int64 {
	e.calls++
	e.other.Close()
	return 0
}

// TestNoLostWakeUpAfterFruitlessEviction: the last other task ends while the requester is in
// the Evictor, so its wake-up goes to nobody. The requester must see on re-locking that the
// memory is free (and that nobody is left to wait for) instead of waiting on stale figures
// until TaskWait passes.
func TestNoLostWakeUpAfterFruitlessEviction(t *testing.T) {
	leakcheck.Check(t)
	// TaskWait only bounds how long a regression takes to show; the assertions are counts.
	m := NewManager(Config{Limit: 100 * mib, StorageFraction: 0.1, TaskWait: 200 * time.Millisecond})
	if err := m.AcquireStorage(30 * mib); err != nil { // 20 MiB above the region
		t.Fatal(err)
	}
	other := m.NewTask(context.Background(), "other")
	if err := other.NewReservation("o", nil).TryGrow(60 * mib); err != nil {
		t.Fatal(err)
	}
	ev := &closingEvictor{other: other}
	m.SetEvictor(ev)
	task := m.NewTask(context.Background(), "t")
	r := task.NewReservation("r", nil)
	// 10 MiB free, 20 MiB reclaimable: the Evictor is asked, and other ends meanwhile.
	if err := r.TryGrow(20 * mib); err != nil {
		t.Fatal(err)
	}
	s := m.Stats()
	if ev.calls != 1 || s.WaitCount != 0 || s.WaitTimeouts != 0 || r.Size() != 20*mib || s.ActiveTasks != 1 {
		t.Fatalf("evictor calls %d, stats %+v", ev.calls, s)
	}
	task.Close()
	m.ReleaseStorage(30 * mib)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSpilledRequestWaitsAboveMinShare: a task that holds more than its minimum share and
// whose request exceeds its cap is refused by TryGrow (its owner can spill), but a
// TryGrowSpilled request that fits M_exec waits until the other task ends; and two such
// requests never wait for each other.
func TestSpilledRequestWaitsAboveMinShare(t *testing.T) {
	leakcheck.Check(t)
	m := NewManager(Config{Limit: 100 * mib})
	ctx := context.Background()
	t1, t2 := m.NewTask(ctx, "t1"), m.NewTask(ctx, "t2")
	a, b := t1.NewReservation("a", nil), t2.NewReservation("b", nil)
	if err := a.TryGrow(30 * mib); err != nil { // above the minimum share of 25
		t.Fatal(err)
	}
	if err := b.TryGrow(30 * mib); err != nil {
		t.Fatal(err)
	}
	if err := a.TryGrow(25 * mib); !errors.Is(err, ErrBudgetExceeded) || m.Stats().WaitCount != 0 {
		t.Fatalf("TryGrow over the cap: %v, %d waits", err, m.Stats().WaitCount)
	}
	if err := a.TryGrowSpilled(71 * mib); !errors.Is(err, ErrBudgetExceeded) || m.Stats().WaitCount != 0 {
		t.Fatalf("TryGrowSpilled past M_exec: %v, %d waits", err, m.Stats().WaitCount)
	}
	done := make(chan error, 1)
	go func() { done <- a.TryGrowSpilled(60 * mib) }()
	waitFor(t, "t1 to wait", func() bool { return m.Stats().WaitCount == 1 })
	// t2 cannot fit its own request beside t1 and t1 waits: it is refused, not parked.
	if err := b.TryGrowSpilled(50 * mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("second spilled request while the first waits: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("t1 returned %v while t2 holds 30 MiB", err)
	default:
	}
	t2.Close()
	if err := recv(t, done); err != nil {
		t.Fatalf("after t2 ended: %v", err)
	}
	if a.Size() != 90*mib {
		t.Fatalf("a holds %d", a.Size())
	}
	t1.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TryGrowNow takes the same steps as TryGrow but never waits: where TryGrow would wait for
// another task to end, it is refused at once; where memory is free, it is granted.
func TestTryGrowNowNeverWaits(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib, StorageFraction: 0.01, TaskWait: time.Minute})
	other := m.NewTask(t.Context(), "other")
	if err := other.NewReservation("a", nil).TryGrow(10 * mib); err != nil {
		t.Fatal(err)
	}
	task := m.NewTask(t.Context(), "unroll")
	r := task.NewReservation("cache unroll", nil)
	if err := r.TryGrowNow(60 * mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("over the cap M_exec/2: %v", err)
	}
	if err := r.TryGrowNow(40 * mib); err != nil {
		t.Fatalf("within the cap: %v", err)
	}
	if s := m.Stats(); s.WaitCount != 0 || s.ExecutionUsed != 50*mib {
		t.Fatalf("%+v", s)
	}
	task.Close()
	other.Close()
}
