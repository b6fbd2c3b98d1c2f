package hashagg

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// Batches whose dictionaries are longer and longer views of the same buffers (a CSV
// reader's dictionary for a split) keep the translation of the entries already seen: an
// entry looked up for one batch is not looked up again for the next, and every row gets
// the group of its value, as a map from value to first-seen id says.
func TestAggDictKeysGrowingDictionary(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	vb := array.NewStringBuilder(mem)
	for i := range 30 {
		vb.Append(fmt.Sprintf("k%d", i%25)) // entries 25..29 repeat values 0..4
	}
	full := vb.NewArray()
	vb.Release()
	defer full.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

	tab, err := newAggKeyTable(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	keys := tab.(*aggBytesKeys)
	want := map[string]int32{}
	for b, l := range []int{4, 10, 10, 6, 30} {
		dict := array.NewSlice(full, 0, int64(l))
		ib := array.NewInt32Builder(mem)
		var rows []int
		for i := range 12 {
			ix := (i*5 + b) % l
			if i == 7 {
				ib.AppendNull()
				rows = append(rows, -1)
				continue
			}
			ib.Append(int32(ix))
			rows = append(rows, ix)
		}
		idx := ib.NewArray()
		ib.Release()
		arr := array.NewDictionaryArray(dt, idx, dict)
		idx.Release()
		dict.Release()
		before := append([]int32(nil), keys.dictIDs...)
		ids := make([]int32, arr.Len())
		if err := keys.assign(arr, ids); err != nil {
			t.Fatal(err)
		}
		arr.Release()
		for j, id := range before {
			if id >= 0 && keys.dictIDs[j] != id {
				t.Fatalf("batch %d: entry %d translated again (%d, was %d)", b, j, keys.dictIDs[j], id)
			}
		}
		if b > 0 && len(keys.dictIDs) < len(before) {
			t.Fatalf("batch %d: translation reset", b)
		}
		for i, ix := range rows {
			var v string
			if ix < 0 {
				if ids[i] != keys.null {
					t.Fatalf("batch %d row %d: NULL got group %d", b, i, ids[i])
				}
				continue
			}
			v = full.(*array.String).Value(ix)
			id, ok := want[v]
			if !ok {
				id = ids[i]
				want[v] = id
			}
			if ids[i] != id || keys.vals[id] != v {
				t.Fatalf("batch %d row %d: %q got group %d, want %d", b, i, v, ids[i], id)
			}
		}
	}
	if len(keys.m) != len(want) {
		t.Fatalf("%d groups, want %d", len(keys.m), len(want))
	}
}
