package storage

import (
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// Batches sharing one growing dictionary (a CSV split's) spill as dictionary deltas: the
// file holds each value about once, not the whole dictionary with every batch, and reads
// back with every row's value; a batch with a dictionary unrelated to the last one's
// (a replacement) reads back too.
func TestSpillGrowingDictionary(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	m, err := NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const batches, perBatch = 40, 500
	vb := array.NewStringBuilder(mem)
	for i := range batches * perBatch {
		vb.Append(fmt.Sprintf("value-%08d-%d", i*7919%1000003, i))
	}
	full := vb.NewArray()
	vb.Release()
	defer full.Release()
	other := array.NewSlice(full, 100, 200) // a dictionary that is no prefix of the others
	defer other.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: dt, Nullable: true}}, nil)
	w, err := m.Create("agg/test", schema)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for b := range batches + 1 {
		var dict arrow.Array
		if b < batches {
			dict = array.NewSlice(full, 0, int64((b+1)*perBatch))
		} else {
			dict = array.NewSlice(other, 0, int64(other.Len()))
		}
		ib := array.NewInt32Builder(mem)
		var vals []string
		for i := range perBatch {
			ix := (i*31 + b*perBatch) % dict.Len()
			ib.Append(int32(ix))
			vals = append(vals, dict.(*array.String).Value(ix))
		}
		idx := ib.NewArray()
		ib.Release()
		col := array.NewDictionaryArray(dt, idx, dict)
		idx.Release()
		dict.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{col}, perBatch)
		col.Release()
		if err := w.Append(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		want = append(want, vals)
	}
	f, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	valueBytes := int64(full.Data().Buffers()[2].Len())
	if f.RawBytes() > 3*valueBytes {
		t.Errorf("spill file holds %d raw bytes for dictionaries of %d value bytes in all: the dictionary is written whole per batch", f.RawBytes(), valueBytes)
	}
	r, err := f.Open(t.Context(), mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for b := 0; ; b++ {
		rec, err := r.Next()
		if err == io.EOF {
			if b != len(want) {
				t.Fatalf("read %d batches, want %d", b, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		col := rec.Column(0).(*array.Dictionary)
		d := col.Dictionary().(*array.String)
		for i, v := range want[b] {
			if got := d.Value(col.GetValueIndex(i)); got != v {
				t.Fatalf("batch %d row %d: %q, want %q", b, i, got, v)
			}
		}
		rec.Release()
	}
}
