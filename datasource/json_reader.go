package datasource

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// jsonLines reads the lines of a split: from a line start up to the end of the line that
// holds offset stopAt (PlanCSVSplits' ownership rule). A line is a view of the read
// buffer, valid until the next call, unless it is longer than the buffer.
type jsonLines struct {
	f     io.ReaderAt
	path  string
	start int64
	br    *bufio.Reader
	long  []byte
	n     int64 // lines returned
	base  int64 // newlines before start; -1 until an error needs it
	bom   int   // bytes of byte order mark dropped from the line just returned
}

func newJSONLines(f io.ReaderAt, path string, start, stopAt int64, bufSize int) *jsonLines {
	sr := &splitReader{r: io.NewSectionReader(f, start, 1<<62), pos: start, stopAt: stopAt}
	return &jsonLines{f: f, path: path, start: start, br: bufio.NewReaderSize(sr, bufSize), base: -1}
}

// next returns the next line without its line ending, or io.EOF.
func (l *jsonLines) next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.long = append(l.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = l.br.ReadSlice('\n')
			l.long = append(l.long, line...)
		}
		line = l.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("datasource: %s: %w", l.path, err)
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	l.n++
	l.bom = 0
	if l.n == 1 && l.start == 0 && bytes.HasPrefix(line, []byte{0xEF, 0xBB, 0xBF}) {
		line, l.bom = line[3:], 3
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

// lineNumber is the file line of the line just returned; the newlines before the split
// are counted the first time it is needed.
func (l *jsonLines) lineNumber() int64 {
	if l.base < 0 {
		l.base = countNewlines(l.f, 0, l.start)
	}
	return l.base + l.n
}

// syntaxError describes the scanner's error in the line just returned.
func (l *jsonLines) syntaxError(s *jsonScan) error {
	return fmt.Errorf("datasource: %s:%d:%d: %s", l.path, l.lineNumber(), l.bom+s.errPos+1, s.errMsg)
}

// firstLineStart returns the offset of the first line a split starting at start owns: the
// one after the first '\n' at or after start-1. It is -1 when the file ends first.
func firstLineStart(f io.ReaderAt, path string, start int64) (int64, error) {
	if start == 0 {
		return 0, nil
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, start-1, 1<<62), 64<<10)
	pos := start - 1
	for {
		chunk, err := br.ReadSlice('\n')
		pos += int64(len(chunk))
		switch {
		case err == nil:
			return pos, nil
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return -1, nil
		default:
			return 0, fmt.Errorf("datasource: %s: %w", path, err)
		}
	}
}

// JSONReader reads one split of a JSON lines file into record batches.
type JSONReader struct {
	ctx       context.Context
	split     FileSplit
	opts      JSONOptions
	schema    *arrow.Schema // output schema (projected)
	f         inputFile
	lines     *jsonLines
	scan      jsonScan
	root      *jsonNode   // the record: its kids are the file's columns (nil when skipped)
	nodes     []*jsonNode // the nodes with builders, parents before children
	out       []*jsonNode // the produced columns, in order
	corrupt   *jsonNode   // the produced corrupt record column, if any
	batchRows int
	malformed int64
	err       error // sticky error (io.EOF at the end)
}

// unmatchable is a member name no key equals (keys are valid UTF-8): the corrupt record
// column's, which is never read from a record.
const unmatchable = "\xff"

// OpenJSON opens a split of a JSON lines file for reading with the given file schema (as
// InferJSONSchema returns it). columns selects and orders the schema's columns to
// produce; nil means all, an empty non-nil slice means none (batches then carry only row
// counts). Outside Permissive mode, or when the corrupt record column is produced, the
// columns not produced are still checked, so that a count drops the rows a full read
// drops and the corrupt record column holds the same lines. Every buffer is allocated
// with mem.
func OpenJSON(ctx context.Context, split FileSplit, schema *arrow.Schema, opts JSONOptions, columns []int, mem memory.Allocator) (*JSONReader, error) {
	if schema == nil {
		return nil, errors.New("datasource: OpenJSON needs a schema")
	}
	if columns == nil {
		columns = make([]int, schema.NumFields())
		for i := range columns {
			columns[i] = i
		}
	}
	r := &JSONReader{ctx: ctx, split: split, opts: opts, batchRows: opts.batchRows()}
	if err := r.build(schema, columns, mem); err != nil {
		r.releaseBuilders()
		return nil, err
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

// build makes the node tree: a node with builders for each produced column, a checking
// node for each other column outside Permissive mode.
func (r *JSONReader) build(schema *arrow.Schema, columns []int, mem memory.Allocator) error {
	produced := make([]bool, schema.NumFields())
	fields := make([]arrow.Field, len(columns))
	for i, ci := range columns {
		if ci < 0 || ci >= schema.NumFields() {
			return fmt.Errorf("datasource: %s: column index %d out of range (%d columns)", r.split.Path, ci, schema.NumFields())
		}
		produced[ci] = true
		fields[i] = schema.Field(ci)
	}
	md := schema.Metadata()
	r.schema = arrow.NewSchema(fields, &md)
	r.root = &jsonNode{kind: jStruct}
	// Columns not produced are checked where a bad value must count whatever a query
	// reads: outside Permissive mode, and for the corrupt record column.
	check := r.opts.Mode != Permissive
	for _, ci := range columns {
		f := schema.Field(ci)
		check = check || (f.Name == r.opts.CorruptRecordColumn && f.Type.ID() == arrow.STRING)
	}
	for i, f := range schema.Fields() {
		name := f.Name
		isCorrupt := name == r.opts.CorruptRecordColumn && f.Type.ID() == arrow.STRING
		if isCorrupt {
			name = unmatchable
		}
		var n *jsonNode
		if produced[i] || (check && !isCorrupt) {
			var err error
			if n, err = newJSONNode(f.Name, f.Type, &r.opts, true); err != nil {
				if produced[i] {
					return err
				}
				n = nil // a type the reader cannot read fails only where it is produced
			}
		}
		if n != nil && produced[i] {
			n.attach(n.newBuilder(mem), mem, &r.nodes)
			if isCorrupt {
				r.corrupt = n
			}
		}
		r.root.addKid(name, n)
	}
	r.root.indexNames()
	for _, ci := range columns {
		r.out = append(r.out, r.root.kids[ci])
	}
	return nil
}

// position finds the first line the split owns and starts reading there.
func (r *JSONReader) position() error {
	s := r.split
	if s.End <= s.Start {
		r.err = io.EOF
		return nil
	}
	start, err := firstLineStart(r.f, s.Path, s.Start)
	if err != nil {
		return err
	}
	if start < 0 || start >= s.End {
		r.err = io.EOF
		return nil
	}
	buf := int(min(max(4<<10, s.End-start+1), 1<<20))
	r.lines = newJSONLines(r.f, s.Path, start, s.End-1, buf)
	return nil
}

// Schema is the schema of the batches the reader returns (the projected columns).
func (r *JSONReader) Schema() *arrow.Schema { return r.schema }

// Malformed counts the malformed lines: kept as NULL rows in Permissive mode, dropped in
// DropMalformed mode.
func (r *JSONReader) Malformed() int64 { return r.malformed }

// Next returns the next batch of at most BatchRows rows, or (nil, io.EOF) at the end. The
// caller owns the batch. After an error, Next keeps returning it.
func (r *JSONReader) Next() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return nil, err
	}
	return r.readBatch()
}

// readBatch reads up to batchRows rows into a batch; it returns (nil, r.err) when it
// read none.
func (r *JSONReader) readBatch() (arrow.RecordBatch, error) {
	for _, n := range r.out {
		if n.kind != jStruct && n.kind != jList {
			n.bld.Reserve(r.batchRows)
		}
	}
	rows := 0
	for rows < r.batchRows {
		line, err := r.lines.next()
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
			break
		}
		if err != nil {
			r.err = err
			return nil, err
		}
		ok, blank := r.record(line)
		switch {
		case blank:
			continue
		case ok:
		case r.opts.Mode == FailFast:
			r.err = r.lines.syntaxError(&r.scan)
			return nil, r.err
		case r.opts.Mode == DropMalformed:
			r.malformed++
			r.forget()
			continue
		default:
			r.malformed++
			r.forget()
			r.nullRow(line)
		}
		for _, n := range r.nodes {
			n.flush(&r.scan)
		}
		rows++
	}
	if rows == 0 {
		return nil, r.err
	}
	arrs := make([]arrow.Array, len(r.out))
	for i, n := range r.out {
		for j := range i {
			if r.out[j] == n { // a column asked for twice
				arrs[i] = arrs[j]
				arrs[i].Retain()
				break
			}
		}
		if arrs[i] == nil {
			arrs[i] = n.newArray()
		}
	}
	batch := array.NewRecordBatch(r.schema, arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	return batch, nil
}

// record parses one line into the nodes' pending values; blank says it holds no record.
func (r *JSONReader) record(line []byte) (ok, blank bool) {
	s := &r.scan
	s.reset(line)
	switch c := s.peek(); {
	case s.pos >= len(s.b):
		return true, true
	case c != '{':
		return s.unexpected("looking for the beginning of an object (one per line)"), false
	}
	if !r.object(r.root, 0) {
		return false, false
	}
	if !s.atEnd() {
		return s.unexpected("after the object (one per line)"), false
	}
	return true, false
}

// forget drops the pending values of a malformed line.
func (r *JSONReader) forget() {
	for _, n := range r.nodes {
		n.pend = n.pend[:0]
	}
}

// nullRow makes a malformed line a row of NULLs, with its text in the corrupt record
// column (made valid UTF-8: a string column holds nothing else).
func (r *JSONReader) nullRow(line []byte) {
	for _, n := range r.root.kids {
		if n != nil && n != r.corrupt {
			n.pushNull()
		}
	}
	if r.corrupt != nil {
		s := &r.scan
		off := len(s.arena)
		if utf8.Valid(line) {
			s.arena = append(s.arena, line...)
		} else {
			s.arena = append(s.arena, bytes.ToValidUTF8(line, []byte("\uFFFD"))...)
		}
		r.corrupt.push(jsonPend{arena: true, off: off, end: len(s.arena)})
	}
}

// value parses the value at the cursor into n; a nil n skips it.
func (r *JSONReader) value(n *jsonNode, depth int) bool {
	s := &r.scan
	if n == nil {
		return s.skip(depth)
	}
	c := s.peek()
	if c == 'n' {
		if !s.lit("null") {
			return false
		}
		n.pushNull()
		return true
	}
	start := s.pos
	switch n.kind {
	case jStruct:
		if c != '{' {
			return r.mismatch(n, start, depth)
		}
		return r.object(n, depth)
	case jList:
		if c != '[' {
			return r.mismatch(n, start, depth)
		}
		return r.array(n, depth)
	case jString, jDict:
		// Any other value is kept as its JSON text, as Spark reads it into a string
		// column: inference makes a column string when its values are of several kinds.
		if c == '"' {
			if _, ok := s.str(); !ok {
				return false
			}
			n.push(s.lastStr())
			return true
		}
		if !s.skip(depth) {
			return false
		}
		n.push(jsonPend{off: start, end: s.pos})
		return true
	}
	v, ok := r.scalar(n, c)
	if !ok {
		if s.errMsg != "" {
			return false // a syntax error
		}
		return r.mismatch(n, start, depth)
	}
	n.push(v)
	return true
}

// scalar parses a value of a primitive column other than a string. ok is false when the
// value does not fit the type (s.errMsg is then set only if its syntax is wrong too).
func (r *JSONReader) scalar(n *jsonNode, c byte) (v jsonPend, ok bool) {
	s := &r.scan
	isNum := c == '-' || isDigit(c)
	var b []byte
	integral := false
	switch {
	case isNum:
		if b, integral, ok = s.num(); !ok {
			return v, false
		}
	case c == '"':
		if b, ok = s.str(); !ok {
			return v, false
		}
	}
	switch n.kind {
	case jBool:
		switch c {
		case 't':
			v.i = 1
			return v, s.lit("true")
		case 'f':
			return v, s.lit("false")
		}
	case jInt, jUint:
		if isNum && integral {
			v.i, ok = parseJSONInt(b, n.bits, n.kind == jInt)
			return v, ok
		}
	case jFloat:
		if isNum || c == '"' {
			var f float64
			f, ok = parseJSONFloat(b, n.bits, c == '"')
			v.i = int64(math.Float64bits(f))
			return v, ok
		}
	case jDate, jTimestamp:
		if c == '"' {
			v.i, ok = n.parseTime(b)
			return v, ok
		}
	case jDecimal:
		// Kept as text and parsed again when appended: decimals are rare enough that a
		// second parse costs less than a wider jsonPend for every value.
		switch {
		case isNum:
			v.off, v.end = s.pos-len(b), s.pos
		case c == '"':
			v = s.lastStr()
		default:
			return v, false
		}
		_, _, ok = n.decimal(b)
		return v, ok
	}
	return v, false
}

// mismatch fails on a well-formed value at start that n's type cannot hold.
func (r *JSONReader) mismatch(n *jsonNode, start, depth int) bool {
	s := &r.scan
	s.pos = start
	if !s.skip(depth) {
		return false
	}
	text := s.b[start:s.pos]
	if len(text) > 64 {
		text = append(text[:60:60], "..."...)
	}
	want := n.typ.String()
	if n.kind == jDict {
		want = "string"
	}
	return s.fail(start, fmt.Sprintf("column %q: cannot read %s as %s", n.path, text, want))
}

// object parses an object into struct node n: members it does not name are skipped, and
// those missing are NULL.
func (r *JSONReader) object(n *jsonNode, depth int) bool {
	s := &r.scan
	if depth >= jsonMaxDepth {
		return s.fail(s.pos, "nested too deeply")
	}
	s.pos++
	clear(n.seen)
	for first := true; ; first = false {
		key, end, ok := s.member(first)
		if !ok {
			return false
		}
		if end {
			break
		}
		i := n.field(key)
		if i < 0 {
			if !s.skip(depth + 1) {
				return false
			}
			continue
		}
		if n.seen[i] {
			return s.fail(s.pos, fmt.Sprintf("key %q repeated", key))
		}
		n.seen[i] = true
		if !r.value(n.kids[i], depth+1) {
			return false
		}
	}
	for i, k := range n.kids {
		if !n.seen[i] && k != nil {
			k.pushNull()
		}
	}
	n.push(jsonPend{})
	return true
}

// array parses an array into list node n.
func (r *JSONReader) array(n *jsonNode, depth int) bool {
	s := &r.scan
	if depth >= jsonMaxDepth {
		return s.fail(s.pos, "nested too deeply")
	}
	s.pos++
	count := int64(0)
	for first := true; ; first = false {
		end, ok := s.element(first)
		if !ok {
			return false
		}
		if end {
			break
		}
		if !r.value(n.kids[0], depth+1) {
			return false
		}
		count++
	}
	n.push(jsonPend{i: count})
	return true
}

func (r *JSONReader) releaseBuilders() {
	if r.root != nil {
		for _, n := range r.root.kids {
			if n != nil {
				n.release()
			}
		}
	}
	r.nodes, r.out, r.corrupt = nil, nil, nil
}

// Close releases the reader's builders and closes the file. It is idempotent.
func (r *JSONReader) Close() error {
	r.releaseBuilders()
	if r.err == nil {
		r.err = errors.New("datasource: JSON reader is closed")
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
