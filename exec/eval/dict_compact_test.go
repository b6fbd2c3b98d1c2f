package eval

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// A batch over a dictionary far larger than itself maps only the entries its rows use,
// with the same result as mapping the whole dictionary: NULL for a NULL index, fn's value
// (here non-NULL) for a NULL entry, and for slices of the batch.
func TestEvMapDictLargeDictionary(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	const entries = 5000
	vb := array.NewStringBuilder(mem)
	for i := range entries {
		if i%97 == 0 {
			vb.AppendNull()
		} else {
			vb.Append(fmt.Sprintf("v%d", i))
		}
	}
	dict := vb.NewArray()
	vb.Release()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	for i := range 300 {
		if i%13 == 0 {
			ib.AppendNull()
		} else {
			ib.Append(int32((i * 7919) % entries))
		}
	}
	idx := ib.NewArray()
	ib.Release()
	defer idx.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	full := array.NewDictionaryArray(dt, idx, dict)
	defer full.Release()

	mapped := 0
	fn := func(d arrow.Array) (arrow.Array, error) {
		mapped += d.Len()
		s := d.(*array.String)
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := range s.Len() {
			if s.IsNull(i) {
				b.Append("N")
			} else {
				b.Append(strings.ToUpper(s.Value(i)))
			}
		}
		return b.NewArray(), nil
	}
	for _, r := range [][2]int64{{0, 300}, {17, 140}, {299, 300}} {
		batch := array.NewSlice(full, r[0], r[1]).(*array.Dictionary)
		mapped = 0
		got, err := evMapDict(mem, batch, fn)
		if err != nil {
			t.Fatal(err)
		}
		if mapped > batch.Len() {
			t.Errorf("rows %v: mapped %d entries for %d rows", r, mapped, batch.Len())
		}
		g := got.(*array.String)
		for i := range batch.Len() {
			want := "NULL"
			if batch.IsValid(i) {
				want = "N"
				if v := dict.(*array.String); v.IsValid(batch.GetValueIndex(i)) {
					want = strings.ToUpper(v.Value(batch.GetValueIndex(i)))
				}
			}
			have := "NULL"
			if g.IsValid(i) {
				have = g.Value(i)
			}
			if have != want {
				t.Errorf("rows %v row %d: %q, want %q", r, i, have, want)
			}
		}
		got.Release()
		batch.Release()
	}
}
