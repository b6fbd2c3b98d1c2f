package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestProjectBatchesSharesBuffers: a projected cache read slices columns out of the
// stored batches; it copies nothing, and the stored batch keeps every column.
func TestProjectBatchesSharesBuffers(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "", "z"}, []bool{true, false, true})
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{0.5, 1.5, 2.5}, nil)
	stored := b.NewRecordBatch()
	b.Release()
	defer stored.Release()

	before := mem.CurrentAlloc()
	stored.Retain() // the reader's reference, as GetCache hands out
	recs := []arrow.RecordBatch{stored}
	projectBatches(recs, []int{2, 1})
	defer releaseBatches(recs)
	if mem.CurrentAlloc() != before {
		t.Fatalf("projection allocated %d bytes", mem.CurrentAlloc()-before)
	}
	got := recs[0]
	if got.NumCols() != 2 || got.Schema().Field(0).Name != "c" || got.Schema().Field(1).Name != "b" || got.NumRows() != 3 {
		t.Fatalf("projected %v", got.Schema())
	}
	if got.Column(0).Data().Buffers()[1] != stored.Column(2).Data().Buffers()[1] {
		t.Fatal("the projected column does not share the stored buffer")
	}
	if got.Column(1).NullN() != 1 || stored.NumCols() != 3 {
		t.Fatalf("nulls %d, stored columns %d", got.Column(1).NullN(), stored.NumCols())
	}
	// nil keeps every column; an empty list none.
	whole := []arrow.RecordBatch{got}
	projectBatches(whole, nil)
	if whole[0] != got {
		t.Fatal("nil columns replaced the batch")
	}
	none := []arrow.RecordBatch{}
	projectBatches(none, []int{0})
}
