package shuffle

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/storage"
)

// writeAll writes every batch of in to w.
func writeAll(t *testing.T, w *Writer, in []arrow.RecordBatch) {
	t.Helper()
	for _, b := range in {
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
}

// readIDs reads every reduce partition of shuffleID and returns the row ids, sorted.
func readIDs(t *testing.T, e *env, shuffleID, parts int) []int64 {
	t.Helper()
	var ids []int64
	for r := range parts {
		for _, row := range readAll(t, e.svc, shuffleID, r) {
			ids = append(ids, row.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestWriterReservesItsBuffers: what a map task's shuffle writer buffers is execution
// memory of its task; another consumer of the task that needs it makes the writer move
// its buffers to the store, and every row is still read back once after Commit.
func TestWriterReservesItsBuffers(t *testing.T) {
	leakcheck.Check(t)
	e := newEnvLimit(t, 4<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	in := mapInput(e.mem, rng, 0, []int{1000, 1, 0, 2000, 1500})
	defer release(in)
	var inBytes int64
	for _, b := range in {
		inBytes += storage.BlockBytes([]arrow.RecordBatch{b})
	}
	task := e.mgr.NewTask(context.Background(), "map 0")
	defer task.Close()
	w := e.svc.NewWriter(1, 0, 0, NewHashPartitioner([]int{colK}, 4), testSchema, e.mem)
	defer w.Abort()
	w.SetReservation(task.NewReservation("shuffle-write", w))
	writeAll(t, w, in)
	// The buffers are a gathered copy of the input: about its size, all of it reserved.
	if used := e.mgr.Stats().ExecutionUsed; used < inBytes/2 || used < w.bytes || w.bytes == 0 {
		t.Fatalf("execution used %d for %d bytes buffered from %d bytes of input", used, w.bytes, inBytes)
	}
	// Another consumer of the task takes nearly the whole budget: the writer must give
	// its memory back by staging its buffers.
	other := task.NewReservation("other", nil)
	if err := other.TryGrow(4<<20 - 64<<10); err != nil {
		t.Fatalf("the writer did not make room: %v", err)
	}
	if w.SpillCount() != 1 || w.reserved != 0 || e.store.Bytes() == 0 {
		t.Fatalf("stages %d, reserved %d, store %d bytes", w.SpillCount(), w.reserved, e.store.Bytes())
	}
	other.Free()
	writeAll(t, w, in[:1]) // rows after the staged ones, ids repeated
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if used := e.mgr.Stats().ExecutionUsed; used != 0 {
		t.Fatalf("execution used %d after Commit", used)
	}
	var want []int64
	for _, b := range append(in, in[0]) {
		for _, row := range rowsOf(t, b) {
			want = append(want, row.id)
		}
	}
	slices.Sort(want)
	var rows int64
	for _, n := range st.Rows {
		rows += n
	}
	if got := readIDs(t, e, 1, 4); !slices.Equal(got, want) || rows != int64(len(want)) {
		t.Fatalf("read %d rows (status %d), want %d", len(got), rows, len(want))
	}
}

// TestWriterStagesUnderItsOwnBudget writes far more than the budget: the writer stages its
// buffers whenever its reservation is refused, never holds more than the budget, and the
// committed output (or, aborted, nothing) is what a reader sees.
func TestWriterStagesUnderItsOwnBudget(t *testing.T) {
	leakcheck.Check(t)
	const limit = 256 << 10
	e := newEnvLimit(t, limit)
	rng := rand.New(rand.NewPCG(5, 6))
	var sizes []int
	for range 30 {
		sizes = append(sizes, 1000)
	}
	in := mapInput(e.mem, rng, 0, sizes)
	defer release(in)
	for _, commit := range []bool{false, true} {
		task := e.mgr.NewTask(context.Background(), "map 0")
		w := e.svc.NewWriter(2, 0, 0, NewHashPartitioner([]int{colS}, 3), testSchema, e.mem)
		w.SetReservation(task.NewReservation("shuffle-write", w))
		writeAll(t, w, in)
		if w.SpillCount() == 0 || w.SpilledBytes() == 0 {
			t.Fatalf("no staging under a %d-byte budget (%d bytes)", limit, w.SpilledBytes())
		}
		if peak := task.PeakExecution(); peak > limit {
			t.Fatalf("peak execution %d over the budget %d", peak, limit)
		}
		if !commit {
			w.Abort()
			task.Close()
			if b := e.store.Bytes(); b != 0 {
				t.Fatalf("Abort left %d bytes of staged pieces in the store", b)
			}
			if got := readIDs(t, e, 2, 3); len(got) != 0 {
				t.Fatalf("aborted output visible: %d rows", len(got))
			}
			continue
		}
		// Each staging writes what memory refuses of its three pieces into one file.
		ents, err := os.ReadDir(e.spill.Dir())
		if err != nil {
			t.Fatal(err)
		}
		if st := e.store.Stats(); int64(len(ents)) > w.SpillCount() || st.DiskWrites <= int64(len(ents)) {
			t.Fatalf("%d spill files for %d stagings writing %d pieces to disk: want at most a file per staging", len(ents), w.SpillCount(), st.DiskWrites)
		}
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		task.Close()
		got := readIDs(t, e, 2, 3)
		if len(got) != 30*1000 {
			t.Fatalf("read %d rows, want %d", len(got), 30*1000)
		}
		for i, id := range got {
			if id != int64(i) {
				t.Fatalf("row id %d at %d: lost or repeated rows", id, i)
			}
		}
		t.Logf("%d stages, %d bytes in the store", w.SpillCount(), e.store.Bytes())
	}
}

// peakAllocator counts the bytes allocated through it and their peak (a Reallocate
// counts its change of size, as the allocators that track memory do).
type peakAllocator struct {
	memory.Allocator
	now, peak int64
}

func (p *peakAllocator) add(n int64) {
	p.now += n
	p.peak = max(p.peak, p.now)
}

func (p *peakAllocator) Allocate(size int) []byte {
	p.add(int64(size))
	return p.Allocator.Allocate(size)
}

func (p *peakAllocator) Reallocate(size int, b []byte) []byte {
	p.add(int64(size - len(b)))
	return p.Allocator.Reallocate(size, b)
}

func (p *peakAllocator) Free(b []byte) {
	p.now -= int64(len(b))
	p.Allocator.Free(b)
}

// TestWriterListColumnsHoldTheirSize: a map output of long lists (a median's partial
// states) is held once: the writer's buffers peak near the output's size, not at a
// gathered copy of every input batch plus their concatenation at Commit.
func TestWriterListColumnsHoldTheirSize(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "g", Type: arrow.PrimitiveTypes.Int64},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	}, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	var in []arrow.RecordBatch
	var want float64
	for range 12 {
		b := array.NewRecordBuilder(e.mem, schema)
		lb := b.Field(1).(*array.ListBuilder)
		vb := lb.ValueBuilder().(*array.Float64Builder)
		for range 300 {
			b.Field(0).(*array.Int64Builder).Append(rng.Int64N(1000))
			lb.Append(true)
			for range rng.IntN(400) {
				x := rng.Float64()
				vb.Append(x)
				want += x
			}
		}
		in = append(in, b.NewRecordBatch())
		b.Release()
	}
	defer release(in)
	mem := &peakAllocator{Allocator: e.mem}
	w := e.svc.NewWriter(1, 0, 0, NewHashPartitioner([]int{0}, 3), schema, mem)
	defer w.Abort()
	writeAll(t, w, in)
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	var out int64
	for _, n := range st.Bytes {
		out += n
	}
	// Gathering and concatenating peaked at twice the output (11.5 MB for 5.8 MB); the
	// list appenders at 6.8 MB: the elements' buffers grow by a quarter.
	if mem.peak > out*5/4 {
		t.Fatalf("writer buffers peaked at %d bytes for %d bytes of output", mem.peak, out)
	}
	var got float64
	for r := range 3 {
		rd := e.svc.Reader(1, r)
		for {
			b, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range b.Column(1).(*array.List).ListValues().(*array.Float64).Float64Values() {
				got += x
			}
			b.Release()
		}
		rd.Close()
	}
	if math.Abs(got-want) > 1e-6*want {
		t.Fatalf("read elements summing to %v, wrote %v", got, want)
	}
}

// TestWriterCutsLongLists: a partition whose lists fill maxListBatchBytes long before
// batchRows rows is cut into batches of about that size, every row kept in order.
func TestWriterCutsLongLists(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(e.mem, schema)
	lb := b.Field(1).(*array.ListBuilder)
	vb := lb.ValueBuilder().(*array.Float64Builder)
	const rows, elems = 3000, 500 // 12 MB of elements
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		lb.Append(true)
		for j := range elems {
			vb.Append(float64(i*elems + j))
		}
	}
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	w := e.svc.NewWriter(1, 0, 0, NewHashPartitioner([]int{0}, 1), schema, e.mem)
	defer w.Abort()
	writeAll(t, w, []arrow.RecordBatch{rec})
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	rd := e.svc.Reader(1, 0)
	defer rd.Close()
	next, batches := int64(0), 0
	for {
		out, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches++
		if size := storage.BlockBytes([]arrow.RecordBatch{out}); size > maxListBatchBytes+listStepRows*elems*8+64<<10 {
			t.Errorf("batch %d of %d bytes", batches, size)
		}
		l := out.Column(1).(*array.List)
		for i := range int(out.NumRows()) {
			lo, hi := l.ValueOffsets(i)
			xs := l.ListValues().(*array.Float64).Float64Values()[lo:hi]
			if id := out.Column(0).(*array.Int64).Value(i); id != next || len(xs) != elems || xs[0] != float64(next*elems) || xs[elems-1] != float64(next*elems+elems-1) {
				t.Fatalf("row %d: id %d with %d elements", next, id, len(xs))
			}
			next++
		}
		out.Release()
	}
	if next != rows || batches < 3 {
		t.Fatalf("%d rows in %d batches, want %d rows in at least 3", next, batches, rows)
	}
}

// sharedDictInput is map input whose dictionary column d indexes one dictionary of
// entries values shared by every batch (a CSV split's, a partial aggregate's), with the
// value also in the plain column s.
func sharedDictInput(t *testing.T, mem memory.Allocator, entries int, sizes []int) []arrow.RecordBatch {
	t.Helper()
	vb := array.NewStringBuilder(mem)
	for i := range entries {
		vb.Append(fmt.Sprintf("shared-value-%06d", i))
	}
	dict := vb.NewArray()
	vb.Release()
	defer dict.Release()
	var out []arrow.RecordBatch
	id := 0
	for _, n := range sizes {
		ids := array.NewInt64Builder(mem)
		ks := array.NewInt64Builder(mem)
		fs := array.NewFloat64Builder(mem)
		ss := array.NewStringBuilder(mem)
		ix := array.NewInt32Builder(mem)
		bs := array.NewBooleanBuilder(mem)
		for range n {
			e := (id * 7919) % entries
			ids.Append(int64(id))
			ks.Append(int64(id % 97))
			fs.Append(float64(id))
			ss.Append(fmt.Sprintf("shared-value-%06d", e))
			ix.Append(int32(e))
			bs.Append(id%2 == 0)
			id++
		}
		idx := ix.NewArray()
		d := array.NewDictionaryArray(DictType, idx, dict)
		cols := []arrow.Array{ids.NewArray(), ks.NewArray(), fs.NewArray(), ss.NewArray(), d, bs.NewArray()}
		out = append(out, array.NewRecordBatch(testSchema, cols, int64(n)))
		for _, c := range cols {
			c.Release()
		}
		idx.Release()
		for _, b := range []array.Builder{ids, ks, fs, ss, ix, bs} {
			b.Release()
		}
	}
	return out
}

// TestWriterNarrowsSharedDictionaries: batches over one dictionary far larger than the
// blocks they are cut into do not pin, count or store that dictionary once per block:
// each block's dictionary holds only its rows' values, the store holds about the rows'
// bytes, and every row reads back with its value.
func TestWriterNarrowsSharedDictionaries(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	const entries, parts = 50_000, 16
	in := sharedDictInput(t, e.mem, entries, []int{3000, 2500, 4000})
	defer release(in)
	dictBytes := storage.BlockBytes([]arrow.RecordBatch{in[0]}) // dominated by the dictionary
	st := writeMap(t, e, 1, 0, 0, NewHashPartitioner([]int{colK}, parts), in)
	var rows int64
	for _, n := range st.Rows {
		rows += n
	}
	if rows != 9500 {
		t.Fatalf("%d rows written, want 9500", rows)
	}
	if stored := e.store.Bytes(); stored > dictBytes {
		t.Errorf("the store holds %d bytes for %d partitions: more than one whole dictionary (%d bytes), so blocks carry it", stored, parts, dictBytes)
	}
	n := 0
	for r := range parts {
		for _, row := range readAll(t, e.svc, 1, r) {
			if row.d != row.s {
				t.Fatalf("row %d: dictionary value %q, plain value %q", row.id, row.d, row.s)
			}
			n++
		}
	}
	if n != 9500 {
		t.Fatalf("read %d rows, want 9500", n)
	}
}

// TestWriterKeepsADictionaryItsBlockUses: when a block's rows use a good part of a
// source's shared dictionary, narrowing each batch would copy about every row's value;
// the block keeps the one dictionary instead, counted once, and its batches read back
// over it (so a reduce task translates its entries once, not each batch's).
func TestWriterKeepsADictionaryItsBlockUses(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	e.svc.SetBatchRows(1000)
	const entries, parts = 3000, 2
	in := sharedDictInput(t, e.mem, entries, []int{3000, 2500, 4000})
	defer release(in)
	dict := in[0].Column(colD).(*array.Dictionary).Dictionary()
	dictRec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: dict.DataType()}}, nil), []arrow.Array{dict}, int64(dict.Len()))
	dictBytes := storage.BlockBytes([]arrow.RecordBatch{dictRec})
	dictRec.Release()
	writeMap(t, e, 1, 0, 0, NewHashPartitioner([]int{colK}, parts), in)
	var rows int
	var withoutDicts int64
	for r := range parts {
		rd := e.svc.Reader(1, r)
		var first arrow.ArrayData
		batches := 0
		for {
			b, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			d := b.Column(colD).(*array.Dictionary).Dictionary().Data()
			if first == nil {
				first = d
			} else if !sameValueBuffer(d, first) {
				t.Errorf("partition %d batch %d: a dictionary of its own (%d entries), want the block's shared one", r, batches, d.Len())
			}
			withoutDicts += storage.BlockBytes([]arrow.RecordBatch{b}) - dictBytes
			for _, row := range rowsOf(t, b) {
				if row.d != row.s {
					t.Fatalf("row %d: dictionary value %q, plain value %q", row.id, row.d, row.s)
				}
				rows++
			}
			batches++
			b.Release()
		}
		rd.Close()
		if batches < 3 {
			t.Fatalf("partition %d: %d batches, want several to share the dictionary", r, batches)
		}
	}
	if rows != 9500 {
		t.Fatalf("read %d rows, want 9500", rows)
	}
	if stored, most := e.store.Bytes(), withoutDicts+parts*dictBytes; stored > most {
		t.Errorf("the store holds %d bytes, more than the rows and one dictionary per block (%d)", stored, most)
	}
}

// sameValueBuffer reports whether string arrays a and b hold their values in one buffer.
func sameValueBuffer(a, b arrow.ArrayData) bool {
	return len(a.Buffers()) == 3 && len(b.Buffers()) == 3 && a.Buffers()[2] == b.Buffers()[2]
}
