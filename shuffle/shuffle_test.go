package shuffle

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
	kmem "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// env is a service over a block manager, on a checked allocator that must end at zero.
type env struct {
	mem   *memory.CheckedAllocator
	mgr   *kmem.Manager
	store *storage.BlockManager
	spill *storage.SpillManager
	svc   *Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvLimit(t, 1<<30)
}

// newEnvLimit is newEnv with a memory budget of limit bytes.
func newEnvLimit(t *testing.T, limit int64) *env {
	t.Helper()
	e := &env{mem: memtest.Checked(), mgr: kmem.NewManager(kmem.Config{Limit: limit})}
	spill, err := storage.NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { spill.Close() })
	e.spill, e.store = spill, storage.NewBlockManager(e.mgr, spill)
	e.svc = NewService(e.store)
	t.Cleanup(func() {
		if err := e.svc.Close(); err != nil {
			t.Error(err)
		}
		if e.store.Bytes() != 0 {
			t.Errorf("store holds %d bytes after Service.Close", e.store.Bytes())
		}
		e.store.Close()
		if err := e.mgr.Close(); err != nil {
			t.Error(err)
		}
		e.mem.AssertSize(t, 0)
	})
	return e
}

// readAll reads reduce partition r, checking every batch's schema.
func readAll(t *testing.T, svc *Service, shuffleID, r int) []row {
	t.Helper()
	rd := svc.Reader(shuffleID, r)
	defer rd.Close()
	var out []row
	for {
		b, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if !b.Schema().Equal(testSchema) || b.NumRows() == 0 {
			t.Fatalf("partition %d: batch with %d rows, schema %s", r, b.NumRows(), b.Schema())
		}
		out = append(out, rowsOf(t, b)...)
		b.Release()
	}
}

// mapInput is the batches of one map task (sizes include empty and one-row batches).
func mapInput(mem memory.Allocator, rng *rand.Rand, firstID int, sizes []int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for _, n := range sizes {
		out = append(out, genBatch(mem, rng, firstID, n))
		firstID += n
	}
	return out
}

func writeMap(t *testing.T, e *env, shuffleID, mapID, attempt int, p Partitioner, in []arrow.RecordBatch) MapStatus {
	t.Helper()
	w := e.svc.NewWriter(shuffleID, mapID, attempt, p, testSchema, e.mem)
	defer w.Abort()
	for _, b := range in {
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func release(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

func TestShufflePartitionsEveryRowOnce(t *testing.T) {
	leakcheck.Check(t)
	sizes := []int{0, 1, 37, 0, 500, 1, 1200}
	cases := []struct {
		name  string
		p     func() Partitioner
		keyOf func(r row) string // nil: no key equality to check
		rr    bool
	}{
		{"hash-k", func() Partitioner { return NewHashPartitioner([]int{colK}, 7) }, func(r row) string { return r.k }, false},
		{"hash-f", func() Partitioner { return NewHashPartitioner([]int{colF}, 5) }, func(r row) string { return r.fNorm }, false},
		{"hash-s", func() Partitioner { return NewHashPartitioner([]int{colS}, 4) }, func(r row) string { return r.s }, false},
		{"hash-d", func() Partitioner { return NewHashPartitioner([]int{colD}, 4) }, func(r row) string { return r.d }, false},
		{"hash-k-s-b", func() Partitioner { return NewHashPartitioner([]int{colK, colS, colB}, 3) }, func(r row) string { return r.k + "|" + r.s + "|" + r.b }, false},
		{"hash-more-partitions-than-rows", func() Partitioner { return NewHashPartitioner([]int{colK}, 5000) }, func(r row) string { return r.k }, false},
		{"round-robin", func() Partitioner { return NewRoundRobinPartitioner(6, 4) }, nil, true},
		{"single", NewSinglePartitioner, nil, false},
	}
	for _, bRows := range []int{1, 64, DefaultBatchRows} {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := newEnv(t)
				e.svc.SetBatchRows(bRows)
				rng := rand.New(rand.NewPCG(7, uint64(bRows)))
				var inputs [][]arrow.RecordBatch
				var want []row // every input row, by id
				var rrWant = map[int64]int{}
				const maps = 3
				np := c.p().NumPartitions()
				for m := range maps {
					in := mapInput(e.mem, rng, m*10000, sizes)
					inputs = append(inputs, in)
					// Plain-Go round robin: map m starts at partition 4 and deals in turn.
					seq := 0
					for _, b := range in {
						for _, r := range rowsOf(t, b) {
							want = append(want, r)
							rrWant[r.id] = (4 + seq) % np
							seq++
						}
					}
				}
				var status []MapStatus
				for m := range maps {
					p := c.p() // round robin is stateful: one per map task
					status = append(status, writeMap(t, e, 1, m, 0, p, inputs[m]))
					release(inputs[m])
				}

				got := map[int64]row{}
				part := map[int64]int{}
				keyPart := map[string]int{}
				st := e.svc.Stats(1)
				if st.MapOutputs != maps || len(st.Rows) != np {
					t.Fatalf("stats %+v", st)
				}
				var total int64
				for r := range np {
					rows := readAll(t, e.svc, 1, r)
					if int64(len(rows)) != st.Rows[r] {
						t.Fatalf("partition %d: read %d rows, stats say %d", r, len(rows), st.Rows[r])
					}
					var sum int64
					for _, s := range status {
						sum += s.Rows[r]
					}
					if sum != st.Rows[r] || (st.Rows[r] > 0) != (st.Bytes[r] > 0) {
						t.Fatalf("partition %d: stats rows %d bytes %d, map statuses sum %d", r, st.Rows[r], st.Bytes[r], sum)
					}
					total += st.Bytes[r]
					// Rows come in map order and, within a map, in input order: ids ascend.
					if !slices.IsSortedFunc(rows, func(a, b row) int { return int(a.id - b.id) }) {
						t.Fatalf("partition %d: rows out of order", r)
					}
					for _, x := range rows {
						if _, dup := got[x.id]; dup {
							t.Fatalf("row %d read twice", x.id)
						}
						got[x.id], part[x.id] = x, r
						if c.keyOf != nil {
							k := c.keyOf(x)
							if p, ok := keyPart[k]; ok && p != r {
								t.Fatalf("key %q in partitions %d and %d", k, p, r)
							}
							keyPart[k] = r
						}
						if c.rr && rrWant[x.id] != r {
							t.Fatalf("round robin: row %d in partition %d, want %d", x.id, r, rrWant[x.id])
						}
					}
				}
				if total != st.BytesWritten {
					t.Fatalf("BytesWritten %d, sum %d", st.BytesWritten, total)
				}
				if len(got) != len(want) {
					t.Fatalf("read %d rows, wrote %d", len(got), len(want))
				}
				for _, w := range want {
					if got[w.id] != w {
						t.Fatalf("row %d changed:\n got %+v\nwant %+v", w.id, got[w.id], w)
					}
				}
				e.svc.Remove(1)
				if e.store.Bytes() != 0 || e.mgr.Stats().StorageUsed != 0 {
					t.Fatalf("after Remove: store %d bytes", e.store.Bytes())
				}
				if e.svc.Stats(1).MapOutputs != 0 {
					t.Fatal("stats survive Remove")
				}
			})
		}
	}
}

func TestHashPartitionDictionaryMatchesPlainAndNulls(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := genBatch(mem, rand.New(rand.NewPCG(3, 4)), 0, 2000)
	defer rec.Release()
	a, b := make([]int32, 2000), make([]int32, 2000)
	if err := NewHashPartitioner([]int{colS}, 13).Assign(rec, a); err != nil {
		t.Fatal(err)
	}
	if err := NewHashPartitioner([]int{colD}, 13).Assign(rec, b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Fatal("dictionary and plain strings of equal value go to different partitions")
	}
	if err := NewHashPartitioner([]int{9}, 3).Assign(rec, a); err == nil {
		t.Fatal("key column out of range accepted")
	}
	if err := NewHashPartitioner([]int{0}, 0).Assign(rec, a); err == nil {
		t.Fatal("zero partitions accepted")
	}
	if err := NewHashPartitioner([]int{0}, 3).Assign(rec, a[:5]); err == nil {
		t.Fatal("short output accepted")
	}
}

func TestAbortAndUncommittedInvisible(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 1))
	in := mapInput(e.mem, rng, 0, []int{100, 0, 3})
	defer release(in)

	w := e.svc.NewWriter(2, 0, 0, NewHashPartitioner([]int{colK}, 4), testSchema, e.mem)
	for _, b := range in {
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	for r := range 4 {
		if rows := readAll(t, e.svc, 2, r); len(rows) != 0 {
			t.Fatal("uncommitted output visible")
		}
	}
	w.Abort()
	w.Abort()
	if _, err := w.Commit(); err == nil {
		t.Fatal("commit after abort")
	}
	if err := w.Write(context.Background(), in[0]); err == nil {
		t.Fatal("write after abort")
	}
	if e.store.Bytes() != 0 || e.svc.Stats(2).MapOutputs != 0 {
		t.Fatal("aborted output left something behind")
	}

	// A cancelled context and a wrong schema are errors, not panics.
	w = e.svc.NewWriter(2, 0, 1, NewSinglePartitioner(), testSchema, e.mem)
	defer w.Abort()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Write(ctx, in[0]); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	w2 := e.svc.NewWriter(2, 1, 0, NewSinglePartitioner(), other, e.mem)
	if err := w2.Write(context.Background(), in[0]); err == nil {
		t.Fatal("schema mismatch accepted")
	}
	w2.Abort()
}

func TestLaterAttemptReplaces(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(5, 5))
	first := mapInput(e.mem, rng, 0, []int{50})
	second := mapInput(e.mem, rng, 1000, []int{20})
	defer release(first)
	defer release(second)

	// Attempt 0 spreads rows over 3 partitions; attempt 1 puts everything in partition 0.
	writeMap(t, e, 3, 0, 0, NewRoundRobinPartitioner(3, 0), first)
	rd := e.svc.Reader(3, 1) // opened before the replacement
	writeMap(t, e, 3, 0, 1, &constPartitioner{n: 3}, second)
	st := e.svc.Stats(3)
	if st.MapOutputs != 1 || st.Rows[0] != 20 || st.Rows[1] != 0 || st.Rows[2] != 0 {
		t.Fatalf("stats after replacement %+v", st)
	}
	rows := readAll(t, e.svc, 3, 0)
	if len(rows) != 20 || rows[0].id != 1000 {
		t.Fatalf("partition 0 after replacement: %d rows", len(rows))
	}
	if len(readAll(t, e.svc, 3, 1)) != 0 {
		t.Fatal("partition 1 still shows attempt 0")
	}
	// The reader opened before sees that attempt 1 has no rows for partition 1.
	if b, err := rd.Next(); err != io.EOF {
		t.Fatalf("stale reader: %v %v", b, err)
	}
	rd.Close()

	// An older attempt cannot replace a newer one.
	w := e.svc.NewWriter(3, 0, 0, NewRoundRobinPartitioner(3, 0), testSchema, e.mem)
	if err := w.Write(context.Background(), first[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("stale commit: %v", err)
	}
	if _, err := w.Commit(); err == nil {
		t.Fatal("second commit accepted")
	}
	w.Abort() // no-op after commit
	if rows := readAll(t, e.svc, 3, 0); len(rows) != 20 {
		t.Fatal("stale commit changed the output")
	}
	rd = e.svc.Reader(3, 7)
	if _, err := rd.Next(); err == nil || err == io.EOF {
		t.Fatalf("out of range reduce partition: %v", err)
	}
	rd.Close()
	// A writer whose partition count differs from the shuffle's cannot commit.
	w = e.svc.NewWriter(3, 1, 0, NewSinglePartitioner(), testSchema, e.mem)
	if err := w.Write(context.Background(), first[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err == nil {
		t.Fatal("commit with a different partition count accepted")
	}
}

type constPartitioner struct{ n int }

func (p *constPartitioner) NumPartitions() int { return p.n }
func (p *constPartitioner) Assign(_ arrow.RecordBatch, out []int32) error {
	clear(out)
	return nil
}

func TestRemoveWhileReading(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(9, 9))
	for m := range 2 {
		in := mapInput(e.mem, rng, m*100, []int{30})
		writeMap(t, e, 4, m, 0, NewSinglePartitioner(), in)
		release(in)
	}
	rd := e.svc.Reader(4, 0)
	b, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	e.svc.Remove(4)
	if _, err := rd.Next(); !errors.Is(err, ErrMissingOutput) {
		t.Fatalf("read after Remove: %v", err)
	}
	rd.Close()
	rd.Close()
	if _, err := rd.Next(); err == nil {
		t.Fatal("Next after Close")
	}
	// A reader closed early releases what it fetched.
	in := mapInput(e.mem, rng, 0, []int{10, 10})
	e.svc.SetBatchRows(5)
	writeMap(t, e, 5, 0, 0, NewSinglePartitioner(), in)
	release(in)
	rd = e.svc.Reader(5, 0)
	b, _ = rd.Next()
	b.Release()
	rd.Close()
}

func TestConcurrentWriters(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	const maps, parts = 8, 5
	var wg sync.WaitGroup
	p := NewHashPartitioner([]int{colK, colS}, parts) // shared by every writer
	ids := make([][]int64, maps)
	for m := range maps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(m), 11))
			in := mapInput(e.mem, rng, m*10000, []int{300, 1, 0, 700})
			defer release(in)
			for _, b := range in {
				for _, r := range rowsOf(t, b) {
					ids[m] = append(ids[m], r.id)
				}
			}
			w := e.svc.NewWriter(6, m, 0, p, testSchema, e.mem)
			defer w.Abort()
			for _, b := range in {
				if err := w.Write(context.Background(), b); err != nil {
					t.Error(err)
					return
				}
			}
			if _, err := w.Commit(); err != nil {
				t.Error(err)
			}
		}()
	}
	// Concurrent readers of whatever is committed so far must not race.
	for r := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readAll(t, e.svc, 6, r)
			e.svc.Stats(6)
		}()
	}
	wg.Wait()
	var want, got []int64
	for _, x := range ids {
		want = append(want, x...)
	}
	for r := range parts {
		for _, x := range readAll(t, e.svc, 6, r) {
			got = append(got, x.id)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
}

func BenchmarkHashPartition(b *testing.B) {
	mem := memory.NewGoAllocator()
	const rows = 1 << 16
	rec := genBatch(mem, rand.New(rand.NewPCG(1, 2)), 0, rows)
	defer rec.Release()
	spill, err := storage.NewSpillManager(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer spill.Close()
	store := storage.NewBlockManager(kmem.NewManager(kmem.Config{Limit: 1 << 34}), spill)
	defer store.Close()
	svc := NewService(store)
	defer svc.Close()
	p := NewHashPartitioner([]int{colK, colS}, 64)
	b.SetBytes(util.TotalRecordSize(rec))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w := svc.NewWriter(1, i, 0, p, testSchema, mem)
		if err := w.Write(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
		if _, err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		svc.Remove(1)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
