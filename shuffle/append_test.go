package shuffle

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

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
