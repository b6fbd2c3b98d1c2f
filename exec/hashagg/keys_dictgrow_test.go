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
	groups := 0
	for _, v := range keys.vals {
		if _, ok := want[v]; ok {
			groups++
		}
	}
	if groups != len(want) || len(keys.vals) != len(want)+1 { // and the NULL group
		t.Fatalf("%d groups of %d values, want %d", groups, len(keys.vals), len(want))
	}
}

// The longest dictionary entry that bounds the arena's growth is measured once per
// dictionary, yet stays an upper bound as the dictionary grows (a longer view of the same
// buffers), shrinks to a prefix, or changes: after each step it is at least the longest
// entry of the dictionary in hand, and equal to a fresh scan unless the dictionary is a
// prefix of one measured before.
func TestAggDictLongestFollowsDictionary(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	build := func(vals ...string) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(vals, nil)
		return b.NewArray()
	}
	full := build("a", "bb", "c", "dddddd", "e", "ffffffffff")
	defer full.Release()
	other := build("xyz", "q")
	defer other.Release()
	keys := &aggBytesKeys{}
	for _, step := range []struct {
		arr      arrow.Array
		from, to int64
		want     int64
	}{
		{full, 0, 3, 2},  // first measure
		{full, 0, 5, 6},  // grown: only entries 3..4 scanned
		{full, 0, 2, 6},  // a prefix: the longer bound stands
		{full, 0, 6, 10}, // grown again
		{other, 0, 2, 3}, // another dictionary: measured afresh
		{full, 1, 3, 2},  // a slice at another offset: measured afresh
	} {
		dict := array.NewSlice(step.arr, step.from, step.to)
		got, fresh := keys.dictLongest(dict), aggLongestValue(dict, 0)
		dict.Release()
		if got != step.want || got < fresh {
			t.Fatalf("dictionary [%d,%d): longest %d, want %d (a fresh scan says %d)", step.from, step.to, got, step.want, fresh)
		}
	}
}
