package colop

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"
)

// TestHeldBytesDictionaryShare: a batch of 10 rows over a 1,000-value dictionary is
// charged a hundredth of the dictionary; a batch with a dictionary no larger than its
// rows, and a plain column, are charged their whole buffers.
func TestHeldBytesDictionaryShare(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	for i := range 1000 {
		sb.Append(fmt.Sprintf("value-%04d", i))
	}
	dict := sb.NewArray()
	sb.Release()
	defer dict.Release()
	batch := func(rows int) arrow.RecordBatch {
		ib := array.NewInt32Builder(mem)
		for i := range rows {
			ib.Append(int32(i % 1000))
		}
		idx := ib.NewArray()
		ib.Release()
		col := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, idx, dict)
		idx.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "k", Type: col.DataType()}}, nil), []arrow.Array{col}, int64(rows))
		col.Release()
		return rec
	}
	dictBytes := int64(util.TotalArraySize(dict))
	small := batch(10)
	defer small.Release()
	idxBytes := int64(util.TotalArraySize(small.Column(0).(*array.Dictionary).Indices()))
	if got, want := HeldBytes(small), idxBytes+dictBytes*10/1000; got != want {
		t.Errorf("10 rows over 1,000 values: %d bytes, want %d", got, want)
	}
	if whole := int64(util.TotalRecordSize(small)); HeldBytes(small) >= whole/10 {
		t.Errorf("10 rows charged %d of the batch's %d buffer bytes", HeldBytes(small), whole)
	}
	big := batch(2000)
	defer big.Release()
	if got, want := HeldBytes(big), int64(util.TotalRecordSize(big)); got != want {
		t.Errorf("2,000 rows over 1,000 values: %d bytes, want the whole %d", got, want)
	}
	plain := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{dict}, int64(dict.Len()))
	defer plain.Release()
	if got, want := HeldBytes(plain), int64(util.TotalRecordSize(plain)); got != want {
		t.Errorf("plain strings: %d bytes, want %d", got, want)
	}
}
