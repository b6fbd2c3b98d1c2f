package datasource

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// HiveNullPartition is the directory value of a NULL (or empty string) partition value, as
// Hive and Spark write it.
const HiveNullPartition = "__HIVE_DEFAULT_PARTITION__"

// EscapePartitionValue makes a value safe as a path segment the way Hive and Spark do:
// bytes that are special in paths or in the col=value syntax, control characters and '%'
// become %XX, so that any value, including "a/b" or "x=y", is one directory. An empty
// value is HiveNullPartition.
func EscapePartitionValue(v string) string {
	if v == "" {
		return HiveNullPartition
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if needsEscape(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func needsEscape(c byte) bool {
	if c < 0x20 || c == 0x7f {
		return true
	}
	return strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0
}

// UnescapePartitionValue undoes EscapePartitionValue; ok is false for HiveNullPartition.
// A '%' not followed by two hex digits is kept as it is, as Hive does.
func UnescapePartitionValue(s string) (v string, ok bool) {
	if s == HiveNullPartition {
		return "", false
	}
	if !strings.Contains(s, "%") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

// ParseHiveSegment splits a directory name col=value into its column and escaped value.
func ParseHiveSegment(name string) (col, value string, ok bool) {
	i := strings.IndexByte(name, '=')
	if i <= 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// PartitionableType reports whether a column of type t can partition a table: its values
// must have a text form that reads back as the same value.
func PartitionableType(t arrow.DataType) bool {
	if d, ok := t.(*arrow.DictionaryType); ok {
		t = d.ValueType
	}
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BOOL,
		arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

// PartitionSplitter cuts record batches into the rows of each partition value
// combination, for a writer that lays a table out as col=value directories.
type PartitionSplitter struct {
	cols  []int    // partition columns' indices in the batches
	names []string // their names
	// Per batch, reused.
	ids   []int32
	pair  map[uint64]int32
	colID []int32
}

// NewPartitionSplitter prepares to split batches of schema by the columns named cols.
// Every column must exist and be of a PartitionableType.
func NewPartitionSplitter(schema *arrow.Schema, cols []string) (*PartitionSplitter, error) {
	s := &PartitionSplitter{names: cols}
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c] {
			return nil, fmt.Errorf("datasource: partition column %q given twice", c)
		}
		seen[c] = true
		idx := schema.FieldIndices(c)
		if len(idx) == 0 {
			return nil, fmt.Errorf("datasource: partition column %q is not a column of %s", c, schemaNames(schema))
		}
		t := schema.Field(idx[0]).Type
		if !PartitionableType(t) {
			return nil, fmt.Errorf("datasource: column %q of type %s cannot partition a table (a partition value must be a string, number, boolean, date or timestamp)", c, t)
		}
		s.cols = append(s.cols, idx[0])
	}
	if len(s.cols) == schema.NumFields() {
		return nil, fmt.Errorf("datasource: every column (%s) is a partition column: the files would have none", strings.Join(cols, ", "))
	}
	return s, nil
}

func schemaNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return "(" + strings.Join(names, ", ") + ")"
}

// DataColumns are the indices of schema's columns that are not partition columns: what
// the files hold.
func (s *PartitionSplitter) DataColumns(numFields int) []int {
	var out []int
	for i := range numFields {
		isPart := false
		for _, c := range s.cols {
			isPart = isPart || c == i
		}
		if !isPart {
			out = append(out, i)
		}
	}
	return out
}

// PartitionGroup is the rows of a batch that share one partition: Dir is its relative
// directory (day=2024-01-01/region=eu), Rows the row indices in ascending order.
type PartitionGroup struct {
	Dir  string
	Rows []int32
}

// Split groups rec's rows by partition. The groups come in order of first appearance; a
// batch of one partition is one group whose Rows is nil (all rows).
func (s *PartitionSplitter) Split(rec arrow.RecordBatch) []PartitionGroup {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	s.ids = resize(s.ids, n)
	var dirs []string
	for k, ci := range s.cols {
		colIDs, segs := partitionValueIDs(rec.Column(ci), &s.colID)
		if k == 0 {
			copy(s.ids, colIDs)
			dirs = make([]string, len(segs))
			for j, v := range segs {
				dirs[j] = s.names[0] + "=" + v
			}
			continue
		}
		if s.pair == nil {
			s.pair = make(map[uint64]int32)
		}
		clear(s.pair)
		var next []string
		for r := range n {
			key := uint64(uint32(s.ids[r]))<<32 | uint64(uint32(colIDs[r]))
			id, ok := s.pair[key]
			if !ok {
				id = int32(len(next))
				s.pair[key] = id
				next = append(next, dirs[s.ids[r]]+"/"+s.names[k]+"="+segs[colIDs[r]])
			}
			s.ids[r] = id
		}
		dirs = next
	}
	if len(dirs) == 1 {
		return []PartitionGroup{{Dir: dirs[0]}}
	}
	// A counting sort of the rows by group keeps each group's rows ascending.
	counts := make([]int, len(dirs)+1)
	for _, g := range s.ids[:n] {
		counts[g+1]++
	}
	for g := 1; g < len(counts); g++ {
		counts[g] += counts[g-1]
	}
	rows := make([]int32, n)
	pos := slices.Clone(counts[:len(counts)-1]) // each group's next free slot
	for r, g := range s.ids[:n] {
		rows[pos[g]] = int32(r)
		pos[g]++
	}
	out := make([]PartitionGroup, len(dirs))
	for g := range dirs {
		out[g] = PartitionGroup{Dir: dirs[g], Rows: rows[counts[g]:counts[g+1]]}
	}
	return out
}

func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// partitionValueIDs numbers the distinct values of arr in order of first appearance and
// returns each row's number and each number's escaped directory value. Values are
// formatted once per distinct value, not per row.
func partitionValueIDs(arr arrow.Array, buf *[]int32) ([]int32, []string) {
	n := arr.Len()
	*buf = resize(*buf, n)
	ids := *buf
	var segs []string
	nullID := int32(-1)
	idOfNull := func() int32 {
		if nullID < 0 {
			nullID = int32(len(segs))
			segs = append(segs, HiveNullPartition)
		}
		return nullID
	}
	switch a := arr.(type) {
	case *array.Dictionary:
		byIndex := map[int]int32{}
		dict := a.Dictionary()
		for r := range n {
			if a.IsNull(r) {
				ids[r] = idOfNull()
				continue
			}
			di := a.GetValueIndex(r)
			id, ok := byIndex[di]
			if !ok {
				if dict.IsNull(di) {
					id = idOfNull()
				} else {
					id = int32(len(segs))
					segs = append(segs, EscapePartitionValue(formatPartitionValue(dict, di)))
				}
				byIndex[di] = id
			}
			ids[r] = id
		}
	case array.StringLike:
		byValue := map[string]int32{}
		for r := range n {
			if a.IsNull(r) {
				ids[r] = idOfNull()
				continue
			}
			v := a.ValueStr(r)
			id, ok := byValue[v]
			if !ok {
				v = strings.Clone(v) // the map outlives the batch's buffers
				id = int32(len(segs))
				segs = append(segs, EscapePartitionValue(v))
				byValue[v] = id
			}
			ids[r] = id
		}
	default:
		bits := fixedWidthBits(arr)
		byValue := map[uint64]int32{}
		for r := range n {
			if arr.IsNull(r) {
				ids[r] = idOfNull()
				continue
			}
			v := bits(r)
			id, ok := byValue[v]
			if !ok {
				id = int32(len(segs))
				segs = append(segs, EscapePartitionValue(formatPartitionValue(arr, r)))
				byValue[v] = id
			}
			ids[r] = id
		}
	}
	return ids, segs
}

// fixedWidthBits returns a function giving row r's value as 64 bits, equal bits for equal
// values, for the fixed-width PartitionableTypes.
func fixedWidthBits(arr arrow.Array) func(int) uint64 {
	switch a := arr.(type) {
	case *array.Int8:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Int16:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Int32:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Int64:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Uint8:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Uint16:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Uint32:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Uint64:
		return func(r int) uint64 { return a.Value(r) }
	case *array.Float32:
		return func(r int) uint64 { return uint64(math.Float32bits(a.Value(r))) }
	case *array.Float64:
		return func(r int) uint64 { return math.Float64bits(a.Value(r)) }
	case *array.Date32:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Timestamp:
		return func(r int) uint64 { return uint64(a.Value(r)) }
	case *array.Boolean:
		return func(r int) uint64 {
			if a.Value(r) {
				return 1
			}
			return 0
		}
	}
	// NewPartitionSplitter admits no other type.
	panic(fmt.Sprintf("datasource: partition column of type %s", arr.DataType()))
}

// formatPartitionValue is the text of row r as a partition directory holds it: dates as
// 2024-01-01, timestamps as 2024-01-01 10:00:00[.ffffff] in UTC (Spark's form), numbers
// as Go prints them (floats shortest round-trip).
func formatPartitionValue(arr arrow.Array, r int) string {
	switch a := arr.(type) {
	case *array.Date32:
		return a.Value(r).FormattedString()
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(r).ToTime(unit).UTC()
		return t.Format("2006-01-02 15:04:05.999999999")
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(r)), 'g', -1, 32)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(r), 'g', -1, 64)
	}
	return arr.ValueStr(r)
}
