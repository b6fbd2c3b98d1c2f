package kernel

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// This file holds the one row ordering of kindling: the sort operator, the top-N and the
// range partitioner all compare rows through RowComparator, so a range-partitioned global
// sort puts every row in the partition whose sorted run it belongs to.

// SortOrder is the direction of one sort key (Spark semantics): Descending reverses the
// order of values; NullsFirst puts NULLs before every value whatever the direction.
type SortOrder struct {
	Descending bool
	NullsFirst bool
}

// RowComparator compares rows of a set of key columns (all of one length) by a list of
// sort orders, column by column. NULLs are placed by NullsFirst, independent of
// Descending; NaN is greater than every number and equal to NaN; -0 equals 0; strings and
// binaries compare by bytes; false sorts before true; a dictionary-encoded column compares
// by its decoded values.
//
// The comparator only borrows the arrays: they must stay alive (unreleased) while it is
// used. It is safe for concurrent use.
type RowComparator struct {
	cols []keyColumn
	n    int
}

// keyColumn is one key of a RowComparator. cmp compares two rows of the column whose
// values are both valid, ascending; it is built once per column, so a comparison costs one
// indirect call per key and no boxing.
type keyColumn struct {
	valid   []byte // validity bitmap, nil when the column has no NULLs
	off     int    // bit offset of row 0 in valid
	desc    bool
	nullCmp int // the result of comparing a NULL (left) with a value (right)
	cmp     func(i, j int) int
	norm    func(dst []uint64) // when set: order-preserving unsigned keys of every row, ascending
	vals    crossValues
	family  string // columns of one family compare with each other
}

// crossValues compares a row of one column with a row of another column of the same family,
// for CompareWith.
type crossValues interface {
	compareWith(i int, other crossValues, j int) int
}

// NewRowComparator returns a comparator over the key columns cols ordered by orders
// (len(orders) == len(cols)). Supported types: int8-int64, uint8-uint64, float32, float64,
// date32, date64, time32, time64, timestamp, duration, bool, string, large_string, binary,
// large_binary, decimal128, and dictionaries (any integer index) of the string and binary
// types.
func NewRowComparator(cols []arrow.Array, orders []SortOrder) (*RowComparator, error) {
	if len(cols) != len(orders) {
		return nil, fmt.Errorf("shuffle: row comparator: %d key columns for %d sort orders", len(cols), len(orders))
	}
	c := &RowComparator{cols: make([]keyColumn, len(cols))}
	if len(cols) > 0 {
		c.n = cols[0].Len()
	}
	for k, col := range cols {
		if col.Len() != c.n {
			return nil, fmt.Errorf("shuffle: row comparator: key column %d has %d rows, key column 0 has %d", k, col.Len(), c.n)
		}
		kc := &c.cols[k]
		if err := kc.init(col); err != nil {
			return nil, fmt.Errorf("shuffle: row comparator: key column %d: %w", k, err)
		}
		kc.desc = orders[k].Descending
		kc.nullCmp = 1
		if orders[k].NullsFirst {
			kc.nullCmp = -1
		}
	}
	return c, nil
}

// Len returns the number of rows the comparator covers.
func (c *RowComparator) Len() int { return c.n }

// Compare compares rows i and j: negative when row i sorts first, 0 when their keys are
// equal, positive otherwise.
func (c *RowComparator) Compare(i, j int) int {
	for k := range c.cols {
		col := &c.cols[k]
		if col.valid != nil {
			vi := bitutil.BitIsSet(col.valid, col.off+i)
			vj := bitutil.BitIsSet(col.valid, col.off+j)
			if !vi || !vj {
				switch {
				case vi == vj:
					continue
				case !vi:
					return col.nullCmp
				default:
					return -col.nullCmp
				}
			}
		}
		if r := col.cmp(i, j); r != 0 {
			if col.desc {
				return -r
			}
			return r
		}
	}
	return 0
}

// CompareWith compares row i of c with row j of other, by c's sort orders. other must be
// compatible with c (see Compatible); CompareWith panics otherwise, so callers taking
// columns from outside check Compatible once first.
func (c *RowComparator) CompareWith(i int, other *RowComparator, j int) int {
	for k := range c.cols {
		col, ocol := &c.cols[k], &other.cols[k]
		vi := col.valid == nil || bitutil.BitIsSet(col.valid, col.off+i)
		vj := ocol.valid == nil || bitutil.BitIsSet(ocol.valid, ocol.off+j)
		if !vi || !vj {
			switch {
			case vi == vj:
				continue
			case !vi:
				return col.nullCmp
			default:
				return -col.nullCmp
			}
		}
		if r := col.vals.compareWith(i, ocol.vals, j); r != 0 {
			if col.desc {
				return -r
			}
			return r
		}
	}
	return 0
}

// Compatible reports (as an error naming the column) whether rows of c and other can be
// compared with CompareWith: the same number of key columns, of equal types, except that
// the string and binary types (plain, large or dictionary encoded) all compare by bytes.
func (c *RowComparator) Compatible(other *RowComparator) error {
	if len(c.cols) != len(other.cols) {
		return fmt.Errorf("shuffle: row comparator: %d key columns against %d", len(c.cols), len(other.cols))
	}
	for k := range c.cols {
		if c.cols[k].family != other.cols[k].family {
			return fmt.Errorf("shuffle: row comparator: key column %d is %s against %s", k, c.cols[k].family, other.cols[k].family)
		}
	}
	return nil
}

func (kc *keyColumn) init(col arrow.Array) error {
	if col.NullN() > 0 {
		kc.valid, kc.off = col.NullBitmapBytes(), col.Data().Offset()
	}
	kc.family = col.DataType().String()
	data := col.Data()
	switch dt := col.DataType().(type) {
	case *arrow.Int8Type:
		kc.setOrdered(arrow.GetValues[int8](data, 1))
	case *arrow.Int16Type:
		kc.setOrdered(arrow.GetValues[int16](data, 1))
	case *arrow.Int32Type, *arrow.Date32Type, *arrow.Time32Type:
		kc.setOrdered(arrow.GetValues[int32](data, 1))
	case *arrow.Int64Type, *arrow.Date64Type, *arrow.Time64Type, *arrow.TimestampType, *arrow.DurationType:
		kc.setOrdered(arrow.GetValues[int64](data, 1))
	case *arrow.Uint8Type:
		kc.setOrdered(arrow.GetValues[uint8](data, 1))
	case *arrow.Uint16Type:
		kc.setOrdered(arrow.GetValues[uint16](data, 1))
	case *arrow.Uint32Type:
		kc.setOrdered(arrow.GetValues[uint32](data, 1))
	case *arrow.Uint64Type:
		kc.setOrdered(arrow.GetValues[uint64](data, 1))
	case *arrow.Float32Type:
		kc.setFloat(arrow.GetValues[float32](data, 1))
	case *arrow.Float64Type:
		kc.setFloat(arrow.GetValues[float64](data, 1))
	case *arrow.BooleanType:
		v := &boolValues{off: data.Offset()}
		if b := data.Buffers()[1]; b != nil && col.Len() > 0 {
			v.bits = b.Bytes()
		}
		kc.vals = v
		kc.cmp = v.compare
		kc.norm = func(dst []uint64) {
			for i := range dst {
				dst[i] = uint64(v.at(i))
			}
		}
	case *arrow.StringType, *arrow.BinaryType:
		v := newVarBinary[int32](data)
		kc.setBytes(v, v.compare)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		v := newVarBinary[int64](data)
		kc.setBytes(v, v.compare)
	case *arrow.DictionaryType:
		return kc.initDictionary(col.(*array.Dictionary), dt)
	case *arrow.Decimal128Type:
		kc.setDecimal(DecimalValues(col))
	default:
		return fmt.Errorf("cannot sort by type %s", col.DataType())
	}
	return nil
}

// setBytes installs a bytes-family column: in-batch comparisons use cmp, cross comparisons
// compare the bytes of any two columns of the family.
func (kc *keyColumn) setBytes(v bytesAt, cmp func(i, j int) int) {
	kc.family = "bytes"
	kc.vals = bytesValues{v}
	kc.cmp = cmp
}

func (kc *keyColumn) setOrdered(v any) {
	// One type switch per column (not per row) picks the typed comparison.
	switch v := v.(type) {
	case []int8:
		setOrderedTyped(kc, v)
	case []int16:
		setOrderedTyped(kc, v)
	case []int32:
		setOrderedTyped(kc, v)
	case []int64:
		setOrderedTyped(kc, v)
	case []uint8:
		setOrderedTyped(kc, v)
	case []uint16:
		setOrderedTyped(kc, v)
	case []uint32:
		setOrderedTyped(kc, v)
	case []uint64:
		setOrderedTyped(kc, v)
	}
}

func setOrderedTyped[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](kc *keyColumn, v []T) {
	ov := &orderedValues[T]{v: v}
	kc.vals = ov
	kc.cmp = func(i, j int) int { return cmp.Compare(v[i], v[j]) }
	var zero T
	signed := zero-1 < 0
	kc.norm = func(dst []uint64) {
		for i, x := range v {
			if signed { // flipping the sign bit orders two's complement as unsigned
				dst[i] = uint64(int64(x)) ^ (1 << 63)
			} else {
				dst[i] = uint64(x)
			}
		}
	}
}

func (kc *keyColumn) setFloat(v any) {
	switch v := v.(type) {
	case []float32:
		fv := &floatValues[float32]{v: v}
		kc.vals = fv
		kc.cmp = func(i, j int) int { return compareFloat(v[i], v[j]) }
		kc.norm = func(dst []uint64) {
			for i, x := range v {
				dst[i] = normFloat(float64(x))
			}
		}
	case []float64:
		fv := &floatValues[float64]{v: v}
		kc.vals = fv
		kc.cmp = func(i, j int) int { return compareFloat(v[i], v[j]) }
		kc.norm = func(dst []uint64) {
			for i, x := range v {
				dst[i] = normFloat(x)
			}
		}
	}
}

// normFloat maps a float to an unsigned key in compareFloat's order: every NaN to the top,
// -0 to 0's key, negatives bit-inverted below the positives.
func normFloat(f float64) uint64 {
	if f != f {
		return math.MaxUint64
	}
	if f == 0 {
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// compareFloat orders floats as Spark does: NaN above every number (+Inf included) and
// equal to itself, -0 equal to 0.
func compareFloat[T float32 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	aNaN, bNaN := a != a, b != b
	switch {
	case aNaN && bNaN:
		return 0
	case aNaN:
		return 1
	default:
		return -1
	}
}

type orderedValues[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64] struct{ v []T }

func (o *orderedValues[T]) compareWith(i int, other crossValues, j int) int {
	return cmp.Compare(o.v[i], other.(*orderedValues[T]).v[j])
}

type floatValues[T float32 | float64] struct{ v []T }

func (f *floatValues[T]) compareWith(i int, other crossValues, j int) int {
	return compareFloat(f.v[i], other.(*floatValues[T]).v[j])
}

type boolValues struct {
	bits []byte
	off  int
}

func (b *boolValues) at(i int) int {
	if bitutil.BitIsSet(b.bits, b.off+i) {
		return 1
	}
	return 0
}

func (b *boolValues) compare(i, j int) int { return b.at(i) - b.at(j) }

func (b *boolValues) compareWith(i int, other crossValues, j int) int {
	return b.at(i) - other.(*boolValues).at(j)
}

// bytesAt gives the bytes of row i of a string or binary column, plain or dictionary
// encoded.
type bytesAt interface {
	at(i int) []byte
}

type bytesValues struct{ b bytesAt }

func (v bytesValues) compareWith(i int, other crossValues, j int) int {
	return bytes.Compare(v.b.at(i), other.(bytesValues).b.at(j))
}

type varBinary[O int32 | int64] struct {
	offs []O
	data []byte
}

func newVarBinary[O int32 | int64](data arrow.ArrayData) *varBinary[O] {
	v := &varBinary[O]{}
	if data.Len() == 0 {
		return v
	}
	v.offs = arrow.GetOffsets[O](data, 1)
	if b := data.Buffers()[2]; b != nil {
		v.data = b.Bytes()
	}
	return v
}

func (v *varBinary[O]) at(i int) []byte { return v.data[v.offs[i]:v.offs[i+1]] }

func (v *varBinary[O]) compare(i, j int) int {
	return bytes.Compare(v.data[v.offs[i]:v.offs[i+1]], v.data[v.offs[j]:v.offs[j+1]])
}

// dictBinary is a dictionary-encoded string or binary column. Within one column rows
// compare by the rank of their dictionary value, computed on the first comparison (the
// range partitioner only compares across columns and never pays for it).
type dictBinary struct {
	idx   []int32 // dictionary index of every row (NULL rows hold anything in range)
	vals  bytesAt // the dictionary values
	nDict int

	once sync.Once
	rank []int32 // per row: the rank of its value among the values the column uses
}

func (d *dictBinary) at(i int) []byte { return d.vals.at(int(d.idx[i])) }

func (d *dictBinary) compare(i, j int) int {
	d.once.Do(d.buildRanks)
	return cmp.Compare(d.rank[i], d.rank[j])
}

// buildRanks ranks rows by value, sorting whichever is smaller: the dictionary or the rows.
// Equal values get equal ranks, so equal strings under different indices compare equal.
func (d *dictBinary) buildRanks() {
	n := len(d.idx)
	d.rank = make([]int32, n)
	if d.nDict == 0 {
		return // every row is NULL and never compared by value
	}
	if d.nDict <= n {
		order := make([]int32, d.nDict)
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(d.vals.at(int(a)), d.vals.at(int(b))) })
		entryRank := make([]int32, d.nDict)
		r := int32(0)
		for k, e := range order {
			if k > 0 && !bytes.Equal(d.vals.at(int(order[k-1])), d.vals.at(int(e))) {
				r++
			}
			entryRank[e] = r
		}
		for i, e := range d.idx {
			d.rank[i] = entryRank[e]
		}
		return
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(d.at(int(a)), d.at(int(b))) })
	r := int32(0)
	for k, row := range order {
		if k > 0 && !bytes.Equal(d.at(int(order[k-1])), d.at(int(row))) {
			r++
		}
		d.rank[row] = r
	}
}

func (kc *keyColumn) initDictionary(col *array.Dictionary, dt *arrow.DictionaryType) error {
	dict := col.Dictionary()
	var vals bytesAt
	switch dt.ValueType.(type) {
	case *arrow.StringType, *arrow.BinaryType:
		vals = newVarBinary[int32](dict.Data())
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		vals = newVarBinary[int64](dict.Data())
	default:
		return fmt.Errorf("cannot sort by type %s", dt)
	}
	idx, err := dictIndices(col.Indices(), dict.Len())
	if err != nil {
		return err
	}
	d := &dictBinary{idx: idx, vals: vals, nDict: dict.Len()}
	kc.setBytes(d, d.compare)
	kc.norm = func(dst []uint64) {
		d.once.Do(d.buildRanks)
		for i, r := range d.rank {
			dst[i] = uint64(r)
		}
	}
	if dict.NullN() > 0 {
		// A row whose dictionary value is NULL is NULL: fold that into a row bitmap.
		valid := make([]byte, bitutil.BytesForBits(int64(len(idx))))
		for i, e := range idx {
			if (kc.valid == nil || bitutil.BitIsSet(kc.valid, kc.off+i)) && dict.IsValid(int(e)) {
				bitutil.SetBit(valid, i)
			}
		}
		kc.valid, kc.off = valid, 0
	}
	return nil
}

// dictIndices returns the dictionary indices as int32 (shared when they already are),
// checking that every index of a valid row is in range; NULL rows get index 0 so that the
// comparator can read them safely.
func dictIndices(ind arrow.Array, nDict int) ([]int32, error) {
	data := ind.Data()
	if ind.Len() == 0 {
		return nil, nil
	}
	var idx []int32
	switch ind.DataType().ID() {
	case arrow.INT32:
		idx = arrow.GetValues[int32](data, 1)
	case arrow.INT8:
		idx = widen(arrow.GetValues[int8](data, 1))
	case arrow.INT16:
		idx = widen(arrow.GetValues[int16](data, 1))
	case arrow.INT64:
		idx = widen(arrow.GetValues[int64](data, 1))
	case arrow.UINT8:
		idx = widen(arrow.GetValues[uint8](data, 1))
	case arrow.UINT16:
		idx = widen(arrow.GetValues[uint16](data, 1))
	case arrow.UINT32:
		idx = widen(arrow.GetValues[uint32](data, 1))
	case arrow.UINT64:
		idx = widen(arrow.GetValues[uint64](data, 1))
	default:
		return nil, fmt.Errorf("dictionary index type %s not supported", ind.DataType())
	}
	copied := ind.DataType().ID() != arrow.INT32
	for i, e := range idx {
		if e >= 0 && int(e) < nDict {
			continue
		}
		if ind.IsValid(i) {
			return nil, fmt.Errorf("dictionary index %d at row %d out of range [0, %d)", e, i, nDict)
		}
		if !copied { // never write into the array's own buffer
			idx = slices.Clone(idx)
			copied = true
		}
		idx[i] = 0
	}
	return idx, nil
}

func widen[T int8 | int16 | int64 | uint8 | uint16 | uint32 | uint64](v []T) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		if uint64(x) > 1<<31-1 { // negative or too large: out of range either way
			out[i] = -1
			continue
		}
		out[i] = int32(x)
	}
	return out
}

// radixMinRows is the fewest rows SortIndices radix-sorts; below it comparison sorting is
// as fast and allocates less.
const radixMinRows = 256

// SortIndices returns the positions 0..c.Len()-1 ordered by c, stable: rows with equal keys
// keep their relative order. Keys that all have order-preserving unsigned forms (integers,
// floats, dates, timestamps, bool, dictionary-encoded strings) are radix-sorted; any other
// key (plain strings, decimals) makes it a comparison sort.
func SortIndices(c *RowComparator) []int32 {
	if c.n >= radixMinRows && c.allNormalized() {
		return radixSortIndices(c.cols, c.n)
	}
	perm := make([]int32, c.n)
	for i := range perm {
		perm[i] = int32(i)
	}
	// Breaking ties by position makes the unstable (and faster) pattern-defeating quicksort
	// produce exactly the stable order.
	slices.SortFunc(perm, func(a, b int32) int {
		if r := c.Compare(int(a), int(b)); r != 0 {
			return r
		}
		return cmp.Compare(a, b)
	})
	return perm
}

func (c *RowComparator) allNormalized() bool {
	for i := range c.cols {
		if c.cols[i].norm == nil {
			return false
		}
	}
	return true
}

// radixSortIndices sorts n rows by the key columns cols with an LSD radix sort: stable
// passes over the last key first, then each earlier one, so the first key decides and later
// keys break its ties. A key with NULLs takes one more stable pass that moves its NULL rows
// (whose value bytes are all zero, so the value pass kept their order) first or last.
func radixSortIndices(cols []keyColumn, n int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	all := make([]uint64, n)
	keys := make([]uint64, n)
	spare := make([]int32, n)
	for c := len(cols) - 1; c >= 0; c-- {
		kc := &cols[c]
		kc.norm(all)
		flip := uint64(0)
		if kc.desc {
			flip = math.MaxUint64
		}
		hasNulls := false
		for j, r := range idx {
			if kc.valid != nil && !bitutil.BitIsSet(kc.valid, kc.off+int(r)) {
				keys[j] = 0
				hasNulls = true
				continue
			}
			keys[j] = all[r] ^ flip
		}
		// all is free once keys are built: it becomes the pass's second key buffer.
		idx, spare = radixSort(keys, idx, all, spare)
		if hasNulls {
			idx, spare = placeNulls(kc, idx, spare)
		}
	}
	return idx
}

// placeNulls stably moves the rows of idx whose key kc is NULL first or last (by the key's
// order), writing into out; it returns the placed rows and the buffer given back.
func placeNulls(kc *keyColumn, idx, out []int32) (placed, free []int32) {
	nullsFirst := kc.nullCmp < 0
	pos := 0
	for pass := range 2 {
		wantNull := (pass == 0) == nullsFirst
		for _, r := range idx {
			if !bitutil.BitIsSet(kc.valid, kc.off+int(r)) == wantNull {
				out[pos] = r
				pos++
			}
		}
	}
	return out, idx
}

// radixSort sorts idx by keys, stable, one byte per pass, skipping bytes that all keys
// share. scratch and spare (both len(keys)) are the passes' second key and index buffers;
// it returns the sorted indices and the index buffer it leaves free. keys is overwritten.
func radixSort(keys []uint64, idx []int32, scratch []uint64, spare []int32) (sorted, free []int32) {
	and, or := uint64(math.MaxUint64), uint64(0)
	for _, k := range keys {
		and &= k
		or |= k
	}
	diff := and ^ or
	k2, i2 := scratch, spare
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (diff>>shift)&0xff == 0 {
			continue
		}
		count = [256]int{}
		for _, k := range keys {
			count[(k>>shift)&0xff]++
		}
		sum := 0
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for j, k := range keys {
			d := (k >> shift) & 0xff
			p := count[d]
			count[d]++
			k2[p] = k
			i2[p] = idx[j]
		}
		keys, k2 = k2, keys
		idx, i2 = i2, idx
	}
	return idx, i2
}
