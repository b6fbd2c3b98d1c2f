package kernel

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DictNarrower narrows a dictionary array's dictionary to the entries its rows use. A
// source's dictionary (a CSV split's growing one, a partial aggregate's table of every
// group) is shared by all its batches; a shuffle block cut from a few thousand of their
// rows would otherwise pin, count and spill the whole dictionary, once per block.
//
// Its memo (entry -> new index) is stamped with a generation per call, so narrowing a
// batch costs its rows and the entries they use, not the dictionary's size; the memo is
// kept across calls (it grows to the largest dictionary seen).
type DictNarrower struct {
	memo  []int32
	stamp []uint32
	gen   uint32
	used  []int32
}

// DictNarrowMin is the dictionary size below which Narrow leaves an array as it is: a
// small dictionary costs little to carry.
const DictNarrowMin = 1024

// DictNarrowPays reports whether a dictionary of entries entries, shared by rows rows,
// is worth narrowing: it has at least DictNarrowMin entries and more than twice the rows.
// Below that, the entries the rows use are most of it, and a narrowed copy per batch
// would cost more than the shared one.
func DictNarrowPays(entries, rows int) bool {
	return entries >= DictNarrowMin && entries > 2*rows
}

// Narrow returns arr (a new reference) with a dictionary of only the entries its rows use,
// in order of first use, when arr is an int32-indexed dictionary array whose dictionary
// is worth narrowing for its rows (DictNarrowPays); otherwise arr itself, retained. NULL
// rows stay NULL (their index is not read).
func (n *DictNarrower) Narrow(arr arrow.Array, mem memory.Allocator) (arrow.Array, error) {
	d, ok := arr.(*array.Dictionary)
	if !ok {
		arr.Retain()
		return arr, nil
	}
	full := d.Dictionary()
	idx, ok := d.Indices().(*array.Int32)
	if !ok || !DictNarrowPays(full.Len(), d.Len()) {
		arr.Retain()
		return arr, nil
	}
	if len(n.memo) < full.Len() {
		n.memo = make([]int32, full.Len())
		n.stamp = make([]uint32, full.Len())
		n.gen = 0
	}
	n.gen++
	if n.gen == 0 {
		clear(n.stamp)
		n.gen = 1
	}
	vals := idx.Int32Values()
	out := NewRawBuffer(mem, 4*len(vals))
	dst := View[int32](out.Bytes())
	n.used = n.used[:0]
	bm, off := Validity(idx)
	memo, stamp, gen, size := n.memo, n.stamp, n.gen, uint32(full.Len())
	for i, v := range vals {
		if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			dst[i] = 0
			continue
		}
		if uint32(v) >= size {
			out.Release()
			arr.Retain() // an index out of range: left for the reader to report
			return arr, nil
		}
		if stamp[v] != gen {
			stamp[v] = gen
			memo[v] = int32(len(n.used))
			n.used = append(n.used, v)
		}
		dst[i] = memo[v]
	}
	dict, err := GatherArray(full, n.used, mem)
	if err != nil {
		out.Release()
		return nil, err
	}
	defer dict.Release()
	var valid *memory.Buffer
	nulls := idx.NullN()
	if nulls > 0 {
		if data := idx.Data(); data.Offset() == 0 && data.Buffers()[0] != nil {
			valid = data.Buffers()[0]
			valid.Retain()
		} else {
			valid, nulls = ValidityBuffer(mem, idx.IsValid, idx.Len())
		}
	}
	indices := MakeArray(arrow.PrimitiveTypes.Int32, idx.Len(), nulls, []*memory.Buffer{valid, out}, nil)
	defer indices.Release()
	return array.NewDictionaryArray(arr.DataType(), indices, dict), nil
}
