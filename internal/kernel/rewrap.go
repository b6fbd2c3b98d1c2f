package kernel

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// Rewrap returns a batch over the same buffers as rec with Go array and array-data
// objects of its own. A batch that several tasks read at once (a broadcast shuffle block,
// both sides of a cartesian product) must not be used through shared objects: arrow-go
// fills some of their fields on first use without locking (a dictionary array's
// Dictionary(), every array's null count), which is a data race between the tasks. The
// buffers themselves are immutable and reference-counted atomically, so sharing them is
// safe. The caller owns the result; rec is left as it was.
func Rewrap(rec arrow.RecordBatch) arrow.RecordBatch {
	var r Rewrapper
	defer r.Release()
	return r.Rewrap(rec)
}

// RewrapArray is Rewrap for one array: a new array over a's buffers, owned by the caller.
func RewrapArray(a arrow.Array) arrow.Array {
	var r Rewrapper
	defer r.Release()
	return r.RewrapArray(a)
}

// Rewrapper rewraps the batches one reader hands out (Rewrap), giving every batch that
// shares a dictionary one rewrapped copy of it. A source's or a CSV split's dictionary is
// shared by all its batches: copying its descriptor and counting its nulls per batch cost
// more than the batch's own columns for 1024-row batches of a 100k-entry dictionary. The
// copy is as private as Rewrap's (its null count is set, so no reader writes it) and may
// be read by any goroutine. A Rewrapper is for one goroutine; Release drops the
// dictionaries it keeps (the batches it returned keep their own references).
type Rewrapper struct {
	dicts map[arrow.ArrayData]*array.Data
}

// rewrapperMaxDicts bounds the dictionaries a Rewrapper keeps: batches that each bring
// their own dictionary (shuffle blocks narrowed to their rows) must not pile up.
const rewrapperMaxDicts = 64

// Rewrap is kernel.Rewrap sharing rewrapped dictionaries between calls.
func (r *Rewrapper) Rewrap(rec arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		cols[i] = r.RewrapArray(c)
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

// RewrapArray is RewrapArray sharing rewrapped dictionaries between calls.
func (r *Rewrapper) RewrapArray(a arrow.Array) arrow.Array {
	d := r.rewrapData(a.Data())
	defer d.Release()
	return array.MakeFromData(d)
}

// Release drops the kept dictionaries.
func (r *Rewrapper) Release() {
	for _, d := range r.dicts {
		d.Release()
	}
	r.dicts = nil
}

// rewrapData copies d's descriptor tree, children and dictionary included, with its null
// count computed from the validity bitmap: reading the shared object's count could write it.
func (r *Rewrapper) rewrapData(d arrow.ArrayData) *array.Data {
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		children[i] = r.rewrapData(c)
	}
	out := array.NewData(d.DataType(), d.Len(), d.Buffers(), children, nullCount(d), d.Offset())
	for _, c := range children {
		c.Release()
	}
	// Dictionary() returns a typed nil inside a non-nil interface for plain arrays.
	if dict, ok := d.Dictionary().(*array.Data); ok && dict != nil {
		if nd, ok := r.dicts[dict]; ok {
			out.SetDictionary(nd)
			return out
		}
		nd := r.rewrapData(dict)
		out.SetDictionary(nd)
		if len(r.dicts) >= rewrapperMaxDicts {
			r.Release()
		}
		if r.dicts == nil {
			r.dicts = map[arrow.ArrayData]*array.Data{}
		}
		r.dicts[dict] = nd // the reference rewrapData gave
	}
	return out
}

// nullCount counts d's nulls without touching d's cached count.
func nullCount(d arrow.ArrayData) int {
	if d.DataType().ID() == arrow.NULL {
		return d.Len()
	}
	bufs := d.Buffers()
	if len(bufs) == 0 || bufs[0] == nil || bufs[0].Len() == 0 {
		return 0
	}
	return d.Len() - bitutil.CountSetBits(bufs[0].Bytes(), d.Offset(), d.Len())
}
