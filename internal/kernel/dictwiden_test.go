package kernel

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestWidenDictionaries: batches whose dictionaries are prefixes of a longer one (views of
// the same buffers) get the longest; a batch with a dictionary of other buffers keeps its
// own; the values each row reads are unchanged; nothing leaks.
func TestWidenDictionaries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"a", "b", "c", "d"}, nil)
	full := sb.NewArray()
	defer full.Release()
	sb.AppendValues([]string{"z"}, nil)
	other := sb.NewArray()
	defer other.Release()
	sb.Release()
	prefix := array.NewSlice(full, 0, 2)
	defer prefix.Release()

	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: dt}}, nil)
	batch := func(dict arrow.Array, idx ...int32) arrow.RecordBatch {
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		ib.AppendValues(idx, nil)
		ia := ib.NewArray()
		defer ia.Release()
		d := array.NewDictionaryArray(dt, ia, dict)
		defer d.Release()
		return array.NewRecordBatch(schema, []arrow.Array{d}, int64(len(idx)))
	}
	recs := []arrow.RecordBatch{batch(prefix, 1, 0), batch(full, 3, 2, 1), batch(other, 0)}
	want := [][]string{{"b", "a"}, {"d", "c", "b"}, {"z"}}
	out := WidenDictionaries(recs)
	for _, r := range recs {
		r.Release()
	}
	defer func() {
		for _, r := range out {
			r.Release()
		}
	}()
	for i, r := range out {
		d := r.Column(0).(*array.Dictionary)
		dict := d.Dictionary().(*array.String)
		for j, w := range want[i] {
			if got := dict.Value(d.GetValueIndex(j)); got != w {
				t.Fatalf("batch %d row %d: %q, want %q", i, j, got, w)
			}
		}
	}
	if got := out[0].Column(0).(*array.Dictionary).Dictionary().Len(); got != 4 {
		t.Errorf("prefix batch's dictionary has %d values, want the full 4", got)
	}
	if got := out[2].Column(0).(*array.Dictionary).Dictionary().Len(); got != 1 {
		t.Errorf("unrelated batch's dictionary has %d values, want its own 1", got)
	}
}
