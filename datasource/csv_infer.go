package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// ParseMode says what a reader does with a value or row it cannot parse. A bad row is one
// with a value its column's type cannot parse, invalid UTF-8 in a string column, the wrong
// number of fields, or a quoting error. The mode applies to every column of the file, also
// those a query does not read, so that a count agrees with the rows.
type ParseMode int

// The parse modes, as in Spark's CSV reader.
const (
	// FailFast stops at the first bad value or row, with an error naming file, line
	// and column.
	FailFast ParseMode = iota
	// Permissive keeps every row: bad values become NULL (a short row is padded with
	// NULLs, a long row is cut; a row with a quoting error keeps the fields before it),
	// and the rows affected are counted.
	Permissive
	// DropMalformed drops bad rows and counts them.
	DropMalformed
)

// String returns the mode's Go name, e.g. FailFast, or ParseMode(n) for an unknown value.
func (m ParseMode) String() string {
	switch m {
	case FailFast:
		return "FailFast"
	case Permissive:
		return "Permissive"
	case DropMalformed:
		return "DropMalformed"
	}
	return fmt.Sprintf("ParseMode(%d)", int(m))
}

// DefaultInferRows and DefaultBatchRows are the defaults of CSVOptions.
const (
	DefaultInferRows = 1000
	DefaultBatchRows = 8192
)

// CSVOptions configure reading CSV files. The zero value reads comma-separated files with
// a header line, treats empty fields as NULL, infers types from the first 1000 rows and
// fails on the first bad value.
type CSVOptions struct {
	// NoHeader says the first line is data, not column names (the columns are then
	// named col_1, col_2, ...).
	NoHeader bool
	// Delimiter separates fields; 0 means ','.
	Delimiter rune
	// NullValues are the field texts read as NULL; nil means [""]. Use a non-nil empty
	// slice to read every field as a value.
	NullValues []string
	// Schema gives the columns' names and types; nil means infer them. With a header,
	// the header's names are ignored in favour of the schema's (by position).
	Schema *arrow.Schema
	// InferRows is how many data rows inference looks at; 0 means DefaultInferRows.
	InferRows int
	// DictionaryColumns are string columns to read dictionary-encoded
	// (dictionary<int32, utf8>, Polars' categoricals).
	DictionaryColumns []string
	// DictionaryAllStrings dictionary-encodes every string column.
	DictionaryAllStrings bool
	// Mode says what to do with malformed values and rows.
	Mode ParseMode
	// BatchRows bounds the rows of each batch; 0 means DefaultBatchRows.
	BatchRows int
	// MultiLine allows newlines inside quoted fields. Such files cannot be split at
	// arbitrary newlines, so each file is read whole by one task. Without it each line is
	// one record, as in Spark: a quoted field that runs past the end of its line makes
	// that line bad, and reading goes on at the next line. With it, a quote still open at
	// the end of the file makes its record bad, and reading goes on at the line after the
	// record's first.
	MultiLine bool
	// LazyQuotes is encoding/csv's LazyQuotes: a quote may appear in an unquoted field
	// and a non-doubled quote in a quoted field.
	LazyQuotes bool
}

func (o CSVOptions) delimiter() rune {
	if o.Delimiter == 0 {
		return ','
	}
	return o.Delimiter
}

func (o CSVOptions) nullValues() []string {
	if o.NullValues == nil {
		return []string{""}
	}
	return o.NullValues
}

func (o CSVOptions) inferRows() int {
	if o.InferRows <= 0 {
		return DefaultInferRows
	}
	return o.InferRows
}

func (o CSVOptions) batchRows() int {
	if o.BatchRows <= 0 {
		return DefaultBatchRows
	}
	return o.BatchRows
}

// fieldStrings copies a record's fields into strings.
func fieldStrings(rec [][]byte) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = string(f)
	}
	return out
}

// isNull reports whether s is one of the null texts.
func isNull(nulls []string, s string) bool {
	for _, n := range nulls {
		if s == n {
			return true
		}
	}
	return false
}

// Inferable types, narrowest first. A column gets the first type that parses every
// non-null value seen.
const (
	inferInt64 = iota
	inferFloat64
	inferBool
	inferDate
	inferTimestamp
	numInfer
)

var inferTypes = [numInfer]arrow.DataType{
	arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Float64,
	arrow.FixedWidthTypes.Boolean,
	arrow.FixedWidthTypes.Date32,
	&arrow.TimestampType{Unit: arrow.Microsecond},
}

// dictType is the type of dictionary-encoded string columns.
var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

func parseBoolText(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

const dateLayout = "2006-01-02"

func parseDate(s string) (arrow.Date32, bool) {
	if len(s) != len(dateLayout) {
		return 0, false
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return 0, false
	}
	return arrow.Date32FromTime(t), true
}

// Timestamp layouts accepted, tried in order. Go's parser accepts fractional seconds after
// the seconds field even when the layout has none. A date alone is midnight, so that a
// column mixing dates and timestamps widens to timestamp.
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", dateLayout}

func parseTimestamp(s string, unit arrow.TimeUnit) (arrow.Timestamp, bool) {
	if len(s) < len(dateLayout) || s[4] != '-' {
		return 0, false
	}
	for _, layout := range timestampLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			ts, err := arrow.TimestampFromTime(t.UTC(), unit)
			if err != nil {
				return 0, false
			}
			return ts, true
		}
	}
	return 0, false
}

// inferMask returns the set of inferable types that parse s.
func inferMask(s string, candidates uint8) uint8 {
	var m uint8
	if candidates&(1<<inferInt64) != 0 {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			m |= 1 << inferInt64
		}
	}
	if candidates&(1<<inferFloat64) != 0 {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			m |= 1 << inferFloat64
		}
	}
	if candidates&(1<<inferBool) != 0 {
		if _, ok := parseBoolText(s); ok {
			m |= 1 << inferBool
		}
	}
	if candidates&(1<<inferDate) != 0 {
		if _, ok := parseDate(s); ok {
			m |= 1 << inferDate
		}
	}
	if candidates&(1<<inferTimestamp) != 0 {
		if _, ok := parseTimestamp(s, arrow.Microsecond); ok {
			m |= 1 << inferTimestamp
		}
	}
	return m
}

// headerNames makes unique, non-blank column names: a blank or repeated name becomes
// col_N, N being the column's 1-based position (with a suffix if even that is taken).
func headerNames(raw []string) []string {
	names := make([]string, len(raw))
	used := make(map[string]bool, len(raw))
	for i, n := range raw {
		n = strings.TrimSpace(n)
		if n != "" && !used[n] {
			names[i] = n
			used[n] = true
		}
	}
	for i := range names {
		if names[i] != "" {
			continue
		}
		n := fmt.Sprintf("col_%d", i+1)
		for k := 2; used[n]; k++ {
			n = fmt.Sprintf("col_%d_%d", i+1, k)
		}
		names[i] = n
		used[n] = true
	}
	return names
}

// ReadCSVHeader returns the column names of a CSV file: its header line made unique
// (see CSVOptions), or col_1..col_N for a file without header, N being the number of fields
// of the first line. An empty file is an error.
func ReadCSVHeader(path string, opts CSVOptions) ([]string, error) {
	f, err := openInput(context.Background(), path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rec, bad, err := newCSVRecords(f, path, f.Size(), opts, 0, 1<<62).next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("datasource: %s is empty: cannot read a header", path)
	}
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, fmt.Errorf("%w: cannot read the first line", bad)
	}
	if opts.NoHeader {
		return headerNames(make([]string, len(rec))), nil
	}
	return headerNames(fieldStrings(rec)), nil
}

// InferCSVSchema returns the schema of a CSV file: opts.Schema if given, else names from
// the header and, per column, the narrowest of int64, float64, bool, date32 (2006-01-02),
// timestamp[us] (RFC 3339 or "2006-01-02 15:04:05", converted to UTC) and string that
// parses every non-null value of the first InferRows rows. A column with only nulls is
// string. DictionaryColumns and DictionaryAllStrings then turn string columns into
// dictionary<int32, utf8>.
func InferCSVSchema(path string, opts CSVOptions) (*arrow.Schema, error) {
	if opts.Schema != nil {
		return applyDictionary(opts.Schema, opts)
	}
	f, err := openInput(context.Background(), path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Size() == 0 {
		return nil, fmt.Errorf("datasource: %s is empty: cannot infer a schema", path)
	}
	recs := newCSVRecords(f, path, f.Size(), opts, 0, 1<<62)
	nulls := opts.nullValues()

	var names []string
	var masks []uint8
	ncols := -1
	limit := opts.inferRows()
	for rows := 0; rows < limit; {
		rec, bad, err := recs.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if bad != nil {
			// The reader applies the mode to this row again; inference only needs
			// to not learn types from it.
			if opts.Mode == FailFast || (ncols < 0 && !opts.NoHeader) {
				return nil, bad
			}
			rows++
			continue
		}
		if ncols < 0 {
			ncols = len(rec)
			masks = make([]uint8, ncols)
			for i := range masks {
				masks[i] = 1<<numInfer - 1
			}
			if !opts.NoHeader {
				names = headerNames(fieldStrings(rec))
				continue
			}
			names = headerNames(make([]string, ncols))
		}
		rows++
		if len(rec) != ncols {
			if opts.Mode == FailFast {
				return nil, fmt.Errorf("datasource: %s:%d: expected %d fields, found %d", path, recs.fieldLine(0), ncols, len(rec))
			}
			continue
		}
		for i, b := range rec {
			s := unsafeString(b)
			if masks[i] == 0 || isNull(nulls, s) {
				continue
			}
			masks[i] = inferMask(s, masks[i])
		}
	}
	if ncols < 0 {
		return nil, fmt.Errorf("datasource: %s is empty: cannot infer a schema", path)
	}
	fields := make([]arrow.Field, ncols)
	for i := range fields {
		fields[i] = arrow.Field{Name: names[i], Type: arrow.BinaryTypes.String, Nullable: true}
		if masks[i] == 1<<numInfer-1 {
			continue // only nulls seen: string
		}
		for t := 0; t < numInfer; t++ {
			if masks[i]&(1<<t) != 0 {
				fields[i].Type = inferTypes[t]
				break
			}
		}
	}
	return applyDictionary(arrow.NewSchema(fields, nil), opts)
}

// applyDictionary turns the string columns opts names into dictionary columns.
func applyDictionary(schema *arrow.Schema, opts CSVOptions) (*arrow.Schema, error) {
	if len(opts.DictionaryColumns) == 0 && !opts.DictionaryAllStrings {
		return schema, nil
	}
	fields := slices.Clone(schema.Fields())
	for _, name := range opts.DictionaryColumns {
		idx := schema.FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("datasource: dictionary column %q is not in the schema %v", name, fieldNames(schema))
		}
		f := &fields[idx[0]]
		switch f.Type.ID() {
		case arrow.STRING:
			f.Type = dictType
		case arrow.DICTIONARY:
		default:
			return nil, fmt.Errorf("datasource: dictionary column %q has type %s, want string", name, f.Type)
		}
	}
	if opts.DictionaryAllStrings {
		for i := range fields {
			if fields[i].Type.ID() == arrow.STRING {
				fields[i].Type = dictType
			}
		}
	}
	md := schema.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// bomReader drops a UTF-8 byte order mark at the start of r and records how many bytes it
// dropped, so that record offsets can still be reported as file offsets.
type bomReader struct {
	r       io.Reader
	done    bool
	buf     []byte
	skipped int64 // 3 once a byte order mark was dropped
}

func (b *bomReader) Read(p []byte) (int, error) {
	if !b.done {
		b.done = true
		var head [3]byte
		n, err := io.ReadFull(b.r, head[:])
		if n == 3 && head == [3]byte{0xEF, 0xBB, 0xBF} {
			n, b.skipped = 0, 3
		}
		b.buf = append(b.buf, head[:n]...)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return 0, err
		}
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		return n, nil
	}
	return b.r.Read(p)
}
