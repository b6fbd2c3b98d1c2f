package storage

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/zstd"
)

// Spill file layout. A spill file is an Arrow IPC stream compressed as one zstd stream,
// framed so that a reader detects truncation and corruption:
//
//	offset 0      magic "KNDLSPL1" (8 bytes)
//	offset 8      zstd stream of the Arrow IPC stream (schema, batches, end-of-stream)
//	end - 24      trailer: payload length (uint64 LE), uncompressed IPC bytes (uint64 LE),
//	              rows (uint32 LE, saturating), CRC-32C of the payload (uint32 LE)
//
// The file is written under a temporary name and renamed into place by Finish, so a
// file with its final name is always complete.
const (
	spillMagic   = "KNDLSPL1"
	trailerBytes = 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptSpill reports a spill file whose checksum, length or framing is wrong.
var ErrCorruptSpill = errors.New("storage: corrupt spill file")

// SpillStats counts what a SpillManager wrote.
type SpillStats struct {
	// Files is the number of spill files finished.
	Files int64
	// Bytes is the bytes on disk; RawBytes the uncompressed IPC bytes they hold.
	Bytes, RawBytes int64
	// Rows is the rows written.
	Rows int64
}

// SpillManager owns a session's spill directory: every spill, shuffle or cache file of
// the session lives under it, and Close removes it. It is safe for concurrent use.
type SpillManager struct {
	dir   string
	seq   atomic.Int64
	files atomic.Int64
	bytes atomic.Int64
	raw   atomic.Int64
	rows  atomic.Int64

	mu     sync.Mutex
	closed bool
}

// NewSpillManager creates a fresh directory under parent (the system temp directory if
// parent is empty) for the session's spill files. An unwritable parent is reported here,
// naming it, rather than at the first spill.
func NewSpillManager(parent string) (*SpillManager, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("storage: spill directory %s: %w", parent, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	dir := filepath.Join(parent, "kindling-spill-"+hex.EncodeToString(b[:]))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: cannot create a spill directory in %s: %w", parent, err)
	}
	return &SpillManager{dir: dir}, nil
}

// Dir returns the session's spill directory.
func (m *SpillManager) Dir() string { return m.dir }

// Stats returns the counters of the files finished so far.
func (m *SpillManager) Stats() SpillStats {
	return SpillStats{Files: m.files.Load(), Bytes: m.bytes.Load(), RawBytes: m.raw.Load(), Rows: m.rows.Load()}
}

// Close removes the spill directory and every file in it.
func (m *SpillManager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return os.RemoveAll(m.dir)
}

// Create starts a spill file of batches of the given schema. name says what spills (an
// operator and task, e.g. "sort-s2-t3"); it becomes part of the file name.
func (m *SpillManager) Create(name string, schema *arrow.Schema) (*SpillWriter, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errors.New("storage: spill manager closed")
	}
	final := filepath.Join(m.dir, fmt.Sprintf("%s-%06d.spill", sanitize(name), m.seq.Add(1)))
	f, err := os.Create(final + ".tmp")
	if err != nil {
		return nil, fmt.Errorf("storage: create spill file for %s: %w", name, err)
	}
	w := &SpillWriter{m: m, name: name, path: final, f: f, crc: crc32.New(castagnoli), schema: schema}
	w.counted = &countingWriter{w: io.MultiWriter(f, w.crc)}
	w.buf = bufio.NewWriterSize(w.counted, 256<<10)
	if _, err := f.Write([]byte(spillMagic)); err != nil {
		w.Abort()
		return nil, fmt.Errorf("storage: write spill file %s: %w", final, err)
	}
	enc, err := zstd.NewWriter(w.buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		w.Abort()
		return nil, err
	}
	w.zw = enc
	w.raw = &countingWriter{w: enc}
	w.ipcw = ipc.NewWriter(w.raw, ipc.WithSchema(schema))
	return w, nil
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// SpillWriter appends record batches to a spill file.
type SpillWriter struct {
	m       *SpillManager
	name    string
	path    string
	f       *os.File
	crc     hash.Hash32
	counted *countingWriter
	buf     *bufio.Writer
	zw      *zstd.Encoder
	raw     *countingWriter
	ipcw    *ipc.Writer
	schema  *arrow.Schema
	rows    int64
	done    bool
}

// Append writes one batch. It borrows rec.
func (w *SpillWriter) Append(rec arrow.RecordBatch) error {
	if err := w.ipcw.Write(rec); err != nil {
		return fmt.Errorf("storage: write spill file %s: %w", w.path, err)
	}
	w.rows += rec.NumRows()
	return nil
}

// Rows returns the rows appended so far.
func (w *SpillWriter) Rows() int64 { return w.rows }

// Finish completes the file and returns it; the writer cannot be used afterwards.
func (w *SpillWriter) Finish() (*SpillFile, error) {
	if w.done {
		return nil, errors.New("storage: spill writer already finished")
	}
	w.done = true
	err := w.ipcw.Close()
	if err == nil {
		err = w.zw.Close()
	}
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		var t [trailerBytes]byte
		binary.LittleEndian.PutUint64(t[0:], uint64(w.counted.n))
		binary.LittleEndian.PutUint64(t[8:], uint64(w.raw.n))
		binary.LittleEndian.PutUint32(t[16:], uint32(min(w.rows, 1<<32-1)))
		binary.LittleEndian.PutUint32(t[20:], w.crc.Sum32())
		_, err = w.f.Write(t[:])
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.path+".tmp", w.path)
	}
	if err != nil {
		os.Remove(w.path + ".tmp")
		return nil, fmt.Errorf("storage: finish spill file %s (%s): %w", w.path, w.name, err)
	}
	size := int64(len(spillMagic)) + w.counted.n + trailerBytes
	w.m.files.Add(1)
	w.m.bytes.Add(size)
	w.m.raw.Add(w.raw.n)
	w.m.rows.Add(w.rows)
	return &SpillFile{path: w.path, schema: w.schema, size: size, rawBytes: w.raw.n, rows: w.rows}, nil
}

// Abort discards the file. It is safe after Finish (a no-op) and twice.
func (w *SpillWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.ipcw != nil {
		w.ipcw.Close()
	}
	if w.zw != nil {
		w.zw.Close()
	}
	w.f.Close()
	os.Remove(w.path + ".tmp")
}

// SpillFile is a finished spill file.
type SpillFile struct {
	path           string
	schema         *arrow.Schema
	size, rawBytes int64
	rows           int64
}

// Path returns the file's path.
func (f *SpillFile) Path() string { return f.path }

// Bytes returns the file's size on disk.
func (f *SpillFile) Bytes() int64 { return f.size }

// RawBytes returns the uncompressed Arrow IPC bytes the file holds.
func (f *SpillFile) RawBytes() int64 { return f.rawBytes }

// Rows returns the rows the file holds.
func (f *SpillFile) Rows() int64 { return f.rows }

// Schema returns the schema of the file's batches.
func (f *SpillFile) Schema() *arrow.Schema { return f.schema }

// Remove deletes the file.
func (f *SpillFile) Remove() error {
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: remove spill file: %w", err)
	}
	return nil
}

// Open reads the file back; batches are allocated with mem. Corruption or truncation is
// reported by Next as an error wrapping ErrCorruptSpill.
func (f *SpillFile) Open(ctx context.Context, mem memory.Allocator) (*SpillReader, error) {
	return OpenSpillFile(ctx, f.path, mem)
}

// OpenSpillFile opens a spill file by path (a checkpoint or a cache block on disk).
func OpenSpillFile(ctx context.Context, path string, mem memory.Allocator) (*SpillReader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	var head [len(spillMagic)]byte
	var t [trailerBytes]byte
	if st.Size() < int64(len(head)+trailerBytes) {
		fh.Close()
		return nil, fmt.Errorf("%w: %s is %d bytes, too short", ErrCorruptSpill, path, st.Size())
	}
	if _, err := fh.ReadAt(head[:], 0); err != nil || string(head[:]) != spillMagic {
		fh.Close()
		return nil, fmt.Errorf("%w: %s has no spill header", ErrCorruptSpill, path)
	}
	if _, err := fh.ReadAt(t[:], st.Size()-trailerBytes); err != nil {
		fh.Close()
		return nil, fmt.Errorf("storage: read spill trailer of %s: %w", path, err)
	}
	payload := int64(binary.LittleEndian.Uint64(t[0:]))
	if payload != st.Size()-int64(len(head))-trailerBytes {
		fh.Close()
		return nil, fmt.Errorf("%w: %s: payload length %d does not match the file size %d", ErrCorruptSpill, path, payload, st.Size())
	}
	r := &SpillReader{ctx: ctx, path: path, f: fh, want: binary.LittleEndian.Uint32(t[20:]), crc: crc32.New(castagnoli)}
	section := io.NewSectionReader(fh, int64(len(head)), payload)
	r.dec, err = zstd.NewReader(bufio.NewReaderSize(io.TeeReader(section, r.crc), 256<<10), zstd.WithDecoderConcurrency(1))
	if err != nil {
		fh.Close()
		return nil, err
	}
	r.ipcr, err = ipc.NewReader(r.dec, ipc.WithAllocator(mem))
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptSpill, path, err)
	}
	return r, nil
}

// SpillReader yields the batches of a spill file in the order they were appended.
type SpillReader struct {
	ctx  context.Context
	path string
	f    *os.File
	dec  *zstd.Decoder
	ipcr *ipc.Reader
	crc  hash.Hash32
	want uint32
	done bool
}

// Schema returns the schema of the batches.
func (r *SpillReader) Schema() *arrow.Schema { return r.ipcr.Schema() }

// Next returns the next batch, owned by the caller, or (nil, io.EOF) after the last one,
// once the checksum of the whole file has been verified.
func (r *SpillReader) Next() (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	if r.ipcr.Next() {
		rec := r.ipcr.RecordBatch()
		rec.Retain()
		return rec, nil
	}
	r.done = true
	if err := r.ipcr.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptSpill, r.path, err)
	}
	// Drain what the IPC reader left (the zstd frame's end) so the checksum covers it all.
	if _, err := io.Copy(io.Discard, r.dec); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptSpill, r.path, err)
	}
	if got := r.crc.Sum32(); got != r.want {
		return nil, fmt.Errorf("%w: %s: checksum %08x, want %08x", ErrCorruptSpill, r.path, got, r.want)
	}
	return nil, io.EOF
}

// Close releases the reader's resources. It is idempotent.
func (r *SpillReader) Close() error {
	if r.f == nil {
		return nil
	}
	if r.ipcr != nil {
		r.ipcr.Release()
	}
	if r.dec != nil {
		r.dec.Close()
	}
	err := r.f.Close()
	r.f = nil
	return err
}
