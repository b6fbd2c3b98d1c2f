package shuffle

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/storage"
)

// TestWriterBlocksAreFullBatches: a partition's rows come in batches of exactly the batch
// size but the last of each map output, and the map status's bytes are what the blocks'
// buffers hold.
func TestWriterBlocksAreFullBatches(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	const bRows = 100
	e.svc.SetBatchRows(bRows)
	rng := rand.New(rand.NewPCG(11, 12))
	const maps, np = 2, 3
	var want int
	for m := range maps {
		in := mapInput(e.mem, rng, m*100000, []int{1000, 7, 0, 2500, 333})
		for _, b := range in {
			want += int(b.NumRows())
		}
		st := writeMap(t, e, 1, m, 0, NewHashPartitioner([]int{colS}, np), in)
		release(in)
		for r := range np {
			blk, err := e.svc.fetch(1, m, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := storage.BlockBytes(blk); got != st.Bytes[r] {
				t.Errorf("map %d partition %d: status says %d bytes, the block holds %d", m, r, st.Bytes[r], got)
			}
			var rows int64
			for i, b := range blk {
				if n := b.NumRows(); n > bRows || (n != bRows && i != len(blk)-1) || n == 0 {
					t.Errorf("map %d partition %d batch %d of %d: %d rows", m, r, i, len(blk), n)
				}
				rows += b.NumRows()
			}
			if rows != st.Rows[r] {
				t.Errorf("map %d partition %d: %d rows, status says %d", m, r, rows, st.Rows[r])
			}
			release(blk)
		}
	}
	if got := len(readIDs(t, e, 1, np)); got != want {
		t.Fatalf("read %d rows, wrote %d", got, want)
	}
}

// TestWriterNestedColumns: a list column takes the direct path (its elements through an
// appender of their own), while a column without an appender (a list of structs) makes
// the writer gather and concatenate; either way every row arrives once, whole.
func TestWriterNestedColumns(t *testing.T) {
	st := arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64})
	t.Run("list", func(t *testing.T) { testWriterNested(t, arrow.PrimitiveTypes.Int64, true) })
	t.Run("list of structs", func(t *testing.T) { testWriterNested(t, st, false) })
}

func testWriterNested(t *testing.T, elem arrow.DataType, direct bool) {
	leakcheck.Check(t)
	e := newEnv(t)
	e.svc.SetBatchRows(64)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "l", Type: arrow.ListOf(elem), Nullable: true},
	}, nil)
	rng := rand.New(rand.NewPCG(13, 14))
	want := map[int64]string{}
	var in []arrow.RecordBatch
	id := int64(0)
	for _, n := range []int{300, 0, 1, 90} {
		b := array.NewRecordBuilder(e.mem, schema)
		lb := b.Field(1).(*array.ListBuilder)
		vb := lb.ValueBuilder()
		for range n {
			b.Field(0).(*array.Int64Builder).Append(id)
			if rng.IntN(5) == 0 {
				lb.AppendNull()
			} else {
				lb.Append(true)
				for range rng.IntN(3) {
					if sb, ok := vb.(*array.StructBuilder); ok {
						sb.Append(true)
						sb.FieldBuilder(0).(*array.Int64Builder).Append(rng.Int64N(100))
					} else {
						vb.(*array.Int64Builder).Append(rng.Int64N(100))
					}
				}
			}
			id++
		}
		rec := b.NewRecordBatch()
		b.Release()
		for i := range int(rec.NumRows()) {
			want[rec.Column(0).(*array.Int64).Value(i)] = rec.Column(1).ValueStr(i)
		}
		in = append(in, rec)
	}
	defer release(in)
	w := e.svc.NewWriter(1, 0, 0, NewHashPartitioner([]int{0}, 4), schema, e.mem)
	defer w.Abort()
	if w.direct != direct {
		t.Fatalf("direct path %v, want %v", w.direct, direct)
	}
	for _, b := range in {
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	got := 0
	for r := range 4 {
		rd := e.svc.Reader(1, r)
		for {
			b, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range int(b.NumRows()) {
				k := b.Column(0).(*array.Int64).Value(i)
				if v := b.Column(1).ValueStr(i); v != want[k] {
					t.Fatalf("row %d: %s, want %s", k, v, want[k])
				}
				got++
			}
			b.Release()
		}
		rd.Close()
	}
	if got != len(want) {
		t.Fatalf("read %d rows, wrote %d", got, len(want))
	}
}

// allocCounter counts the bytes an allocator hands out, each growth as a new buffer
// (Go's allocator copies on Reallocate).
type allocCounter struct {
	memory.Allocator
	total int64
}

func (a *allocCounter) Allocate(n int) []byte {
	a.total += int64(n)
	return a.Allocator.Allocate(n)
}

func (a *allocCounter) Reallocate(n int, b []byte) []byte {
	if n > len(b) {
		a.total += int64(n)
	}
	return a.Allocator.Reallocate(n, b)
}

// TestWriterCutsListsRatherThanRegrow: list rows that no longer fit a partition's
// element buffers, once those hold a quarter of the cut size, start a new batch instead
// of growing the buffers (each growth copies them and leaves the old as garbage): the
// bytes allocated stay near the bytes written, and every row arrives once, in order.
func TestWriterCutsListsRatherThanRegrow(t *testing.T) {
	leakcheck.Check(t)
	e := newEnv(t)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true}}, nil)
	const elems = 1000
	batch := func(first, rows int) arrow.RecordBatch {
		b := array.NewRecordBuilder(e.mem, schema)
		defer b.Release()
		lb := b.Field(1).(*array.ListBuilder)
		vb := lb.ValueBuilder().(*array.Float64Builder)
		for i := range rows {
			b.Field(0).(*array.Int64Builder).Append(int64(first + i))
			lb.Append(true)
			for j := range elems {
				vb.Append(float64((first+i)*elems + j))
			}
		}
		return b.NewRecordBatch()
	}
	// The first batch (2.4 MB of elements) is cut in steps of listStepRows rows; the
	// second adds 0.4 MB.
	in := []arrow.RecordBatch{batch(0, 300), batch(300, 50)}
	defer release(in)
	count := &allocCounter{Allocator: e.mem}
	w := e.svc.NewWriter(1, 0, 0, NewHashPartitioner([]int{0}, 1), schema, count)
	defer w.Abort()
	writeAll(t, w, in)
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	const data = 350 * elems * 8
	if count.total > data+data/4+(64<<10) {
		t.Errorf("the writer allocated %d bytes for %d bytes of elements", count.total, data)
	}
	blk, err := e.svc.fetch(1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer release(blk)
	next := 0
	for _, b := range blk {
		ks := b.Column(0).(*array.Int64)
		l := b.Column(1).(*array.List)
		vs := l.ListValues().(*array.Float64)
		for i := range int(b.NumRows()) {
			lo, hi := l.ValueOffsets(i)
			if ks.Value(i) != int64(next) || hi-lo != elems || vs.Value(int(lo)) != float64(next*elems) || vs.Value(int(hi)-1) != float64(next*elems+elems-1) {
				t.Fatalf("row %d: key %d, %d elements", next, ks.Value(i), hi-lo)
			}
			next++
		}
	}
	if next != 350 || len(blk) < 2 {
		t.Fatalf("%d rows in %d batches, want 350 rows cut in at least 2", next, len(blk))
	}
}
