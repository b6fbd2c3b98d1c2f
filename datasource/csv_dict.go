package datasource

import (
	"bytes"
	"hash/maphash"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// csvDict is the dictionary of one dictionary column for a whole split: every batch the
// reader returns carries the values seen so far, as an array over the same offsets and
// value buffers with a growing length. Values are only ever appended past what earlier
// batches see, so a later batch's dictionary extends an earlier one's: consumers that
// cache a translation per dictionary (hash aggregation's ids, the hashers' value hashes,
// shuffle concatenation) recognise the same buffers and offset and only translate the new
// entries, instead of looking every row up by its string once per batch.
//
// The buffers come from the task's allocator. When one must grow, a new one is allocated
// and the old one is released: the batches that still use it hold their own reference.
// The lookup table (4 bytes a slot, 8 an entry) is the only Go memory it keeps.
type csvDict struct {
	mem  memory.Allocator
	offs *memory.Buffer // int32 offsets, n+1 used
	data *memory.Buffer // value bytes, used of them
	n    int
	used int
	// slots is an open-addressing table of entry+1 (0: empty) by hash; hashes holds
	// each entry's hash. Values are compared in data itself: no copy of them is kept.
	slots  []int32
	hashes []uint64
	seed   maphash.Seed
}

func newCSVDict(mem memory.Allocator) *csvDict {
	d := &csvDict{mem: mem, seed: maphash.MakeSeed(), slots: make([]int32, 1024)}
	d.offs = memory.NewResizableBuffer(mem)
	d.offs.Resize(4 * 1024)
	arrow.Int32Traits.CastFromBytes(d.offs.Bytes())[0] = 0
	d.data = memory.NewResizableBuffer(mem)
	d.data.Resize(16 << 10)
	return d
}

// id returns the dictionary entry of b, adding it if it is new. ok is false when b is a
// new value that is not valid UTF-8 (it is then not added): an entry is checked once, when
// it is first seen.
func (d *csvDict) id(b []byte) (id int32, ok bool) {
	h := maphash.Bytes(d.seed, b)
	mask := uint64(len(d.slots) - 1)
	offs := arrow.Int32Traits.CastFromBytes(d.offs.Bytes())
	data := d.data.Bytes()
	i := h & mask
	for ; d.slots[i] != 0; i = (i + 1) & mask {
		e := d.slots[i] - 1
		if d.hashes[e] == h && bytes.Equal(data[offs[e]:offs[e+1]], b) {
			return e, true
		}
	}
	if !utf8.Valid(b) {
		return 0, false
	}
	if 4*(d.n+2) > d.offs.Len() {
		d.offs = growBuffer(d.mem, d.offs, 4*(d.n+2), 4*(d.n+1))
	}
	if d.used+len(b) > d.data.Len() {
		d.data = growBuffer(d.mem, d.data, d.used+len(b), d.used)
	}
	copy(d.data.Bytes()[d.used:], b)
	d.used += len(b)
	offs = arrow.Int32Traits.CastFromBytes(d.offs.Bytes())
	offs[d.n+1] = int32(d.used)
	id = int32(d.n)
	d.n++
	d.hashes = append(d.hashes, h)
	d.slots[i] = id + 1
	if 2*d.n > len(d.slots) {
		d.rehash()
	}
	return id, true
}

// rehash doubles the slot table.
func (d *csvDict) rehash() {
	d.slots = make([]int32, 2*len(d.slots))
	mask := uint64(len(d.slots) - 1)
	for e, h := range d.hashes {
		i := h & mask
		for d.slots[i] != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = int32(e) + 1
	}
}

// growBuffer returns a buffer of at least need bytes (doubling) holding the first keep
// bytes of old, and drops the dictionary's reference to old.
func growBuffer(mem memory.Allocator, old *memory.Buffer, need, keep int) *memory.Buffer {
	nb := memory.NewResizableBuffer(mem)
	nb.Resize(max(need, 2*old.Len()))
	copy(nb.Bytes(), old.Bytes()[:keep])
	old.Release()
	return nb
}

// array returns the values so far as a string array sharing the dictionary's buffers.
func (d *csvDict) array() arrow.Array {
	data := array.NewData(arrow.BinaryTypes.String, d.n, []*memory.Buffer{nil, d.offs, d.data}, nil, 0, 0)
	defer data.Release()
	return array.NewStringData(data)
}

func (d *csvDict) release() {
	if d.offs != nil {
		d.offs.Release()
		d.data.Release()
		d.offs, d.data = nil, nil
	}
}

// unsafeString views b as a string without copying, for a use that does not outlive b's
// contents (parsing, comparing, a map lookup).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
