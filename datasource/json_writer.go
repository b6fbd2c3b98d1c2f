package datasource

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// JSONFileWriter writes record batches as JSON lines, one object per row, as Spark
// writes them: NULL members are left out (at every level; NULL elements of a list are
// written as null), structs and maps are objects, lists are arrays, dates are
// "2006-01-02", timestamps ISO 8601 in UTC ("2006-01-02T15:04:05.999999999", with a Z
// when the type has a time zone), decimals are numbers, floats always show a fraction or
// exponent (so that 3.0 reads back as a float) and NaN and infinities are the strings
// "NaN", "Infinity" and "-Infinity", binary is base64, dictionary columns are their values.
type JSONFileWriter struct {
	path   string
	f      io.WriteCloser
	bw     *bufio.Writer
	schema *arrow.Schema
	keys   [][]byte // each column's `"name":`
	buf    []byte
	closed bool
}

// NewJSONFileWriter creates path and prepares to write batches of schema.
func NewJSONFileWriter(path string, schema *arrow.Schema) (*JSONFileWriter, error) {
	if err := jsonCheckSchema(schema); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	w, err := NewJSONWriter(f, path, schema)
	if err != nil {
		os.Remove(path)
	}
	return w, err
}

// NewJSONWriter prepares to write batches of schema to f, a new file named path (for
// errors), as JSON lines; Close closes f. On error f is closed.
func NewJSONWriter(f io.WriteCloser, path string, schema *arrow.Schema) (*JSONFileWriter, error) {
	if err := jsonCheckSchema(schema); err != nil {
		f.Close()
		return nil, err
	}
	w := &JSONFileWriter{path: path, f: f, bw: bufio.NewWriterSize(f, 256<<10), schema: schema}
	for _, fd := range schema.Fields() {
		w.keys = append(w.keys, append(appendJSONString(nil, fd.Name), ':'))
	}
	return w, nil
}

func jsonCheckSchema(schema *arrow.Schema) error {
	for _, f := range schema.Fields() {
		if !jsonWritable(f.Type) {
			return fmt.Errorf("datasource: column %q: cannot write type %s as JSON", f.Name, f.Type)
		}
	}
	return nil
}

func jsonWritable(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if !jsonWritable(f.Type) {
				return false
			}
		}
		return true
	case *arrow.MapType:
		return jsonWritable(t.KeyType()) && jsonWritable(t.ItemType())
	case *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType:
		return jsonWritable(t.(arrow.ListLikeType).Elem())
	case *arrow.DictionaryType:
		return jsonWritable(t.ValueType)
	}
	switch t.ID() {
	case arrow.NULL, arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64,
		arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.FIXED_SIZE_BINARY, arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64,
		arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

// Write appends the rows of rec, one line each.
func (w *JSONFileWriter) Write(rec arrow.RecordBatch) error {
	if w.closed {
		return errors.New("datasource: JSON writer is closed")
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("datasource: %s: batch schema %v does not match the writer's %v", w.path, rec.Schema(), w.schema)
	}
	cols := rec.Columns()
	b := w.buf[:0]
	for row := range int(rec.NumRows()) {
		b = append(b, '{')
		sep := false
		for c, col := range cols {
			if col.IsNull(row) || col.DataType().ID() == arrow.NULL {
				continue
			}
			if sep {
				b = append(b, ',')
			}
			sep = true
			b = append(b, w.keys[c]...)
			b = appendJSONValue(b, col, row)
		}
		b = append(b, '}', '\n')
		if len(b) >= 64<<10 {
			if _, err := w.bw.Write(b); err != nil {
				return fmt.Errorf("datasource: %s: %w", w.path, err)
			}
			b = b[:0]
		}
	}
	w.buf = b[:0]
	if _, err := w.bw.Write(b); err != nil {
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}

// appendJSONValue appends the JSON text of the non-NULL value i of col. The type switch
// is per value, but each branch is a typed access with no boxing.
func appendJSONValue(b []byte, col arrow.Array, i int) []byte {
	switch a := col.(type) {
	case *array.Int64:
		return strconv.AppendInt(b, a.Value(i), 10)
	case *array.Int32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int8:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.AppendUint(b, a.Value(i), 10)
	case *array.Uint32:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10)
	case *array.Uint8:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10)
	case *array.Float64:
		return appendJSONFloat(b, a.Value(i), 64)
	case *array.Float32:
		return appendJSONFloat(b, float64(a.Value(i)), 32)
	case *array.Float16:
		return appendJSONFloat(b, float64(a.Value(i).Float32()), 32)
	case *array.Boolean:
		return strconv.AppendBool(b, a.Value(i))
	case *array.String:
		return appendJSONString(b, a.Value(i))
	case *array.LargeString:
		return appendJSONString(b, a.Value(i))
	case *array.StringView:
		return appendJSONString(b, a.Value(i))
	case *array.Date32:
		return append(a.Value(i).ToTime().AppendFormat(append(b, '"'), dateLayout), '"')
	case *array.Date64:
		return append(a.Value(i).ToTime().AppendFormat(append(b, '"'), dateLayout), '"')
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		layout := "2006-01-02T15:04:05.999999999"
		if t.TimeZone != "" {
			layout += "Z07:00"
		}
		return append(a.Value(i).ToTime(t.Unit).UTC().AppendFormat(append(b, '"'), layout), '"')
	case *array.Decimal128:
		return append(b, a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)...)
	case *array.Decimal256:
		return append(b, a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale)...)
	case *array.Binary:
		return appendJSONBase64(b, a.Value(i))
	case *array.LargeBinary:
		return appendJSONBase64(b, a.Value(i))
	case *array.FixedSizeBinary:
		return appendJSONBase64(b, a.Value(i))
	case *array.Struct:
		return appendJSONStruct(b, a, i)
	case *array.Map:
		return appendJSONMap(b, a, i)
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		return appendJSONArray(b, a.ListValues(), int(start), int(end))
	case *array.Dictionary:
		return appendJSONValue(b, a.Dictionary(), a.GetValueIndex(i))
	}
	// Times of day: their text, as a string.
	return appendJSONString(b, col.ValueStr(i))
}

func appendJSONStruct(b []byte, a *array.Struct, i int) []byte {
	b = append(b, '{')
	st := a.DataType().(*arrow.StructType)
	sep := false
	for f := range a.NumField() {
		child := a.Field(f)
		if child.IsNull(i) || child.DataType().ID() == arrow.NULL {
			continue
		}
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(appendJSONString(b, st.Field(f).Name), ':')
		b = appendJSONValue(b, child, i)
	}
	return append(b, '}')
}

// appendJSONMap writes a map as an object; a key that is not a string is written as
// the text of its JSON value, as Spark writes it.
func appendJSONMap(b []byte, a *array.Map, i int) []byte {
	start, end := a.ValueOffsets(i)
	keys, items := a.Keys(), a.Items()
	b = append(b, '{')
	for j := int(start); j < int(end); j++ {
		if j > int(start) {
			b = append(b, ',')
		}
		if _, ok := keys.(*array.String); ok {
			b = appendJSONValue(b, keys, j)
		} else {
			b = appendJSONString(b, string(appendJSONValue(nil, keys, j)))
		}
		b = append(b, ':')
		if items.IsNull(j) {
			b = append(b, "null"...)
		} else {
			b = appendJSONValue(b, items, j)
		}
	}
	return append(b, '}')
}

func appendJSONArray(b []byte, values arrow.Array, start, end int) []byte {
	b = append(b, '[')
	for j := start; j < end; j++ {
		if j > start {
			b = append(b, ',')
		}
		if values.IsNull(j) {
			b = append(b, "null"...)
		} else {
			b = appendJSONValue(b, values, j)
		}
	}
	return append(b, ']')
}

// appendJSONFloat writes a float in the shortest form that reads back the same, with a
// fraction or exponent always.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, bits)
	for _, c := range b[n:] {
		if c == '.' || c == 'e' {
			return b
		}
	}
	return append(b, ".0"...)
}

func appendJSONBase64(b, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	run := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			b = append(b, s[run:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			run = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[run:i]...)
			b = append(b, "\uFFFD"...)
			i++
			run = i
			continue
		}
		i += size
	}
	b = append(b, s[run:]...)
	return append(b, '"')
}

// Close flushes and closes the file. It is idempotent.
func (w *JSONFileWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}
