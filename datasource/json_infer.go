package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// JSONOptions configure reading JSON lines (NDJSON) files: one JSON object per line. The
// zero value infers the schema from the first 1000 records of each file and fails on the
// first malformed line.
type JSONOptions struct {
	// Schema gives the columns' names and types; nil means infer them. Members of a
	// record that the schema does not name are ignored; a column a record lacks is NULL.
	Schema *arrow.Schema
	// InferRows is how many records of each file inference looks at; 0 means
	// DefaultInferRows.
	InferRows int
	// Mode says what to do with a malformed line: one that is not a JSON object, or
	// whose value for a column does not fit the column's type (a string where an int64
	// is expected, a fraction for an integer, an unparsable date, a repeated key). In
	// Permissive mode the whole row is NULL.
	Mode ParseMode
	// BatchRows bounds the rows of each batch; 0 means DefaultBatchRows.
	BatchRows int
	// PrimitivesAsString infers every number and boolean as a string column (Spark's
	// primitivesAsString); objects and arrays are still inferred as structs and lists.
	PrimitivesAsString bool
	// CorruptRecordColumn names a string column that holds, in Permissive mode, the text of
	// each malformed line (NULL for a good one), as Spark's columnNameOfCorruptRecord.
	// Inference adds it as the last column; a given schema has it or not. It is never
	// read from the records themselves.
	CorruptRecordColumn string
	// DateFormat and TimestampFormat are Go time layouts for the string values of date32
	// and timestamp columns of a given schema; "" means ISO 8601 (2006-01-02, and RFC 3339
	// or "2006-01-02 15:04:05", converted to UTC). Inference never makes these types:
	// dates and times stay strings, as with Spark's default inferTimestamp=false.
	DateFormat, TimestampFormat string
}

func (o JSONOptions) inferRows() int {
	if o.InferRows <= 0 {
		return DefaultInferRows
	}
	return o.InferRows
}

func (o JSONOptions) batchRows() int {
	if o.BatchRows <= 0 {
		return DefaultBatchRows
	}
	return o.BatchRows
}

// inferKind is what inference knows of a value so far. Kinds only widen: null to
// anything, int64 to float64, and any two kinds that do not meet to string, which then
// holds each value's JSON text.
type inferKind uint8

const (
	iNull inferKind = iota
	iBool
	iInt
	iFloat
	iString
	iStruct
	iList
)

// inferNode is the type inference has seen at one place of the records: a column, a
// member of an object column, or the elements of an array.
type inferNode struct {
	kind   inferKind
	names  []string // iStruct: members in the order first seen
	fields []*inferNode
	index  map[string]int
	elem   *inferNode // iList
}

// widen merges kind k (a primitive) into n.
func (n *inferNode) widen(k inferKind) {
	switch {
	case n.kind == k || n.kind == iString:
	case n.kind == iNull:
		n.kind = k
	case (n.kind == iInt && k == iFloat) || (n.kind == iFloat && k == iInt):
		n.kind = iFloat
	default:
		n.toString()
	}
}

func (n *inferNode) toString() {
	*n = inferNode{kind: iString}
}

// field returns the node of member key, adding it if it is new.
func (n *inferNode) field(key []byte) *inferNode {
	if i, ok := n.index[string(key)]; ok {
		return n.fields[i]
	}
	if n.index == nil {
		n.index = map[string]int{}
	}
	name := string(key)
	n.index[name] = len(n.fields)
	n.names = append(n.names, name)
	f := &inferNode{}
	n.fields = append(n.fields, f)
	return f
}

// arrowType is the column type of what was seen: nothing but nulls is a string, and so
// is an object that never had a member (Parquet, for one, cannot store an empty struct).
func (n *inferNode) arrowType() arrow.DataType {
	switch n.kind {
	case iBool:
		return arrow.FixedWidthTypes.Boolean
	case iInt:
		return arrow.PrimitiveTypes.Int64
	case iFloat:
		return arrow.PrimitiveTypes.Float64
	case iStruct:
		if len(n.fields) == 0 {
			break
		}
		return arrow.StructOf(n.arrowFields()...)
	case iList:
		return arrow.ListOf(n.elem.arrowType())
	}
	return arrow.BinaryTypes.String
}

func (n *inferNode) arrowFields() []arrow.Field {
	out := make([]arrow.Field, len(n.fields))
	for i, f := range n.fields {
		out[i] = arrow.Field{Name: n.names[i], Type: f.arrowType(), Nullable: true}
	}
	return out
}

// jsonInferrer merges the types of records into one tree.
type jsonInferrer struct {
	scan       jsonScan
	root       inferNode
	primString bool
}

// record merges one line's types. The line's syntax is checked first, so that a
// malformed line teaches nothing; blank says the line has no record.
func (in *jsonInferrer) record(line []byte) (ok, blank bool) {
	s := &in.scan
	s.reset(line)
	switch c := s.peek(); {
	case s.pos >= len(s.b):
		return true, true
	case c != '{':
		return s.unexpected("looking for the beginning of an object (one per line)"), false
	}
	if !s.skip(0) {
		return false, false
	}
	if !s.atEnd() {
		return s.unexpected("after the object (one per line)"), false
	}
	s.reset(line)
	in.root.kind = iStruct
	in.value(&in.root)
	return true, false
}

// value merges the type of the value at the cursor, known to be well formed, into n.
func (in *jsonInferrer) value(n *inferNode) {
	s := &in.scan
	switch c := s.peek(); {
	case c == 'n':
		s.pos += len("null")
	case c == 't' || c == 'f':
		s.skip(0)
		n.widen(in.prim(iBool))
	case c == '"':
		s.str()
		n.widen(iString)
	case c == '{':
		if n.kind == iNull {
			n.kind = iStruct
		}
		if n.kind != iStruct {
			n.toString()
			s.skip(0)
			return
		}
		s.pos++
		for first := true; ; first = false {
			key, end, _ := s.member(first)
			if end {
				return
			}
			in.value(n.field(key))
		}
	case c == '[':
		if n.kind == iNull {
			n.kind, n.elem = iList, &inferNode{}
		}
		if n.kind != iList {
			n.toString()
			s.skip(0)
			return
		}
		s.pos++
		for first := true; ; first = false {
			if end, _ := s.element(first); end {
				return
			}
			in.value(n.elem)
		}
	default:
		v, integral, _ := s.num()
		if _, fits := parseJSONInt(v, 64, true); integral && fits {
			n.widen(in.prim(iInt))
		} else {
			n.widen(in.prim(iFloat))
		}
	}
}

func (in *jsonInferrer) prim(k inferKind) inferKind {
	if in.primString {
		return iString
	}
	return k
}

// InferJSONSchema returns the schema of JSON lines files: opts.Schema if given (checked),
// else the types of the first InferRows records of each file merged: true/false is bool, an
// integer is int64 (float64 if some values have a fraction or exponent, or do not fit),
// other numbers float64, a string string, an object a struct of its members (merged across
// records, in the order first seen), an array a list of its merged elements. Columns and
// members appear in the order first seen; values of kinds that do not meet (a string and a
// number, an object and an array) make a string column, which then holds the other values'
// JSON text; a column seen only as null is a string. A malformed line fails in FailFast
// mode and is passed over otherwise.
func InferJSONSchema(files []string, opts JSONOptions) (*arrow.Schema, error) {
	if opts.Schema != nil {
		return opts.Schema, checkJSONSchema(opts.Schema, opts)
	}
	in := &jsonInferrer{primString: opts.PrimitivesAsString}
	records := 0
	for _, path := range files {
		n, err := in.file(path, opts)
		if err != nil {
			return nil, err
		}
		records += n
	}
	if records == 0 {
		return nil, fmt.Errorf("datasource: no JSON record in %s: cannot infer a schema", describeFiles(files))
	}
	fields := in.root.arrowFields()
	if c := opts.CorruptRecordColumn; c != "" {
		fields = slices.DeleteFunc(fields, func(f arrow.Field) bool { return f.Name == c })
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	return arrow.NewSchema(fields, nil), nil
}

// file merges the first records of one file and returns how many it read.
func (in *jsonInferrer) file(path string, opts JSONOptions) (int, error) {
	f, err := openInput(context.Background(), path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lines := newJSONLines(f, path, 0, 1<<62, 64<<10)
	records := 0
	for records < opts.inferRows() {
		line, err := lines.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		ok, blank := in.record(line)
		switch {
		case blank:
		case ok:
			records++
		case opts.Mode == FailFast:
			return 0, lines.syntaxError(&in.scan)
		}
	}
	return records, nil
}

func describeFiles(files []string) string {
	if len(files) == 1 {
		return files[0]
	}
	return fmt.Sprintf("%d files (%s, ...)", len(files), files[0])
}

// checkJSONSchema checks that the reader can read every column of a given schema.
func checkJSONSchema(schema *arrow.Schema, opts JSONOptions) error {
	for _, f := range schema.Fields() {
		if f.Name == opts.CorruptRecordColumn && f.Type.ID() != arrow.STRING {
			return fmt.Errorf("datasource: the corrupt record column %q has type %s, want string", f.Name, f.Type)
		}
		if _, err := newJSONNode(f.Name, f.Type, &opts, true); err != nil {
			return err
		}
	}
	return nil
}
