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
// Each column of the block is a complete S2 spill stream (header, single-column Arrow IPC
// stream of every batch's column, trailer with its CRC-32C), so a segment is checked and
// decoded exactly as a spill file is; an index at the end says where each segment is:
//
//	offset 0          magic "KNDLCOL1" (8 bytes)
//	offset 8          segment of column 0, segment of column 1, ... (spill streams)
//	index offset      columns (uint32 LE), batches (uint32 LE), then per column its
//	                  segment's offset, length and uncompressed IPC bytes (3 x uint64 LE),
//	                  then per batch its rows (uint64 LE)
//	end - 32          footer: index offset (uint64 LE), index length (uint64 LE), CRC-32C
//	                  of the index (uint32 LE), zero (uint32), magic "KNDLCOL1"
//
// A reader of k columns opens k segment streams side by side and zips their batches,
// checking each against the rows the index records. Files live only as long as their
// session (the spill directory is removed at Close), so the schema, with its metadata,
// is the block's, kept in memory; a segment's own field must match it.
const (
	colMagic       = "KNDLCOL1"
	colFooterBytes = 32
)

// colSegment locates one column's spill stream in a columnar file.
type colSegment struct{ off, size, raw int64 }

// colIndex is a columnar file's index.
type colIndex struct {
	segs      []colSegment
	batchRows []int64
}

func (x *colIndex) encode() []byte {
	out := make([]byte, 8, 8+24*len(x.segs)+8*len(x.batchRows))
	binary.LittleEndian.PutUint32(out[0:], uint32(len(x.segs)))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(x.batchRows)))
	for _, s := range x.segs {
		out = binary.LittleEndian.AppendUint64(out, uint64(s.off))
		out = binary.LittleEndian.AppendUint64(out, uint64(s.size))
		out = binary.LittleEndian.AppendUint64(out, uint64(s.raw))
	}
	for _, r := range x.batchRows {
		out = binary.LittleEndian.AppendUint64(out, uint64(r))
	}
	return out
}

// decodeColIndex parses an index whose segments must lie in [8, end).
func decodeColIndex(data []byte, end int64) (*colIndex, error) {
	if len(data) < 8 {
		return nil, errors.New("index too short")
	}
	nc, nb := int64(binary.LittleEndian.Uint32(data[0:])), int64(binary.LittleEndian.Uint32(data[4:]))
	if int64(len(data)) != 8+24*nc+8*nb {
		return nil, fmt.Errorf("index of %d bytes for %d columns and %d batches", len(data), nc, nb)
	}
	x := &colIndex{segs: make([]colSegment, nc), batchRows: make([]int64, nb)}
	p := data[8:]
	for i := range x.segs {
		s := colSegment{off: int64(binary.LittleEndian.Uint64(p)), size: int64(binary.LittleEndian.Uint64(p[8:])),
			raw: int64(binary.LittleEndian.Uint64(p[16:]))}
		if s.off < int64(len(colMagic)) || s.size < frameBytes || s.size > end-s.off {
			return nil, fmt.Errorf("segment %d at %d, %d bytes, outside the file", i, s.off, s.size)
		}
		x.segs[i] = s
		p = p[24:]
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

// writeColumnar writes batches (all of schema, at least one column) as a columnar file.
// It borrows batches.
func (m *SpillManager) writeColumnar(name string, schema *arrow.Schema, batches []arrow.RecordBatch) (*SpillFile, error) {
	final, f, err := m.createTemp(name)
	if err != nil {
		return nil, err
	}
	out := &countingWriter{w: f}
	idx, err := encodeColumnar(out, schema, batches, true)
	if err := m.finishFile(f, final, err); err != nil {
		return nil, fmt.Errorf("storage: write spill file %s (%s): %w", final, name, err)
	}
	sf := &SpillFile{fs: m.fs, path: final, schema: schema, size: out.n, rawBytes: idx.rawBytes(), rows: idx.rows(), columns: idx}
	m.account(sf)
	return sf, nil
}

// encodeColumnar writes batches in the columnar format to out (at its offset 0), each
// segment compressed with S2 (fast) or zstd, and returns the index.
func encodeColumnar(out *countingWriter, schema *arrow.Schema, batches []arrow.RecordBatch, fast bool) (*colIndex, error) {
	idx := &colIndex{batchRows: make([]int64, len(batches))}
	for i, b := range batches {
		idx.batchRows[i] = b.NumRows()
	}
	_, err := out.Write([]byte(colMagic))
	for c := 0; err == nil && c < schema.NumFields(); c++ {
		var seg colSegment
		seg, err = writeColumnSegment(out, schema.Field(c), c, batches, fast)
		idx.segs = append(idx.segs, seg)
	}
	if err == nil {
		err = writeColIndex(out, idx)
	}
	return idx, err
}

func (x *colIndex) rows() int64 {
	var n int64
	for _, r := range x.batchRows {
		n += r
	}
	return n
}

func (x *colIndex) rawBytes() int64 {
	var n int64
	for _, s := range x.segs {
		n += s.raw
	}
	return n
}

// encodeColumnarBlock returns batches (all of schema, which has columns) in the columnar
// format, in memory, with zstd: a serialized block's bytes.
func encodeColumnarBlock(schema *arrow.Schema, batches []arrow.RecordBatch) ([]byte, error) {
	var buf bytes.Buffer
	wide := kernel.WidenDictionaries(batches)
	defer releaseAll(wide)
	if _, err := encodeColumnar(&countingWriter{w: &buf}, schema, wide, false); err != nil {
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
	if err == nil && len(idx.segs) != schema.NumFields() {
		err = fmt.Errorf("%w: %s: %d column segments, the block has %d columns", ErrCorruptSpill, path, len(idx.segs), schema.NumFields())
	}
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	fh := closer
	if cols == nil {
		cols = make([]int, schema.NumFields())
		for i := range cols {
			cols[i] = i
		}
	}
	cr := &colReader{ctx: ctx, path: path, fh: fh, rows: idx.batchRows, fields: make([]arrow.Field, len(cols))}
	for j, c := range cols {
		if c < 0 || c >= schema.NumFields() {
			cr.close()
			return nil, fmt.Errorf("storage: read %s: no column %d in a block of %d columns", path, c, schema.NumFields())
		}
		seg := idx.segs[c]
		cr.fields[j] = schema.Field(c)
		name := fmt.Sprintf("%s segment %d (column %q)", path, c, schema.Field(c).Name)
		r, err := newSpillReader(ctx, name, io.NewSectionReader(src, seg.off, seg.size), seg.size, nil, mem)
		if err != nil {
			cr.close()
			return nil, err
		}
		cr.segs = append(cr.segs, r)
		cr.names = append(cr.names, name)
	}
	cr.schema = projectSchema(schema, cols)
	return &SpillReader{ctx: ctx, path: path, col: cr, schema: cr.schema}, nil
}

// colReader zips the batches of a columnar file's selected segments.
type colReader struct {
	ctx    context.Context
	path   string
	fh     io.Closer
	rows   []int64 // each batch's rows, from the index
	next   int
	fields []arrow.Field
	schema *arrow.Schema
	segs   []*SpillReader
	names  []string
}

func (c *colReader) read() (arrow.RecordBatch, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	if c.next >= len(c.rows) {
		for j, s := range c.segs {
			if rec, err := s.Next(); err != io.EOF {
				if rec != nil {
					rec.Release()
				}
				if err == nil {
					err = fmt.Errorf("%w: %s: more batches than the index's %d", ErrCorruptSpill, c.names[j], len(c.rows))
				}
				return nil, err
			}
		}
		return nil, io.EOF
	}
	n := c.rows[c.next]
	c.next++
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
			err = fmt.Errorf("%w: %s: %d batches, the index has %d", ErrCorruptSpill, c.names[j], c.next-1, len(c.rows))
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

func (c *colReader) close() error {
	for _, s := range c.segs {
		s.Close()
	}
	c.segs = nil
	if c.fh == nil {
		return nil
	}
	return c.fh.Close()
}

// segmentBytes returns the bytes of the segments of cols (nil for all) and the index.
func (x *colIndex) segmentBytes(cols []int) int64 {
	n := int64(len(colMagic)+colFooterBytes) + 8 + 24*int64(len(x.segs)) + 8*int64(len(x.batchRows))
	if cols == nil {
		for _, s := range x.segs {
			n += s.size
		}
		return n
	}
	for _, c := range cols {
		if c >= 0 && c < len(x.segs) {
			n += x.segs[c].size
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
