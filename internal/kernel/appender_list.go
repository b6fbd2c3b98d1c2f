package kernel

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// listChunk bounds the child rows a list append hands its child appender at once (the
// scratch of child row indices).
const listChunk = 1 << 14

// newListAppender sets a up for lists (32- or 64-bit offsets) whose elements have an
// appender, or reports false.
func newListAppender(a *Appender, elem arrow.DataType, large bool) bool {
	child, ok := NewAppender(elem, a.mem)
	if !ok {
		return false
	}
	a.child = child
	a.kind, a.width = appendList32, 4
	if large {
		a.kind, a.width = appendList64, 8
	}
	return true
}

// appendList appends list rows idx of arr: their offsets, and their elements to the
// child appender (a NULL row gets no elements, whatever its span in arr).
func appendList[O int32 | int64](a *Appender, arr arrow.Array, idx []int32) error {
	data := arr.Data()
	var srcOffs []O
	if b := data.Buffers()[1]; b != nil && data.Len() > 0 {
		srcOffs = View[O](b.Bytes())[data.Offset():]
	}
	values := arr.(array.ListLike).ListValues()
	bm, off := Validity(arr)
	reserveElems(a, srcOffs, bm, off, idx)
	offs := View[O](a.values.Buf())[:a.capRows+1]
	pos := int64(a.child.Len())
	offs[a.n] = O(pos)
	if a.listIdx == nil {
		// Kept across Finish and never grown: a long list is handed over in pieces.
		a.listIdx = make([]int32, 0, listChunk)
	}
	scratch := a.listIdx[:0]
	for j, i := range idx {
		if bm == nil || bitutil.BitIsSet(bm, off+int(i)) {
			s, e := int64(srcOffs[i]), int64(srcOffs[i+1])
			if e > math.MaxInt32 {
				return fmt.Errorf("%s element %d beyond 32-bit row indices", a.dt, e)
			}
			pos += e - s
			for s < e {
				m := min(e-s, int64(listChunk-len(scratch)))
				for k := s; k < s+m; k++ {
					scratch = append(scratch, int32(k))
				}
				s += m
				if len(scratch) == listChunk {
					if err := a.child.Append(values, scratch); err != nil {
						return err
					}
					scratch = scratch[:0]
				}
			}
		}
		if unsafe.Sizeof(O(0)) == 4 && pos > math.MaxInt32 {
			return fmt.Errorf("%d elements of %s values overflow 32-bit offsets", pos, a.dt)
		}
		offs[a.n+j+1] = O(pos)
	}
	return a.child.Append(values, scratch)
}

// ListElemsFit reports whether the elements of list rows idx of arr fit the room left
// in a list appender's element buffers (true for other appenders): appending them then
// grows no buffer.
func (a *Appender) ListElemsFit(arr arrow.Array, idx []int32) bool {
	if a.child == nil {
		return true
	}
	data := arr.Data()
	b := data.Buffers()[1]
	if b == nil || data.Len() == 0 {
		return true
	}
	bm, off := Validity(arr)
	if a.kind == appendList64 {
		return int64(a.child.n)+listElems(View[int64](b.Bytes())[data.Offset():], bm, off, idx) <= int64(a.child.capRows)
	}
	return int64(a.child.n)+listElems(View[int32](b.Bytes())[data.Offset():], bm, off, idx) <= int64(a.child.capRows)
}

// listElems counts the elements of the valid list rows idx whose offsets are srcOffs.
func listElems[O int32 | int64](srcOffs []O, bm []byte, off int, idx []int32) int64 {
	var total int64
	for _, i := range idx {
		if bm == nil || bitutil.BitIsSet(bm, off+int(i)) {
			total += int64(srcOffs[i+1] - srcOffs[i])
		}
	}
	return total
}

// reserveElems makes room in the child appender for the elements of list rows idx: the
// exact count, or a quarter more than the room so far when that is more, so that the
// elements (few long appends: a map output of partial states) hold little slack, where
// doubling would leave up to as much again.
func reserveElems[O int32 | int64](a *Appender, srcOffs []O, bm []byte, off int, idx []int32) {
	total := listElems(srcOffs, bm, off, idx)
	c := a.child
	need := int64(c.n) + total
	if need <= int64(c.capRows) || need > math.MaxInt32 {
		return // room enough, or too many for 32-bit row indices: Append fails
	}
	c.Reserve(int(max(need, int64(c.capRows)+int64(c.capRows)/4)))
}

// finishList assembles the list array of n rows from its validity and offsets and the
// child appender's elements.
func (a *Appender) finishList(n, nulls int, valid, offsets *memory.Buffer) (arrow.Array, error) {
	elems, err := a.child.Finish()
	if err != nil {
		offsets.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	defer elems.Release()
	return MakeArray(a.dt, n, nulls, []*memory.Buffer{valid, offsets}, []arrow.ArrayData{elems.Data()}), nil
}
