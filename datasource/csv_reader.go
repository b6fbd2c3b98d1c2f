package datasource

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CSVReader reads one split of a CSV file into record batches of typed columns.
type CSVReader struct {
	ctx     context.Context
	split   FileSplit
	opts    CSVOptions
	nulls   []string
	schema  *arrow.Schema // output schema (projected)
	nfields int           // fields per row in the file
	f       inputFile
	recs    *csvRecords
	cols    []*csvColumn
	// checks parse the columns that are not produced, in the modes where a bad value
	// drops the row or fails the read: a count must not depend on which columns a query
	// happens to read.
	checks    []*csvColumn
	batchRows int
	malformed int64
	// checkUTF8 validates each string value as it is read. Normally a whole batch's
	// string bytes are checked at once and only a batch that fails is read again this way.
	checkUTF8 bool
	err       error // sticky error (io.EOF at the end)
}

type colKind uint8

const (
	kInt64 colKind = iota
	kInt32
	kFloat64
	kFloat32
	kBool
	kString
	kDate32
	kTimestamp
	kDict
)

// csvColumn parses one projected column. The current row's value is parsed into the
// scratch fields first and appended only once the whole row is known to be good, so that
// DropMalformed never has to undo appends.
type csvColumn struct {
	field int // 0-based position in the file's rows
	name  string
	kind  colKind
	typ   arrow.DataType
	unit  arrow.TimeUnit
	bld   array.Builder
	// dict is a dictionary column's dictionary for the whole split (bld then builds the
	// indices); nil when the column is only checked.
	dict *csvDict

	null bool
	bad  bool
	// checkUTF8 makes parse reject invalid UTF-8 in a string value.
	checkUTF8 bool
	iv        int64
	fv        float64
	bv        bool
	sv        string
}

// newCSVColumn makes the parser of one column; with a nil allocator it only checks values
// (it has no builder).
func newCSVColumn(field int, f arrow.Field, mem memory.Allocator) (*csvColumn, error) {
	c := &csvColumn{field: field, name: f.Name, typ: f.Type}
	switch t := f.Type.(type) {
	case *arrow.Int64Type:
		c.kind = kInt64
	case *arrow.Int32Type:
		c.kind = kInt32
	case *arrow.Float64Type:
		c.kind = kFloat64
	case *arrow.Float32Type:
		c.kind = kFloat32
	case *arrow.BooleanType:
		c.kind = kBool
	case *arrow.StringType:
		c.kind = kString
	case *arrow.Date32Type:
		c.kind = kDate32
	case *arrow.TimestampType:
		c.kind, c.unit = kTimestamp, t.Unit
	case *arrow.DictionaryType:
		if t.IndexType.ID() != arrow.INT32 || t.ValueType.ID() != arrow.STRING {
			return nil, fmt.Errorf("datasource: column %q: unsupported CSV type %s (want dictionary<int32, utf8>)", f.Name, f.Type)
		}
		c.kind = kDict
	default:
		return nil, fmt.Errorf("datasource: column %q: unsupported CSV type %s", f.Name, f.Type)
	}
	if mem == nil {
		c.checkUTF8 = true
		return c, nil
	}
	if c.kind == kDict {
		c.dict = newCSVDict(mem)
		c.bld = array.NewInt32Builder(mem)
		return c, nil
	}
	c.bld = array.NewBuilder(mem, f.Type)
	return c, nil
}

// parse fills the scratch value from b and reports whether b is valid. It allocates
// nothing: numbers are parsed from the bytes, and a string value stays a view of b until
// appendScratch copies it into the builder.
func (c *csvColumn) parse(b []byte) bool {
	var err error
	ok := true
	s := unsafeString(b) // for the parsers of the standard library, which do not keep it
	switch c.kind {
	case kInt64:
		c.iv, ok = parseInt64(b)
		if !ok {
			c.iv, err = strconv.ParseInt(s, 10, 64)
			ok = true
		}
	case kInt32:
		c.iv, ok = parseInt64(b)
		if !ok || c.iv != int64(int32(c.iv)) {
			c.iv, err = strconv.ParseInt(s, 10, 32)
			ok = true
		}
	case kFloat64:
		c.fv, err = strconv.ParseFloat(s, 64)
	case kFloat32:
		c.fv, err = strconv.ParseFloat(s, 32)
	case kBool:
		c.bv, ok = parseBoolText(s)
	case kString:
		c.sv = s
		if c.checkUTF8 {
			ok = utf8.Valid(b)
		}
	case kDict:
		// A new dictionary value is checked for UTF-8 when it is added: a batch's
		// check then leaves dictionaries out (see validUTF8).
		if c.dict == nil {
			ok = utf8.Valid(b)
			break
		}
		var id int32
		id, ok = c.dict.id(b)
		c.iv = int64(id)
	case kDate32:
		var d arrow.Date32
		d, ok = parseDate(s)
		c.iv = int64(d)
	case kTimestamp:
		var ts arrow.Timestamp
		ts, ok = parseTimestamp(s, c.unit)
		c.iv = int64(ts)
	}
	return ok && err == nil
}

// parseInt64 parses the common case of a decimal integer, an optional minus sign and at
// most 18 digits, which cannot overflow; ok is false for anything else (strconv then
// decides).
func parseInt64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, ch := range b {
		d := ch - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + int64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}

func (c *csvColumn) appendScratch() {
	if c.null {
		c.bld.AppendNull()
		return
	}
	switch c.kind {
	case kInt64:
		c.bld.(*array.Int64Builder).Append(c.iv)
	case kInt32:
		c.bld.(*array.Int32Builder).Append(int32(c.iv))
	case kFloat64:
		c.bld.(*array.Float64Builder).Append(c.fv)
	case kFloat32:
		c.bld.(*array.Float32Builder).Append(float32(c.fv))
	case kBool:
		c.bld.(*array.BooleanBuilder).Append(c.bv)
	case kString:
		c.bld.(*array.StringBuilder).Append(c.sv)
	case kDict:
		c.bld.(*array.Int32Builder).Append(int32(c.iv))
	case kDate32:
		c.bld.(*array.Date32Builder).Append(arrow.Date32(c.iv))
	case kTimestamp:
		c.bld.(*array.TimestampBuilder).Append(arrow.Timestamp(c.iv))
	}
}

func (c *csvColumn) typeName() string {
	switch c.kind {
	case kDict:
		return "string"
	case kTimestamp:
		return "timestamp"
	}
	return c.typ.String()
}

// OpenCSV opens a split of a CSV file for reading with the given file schema (as
// InferCSVSchema returns it). columns selects and orders the schema's columns to produce;
// nil means all, an empty non-nil slice means none (batches then carry only row counts).
// The split is read as PlanCSVSplits describes; the header line, if any, is skipped in the
// split that starts at offset 0. Every buffer is allocated with mem.
func OpenCSV(ctx context.Context, split FileSplit, schema *arrow.Schema, opts CSVOptions, columns []int, mem memory.Allocator) (*CSVReader, error) {
	if schema == nil {
		return nil, errors.New("datasource: OpenCSV needs a schema")
	}
	if opts.MultiLine && (split.Start != 0 || split.End < split.FileSize) {
		return nil, fmt.Errorf("datasource: %s: a MultiLine CSV file must be read whole, not as split %s", split.Path, split)
	}
	if columns == nil {
		columns = make([]int, schema.NumFields())
		for i := range columns {
			columns[i] = i
		}
	}
	r := &CSVReader{
		ctx: ctx, split: split, opts: opts, nulls: opts.nullValues(),
		nfields: schema.NumFields(), batchRows: opts.batchRows(),
	}
	fields := make([]arrow.Field, len(columns))
	for i, ci := range columns {
		if ci < 0 || ci >= schema.NumFields() {
			return nil, fmt.Errorf("datasource: %s: column index %d out of range (%d columns)", split.Path, ci, schema.NumFields())
		}
		fields[i] = schema.Field(ci)
		c, err := newCSVColumn(ci, fields[i], mem)
		if err != nil {
			r.releaseBuilders()
			return nil, err
		}
		r.cols = append(r.cols, c)
	}
	md := schema.Metadata()
	r.schema = arrow.NewSchema(fields, &md)
	if opts.Mode != Permissive {
		produced := make([]bool, schema.NumFields())
		for _, ci := range columns {
			produced[ci] = true
		}
		for i, f := range schema.Fields() {
			if produced[i] {
				continue
			}
			// A type the reader cannot parse fails only where it is produced.
			if c, err := newCSVColumn(i, f, nil); err == nil {
				r.checks = append(r.checks, c)
			}
		}
	}

	f, err := openInput(ctx, split.Path)
	if err != nil {
		r.releaseBuilders()
		return nil, err
	}
	r.f = f
	if err := r.position(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// position finds the first line the split owns and sets up the csv reader on the bytes
// from there to the end of the last line it owns.
func (r *CSVReader) position() error {
	s := r.split
	if s.End <= s.Start {
		r.err = io.EOF
		return nil
	}
	start := s.Start
	if start > 0 {
		// Skip through the first newline at or after start-1: the line it ends began in
		// an earlier split (or ends exactly at start-1, so the next line is ours).
		br := bufio.NewReaderSize(io.NewSectionReader(r.f, start-1, 1<<62), 64<<10)
		pos := start - 1
		for {
			chunk, err := br.ReadSlice('\n')
			pos += int64(len(chunk))
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				r.err = io.EOF
				return nil
			}
			return fmt.Errorf("datasource: %s: %w", s.Path, err)
		}
		start = pos
	}
	if start > 0 && !r.opts.NoHeader {
		// The header is the first line that is not blank, not always the first line: no
		// split reads it as data.
		h := newCSVRecords(r.f, s.Path, r.f.Size(), r.opts, 0, 1<<62)
		if _, _, err := h.next(); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		start = max(start, h.offset())
	}
	if start >= s.End {
		r.err = io.EOF
		return nil
	}
	r.recs = newCSVRecords(r.f, s.Path, r.f.Size(), r.opts, start, s.End-1)
	if start == 0 && !r.opts.NoHeader {
		_, bad, err := r.recs.next()
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
			return nil
		}
		if err != nil {
			return err
		}
		if bad != nil {
			return fmt.Errorf("%w: cannot read the header", bad)
		}
	}
	return nil
}

// splitReader yields bytes up to and including the first '\n' at or after offset stopAt.
type splitReader struct {
	r      io.Reader
	pos    int64
	stopAt int64
	done   bool
}

func (s *splitReader) Read(p []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if n > 0 {
		if from := max(0, s.stopAt-s.pos); from < int64(n) {
			if i := bytes.IndexByte(p[from:n], '\n'); i >= 0 {
				n = int(from) + i + 1
				s.done = true
				err = nil
			}
		}
		s.pos += int64(n)
	}
	return n, err
}

// Schema is the schema of the batches the reader returns (the projected columns).
func (r *CSVReader) Schema() *arrow.Schema { return r.schema }

// Malformed counts the rows that were malformed: kept with NULLs in Permissive mode,
// dropped in DropMalformed mode.
func (r *CSVReader) Malformed() int64 { return r.malformed }

// Next returns the next batch of at most BatchRows rows, or (nil, io.EOF) at the end. The
// caller owns the batch. After an error, Next keeps returning it.
func (r *CSVReader) Next() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return nil, err
	}
	from, malformed := r.recs.offset(), r.malformed
	batch, err := r.readBatch()
	if batch == nil || validUTF8(batch) {
		return batch, err
	}
	// Invalid UTF-8 is rare: read the batch's lines again, checking value by value, so
	// that the mode applies to the rows that hold it.
	batch.Release()
	r.malformed, r.err = malformed, nil
	r.recs.restart(from)
	r.setCheckUTF8(true)
	defer r.setCheckUTF8(false)
	return r.readBatch()
}

func (r *CSVReader) setCheckUTF8(on bool) {
	r.checkUTF8 = on
	for _, c := range r.cols {
		c.checkUTF8 = on
	}
}

// validUTF8 reports whether every plain string column of b holds valid UTF-8, checking
// each column's value bytes in one pass. Dictionary columns are left out: their values
// were checked one by one as they entered the dictionary.
func validUTF8(b arrow.RecordBatch) bool {
	for _, col := range b.Columns() {
		if a, ok := col.(*array.String); ok && !validStrings(a) {
			return false
		}
	}
	return true
}

// validStrings reports whether every value of a is valid UTF-8: the concatenated bytes are,
// and no value starts inside a character (two invalid values such as "\xef\xbb" and
// "\xb0" can concatenate into a valid one).
func validStrings(a *array.String) bool {
	data := a.ValueBytes()
	if !utf8.Valid(data) {
		return false
	}
	offs := a.ValueOffsets()
	if len(offs) < 3 {
		return true // no boundary between two values
	}
	for _, o := range offs[1 : len(offs)-1] {
		if i := int(o - offs[0]); i < len(data) && !utf8.RuneStart(data[i]) {
			return false
		}
	}
	return true
}

// readBatch reads up to batchRows rows into a batch; it returns (nil, r.err) when it
// read none.
func (r *CSVReader) readBatch() (arrow.RecordBatch, error) {
	for _, c := range r.cols {
		c.bld.Reserve(r.batchRows)
	}
	rows := 0
	for rows < r.batchRows {
		rec, bad, err := r.recs.next()
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
			break
		}
		if err != nil {
			r.err = err
			return nil, err
		}
		if bad != nil {
			switch r.opts.Mode {
			case FailFast:
				r.err = bad
				return nil, bad
			case DropMalformed:
				r.malformed++
				continue
			}
		}
		ok, err := r.parseRow(rec, bad != nil)
		if err != nil {
			r.err = err
			return nil, err
		}
		if !ok {
			continue
		}
		for _, c := range r.cols {
			c.appendScratch()
		}
		rows++
	}
	if rows == 0 {
		return nil, r.err
	}
	arrs := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		arrs[i] = c.newArray()
	}
	batch := array.NewRecordBatch(r.schema, arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	return batch, nil
}

// parseRow parses rec into the columns' scratch values. It reports whether the row is to
// be appended; the error is set only in FailFast mode. A row that could not be split into
// fields (bad set: rec holds the fields before the error) is kept in Permissive mode with
// NULLs for what is missing.
func (r *CSVReader) parseRow(rec [][]byte, bad bool) (bool, error) {
	if len(rec) != r.nfields && !bad {
		switch r.opts.Mode {
		case FailFast:
			return false, fmt.Errorf("datasource: %s:%d: expected %d fields, found %d", r.split.Path, r.recs.fieldLine(0), r.nfields, len(rec))
		case DropMalformed:
			r.malformed++
			return false, nil
		}
		bad = true
	}
	for _, c := range r.cols {
		if !r.parseField(c, rec) {
			if r.opts.Mode != Permissive {
				return false, r.badValue(c, rec)
			}
			c.null = true
			bad = true
		}
	}
	for _, c := range r.checks {
		if !r.parseField(c, rec) {
			return false, r.badValue(c, rec)
		}
	}
	if bad {
		r.malformed++
	}
	return true, nil
}

// parseField parses c's field of rec into c's scratch value and reports whether it is
// valid (a missing field or a null text is a valid NULL).
func (r *CSVReader) parseField(c *csvColumn, rec [][]byte) bool {
	c.bad = false
	if c.field >= len(rec) {
		c.null = true
		return true
	}
	b := rec[c.field]
	if isNull(r.nulls, unsafeString(b)) {
		c.null = true
		return true
	}
	c.null = false
	return c.parse(b)
}

// badValue applies the mode to a value c could not parse: the FailFast error, or nil
// after counting the dropped row.
func (r *CSVReader) badValue(c *csvColumn, rec [][]byte) error {
	if r.opts.Mode == DropMalformed {
		r.malformed++
		return nil
	}
	s := string(rec[c.field])
	if !utf8.ValidString(s) {
		return fmt.Errorf("datasource: %s:%d: column %q (%d): invalid UTF-8 in %q",
			r.split.Path, r.recs.fieldLine(c.field), c.name, c.field+1, s)
	}
	return fmt.Errorf("datasource: %s:%d: column %q (%d): cannot parse %q as %s",
		r.split.Path, r.recs.fieldLine(c.field), c.name, c.field+1, s, c.typeName())
}

// newArray returns the column's values so far and resets its builder. A dictionary
// column's batch shares the split's dictionary as it stands (see csvDict).
func (c *csvColumn) newArray() arrow.Array {
	a := c.bld.NewArray()
	if c.kind != kDict {
		return a
	}
	defer a.Release()
	dict := c.dict.array()
	defer dict.Release()
	return array.NewDictionaryArray(c.typ, a, dict)
}

func (r *CSVReader) releaseBuilders() {
	for _, c := range r.cols {
		c.bld.Release()
		if c.dict != nil {
			c.dict.release()
		}
	}
	r.cols = nil
}

// Close releases the reader's builders and closes the file. It is idempotent.
func (r *CSVReader) Close() error {
	r.releaseBuilders()
	if r.err == nil {
		r.err = errors.New("datasource: CSV reader is closed")
	}
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		if err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
	}
	return nil
}
