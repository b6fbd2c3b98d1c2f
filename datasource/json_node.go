package datasource

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type jsonKind uint8

const (
	jInt jsonKind = iota
	jUint
	jFloat
	jBool
	jString
	jDict
	jDate
	jTimestamp
	jDecimal
	jNull
	jStruct
	jList
)

// jsonNode reads one place of the schema: a column, a member of a struct column, or the
// elements of a list. A line's values are parsed into pend first and appended to the
// builders only once the whole line is known to be good, so that a malformed line leaves
// no trace: dropping it is forgetting pend, with no builder to undo. A node without a
// builder only checks its values (an unread column in the modes where a bad value counts).
type jsonNode struct {
	kind   jsonKind
	typ    arrow.DataType
	path   string // for errors: the column and the members to here, as a.b[].c
	bits   int    // jInt, jUint, jFloat
	unit   arrow.TimeUnit
	layout string // jDate, jTimestamp: "" for ISO 8601
	bld    array.Builder
	dict   *csvDict // jDict: the split's dictionary; bld builds the indices

	// jStruct: the members, looked up by key; jList: kids[0] is the element.
	kids  []*jsonNode
	names []string
	index map[string]int // for wide structs; nil means compare names in turn
	seen  []bool         // members of the object being parsed
	hint  int            // the member expected next: keys usually come in schema order

	pend  []jsonPend
	valid []bool  // flush scratch
	offs  []int32 // flush scratch
	offs8 []int64 // flush scratch (large lists)
}

// jsonPend is one parsed value: i holds integers, dates, timestamps, booleans (0/1), float
// bits and list lengths; [off, end) locates the text of strings and decimals in the line,
// or in the scanner's arena (both kept until the line is flushed).
type jsonPend struct {
	null     bool
	arena    bool
	i        int64
	off, end int
}

// newJSONNode makes the reader of a value of type t. Builders are attached later
// (attach); top says t is a column's type, where dictionaries are allowed.
func newJSONNode(path string, t arrow.DataType, opts *JSONOptions, top bool) (*jsonNode, error) {
	n := &jsonNode{typ: t, path: path}
	switch t := t.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		n.kind, n.bits = jInt, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		n.kind, n.bits = jUint, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.Float32Type, *arrow.Float64Type:
		n.kind, n.bits = jFloat, t.(arrow.FixedWidthDataType).BitWidth()
	case *arrow.BooleanType:
		n.kind = jBool
	case *arrow.StringType, *arrow.LargeStringType:
		n.kind = jString
	case *arrow.Date32Type:
		n.kind, n.layout = jDate, opts.DateFormat
	case *arrow.TimestampType:
		n.kind, n.unit, n.layout = jTimestamp, t.Unit, opts.TimestampFormat
	case *arrow.Decimal128Type, *arrow.Decimal256Type:
		n.kind = jDecimal
	case *arrow.NullType:
		n.kind = jNull
	case *arrow.DictionaryType:
		if !top || t.IndexType.ID() != arrow.INT32 || t.ValueType.ID() != arrow.STRING {
			return nil, fmt.Errorf("datasource: column %q: unsupported JSON type %s (want a column of dictionary<int32, utf8>)", path, t)
		}
		n.kind = jDict
	case *arrow.StructType:
		n.kind = jStruct
		for _, f := range t.Fields() {
			k, err := newJSONNode(path+"."+f.Name, f.Type, opts, false)
			if err != nil {
				return nil, err
			}
			n.addKid(f.Name, k)
		}
		n.indexNames()
	case *arrow.ListType, *arrow.LargeListType:
		n.kind = jList
		k, err := newJSONNode(path+"[]", t.(arrow.ListLikeType).Elem(), opts, false)
		if err != nil {
			return nil, err
		}
		n.kids = []*jsonNode{k}
	default:
		return nil, fmt.Errorf("datasource: column %q: unsupported JSON type %s", path, t)
	}
	return n, nil
}

func (n *jsonNode) addKid(name string, k *jsonNode) {
	n.kids = append(n.kids, k)
	n.names = append(n.names, name)
	n.seen = append(n.seen, false)
}

// indexNames builds the member map of a wide struct, where comparing names in turn
// would cost more than hashing.
func (n *jsonNode) indexNames() {
	if len(n.names) <= 8 {
		return
	}
	n.index = make(map[string]int, len(n.names))
	for i, name := range n.names {
		if _, dup := n.index[name]; !dup {
			n.index[name] = i
		}
	}
}

// attach gives the node and its descendants their builders: b for n, and the children
// builders b owns for the kids. A top-level dictionary column builds its indices with b
// and its values in a dictionary of the split.
func (n *jsonNode) attach(b array.Builder, mem memory.Allocator, nodes *[]*jsonNode) {
	n.bld = b
	*nodes = append(*nodes, n)
	switch n.kind {
	case jStruct:
		sb := b.(*array.StructBuilder)
		for i, k := range n.kids {
			k.attach(sb.FieldBuilder(i), mem, nodes)
		}
	case jList:
		n.kids[0].attach(b.(array.ListLikeBuilder).ValueBuilder(), mem, nodes)
	case jDict:
		n.dict = newCSVDict(mem)
	}
}

// newBuilder makes the builder of a top-level node.
func (n *jsonNode) newBuilder(mem memory.Allocator) array.Builder {
	if n.kind == jDict {
		return array.NewInt32Builder(mem)
	}
	return array.NewBuilder(mem, n.typ)
}

// field returns the index of member key, or -1.
func (n *jsonNode) field(key []byte) int {
	if h := n.hint; h < len(n.names) && n.names[h] == string(key) {
		n.hint = h + 1
		return h
	}
	if n.index != nil {
		if i, ok := n.index[string(key)]; ok {
			n.hint = i + 1
			return i
		}
		return -1
	}
	for i, name := range n.names {
		if name == string(key) {
			n.hint = i + 1
			return i
		}
	}
	return -1
}

func (n *jsonNode) push(v jsonPend) {
	if n.bld != nil {
		n.pend = append(n.pend, v)
	}
}

// pushNull records a NULL, also in each member of a struct: every member gets one entry
// per entry of its struct, which the struct's own flush then leaves alone.
func (n *jsonNode) pushNull() {
	if n.bld == nil {
		return
	}
	n.pend = append(n.pend, jsonPend{null: true})
	if n.kind == jStruct {
		for _, k := range n.kids {
			k.pushNull()
		}
	}
}

// parseJSONInt parses an integer of the given width; ok is false when it does not fit.
func parseJSONInt(b []byte, bits int, signed bool) (int64, bool) {
	v, ok := parseInt64(b)
	if ok {
		if signed {
			return v, bits == 64 || (v >= -1<<(bits-1) && v < 1<<(bits-1))
		}
		return v, v >= 0 && (bits == 64 || v < 1<<bits)
	}
	if signed {
		v, err := strconv.ParseInt(unsafeString(b), 10, bits)
		return v, err == nil
	}
	u, err := strconv.ParseUint(unsafeString(b), 10, bits)
	return int64(u), err == nil
}

// parseJSONFloat parses a JSON number, or one of the strings Spark writes for the values
// JSON has no number for.
func parseJSONFloat(b []byte, bits int, quoted bool) (float64, bool) {
	if quoted {
		switch string(b) {
		case "NaN":
			return math.NaN(), true
		case "Infinity", "+Infinity", "Inf", "+Inf":
			return math.Inf(1), true
		case "-Infinity", "-Inf":
			return math.Inf(-1), true
		}
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafeString(b), bits)
	if err != nil {
		// Out of range is ±Inf or a rounded denormal, as other readers take it.
		ne, ok := err.(*strconv.NumError)
		return f, ok && ne.Err == strconv.ErrRange
	}
	return f, true
}

// parseTime parses the text of a date or timestamp value.
func (n *jsonNode) parseTime(b []byte) (int64, bool) {
	s := unsafeString(b)
	if n.layout == "" {
		if n.kind == jDate {
			d, ok := parseDate(s)
			return int64(d), ok
		}
		ts, ok := parseTimestamp(s, n.unit)
		return int64(ts), ok
	}
	t, err := time.Parse(n.layout, s)
	if err != nil {
		return 0, false
	}
	if n.kind == jDate {
		return int64(arrow.Date32FromTime(t)), true
	}
	ts, err := arrow.TimestampFromTime(t.UTC(), n.unit)
	return int64(ts), err == nil
}

// decimal parses the text of a decimal value; ok is false when it is not a number or
// does not fit the precision.
func (n *jsonNode) decimal(b []byte) (d128 decimal128.Num, d256 decimal256.Num, ok bool) {
	var num jsonScan
	num.reset(b)
	if _, _, isNum := num.num(); !isNum || num.pos != len(b) {
		return d128, d256, false
	}
	switch t := n.typ.(type) {
	case *arrow.Decimal128Type:
		v, err := decimal128.FromString(unsafeString(b), t.Precision, t.Scale)
		return v, d256, err == nil && v.FitsInPrecision(t.Precision)
	case *arrow.Decimal256Type:
		v, err := decimal256.FromString(unsafeString(b), t.Precision, t.Scale)
		return d128, v, err == nil && v.FitsInPrecision(t.Precision)
	}
	return d128, d256, false
}

// flush appends the line's values to the builder; s holds their text. Nodes are flushed
// parents first, so that a list still sees its element builder's length from before the
// line.
func (n *jsonNode) flush(s *jsonScan) {
	switch n.kind {
	case jStruct:
		n.valid = n.valid[:0]
		for _, p := range n.pend {
			n.valid = append(n.valid, !p.null)
		}
		n.bld.(*array.StructBuilder).AppendValues(n.valid)
	case jList:
		n.flushList()
	case jInt, jUint:
		n.flushInts()
	default:
		n.flushScalars(s)
	}
	n.pend = n.pend[:0]
}

func (n *jsonNode) flushList() {
	n.valid = n.valid[:0]
	at := n.kids[0].bld.Len()
	switch b := n.bld.(type) {
	case *array.ListBuilder:
		n.offs = n.offs[:0]
		for _, p := range n.pend {
			n.offs = append(n.offs, int32(at))
			n.valid = append(n.valid, !p.null)
			at += int(p.i)
		}
		b.AppendValues(n.offs, n.valid)
	case *array.LargeListBuilder:
		n.offs8 = n.offs8[:0]
		for _, p := range n.pend {
			n.offs8 = append(n.offs8, int64(at))
			n.valid = append(n.valid, !p.null)
			at += int(p.i)
		}
		b.AppendValues(n.offs8, n.valid)
	}
}

func (n *jsonNode) flushInts() {
	for _, p := range n.pend {
		if p.null {
			n.bld.AppendNull()
			continue
		}
		switch b := n.bld.(type) {
		case *array.Int64Builder:
			b.Append(p.i)
		case *array.Int32Builder:
			b.Append(int32(p.i))
		case *array.Int16Builder:
			b.Append(int16(p.i))
		case *array.Int8Builder:
			b.Append(int8(p.i))
		case *array.Uint64Builder:
			b.Append(uint64(p.i))
		case *array.Uint32Builder:
			b.Append(uint32(p.i))
		case *array.Uint16Builder:
			b.Append(uint16(p.i))
		case *array.Uint8Builder:
			b.Append(uint8(p.i))
		}
	}
}

func (n *jsonNode) flushScalars(s *jsonScan) {
	for _, p := range n.pend {
		if p.null {
			n.bld.AppendNull()
			continue
		}
		switch b := n.bld.(type) {
		case *array.Float64Builder:
			b.Append(math.Float64frombits(uint64(p.i)))
		case *array.Float32Builder:
			b.Append(float32(math.Float64frombits(uint64(p.i))))
		case *array.BooleanBuilder:
			b.Append(p.i != 0)
		case *array.StringBuilder:
			b.BinaryBuilder.Append(s.bytesOf(p))
		case *array.LargeStringBuilder:
			b.BinaryBuilder.Append(s.bytesOf(p))
		case *array.Int32Builder: // a dictionary's indices; the value was checked for UTF-8
			id, _ := n.dict.id(s.bytesOf(p))
			b.Append(id)
		case *array.Date32Builder:
			b.Append(arrow.Date32(p.i))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(p.i))
		case *array.Decimal128Builder:
			v, _, _ := n.decimal(s.bytesOf(p))
			b.Append(v)
		case *array.Decimal256Builder:
			_, v, _ := n.decimal(s.bytesOf(p))
			b.Append(v)
		}
	}
}

// newArray returns a top-level column's values so far and resets its builder.
func (n *jsonNode) newArray() arrow.Array {
	a := n.bld.NewArray()
	if n.kind != jDict {
		return a
	}
	defer a.Release()
	dict := n.dict.array()
	defer dict.Release()
	return array.NewDictionaryArray(n.typ, a, dict)
}

// release frees a top-level node's builder and dictionary.
func (n *jsonNode) release() {
	if n.bld != nil {
		n.bld.Release()
		n.bld = nil
	}
	if n.dict != nil {
		n.dict.release()
		n.dict = nil
	}
}
