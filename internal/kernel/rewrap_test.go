package kernel_test

import (
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestRewrapSharesNothingLazy reads one batch's rewrapped copies from several goroutines
// at once (null counts, dictionaries, a struct's children), as the tasks of a cartesian
// product read one shuffle block: under -race a shared descriptor is a reported race.
// Every copy equals the original, sliced columns included, and nothing leaks.
func TestRewrapSharesNothingLazy(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2, 3, 4, 5, 6}, []bool{true, false, true, true, false, true})
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	dict := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("x"), nil, kerneltest.Strp("z")}, []int32{0, 1, -1, 2, 0, 2})
	defer dict.Release()
	st, err := array.NewStructArray([]arrow.Array{ints}, []string{"i"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Release()
	nulls := array.NewNull(6)
	defer nulls.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: ints.DataType(), Nullable: true},
		{Name: "d", Type: dict.DataType(), Nullable: true},
		{Name: "s", Type: st.DataType(), Nullable: true},
		{Name: "n", Type: arrow.Null, Nullable: true},
	}, nil)
	full := array.NewRecordBatch(schema, []arrow.Array{ints, dict, st, nulls}, 6)
	defer full.Release()
	for _, rec := range []arrow.RecordBatch{full, full.NewSlice(1, 5)} {
		// The expected counts are read before the goroutines start: reading them on the
		// shared original is the write this test looks for.
		wantNulls := make([]int, rec.NumCols())
		for i, c := range rec.Columns() {
			wantNulls[i] = c.NullN()
		}
		copies := make([]arrow.RecordBatch, 4)
		var wg sync.WaitGroup
		for g := range copies {
			wg.Go(func() {
				own := kernel.Rewrap(rec)
				copies[g] = own
				for i, c := range own.Columns() {
					if c.NullN() != wantNulls[i] {
						t.Errorf("column %d: %d nulls, want %d", i, c.NullN(), wantNulls[i])
					}
				}
				if d := own.Column(1).(*array.Dictionary).Dictionary(); d.NullN() != 1 {
					t.Errorf("dictionary nulls %d, want 1", d.NullN())
				}
				if f := own.Column(2).(*array.Struct).Field(0); f.NullN() != 2 {
					t.Errorf("struct field nulls %d, want 2", f.NullN())
				}
			})
		}
		wg.Wait()
		for _, own := range copies {
			for i, c := range own.Columns() {
				if !array.Equal(c, rec.Column(i)) {
					t.Errorf("column %d: %v, want %v", i, c, rec.Column(i))
				}
			}
			own.Release()
		}
		if rec != full {
			rec.Release()
		}
	}
}

// TestRewrapperSharesOneDictionaryCopy: slices of one batch share a dictionary; a
// Rewrapper gives them one private copy of it (not the source's object), equal to the
// original, readable from other goroutines while the batches live, and nothing leaks
// once the batches and the Rewrapper are released.
func TestRewrapperSharesOneDictionaryCopy(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dict := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("x"), nil, kerneltest.Strp("z")}, []int32{0, 1, -1, 2, 0, 2})
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dict.DataType(), Nullable: true}}, nil)
	full := array.NewRecordBatch(schema, []arrow.Array{dict}, 6)
	dict.Release()
	var r kernel.Rewrapper
	var outs []arrow.RecordBatch
	for lo := int64(0); lo < 6; lo += 2 {
		piece := full.NewSlice(lo, lo+2)
		outs = append(outs, r.Rewrap(piece))
		piece.Release()
	}
	r.Release()
	source := full.Column(0).(*array.Dictionary).Dictionary().Data()
	first := outs[0].Column(0).(*array.Dictionary).Dictionary()
	var wg sync.WaitGroup
	for i, out := range outs {
		d := out.Column(0).(*array.Dictionary)
		if d.Dictionary().Data() != first.Data() || d.Dictionary().Data() == source {
			t.Errorf("batch %d: its dictionary is not the one private copy", i)
		}
		want := full.NewSlice(int64(2*i), int64(2*i+2))
		if !array.Equal(d, want.Column(0)) {
			t.Errorf("batch %d: %v, want %v", i, d, want.Column(0))
		}
		want.Release()
		wg.Go(func() {
			if n := d.Dictionary().NullN(); n != 1 {
				t.Errorf("dictionary nulls %d, want 1", n)
			}
		})
	}
	wg.Wait()
	full.Release()
	for _, out := range outs {
		out.Release()
	}
}
