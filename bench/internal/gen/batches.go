package gen

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Layout says how a table is cut into Arrow record batches.
type Layout struct {
	// Partitions is the number of source partitions (consecutive row ranges); default 1.
	Partitions int
	// ChunkRows bounds the rows of one batch, and so of one dictionary; default 8192.
	ChunkRows int
	// Dictionary makes string key columns dictionary<int32, utf8> (one dictionary per
	// batch, holding the values that batch uses); otherwise they are utf8.
	Dictionary bool
	// SharedDictionary (with Dictionary) gives each partition one dictionary per string
	// column, shared by all its batches, as the batches read from one Parquet row group
	// share its dictionary (and as Polars' categoricals share one string cache).
	SharedDictionary bool
}

func (l Layout) withDefaults() Layout {
	if l.Partitions < 1 {
		l.Partitions = 1
	}
	if l.ChunkRows < 1 {
		l.ChunkRows = 8192
	}
	return l
}

// Ranges cuts [0, n) into l.Partitions near-equal partitions, each cut into chunks of at
// most l.ChunkRows rows: Ranges(n)[p][c] = [lo, hi).
func (l Layout) Ranges(n int) [][][2]int {
	l = l.withDefaults()
	out := make([][][2]int, l.Partitions)
	for p := range out {
		lo, hi := n*p/l.Partitions, n*(p+1)/l.Partitions
		for c := lo; c < hi; c += l.ChunkRows {
			out[p] = append(out[p], [2]int{c, min(c+l.ChunkRows, hi)})
		}
	}
	return out
}

// DictType is the type of dictionary-encoded string keys.
var DictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

func keyType(dict bool) arrow.DataType {
	if dict {
		return DictType
	}
	return arrow.BinaryTypes.String
}

// Release releases every batch of parts.
func Release(parts [][]arrow.RecordBatch) {
	for _, p := range parts {
		for _, b := range p {
			b.Release()
		}
	}
}

// Rows counts the rows of parts.
func Rows(parts [][]arrow.RecordBatch) int64 {
	var n int64
	for _, p := range parts {
		for _, b := range p {
			n += b.NumRows()
		}
	}
	return n
}

// Int64Array is a zero-copy int64 array over s (s must outlive the array and not change).
func Int64Array(s []int64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Int64, len(s),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(s))}, nil, 0, 0)
	defer data.Release()
	return array.NewInt64Data(data)
}

// Float64Array is a zero-copy float64 array over s.
func Float64Array(s []float64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Float64, len(s),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(s))}, nil, 0, 0)
	defer data.Release()
	return array.NewFloat64Data(data)
}

func stringArray(offsets []int32, values []byte) arrow.Array {
	data := array.NewData(arrow.BinaryTypes.String, len(offsets)-1,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(values)}, nil, 0, 0)
	defer data.Release()
	return array.NewStringData(data)
}

// codeColumn turns codes into levels into a string column, dictionary-encoded or plain.
// stamp and local are scratch of len(levels), reused across chunks; chunk is a number
// unique per call, so that stamp marks the codes seen in this chunk.
type codeColumn struct {
	levels []string
	stamp  []int32
	local  []int32
	chunk  int32
}

func newCodeColumn(levels []string) *codeColumn {
	return &codeColumn{levels: levels}
}

// sharedChunk is a dictionary array over dict with the given indices (zero-copy).
func sharedChunk(dict arrow.Array, indices []int32) arrow.Array {
	idx := array.NewData(arrow.PrimitiveTypes.Int32, len(indices),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(indices))}, nil, 0, 0)
	defer idx.Release()
	ia := array.NewInt32Data(idx)
	defer ia.Release()
	return array.NewDictionaryArray(DictType, ia, dict)
}

func (c *codeColumn) build(mem memory.Allocator, codes []int32, dict bool) arrow.Array {
	if !dict {
		offsets := make([]int32, len(codes)+1)
		var values []byte
		for i, code := range codes {
			values = append(values, c.levels[code]...)
			offsets[i+1] = int32(len(values))
		}
		return stringArray(offsets, values)
	}
	values, indices := c.dictionary(mem, codes)
	defer values.Release()
	return sharedChunk(values, indices)
}

// dictionary returns one dictionary of the values codes use, in order of first use, and
// the index of every code into it (a batch's own dictionary, or with SharedDictionary
// a partition's, which its chunks slice: sharedChunk).
func (c *codeColumn) dictionary(mem memory.Allocator, codes []int32) (arrow.Array, []int32) {
	if c.stamp == nil {
		c.stamp = make([]int32, len(c.levels))
		c.local = make([]int32, len(c.levels))
	}
	c.chunk++
	indices := make([]int32, len(codes))
	b := array.NewStringBuilder(mem)
	defer b.Release()
	var next int32
	for i, code := range codes {
		if c.stamp[code] != c.chunk {
			c.stamp[code] = c.chunk
			c.local[code] = next
			next++
			b.Append(c.levels[code])
		}
		indices[i] = c.local[code]
	}
	return b.NewArray(), indices
}

// GroupBySchema is the schema of the group-by table's batches.
func GroupBySchema(dict bool) *arrow.Schema {
	kt := keyType(dict)
	i64, f64 := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64
	return arrow.NewSchema([]arrow.Field{
		{Name: "id1", Type: kt}, {Name: "id2", Type: kt}, {Name: "id3", Type: kt},
		{Name: "id4", Type: i64}, {Name: "id5", Type: i64}, {Name: "id6", Type: i64},
		{Name: "v1", Type: i64}, {Name: "v2", Type: i64}, {Name: "v3", Type: f64},
	}, nil)
}

// Batches returns the table as record batches in the given layout. Numeric columns share
// memory with g, so g must outlive the batches.
func (g *GroupBy) Batches(mem memory.Allocator, l Layout) (*arrow.Schema, [][]arrow.RecordBatch) {
	l = l.withDefaults()
	schema := GroupBySchema(l.Dictionary)
	c1, c2, c3 := newCodeColumn(g.Levels12), newCodeColumn(g.Levels12), newCodeColumn(g.Levels3)
	ranges := l.Ranges(g.N)
	out := make([][]arrow.RecordBatch, len(ranges))
	for p, chunks := range ranges {
		var dicts [3]arrow.Array
		var indices [3][]int32
		plo := 0
		if len(chunks) > 0 && l.Dictionary && l.SharedDictionary {
			plo = chunks[0][0]
			phi := chunks[len(chunks)-1][1]
			for k, c := range []*codeColumn{c1, c2, c3} {
				dicts[k], indices[k] = c.dictionary(mem, [][]int32{g.ID1, g.ID2, g.ID3}[k][plo:phi])
			}
		}
		for _, r := range chunks {
			lo, hi := r[0], r[1]
			var keys [3]arrow.Array
			for k, c := range []*codeColumn{c1, c2, c3} {
				if dicts[k] != nil {
					keys[k] = sharedChunk(dicts[k], indices[k][lo-plo:hi-plo])
				} else {
					keys[k] = c.build(mem, [][]int32{g.ID1, g.ID2, g.ID3}[k][lo:hi], l.Dictionary)
				}
			}
			cols := []arrow.Array{
				keys[0], keys[1], keys[2],
				Int64Array(g.ID4[lo:hi]), Int64Array(g.ID5[lo:hi]), Int64Array(g.ID6[lo:hi]),
				Int64Array(g.V1[lo:hi]), Int64Array(g.V2[lo:hi]), Float64Array(g.V3[lo:hi]),
			}
			out[p] = append(out[p], array.NewRecordBatch(schema, cols, int64(hi-lo)))
			for _, c := range cols {
				c.Release()
			}
		}
		for _, d := range dicts {
			if d != nil {
				d.Release() // the batches hold their own references
			}
		}
	}
	return schema, out
}

// JoinSchema is the schema of a join table's batches: its int keys, their "id%d" strings
// (id4 and id5 dictionary-encoded when dict; id6, unique per row, always utf8) and its
// value column.
func JoinSchema(t *JoinTable, dict bool) *arrow.Schema {
	i64 := arrow.PrimitiveTypes.Int64
	var fs []arrow.Field
	for i, k := range [][]int64{t.ID1, t.ID2, t.ID3} {
		if k != nil {
			fs = append(fs, arrow.Field{Name: "id" + strconv.Itoa(i+1), Type: i64})
		}
	}
	for i, k := range [][]int64{t.ID1, t.ID2, t.ID3} {
		if k != nil {
			typ := keyType(dict && i < 2)
			fs = append(fs, arrow.Field{Name: "id" + strconv.Itoa(i+4), Type: typ})
		}
	}
	fs = append(fs, arrow.Field{Name: t.VName, Type: arrow.PrimitiveTypes.Float64})
	return arrow.NewSchema(fs, nil)
}

// Batches returns join table t (one of j's) as record batches in the given layout.
func (j *Join) Batches(t *JoinTable, mem memory.Allocator, l Layout) (*arrow.Schema, [][]arrow.RecordBatch) {
	l = l.withDefaults()
	schema := JoinSchema(t, l.Dictionary)
	keys := [][]int64{t.ID1, t.ID2, t.ID3}
	strs := []*codeColumn{newCodeColumn(levels("id%d", j.Keys1)), newCodeColumn(levels("id%d", j.Keys2)), nil}
	ranges := l.Ranges(t.Rows)
	out := make([][]arrow.RecordBatch, len(ranges))
	codes := make([]int32, 0, l.ChunkRows)
	codesOf := func(k []int64) []int32 {
		codes = codes[:0]
		for _, v := range k {
			codes = append(codes, int32(v-1))
		}
		return codes
	}
	for p, chunks := range ranges {
		// With SharedDictionary, each dictionary column's partition-wide dictionary and
		// every row's index into it; the chunks slice the indices.
		var dicts [3]arrow.Array
		var indices [3][]int32
		plo := 0
		if len(chunks) > 0 && l.Dictionary && l.SharedDictionary {
			plo = chunks[0][0]
			phi := chunks[len(chunks)-1][1]
			for i, k := range keys {
				if k != nil && strs[i] != nil {
					dicts[i], indices[i] = strs[i].dictionary(mem, codesOf(k[plo:phi]))
				}
			}
		}
		for _, r := range chunks {
			lo, hi := r[0], r[1]
			var cols []arrow.Array
			for _, k := range keys {
				if k != nil {
					cols = append(cols, Int64Array(k[lo:hi]))
				}
			}
			for i, k := range keys {
				switch {
				case k == nil:
				case strs[i] == nil:
					cols = append(cols, idStrings(k[lo:hi]))
				case dicts[i] != nil:
					cols = append(cols, sharedChunk(dicts[i], indices[i][lo-plo:hi-plo]))
				default:
					cols = append(cols, strs[i].build(mem, codesOf(k[lo:hi]), l.Dictionary))
				}
			}
			cols = append(cols, Float64Array(t.V[lo:hi]))
			out[p] = append(out[p], array.NewRecordBatch(schema, cols, int64(hi-lo)))
			for _, c := range cols {
				c.Release()
			}
		}
		for _, d := range dicts {
			if d != nil {
				d.Release() // the batches hold their own references
			}
		}
	}
	return schema, out
}

// idStrings is "id%d" of every key, as a utf8 array.
func idStrings(keys []int64) arrow.Array {
	offsets := make([]int32, len(keys)+1)
	values := make([]byte, 0, len(keys)*10)
	for i, k := range keys {
		values = append(values, "id"...)
		values = strconv.AppendInt(values, k, 10)
		offsets[i+1] = int32(len(values))
	}
	return stringArray(offsets, values)
}
