package kernel_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/memtest"
)

// A slice of a few rows of a batch over a large shared dictionary (with NULL rows, a NULL
// dictionary entry and an offset) narrows to a dictionary of the entries its rows use,
// each once, and every row keeps its value; a dictionary not much larger than its rows is
// left as it is.
func TestDictNarrowerKeepsValues(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	const entries = 5000
	vb := array.NewStringBuilder(mem)
	for i := range entries {
		if i == 7 {
			vb.AppendNull()
			continue
		}
		vb.Append(fmt.Sprintf("value-%d", i))
	}
	dict := vb.NewArray()
	vb.Release()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	for i := range 3000 {
		switch {
		case i%13 == 4:
			ib.AppendNull()
		case i%17 == 0:
			ib.Append(7) // the NULL entry
		default:
			ib.Append(int32((i * 7919) % entries))
		}
	}
	idx := ib.NewArray()
	ib.Release()
	defer idx.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	whole := array.NewDictionaryArray(dt, idx, dict)
	defer whole.Release()
	var n kernel.DictNarrower
	for _, span := range [][2]int64{{0, 3000}, {5, 905}, {1000, 1300}, {2999, 3000}} {
		part := array.NewSlice(whole, span[0], span[1]).(*array.Dictionary)
		got, err := n.Narrow(part, mem)
		if err != nil {
			t.Fatal(err)
		}
		gd := got.(*array.Dictionary)
		narrowed := gd.Dictionary().Len() != entries
		if want := entries > 2*part.Len(); narrowed != want {
			t.Errorf("rows [%d,%d): narrowed %v, want %v", span[0], span[1], narrowed, want)
		}
		if narrowed && gd.Dictionary().Len() > part.Len() {
			t.Errorf("rows [%d,%d): %d entries for %d rows", span[0], span[1], gd.Dictionary().Len(), part.Len())
		}
		seen := map[string]bool{}
		for j := 0; j < gd.Dictionary().Len(); j++ {
			v := gd.Dictionary().ValueStr(j)
			if seen[v] && narrowed {
				t.Errorf("rows [%d,%d): entry %q twice", span[0], span[1], v)
			}
			seen[v] = true
		}
		for i := 0; i < part.Len(); i++ {
			wantNull := part.IsNull(i) || part.Dictionary().IsNull(part.GetValueIndex(i))
			gotNull := gd.IsNull(i) || gd.Dictionary().IsNull(gd.GetValueIndex(i))
			if wantNull != gotNull {
				t.Fatalf("rows [%d,%d) row %d: NULL %v, want %v", span[0], span[1], i, gotNull, wantNull)
			}
			if !wantNull && gd.Dictionary().ValueStr(gd.GetValueIndex(i)) != part.Dictionary().ValueStr(part.GetValueIndex(i)) {
				t.Fatalf("rows [%d,%d) row %d: %q, want %q", span[0], span[1], i,
					gd.Dictionary().ValueStr(gd.GetValueIndex(i)), part.Dictionary().ValueStr(part.GetValueIndex(i)))
			}
		}
		got.Release()
		part.Release()
	}
}
