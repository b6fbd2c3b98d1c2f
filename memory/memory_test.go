package memory

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	amem "github.com/apache/arrow-go/v18/arrow/memory"
)

const mib = 1 << 20

func TestConfigDefaultsAndValidate(t *testing.T) {
	var c Config
	c.EnsureDefaults()
	if c.Limit < minDefaultLimit || c.StorageFraction != DefaultStorageFraction {
		t.Fatalf("EnsureDefaults gave %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	phys := int64(4 << 30)
	if got := defaultLimit(phys); got != int64(0.6*float64(phys-300*mib)) {
		t.Fatalf("defaultLimit(4 GiB) = %d", got)
	}
	for _, bad := range []Config{{Limit: -1}, {StorageFraction: -0.1}, {StorageFraction: 1.5}} {
		if err := bad.Validate(); err == nil || !strings.HasPrefix(err.Error(), "memory: Config.") {
			t.Errorf("Validate(%+v) = %v", bad, err)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	n, ok := parseMemTotal(strings.NewReader("Foo: 1 kB\nMemTotal:       16318260 kB\nMemFree: 2 kB\n"))
	if !ok || n != 16318260*1024 {
		t.Fatalf("got %d %v", n, ok)
	}
	if _, ok := parseMemTotal(strings.NewReader("nothing\n")); ok {
		t.Fatal("parsed a file without MemTotal")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 512: "512 B", 1024: "1.0 KiB", 12 * mib: "12.0 MiB", 1536 * mib: "1.5 GiB", -2048: "-2.0 KiB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLimitEnforcedAndErrorText(t *testing.T) {
	m := NewManager(Config{Limit: 512 * mib})
	other := m.NewReservation("sort@stage 1 task 2")
	if err := other.TryGrow(462 * mib); err != nil {
		t.Fatal(err)
	}
	r := m.NewReservation("hash-aggregate@stage 1 task 3")
	if err := r.TryGrow(40 * mib); err != nil {
		t.Fatal(err)
	}
	err := r.TryGrow(12 * mib)
	if !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("TryGrow past the limit: %v", err)
	}
	want := "memory: budget exceeded: hash-aggregate@stage 1 task 3 asked for 12.0 MiB, holds 40.0 MiB; " +
		"execution in use 502.0 MiB, storage in use 0 B of budget 512.0 MiB"
	if err.Error() != want {
		t.Fatalf("error text\n got %q\nwant %q", err, want)
	}
	var be *BudgetError
	if !errors.As(err, &be) || be.Name != r.Name() || be.Requested != 12*mib {
		t.Fatalf("errors.As: %+v", be)
	}
	if r.Size() != 40*mib {
		t.Fatalf("a refused TryGrow changed the size to %d", r.Size())
	}
	if err := r.TryGrow(512*mib - 502*mib); err != nil {
		t.Fatalf("exactly the free memory: %v", err)
	}
	// Grow records allocations already made, even past the budget.
	r.Grow(mib)
	if s := m.Stats(); s.ExecutionUsed != 513*mib || s.PeakExecution != 513*mib || r.Size() != 51*mib {
		t.Fatalf("stats %+v", s)
	}
	if err := r.Resize(10 * mib); err != nil || r.Size() != 10*mib {
		t.Fatalf("Resize down: %v, size %d", err, r.Size())
	}
	r.Shrink(100 * mib) // more than held: clamps
	if r.Size() != 0 {
		t.Fatalf("size %d after over-shrink", r.Size())
	}
	other.Free()
	other.Free()
	if s := m.Stats(); s.ExecutionUsed != 0 {
		t.Fatalf("execution used %d after Free", s.ExecutionUsed)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.TryGrow(-1); err == nil {
		t.Fatal("negative TryGrow accepted")
	}
}

func TestCloseReportsOutstanding(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib})
	a := m.NewReservation("join-build@stage 2 task 0")
	a.Grow(3 * mib)
	m.NewReservation("idle") // never grows: not a leak
	if err := m.AcquireStorage(mib); err != nil {
		t.Fatal(err)
	}
	err := m.Close()
	if err == nil || !strings.Contains(err.Error(), "join-build@stage 2 task 0 holds 3.0 MiB") ||
		!strings.Contains(err.Error(), "storage holds 1.0 MiB") || strings.Contains(err.Error(), "idle") {
		t.Fatalf("Close = %v", err)
	}
	a.Free()
	m.ReleaseStorage(mib)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// fakeStore is an Evictor holding storage blocks of fixed sizes, evicted oldest first.
type fakeStore struct {
	m      *Manager
	mu     sync.Mutex
	blocks []int64
	calls  int
}

func (f *fakeStore) put(t *testing.T, n int64) {
	t.Helper()
	if err := f.m.AcquireStorage(n); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.blocks = append(f.blocks, n)
	f.mu.Unlock()
}

func (f *fakeStore) EvictBlocks(need int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var freed int64
	for freed < need && len(f.blocks) > 0 {
		freed += f.blocks[0]
		f.m.ReleaseStorage(f.blocks[0])
		f.blocks = f.blocks[1:]
	}
	return freed
}

func TestBorrowingRules(t *testing.T) {
	m := NewManager(Config{Limit: 100 * mib, StorageFraction: 0.4}) // region 40 MiB
	fs := &fakeStore{m: m}
	m.SetEvictor(fs)

	// Storage may borrow free execution memory beyond its region.
	for range 7 {
		fs.put(t, 10*mib)
	}
	r := m.NewReservation("sort")
	if err := r.TryGrow(30 * mib); err != nil {
		t.Fatalf("free memory: %v", err)
	}
	if fs.calls != 0 {
		t.Fatal("evicted although free memory sufficed")
	}
	// Storage never evicts execution: only free memory is available to it.
	if err := m.AcquireStorage(mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("storage acquired past free memory: %v", err)
	}
	// Execution takes back storage above the region (70 − 40 = 30 MiB reclaimable).
	if err := r.TryGrow(25 * mib); err != nil {
		t.Fatalf("reclaim from storage: %v", err)
	}
	if s := m.Stats(); s.StorageUsed != 40*mib || s.ExecutionUsed != 55*mib || s.EvictedBytes != 30*mib {
		t.Fatalf("after eviction: %+v", s)
	}
	// ...but never below the region.
	if err := r.TryGrow(10 * mib); !errors.Is(err, ErrBudgetExceeded) {
		t.Fatalf("evicted below the storage region: %v", err)
	}
	if s := m.Stats(); s.StorageUsed != 40*mib {
		t.Fatalf("storage used %d", s.StorageUsed)
	}
	// Execution memory left free can be used by storage again.
	r.Shrink(20 * mib)
	fs.put(t, 20*mib)
	r.Free()
	fs.EvictBlocks(1 << 40)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentReservations(t *testing.T) {
	const limit = 64 * mib
	m := NewManager(Config{Limit: limit})
	fs := &fakeStore{m: m}
	m.SetEvictor(fs)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := m.NewReservation("worker")
			for i := range 2000 {
				n := int64((g*31+i*17)%4096+1) * 1024
				if err := r.TryGrow(n); err == nil {
					if s := m.Stats(); s.ExecutionUsed+s.StorageUsed > limit {
						t.Errorf("over limit: %+v", s)
					}
				} else if !errors.Is(err, ErrBudgetExceeded) {
					t.Error(err)
				}
				if i%3 == 0 {
					r.Shrink(n / 2)
				}
				if i%50 == 0 {
					if m.AcquireStorage(512*1024) == nil {
						fs.mu.Lock()
						fs.blocks = append(fs.blocks, 512*1024)
						fs.mu.Unlock()
					}
				}
			}
			r.Free()
		}()
	}
	wg.Wait()
	fs.EvictBlocks(1 << 40)
	if s := m.Stats(); s.ExecutionUsed != 0 || s.StorageUsed != 0 || s.PeakExecution > limit {
		t.Fatalf("after concurrent use: %+v", s)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAllocatorCountsToZero(t *testing.T) {
	checked := amem.NewCheckedAllocator(amem.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	a := NewAllocator(checked)

	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(a, schema)
	for i := range 10000 {
		if i%7 == 0 {
			b.Field(0).AppendNull()
			b.Field(1).AppendNull()
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(strings.Repeat("x", i%13))
	}
	rec := b.NewRecordBatch()
	b.Release()
	if a.Allocated() <= 0 || a.Allocated() != int64(checked.CurrentAlloc()) {
		t.Fatalf("allocated %d, checked allocator %d", a.Allocated(), checked.CurrentAlloc())
	}
	sl := rec.NewSlice(10, 20)
	rec.Release()
	if a.Allocated() == 0 {
		t.Fatal("a live slice must keep its parent's buffers counted")
	}
	sl.Release()
	if a.Allocated() != 0 {
		t.Fatalf("allocated %d after releasing everything", a.Allocated())
	}
	if a.Peak() < 10000*8 {
		t.Fatalf("peak %d", a.Peak())
	}
}

func TestAllocatorConcurrent(t *testing.T) {
	a := NewAllocator(nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				b := a.Allocate(i + 1)
				b = a.Reallocate(2*i+5, b)
				a.Free(b)
			}
		}()
	}
	wg.Wait()
	if a.Allocated() != 0 || a.Peak() <= 0 {
		t.Fatalf("allocated %d peak %d", a.Allocated(), a.Peak())
	}
}
