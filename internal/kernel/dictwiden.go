package kernel

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// WidenDictionaries gives every batch of recs, for each dictionary column, the longest
// dictionary among the batches' that its own is a prefix of (views of the same buffers:
// a CSV split's batches share one growing dictionary, whose buffers are reallocated only
// when they double), without copying: the indices stay valid, since entry j of a prefix
// is entry j of the whole. Written to an IPC stream, the batches then carry a dictionary
// per buffer generation instead of a delta per batch, which a reader would otherwise
// concatenate into a new dictionary at every delta. The result has one reference per
// batch (the caller releases it); columns with nothing to widen are shared unchanged.
func WidenDictionaries(recs []arrow.RecordBatch) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(recs))
	for i, r := range recs {
		r.Retain()
		out[i] = r
	}
	if len(recs) < 2 {
		return out
	}
	for c, f := range recs[0].Schema().Fields() {
		if f.Type.ID() != arrow.DICTIONARY {
			continue
		}
		dicts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			d, ok := r.Column(c).(*array.Dictionary)
			if !ok {
				dicts = nil
				break
			}
			dicts[i] = d.Dictionary()
		}
		for i, wide := range widestPrefixes(dicts) {
			if wide == nil {
				continue
			}
			r := out[i]
			d := r.Column(c).(*array.Dictionary)
			cols := append([]arrow.Array(nil), r.Columns()...)
			col := array.NewDictionaryArray(d.DataType(), d.Indices(), wide)
			cols[c] = col
			out[i] = array.NewRecordBatch(r.Schema(), cols, r.NumRows())
			col.Release()
			r.Release()
		}
	}
	return out
}

// widestPrefixes returns, for each dictionary of dicts, the longest other one that it is a
// strict prefix of, or nil if there is none. Quadratic in the batches of one block (a few
// hundred), each comparison a handful of pointer checks.
func widestPrefixes(dicts []arrow.Array) []arrow.Array {
	out := make([]arrow.Array, len(dicts))
	for i, d := range dicts {
		for _, e := range dicts {
			if e.Len() > d.Len() && prefixArrayData(d, e) && (out[i] == nil || e.Len() > out[i].Len()) {
				out[i] = e
			}
		}
	}
	return out
}
