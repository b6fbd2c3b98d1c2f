// Columnar spill files: a cached block on disk with each column in a segment of its own,
// so that a scan reads and decompresses only the columns its query uses.

package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/vfs"
)

// Columnar file layout (cache blocks written from batches: MEMORY_AND_DISK, DISK_ONLY).
// The block's batches are stored in chunks (row groups); within a chunk each column is a
// complete S2 spill stream (header, single-column Arrow IPC stream of every batch's
// column, trailer with its CRC-32C), so a segment is checked and decoded exactly as a
// spill file is; an index at the end says where each segment is:
//
//	offset 0          magic "KNDLCOL1" (8 bytes)
//	offset 8          chunk 0: segment of column 0, of column 1, ...; chunk 1: ...
//	index offset      columns, batches, chunks (uint32 LE each), zero (uint32), then per
//	                  chunk its batches (uint64 LE) and per column its segment's offset,
//	                  length and uncompressed IPC bytes (3 x uint64 LE), then per batch
//	                  its rows (uint64 LE)
//	end - 32          footer: index offset (uint64 LE), index length (uint64 LE), CRC-32C
//	                  of the index (uint32 LE), zero (uint32), magic "KNDLCOL1"
//
// A block written from memory is one chunk. A partition too large to hold while it is
// computed is written a chunk at a time (CacheWriter), so that it never has to be in
// memory whole; each chunk's dictionaries are widened on their own.
//
// A reader of k columns opens k segment streams of a chunk side by side and zips their
// batches, checking each against the rows the index records, then moves to the next
// chunk. Files live only as long as their session (the spill directory is removed at
// Close), so the schema, with its metadata, is the block's, kept in memory; a segment's
// own field must match it.
const (
	colMagic       = "KNDLCOL1"
	colFooterBytes = 32
)

// colSegment locates one column's spill stream in a columnar file.
type colSegment struct{ off, size, raw int64 }

// colChunk is one row group: how many of the file's batches it holds, and its segments.
type colChunk struct {
	batches int
	segs    []colSegment
}

// colIndex is a columnar file's index.
type colIndex struct {
	columns   int
	chunks    []colChunk
	batchRows []int64
}

func (x *colIndex) encode() []byte {
	out := make([]byte, 16, 16+(8+24*x.columns)*len(x.chunks)+8*len(x.batchRows))
	binary.LittleEndian.PutUint32(out[0:], uint32(x.columns))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(x.batchRows)))
	binary.LittleEndian.PutUint32(out[8:], uint32(len(x.chunks)))
	for _, ch := range x.chunks {
		out = binary.LittleEndian.AppendUint64(out, uint64(ch.batches))
		for _, s := range ch.segs {
			out = binary.LittleEndian.AppendUint64(out, uint64(s.off))
			out = binary.LittleEndian.AppendUint64(out, uint64(s.size))
			out = binary.LittleEndian.AppendUint64(out, uint64(s.raw))
		}
	}
	for _, r := range x.batchRows {
		out = binary.LittleEndian.AppendUint64(out, uint64(r))
	}
	return out
}

// decodeColIndex parses an index whose segments must lie in [8, end).
func decodeColIndex(data []byte, end int64) (*colIndex, error) {
	if len(data) < 16 {
		return nil, errors.New("index too short")
	}
	nc, nb := int64(binary.LittleEndian.Uint32(data[0:])), int64(binary.LittleEndian.Uint32(data[4:]))
	nk := int64(binary.LittleEndian.Uint32(data[8:]))
	if int64(len(data)) != 16+(8+24*nc)*nk+8*nb {
		return nil, fmt.Errorf("index of %d bytes for %d columns, %d chunks and %d batches", len(data), nc, nk, nb)
	}
	x := &colIndex{columns: int(nc), chunks: make([]colChunk, nk), batchRows: make([]int64, nb)}
	p := data[16:]
	var batches int64
	for k := range x.chunks {
		ch := colChunk{batches: int(binary.LittleEndian.Uint64(p)), segs: make([]colSegment, nc)}
		p = p[8:]
		if batches += int64(ch.batches); ch.batches < 0 || batches > nb {
			return nil, fmt.Errorf("chunk %d: %d batches, the file has %d", k, ch.batches, nb)
		}
		for i := range ch.segs {
			s := colSegment{off: int64(binary.LittleEndian.Uint64(p)), size: int64(binary.LittleEndian.Uint64(p[8:])),
				raw: int64(binary.LittleEndian.Uint64(p[16:]))}
			if s.off < int64(len(colMagic)) || s.size < frameBytes || s.size > end-s.off {
				return nil, fmt.Errorf("chunk %d: segment %d at %d, %d bytes, outside the file", k, i, s.off, s.size)
			}
			ch.segs[i] = s
			p = p[24:]
		}
		x.chunks[k] = ch
	}
	if batches != nb {
		return nil, fmt.Errorf("chunks hold %d batches, the file has %d", batches, nb)
	}
	for i := range x.batchRows {
		x.batchRows[i] = int64(binary.LittleEndian.Uint64(p))
		if x.batchRows[i] < 0 || x.batchRows[i] > 1<<40 {
			return nil, fmt.Errorf("batch %d has %d rows", i, x.batchRows[i])
		}
		p = p[8:]
	}
	return x, nil
}

// writeColumnar writes batches (all of schema, at least one column) as a columnar file of
// one chunk. It borrows batches.
func (m *SpillManager) writeColumnar(name string, schema *arrow.Schema, batches []arrow.RecordBatch) (*SpillFile, error) {
	w, err := m.createColumnar(name, schema)
	if err != nil {
		return nil, err
	}
	if err := w.writeChunk(batches); err != nil {
		w.abort()
		return nil, fmt.Errorf("storage: write spill file %s (%s): %w", w.final, name, err)
	}
	return w.finish()
}

// columnarFile is a columnar file being written a chunk at a time.
type columnarFile struct {
	m      *SpillManager
	name   string
	final  string
	f      vfs.File
	enc    *columnarEncoder
	closed bool
}

func (m *SpillManager) createColumnar(name string, schema *arrow.Schema) (*columnarFile, error) {
	final, f, err := m.createTemp(name)
	if err != nil {
		return nil, err
	}
	w := &columnarFile{m: m, name: name, final: final, f: f}
	if w.enc, err = newColumnarEncoder(&countingWriter{w: f}, schema, true); err != nil {
		w.abort()
		return nil, fmt.Errorf("storage: write spill file %s (%s): %w", final, name, err)
	}
	return w, nil
}

func (w *columnarFile) writeChunk(batches []arrow.RecordBatch) error {
	return w.enc.writeChunk(batches)
}

// finish writes the index and returns the file.
func (w *columnarFile) finish() (*SpillFile, error) {
	w.closed = true
	err := w.enc.finish()
	if err := w.m.finishFile(w.f, w.final, err); err != nil {
		return nil, fmt.Errorf("storage: write spill file %s (%s): %w", w.final, w.name, err)
	}
	idx := w.enc.idx
	sf := &SpillFile{fs: w.m.fs, path: w.final, schema: w.enc.schema, size: w.enc.out.n, rawBytes: idx.rawBytes(), rows: idx.rows(), columns: idx}
	w.m.account(sf)
	return sf, nil
}

// abort removes the partial file; it is a no-op after finish.
func (w *columnarFile) abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.m.finishFile(w.f, w.final, errAborted)
}

var errAborted = errors.New("aborted")

// columnarEncoder writes the columnar format to out (at its offset 0), each segment
// compressed with S2 (fast) or zstd.
type columnarEncoder struct {
	out    *countingWriter
	schema *arrow.Schema
	fast   bool
	idx    *colIndex
}

func newColumnarEncoder(out *countingWriter, schema *arrow.Schema, fast bool) (*columnarEncoder, error) {
	if _, err := out.Write([]byte(colMagic)); err != nil {
		return nil, err
	}
	return &columnarEncoder{out: out, schema: schema, fast: fast, idx: &colIndex{columns: schema.NumFields()}}, nil
}

// writeChunk writes batches (borrowed) as the next chunk, their dictionaries widened.
func (e *columnarEncoder) writeChunk(batches []arrow.RecordBatch) error {
	if len(batches) == 0 {
		return nil
	}
	wide := kernel.WidenDictionaries(batches)
	defer releaseAll(wide)
	ch := colChunk{batches: len(wide)}
	for c := range e.schema.NumFields() {
		seg, err := writeColumnSegment(e.out, e.schema.Field(c), c, wide, e.fast)
		if err != nil {
			return err
		}
		ch.segs = append(ch.segs, seg)
	}
	e.idx.chunks = append(e.idx.chunks, ch)
	for _, b := range wide {
		e.idx.batchRows = append(e.idx.batchRows, b.NumRows())
	}
	return nil
}

func (e *columnarEncoder) finish() error { return writeColIndex(e.out, e.idx) }

func (x *colIndex) rows() int64 {
	var n int64
	for _, r := range x.batchRows {
		n += r
	}
	return n
}

func (x *colIndex) rawBytes() int64 {
	var n int64
	for _, ch := range x.chunks {
		for _, s := range ch.segs {
			n += s.raw
		}
	}
	return n
}

// encodeColumnarBlock returns batches (all of schema, which has columns) in the columnar
// format, in memory, with zstd: a serialized block's bytes.
func encodeColumnarBlock(schema *arrow.Schema, batches []arrow.RecordBatch) ([]byte, error) {
	var buf bytes.Buffer
	e, err := newColumnarEncoder(&countingWriter{w: &buf}, schema, false)
	if err == nil {
		err = e.writeChunk(batches)
	}
	if err == nil {
		err = e.finish()
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// isColumnar reports whether data starts as a columnar file.
func isColumnar(data []byte) bool {
	return len(data) >= len(colMagic) && string(data[:len(colMagic)]) == colMagic
}

// writeColumnSegment writes column c of batches as one spill stream at out's offset.
func writeColumnSegment(out *countingWriter, field arrow.Field, c int, batches []arrow.RecordBatch, fast bool) (colSegment, error) {
	schema := arrow.NewSchema([]arrow.Field{field}, nil)
	seg := colSegment{off: out.n}
	enc, err := newCodecEncoder(out, schema, fast)
	if err != nil {
		return seg, err
	}
	for _, b := range batches {
		rec := array.NewRecordBatch(schema, []arrow.Array{b.Column(c)}, b.NumRows())
		err = enc.append(rec)
		rec.Release()
		if err != nil {
			enc.abort()
			return seg, err
		}
	}
	if seg.size, err = enc.finish(); err != nil {
		return seg, err
	}
	seg.raw = enc.raw.n
	return seg, nil
}

func writeColIndex(out *countingWriter, idx *colIndex) error {
	data := idx.encode()
	var foot [colFooterBytes]byte
	binary.LittleEndian.PutUint64(foot[0:], uint64(out.n))
	binary.LittleEndian.PutUint64(foot[8:], uint64(len(data)))
	binary.LittleEndian.PutUint32(foot[16:], crc32.Checksum(data, castagnoli))
	copy(foot[24:], colMagic)
	if _, err := out.Write(data); err != nil {
		return err
	}
	_, err := out.Write(foot[:])
	return err
}

// readColIndex reads and checks the index of the columnar file src of size bytes.
func readColIndex(src io.ReaderAt, path string, size int64) (*colIndex, error) {
	if size < int64(len(colMagic))+colFooterBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, too short", ErrCorruptSpill, path, size)
	}
	var head [len(colMagic)]byte
	var foot [colFooterBytes]byte
	if _, err := src.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", path, err)
	}
	if _, err := src.ReadAt(foot[:], size-colFooterBytes); err != nil {
		return nil, fmt.Errorf("storage: read the index of %s: %w", path, err)
	}
	if string(head[:]) != colMagic || string(foot[24:]) != colMagic {
		return nil, fmt.Errorf("%w: %s has no columnar header or footer", ErrCorruptSpill, path)
	}
	off, n := int64(binary.LittleEndian.Uint64(foot[0:])), int64(binary.LittleEndian.Uint64(foot[8:]))
	if off < int64(len(colMagic)) || n < 0 || off > size || n != size-colFooterBytes-off {
		return nil, fmt.Errorf("%w: %s: index at %d, %d bytes, does not fit the size %d", ErrCorruptSpill, path, off, n, size)
	}
	data := make([]byte, n)
	if _, err := src.ReadAt(data, off); err != nil {
		return nil, fmt.Errorf("storage: read the index of %s: %w", path, err)
	}
	if got, want := crc32.Checksum(data, castagnoli), binary.LittleEndian.Uint32(foot[16:]); got != want {
		return nil, fmt.Errorf("%w: %s: index checksum %08x, want %08x", ErrCorruptSpill, path, got, want)
	}
	idx, err := decodeColIndex(data, off)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptSpill, path, err)
	}
	return idx, nil
}

// openColumnar opens the columns cols (indices into schema, nil for all) of the columnar
// file at path; the reader's batches have those columns, in that order.
func openColumnar(ctx context.Context, fsys vfs.FS, path string, schema *arrow.Schema, mem memory.Allocator, cols []int) (*SpillReader, error) {
	fh, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	return openColumnarAt(ctx, path, fh, st.Size(), fh, schema, mem, cols)
}

// openColumnarAt is openColumnar over the size bytes of src (a file, or a serialized
// block in memory); closer (may be nil) is closed with the reader, and on error.
func openColumnarAt(ctx context.Context, path string, src io.ReaderAt, size int64, closer io.Closer, schema *arrow.Schema, mem memory.Allocator, cols []int) (*SpillReader, error) {
	idx, err := readColIndex(src, path, size)
	if err == nil && idx.columns != schema.NumFields() {
		err = fmt.Errorf("%w: %s: %d columns, the block has %d", ErrCorruptSpill, path, idx.columns, schema.NumFields())
	}
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	if cols == nil {
		cols = make([]int, schema.NumFields())
		for i := range cols {
			cols[i] = i
		}
	}
	cr := &colReader{ctx: ctx, path: path, fh: closer, src: src, mem: mem, idx: idx, cols: cols, fields: make([]arrow.Field, len(cols))}
	for j, c := range cols {
		if c < 0 || c >= schema.NumFields() {
			cr.close()
			return nil, fmt.Errorf("storage: read %s: no column %d in a block of %d columns", path, c, schema.NumFields())
		}
		cr.fields[j] = schema.Field(c)
	}
	cr.schema = projectSchema(schema, cols)
	// Every segment read is checked here, as a spill file is when it is opened: a damaged
	// block is then a miss its reader recomputes, not an error after rows were passed on.
	if err := cr.checkSegments(); err != nil {
		cr.close()
		return nil, err
	}
	if len(idx.chunks) > 0 {
		if err := cr.openChunk(); err != nil {
			cr.close()
			return nil, err
		}
	}
	return &SpillReader{ctx: ctx, path: path, col: cr, schema: cr.schema}, nil
}

// checkSegments checks the framing and checksum of the segments read in every chunk but
// the first, which opening it checks.
func (c *colReader) checkSegments() error {
	for k := 1; k < len(c.idx.chunks); k++ {
		for j, col := range c.cols {
			seg := c.idx.chunks[k].segs[col]
			name := fmt.Sprintf("%s chunk %d segment %d (column %q)", c.path, k, col, c.fields[j].Name)
			if _, _, _, err := checkFrame(io.NewSectionReader(c.src, seg.off, seg.size), name, seg.size); err != nil {
				return err
			}
		}
	}
	return nil
}

// colReader zips the batches of a columnar file's selected segments, chunk by chunk.
type colReader struct {
	ctx    context.Context
	path   string
	fh     io.Closer
	src    io.ReaderAt
	mem    memory.Allocator
	idx    *colIndex
	cols   []int
	next   int // the next batch, over the whole file
	chunk  int // the next chunk to open
	left   int // batches left in the open chunk
	fields []arrow.Field
	schema *arrow.Schema
	segs   []*SpillReader // the open chunk's segments of cols
	names  []string
}

// openChunk ends the open chunk and opens the segments of cols in the next.
func (c *colReader) openChunk() error {
	if err := c.endChunk(); err != nil {
		return err
	}
	ch := c.idx.chunks[c.chunk]
	for j, col := range c.cols {
		seg := ch.segs[col]
		name := fmt.Sprintf("%s chunk %d segment %d (column %q)", c.path, c.chunk, col, c.fields[j].Name)
		r, err := newSpillReader(c.ctx, name, io.NewSectionReader(c.src, seg.off, seg.size), seg.size, nil, c.mem)
		if err != nil {
			return err
		}
		c.segs = append(c.segs, r)
		c.names = append(c.names, name)
	}
	c.chunk++
	c.left = ch.batches
	return nil
}

func (c *colReader) read() (arrow.RecordBatch, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	for c.left == 0 {
		if c.chunk >= len(c.idx.chunks) {
			if err := c.endChunk(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		if err := c.openChunk(); err != nil {
			return nil, err
		}
	}
	n := c.idx.batchRows[c.next]
	c.next++
	c.left--
	arrs := make([]arrow.Array, 0, len(c.segs))
	fail := func(err error) (arrow.RecordBatch, error) {
		for _, a := range arrs {
			a.Release()
		}
		return nil, err
	}
	for j, s := range c.segs {
		rec, err := s.Next()
		if err == io.EOF {
			err = fmt.Errorf("%w: %s: fewer batches than the index's", ErrCorruptSpill, c.names[j])
		}
		if err != nil {
			return fail(err)
		}
		if rec.NumCols() != 1 || rec.NumRows() != n || !arrow.TypeEqual(rec.Column(0).DataType(), c.fields[j].Type) {
			rec.Release()
			return fail(fmt.Errorf("%w: %s: batch %d does not match the index (%d rows of %v)", ErrCorruptSpill, c.names[j], c.next-1, n, c.fields[j].Type))
		}
		a := rec.Column(0)
		a.Retain()
		rec.Release()
		arrs = append(arrs, a)
	}
	out := array.NewRecordBatch(c.schema, arrs, n)
	for _, a := range arrs {
		a.Release()
	}
	return out, nil
}

// endChunk checks that the open chunk's segments hold no more batches than the index says,
// and closes them.
func (c *colReader) endChunk() error {
	for j, s := range c.segs {
		rec, err := s.Next()
		if err != io.EOF {
			if rec != nil {
				rec.Release()
			}
			if err == nil {
				err = fmt.Errorf("%w: %s: more batches than the index's", ErrCorruptSpill, c.names[j])
			}
			return err
		}
	}
	c.closeSegs()
	return nil
}

func (c *colReader) closeSegs() {
	for _, s := range c.segs {
		s.Close()
	}
	c.segs, c.names = c.segs[:0], c.names[:0]
}

func (c *colReader) close() error {
	c.closeSegs()
	if c.fh == nil {
		return nil
	}
	return c.fh.Close()
}

// segmentBytes returns the bytes of the segments of cols (nil for all) and the index.
func (x *colIndex) segmentBytes(cols []int) int64 {
	n := int64(len(colMagic)+colFooterBytes) + 16 + (8+24*int64(x.columns))*int64(len(x.chunks)) + 8*int64(len(x.batchRows))
	for _, ch := range x.chunks {
		if cols == nil {
			for _, s := range ch.segs {
				n += s.size
			}
			continue
		}
		for _, c := range cols {
			if c >= 0 && c < len(ch.segs) {
				n += ch.segs[c].size
			}
		}
	}
	return n
}

// projectSchema returns the fields cols of schema, with its metadata.
func projectSchema(schema *arrow.Schema, cols []int) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for j, c := range cols {
		fields[j] = schema.Field(c)
	}
	md := schema.Metadata()
	return arrow.NewSchema(fields, &md)
}

// projectBatch returns the columns cols of rec (sharing its arrays) and releases rec.
func projectBatch(rec arrow.RecordBatch, schema *arrow.Schema, cols []int) arrow.RecordBatch {
	defer rec.Release()
	arrs := make([]arrow.Array, len(cols))
	for j, c := range cols {
		arrs[j] = rec.Column(c)
	}
	return array.NewRecordBatch(schema, arrs, rec.NumRows())
}
