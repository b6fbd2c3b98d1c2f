package storage

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/kindling-data/kindling/internal/guardalloc"
	"github.com/kindling-data/kindling/internal/vfs"
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
// file with its final name is always complete. Serialized in-memory blocks (the *Ser
// storage levels) and cache blocks on disk use the columnar format of columnar.go, made
// of such streams, one per column.
//
// Operator spill files (SpillManager.Create) compress with S2 instead of zstd, marked by
// the magic "KNDLSPS2": they are written once and read once, soon, from the page cache,
// so compression speed matters more than size (S2 compresses several times faster than
// zstd's fastest level; Spark's spills use lz4 for the same reason). Serialized blocks
// kept in memory (their column segments) and checkpoints keep zstd, whose smaller output
// is what they are for.
const (
	spillMagic   = "KNDLSPL1"
	s2Magic      = "KNDLSPS2"
	trailerBytes = 24
	frameBytes   = int64(len(spillMagic)) + trailerBytes
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
	fs    vfs.FS
	seq   atomic.Int64
	files atomic.Int64
	bytes atomic.Int64
	raw   atomic.Int64
	rows  atomic.Int64
	// limiter wraps the file system to enforce SetWriteLimit.
	limiter *vfs.ErrorFS
	// lock marks the directory as a live session's (see removeStaleSpillDirs).
	lock io.Closer

	mu     sync.Mutex
	closed bool

	// observer, if set, is told of each file written (SetObserver).
	observer atomic.Pointer[func(SpillFileInfo)]
}

// SpillFileInfo describes a spill file just written: its path, its bytes on disk, and the
// bytes and rows it held in memory.
type SpillFileInfo struct {
	Path                  string
	Bytes, RawBytes, Rows int64
}

// SetObserver makes the manager call f with each spill file it finishes writing, on the
// writer's goroutine (f must be quick and must not block); nil stops it.
func (m *SpillManager) SetObserver(f func(SpillFileInfo)) {
	if f == nil {
		m.observer.Store(nil)
		return
	}
	m.observer.Store(&f)
}

// SpillOption configures NewSpillManager.
type SpillOption func(*spillOptions)

type spillOptions struct {
	fs vfs.FS
}

// WithFS makes the spill manager write through fsys instead of the operating system's
// file system (tests inject faults this way).
func WithFS(fsys vfs.FS) SpillOption {
	return func(o *spillOptions) {
		if fsys != nil {
			o.fs = fsys
		}
	}
}

// NewSpillManager creates a fresh directory under parent (the system temp directory if
// parent is empty) for the session's spill files. An unwritable parent is reported here,
// naming it, rather than at the first spill.
func NewSpillManager(parent string, opts ...SpillOption) (*SpillManager, error) {
	o := spillOptions{fs: vfs.Default}
	for _, opt := range opts {
		opt(&o)
	}
	if parent == "" {
		parent = os.TempDir()
	}
	limiter := vfs.NewErrorFS(o.fs)
	if err := limiter.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("storage: spill directory %s: %w", parent, err)
	}
	removeStaleSpillDirs(o.fs, parent)
	for attempt := 0; ; attempt++ {
		var b [6]byte
		_, _ = rand.Read(b[:])
		dir := filepath.Join(parent, spillDirPrefix+hex.EncodeToString(b[:]))
		// The lock comes first and goes last, so that a directory without one is stale.
		lock, err := o.fs.Lock(dir + spillLockSuffix)
		if errors.Is(err, vfs.ErrLocked) && attempt < 3 {
			continue // a cleaner of another session took it between create and lock
		}
		if err != nil {
			return nil, fmt.Errorf("storage: cannot create a spill directory in %s (is it writable?): %w", parent, err)
		}
		if err := limiter.Mkdir(dir, 0o755); err != nil {
			o.fs.Remove(dir + spillLockSuffix)
			lock.Close()
			return nil, fmt.Errorf("storage: cannot create a spill directory in %s (is it writable?): %w", parent, err)
		}
		return &SpillManager{dir: dir, fs: limiter, limiter: limiter, lock: lock}, nil
	}
}

const (
	spillDirPrefix  = "kindling-spill-"
	spillLockSuffix = ".lock"
)

// removeStaleSpillDirs removes the spill directories under parent that killed processes
// left: those whose lock file (a sibling, dir.lock) nobody holds, since a lock dies with
// its process, or that have none. Errors are ignored: a stale directory wastes space but
// breaks nothing.
func removeStaleSpillDirs(fsys vfs.FS, parent string) {
	if !vfs.LockSupported {
		return
	}
	entries, err := fsys.ReadDir(parent)
	if err != nil {
		return
	}
	dirs := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), spillDirPrefix) {
			dirs[filepath.Join(parent, strings.TrimSuffix(e.Name(), spillLockSuffix))] = true
		}
	}
	for dir := range dirs {
		lock, err := fsys.Lock(dir + spillLockSuffix)
		if err != nil {
			continue // held: a live session's
		}
		fsys.RemoveAll(dir)
		fsys.Remove(dir + spillLockSuffix)
		lock.Close()
	}
}

// Dir returns the session's spill directory.
func (m *SpillManager) Dir() string { return m.dir }

// Stats returns the counters of the files finished so far.
func (m *SpillManager) Stats() SpillStats {
	return SpillStats{Files: m.files.Load(), Bytes: m.bytes.Load(), RawBytes: m.raw.Load(), Rows: m.rows.Load()}
}

// SetWriteLimit simulates a disk of limited capacity, for tests: once n bytes have been
// written to spill files after this call (in total, over every file), further writes fail
// with an error wrapping syscall.ENOSPC ("no space left on device"), as a full disk does.
// A negative n removes the limit. Files that fail are removed, never left half written.
func (m *SpillManager) SetWriteLimit(n int64) { m.limiter.SetCapacity(n) }

// FS returns the file system the manager writes through.
func (m *SpillManager) FS() vfs.FS { return m.fs }

// Close removes the spill directory and every file in it.
func (m *SpillManager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	err := m.fs.RemoveAll(m.dir)
	m.fs.Remove(m.dir + spillLockSuffix)
	m.lock.Close()
	return err
}

// createTemp opens name's temporary file; the caller renames it into place when complete.
func (m *SpillManager) createTemp(name string) (final string, f vfs.File, err error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return "", nil, fmt.Errorf("storage: spill file for %s: spill manager closed", name)
	}
	final = filepath.Join(m.dir, fmt.Sprintf("%s-%06d.spill", sanitize(name), m.seq.Add(1)))
	f, err = m.fs.Create(final + ".tmp")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return "", nil, fmt.Errorf("storage: create spill file for %s: spill directory %s is not writable: %w", name, m.dir, err)
		}
		return "", nil, fmt.Errorf("storage: create spill file for %s: %w", name, err)
	}
	return final, f, nil
}

// finishFile closes f and renames it to final, or removes it on any error (werr included).
func (m *SpillManager) finishFile(f vfs.File, final string, werr error) error {
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = m.fs.Rename(final+".tmp", final)
	}
	if werr != nil {
		m.fs.Remove(final + ".tmp")
		if errors.Is(werr, syscall.ENOSPC) {
			werr = fmt.Errorf("spill disk full: %w", werr)
		}
	}
	return werr
}

func (m *SpillManager) account(f *SpillFile) {
	m.files.Add(1)
	m.bytes.Add(f.size)
	m.raw.Add(f.rawBytes)
	m.rows.Add(f.rows)
	if obs := m.observer.Load(); obs != nil {
		(*obs)(SpillFileInfo{Path: f.path, Bytes: f.size, RawBytes: f.rawBytes, Rows: f.rows})
	}
}

// Create starts a spill file of batches of the given schema. name says what spills (an
// operator and task, e.g. "sort-s2-t3"); it becomes part of the file name.
func (m *SpillManager) Create(name string, schema *arrow.Schema) (*SpillWriter, error) {
	final, f, err := m.createTemp(name)
	if err != nil {
		return nil, err
	}
	w := &SpillWriter{m: m, name: name, path: final, f: f, schema: schema}
	w.enc, err = newCodecEncoder(f, schema, true)
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("storage: write spill file %s: %w", final, err)
	}
	return w, nil
}

// writeEncoded writes data, a complete encoded spill stream (encodeBlock), as a new file.
func (m *SpillManager) writeEncoded(name string, schema *arrow.Schema, data []byte) (*SpillFile, error) {
	var idx *colIndex
	var raw, rows int64
	var err error
	if isColumnar(data) {
		if idx, err = readColIndex(bytes.NewReader(data), name, int64(len(data))); err == nil {
			raw, rows = idx.rawBytes(), idx.rows()
		}
	} else {
		raw, rows, err = parseTrailer(data)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: write spill file for %s: %w", name, err)
	}
	final, f, err := m.createTemp(name)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(data)
	if err := m.finishFile(f, final, err); err != nil {
		return nil, fmt.Errorf("storage: write spill file %s (%s): %w", final, name, err)
	}
	sf := &SpillFile{fs: m.fs, path: final, schema: schema, size: int64(len(data)), rawBytes: raw, rows: rows, columns: idx}
	m.account(sf)
	return sf, nil
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

// parseTrailer returns the raw IPC bytes and rows recorded in an encoded stream's trailer.
func parseTrailer(data []byte) (raw, rows int64, err error) {
	if int64(len(data)) < frameBytes || !isSpillMagic(string(data[:len(spillMagic)])) {
		return 0, 0, fmt.Errorf("%w: encoded block of %d bytes has no spill framing", ErrCorruptSpill, len(data))
	}
	t := data[len(data)-trailerBytes:]
	return int64(binary.LittleEndian.Uint64(t[8:])), int64(binary.LittleEndian.Uint32(t[16:])), nil
}

// SpillWriter appends record batches to a spill file.
type SpillWriter struct {
	m      *SpillManager
	name   string
	path   string
	f      vfs.File
	enc    *encoder
	schema *arrow.Schema
	done   bool
}

// Append writes one batch. It borrows rec.
func (w *SpillWriter) Append(rec arrow.RecordBatch) error {
	if w.done {
		return fmt.Errorf("storage: append to spill file %s after Finish or Abort", w.path)
	}
	if err := w.enc.append(rec); err != nil {
		return fmt.Errorf("storage: write spill file %s: %w", w.path, err)
	}
	return nil
}

// Rows returns the rows appended so far.
func (w *SpillWriter) Rows() int64 { return w.enc.rows }

// Finish completes the file and returns it; the writer cannot be used afterwards. On error
// the file is removed.
func (w *SpillWriter) Finish() (*SpillFile, error) {
	if w.done {
		return nil, errors.New("storage: spill writer already finished")
	}
	w.done = true
	size, err := w.enc.finish()
	if err := w.m.finishFile(w.f, w.path, err); err != nil {
		return nil, fmt.Errorf("storage: finish spill file %s (%s): %w", w.path, w.name, err)
	}
	f := &SpillFile{fs: w.m.fs, path: w.path, schema: w.schema, size: size, rawBytes: w.enc.raw.n, rows: w.enc.rows}
	w.m.account(f)
	return f, nil
}

// Abort discards the file. It is safe after Finish (a no-op) and twice.
func (w *SpillWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.enc != nil {
		w.enc.abort()
	}
	w.f.Close()
	w.m.fs.Remove(w.path + ".tmp")
}

// SpillFile is a finished spill file.
type SpillFile struct {
	fs             vfs.FS
	path           string
	schema         *arrow.Schema
	size, rawBytes int64
	rows           int64
	// off is where the stream starts in the file: non-zero for the sections of a file
	// written by a SectionWriter, which share it (shared counts those not removed).
	off     int64
	shared  *sharedFile
	removed bool
	// columns is the index of a columnar file (columnar.go), nil for a spill stream.
	columns *colIndex
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
	if f.shared != nil {
		if f.removed {
			return nil // a second Remove of the same section counts once
		}
		f.removed = true
		if f.shared.live.Add(-1) > 0 {
			return nil
		}
	}
	if err := f.fs.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: remove spill file: %w", err)
	}
	return nil
}

// Open reads the file back; batches are allocated with mem. Corruption or truncation is
// reported by Next as an error wrapping ErrCorruptSpill.
func (f *SpillFile) Open(ctx context.Context, mem memory.Allocator) (*SpillReader, error) {
	return f.OpenColumns(ctx, mem, nil)
}

// OpenColumns is Open reading only the columns cols (indices into Schema, in the order
// wanted; nil for all, empty for none: batches of rows without columns). A columnar file
// reads and decompresses only those columns' segments; a spill stream is decoded whole and
// projected.
func (f *SpillFile) OpenColumns(ctx context.Context, mem memory.Allocator, cols []int) (*SpillReader, error) {
	if f.columns != nil {
		return openColumnar(ctx, f.fs, f.path, f.schema, mem, cols)
	}
	r, err := f.openStream(ctx, mem)
	if err != nil || cols == nil {
		return r, err
	}
	for _, c := range cols {
		if c < 0 || c >= r.schema.NumFields() {
			r.Close()
			return nil, fmt.Errorf("storage: read %s: no column %d in a block of %d columns", f.path, c, r.schema.NumFields())
		}
	}
	r.proj, r.schema = cols, projectSchema(r.schema, cols)
	return r, nil
}

// ReadBytes returns the bytes of the file that reading the columns cols (as OpenColumns)
// reads.
func (f *SpillFile) ReadBytes(cols []int) int64 {
	if f.columns != nil {
		return f.columns.segmentBytes(cols)
	}
	return f.size
}

func (f *SpillFile) openStream(ctx context.Context, mem memory.Allocator) (*SpillReader, error) {
	if f.shared == nil {
		return OpenSpillFile(ctx, f.fs, f.path, mem)
	}
	fh, err := f.fs.Open(f.path)
	if err != nil {
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	return newSpillReader(ctx, f.path, io.NewSectionReader(fh, f.off, f.size), f.size, fh, mem)
}

// OpenSpillFile opens a file in the spill format by path (a checkpoint part, or a spill
// file) on fsys.
func OpenSpillFile(ctx context.Context, fsys vfs.FS, path string, mem memory.Allocator) (*SpillReader, error) {
	fh, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("storage: open spill file: %w", err)
	}
	return newSpillReader(ctx, path, fh, st.Size(), fh, mem)
}

// openEncoded reads the columns cols (nil for all) of a serialized block of schema held
// in memory (encodeBlock), or read whole from its file.
func openEncoded(ctx context.Context, name string, data []byte, schema *arrow.Schema, mem memory.Allocator, cols []int) (*SpillReader, error) {
	if isColumnar(data) {
		return openColumnarAt(ctx, name, bytes.NewReader(data), int64(len(data)), nil, schema, mem, cols)
	}
	return newSpillReader(ctx, name, bytes.NewReader(data), int64(len(data)), nil, mem)
}

// newSpillReader checks the framing of the size bytes of src and starts decoding them;
// closer (may be nil) is closed with the reader, and on error.
func newSpillReader(ctx context.Context, path string, src io.ReaderAt, size int64, closer io.Closer, mem memory.Allocator) (*SpillReader, error) {
	fail := func(err error) (*SpillReader, error) {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	payload, _, fast, err := checkFrame(src, path, size)
	if err != nil {
		return fail(err)
	}
	r := &SpillReader{ctx: ctx, path: path, closer: closer}
	section := io.NewSectionReader(src, int64(len(spillMagic)), payload)
	var in io.Reader
	if fast {
		// S2 reads whole blocks from section itself: no bufio in between.
		r.sdec = getS2Reader(section)
		in = r.sdec
	} else {
		dec, err := getDecoder(bufio.NewReaderSize(section, 64<<10))
		if err != nil {
			return fail(err)
		}
		r.dec = dec
		in = dec
	}
	// A file that passed its checksum can still be one the decoder mishandles (written
	// by a different build, or damaged before its checksum was computed): the IPC reader
	// runs on a guarded allocator.
	r.alloc = guardalloc.New(mem, max(1<<30, 1<<12*size))
	r.alloc.Arm()
	r.ipcr, err = ipc.NewReader(in, ipc.WithAllocator(r.alloc))
	if err != nil {
		r.Close()
		r.alloc.Reclaim()
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptSpill, path, err)
	}
	r.alloc.Disarm()
	r.schema = r.ipcr.Schema()
	return r, nil
}

// SpillReader yields the batches of a spill file in the order they were appended.
type SpillReader struct {
	ctx    context.Context
	path   string
	closer io.Closer
	dec    *zstd.Decoder // one of dec and sdec decompresses
	sdec   *s2.Reader
	ipcr   *ipc.Reader
	alloc  *guardalloc.Allocator
	schema *arrow.Schema
	done   bool
	closed bool
	failed bool
	// col reads a columnar file instead (the fields above are unused); proj, when set,
	// projects each batch of a spill stream to those columns (schema is the projected one).
	col  *colReader
	proj []int
}

// Schema returns the schema of the batches.
func (r *SpillReader) Schema() *arrow.Schema { return r.schema }

// Next returns the next batch, owned by the caller, or (nil, io.EOF) after the last one.
// The file's checksum was verified when it was opened.
func (r *SpillReader) Next() (arrow.RecordBatch, error) {
	if r.col != nil {
		return r.col.read()
	}
	rec, err := r.next()
	if err != nil || r.proj == nil {
		return rec, err
	}
	return projectBatch(rec, r.schema, r.proj), nil
}

func (r *SpillReader) next() (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	r.alloc.Arm()
	if r.ipcr.Next() {
		r.alloc.Disarm()
		rec := r.ipcr.RecordBatch()
		rec.Retain()
		return rec, nil
	}
	r.done = true
	if err := r.ipcr.Err(); err != nil {
		// What the failed decode allocated may be held by partial arrays nothing will
		// release: free it once the IPC reader is gone.
		r.failed = true
		r.ipcr.Release()
		r.ipcr = nil
		r.alloc.Reclaim()
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptSpill, r.path, err)
	}
	r.alloc.Disarm()
	return nil, io.EOF
}

// Close releases the reader's resources. It is idempotent.
func (r *SpillReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.col != nil {
		return r.col.close()
	}
	if r.ipcr != nil {
		r.ipcr.Release()
	}
	if r.dec != nil {
		// A decoder that reported an error may hold a broken state: drop it.
		if !r.failed && r.dec.Reset(nil) == nil {
			decoderPool.Put(r.dec)
		} else {
			r.dec.Close()
		}
		r.dec = nil
	}
	if r.sdec != nil {
		if !r.failed {
			r.sdec.Reset(nil)
			s2ReaderPool.Put(r.sdec)
		}
		r.sdec = nil
	}
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// readAll reads every batch of r and closes it; on error it releases what it read.
func readAll(r *SpillReader) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			releaseAll(out)
			r.Close()
			return nil, err
		}
		out = append(out, rec)
	}
	return out, r.Close()
}

// StreamWriter writes batches in the spill file format (magic, zstd-compressed Arrow IPC
// stream, trailer with a CRC-32C) to any writer: checkpoint files use it, so that they are
// checked on reading exactly as spill files are.
type StreamWriter struct {
	enc *encoder
}

// NewStreamWriter starts a stream of batches of schema on w.
func NewStreamWriter(w io.Writer, schema *arrow.Schema) (*StreamWriter, error) {
	enc, err := newEncoder(w, schema)
	if err != nil {
		return nil, err
	}
	return &StreamWriter{enc: enc}, nil
}

// Write appends one batch. It borrows rec.
func (w *StreamWriter) Write(rec arrow.RecordBatch) error {
	if w.enc.closed {
		return errors.New("storage: write to a finished stream")
	}
	return w.enc.append(rec)
}

// Finish ends the stream and writes its trailer; it does not close the underlying writer.
func (w *StreamWriter) Finish() error {
	if w.enc.closed {
		return errors.New("storage: stream already finished")
	}
	_, err := w.enc.finish()
	return err
}

// Abort gives up the stream without a trailer. It is safe after Finish.
func (w *StreamWriter) Abort() { w.enc.abort() }

// checkFrame checks the size bytes of src in the spill format: header, trailer, payload
// length and the payload's checksum, before anything is decoded, so that no batch of a
// damaged file ever reaches an operator (the cost: the payload is read twice, the second
// time usually from the page cache; CRC-32C runs at memory speed). It returns the
// payload's length and the rows recorded in the trailer.
// fast reports the S2 codec (the header "KNDLSPS2") rather than zstd.
func checkFrame(src io.ReaderAt, path string, size int64) (payload, rows int64, fast bool, err error) {
	var head [len(spillMagic)]byte
	var t [trailerBytes]byte
	if size < frameBytes {
		return 0, 0, false, fmt.Errorf("%w: %s is %d bytes, too short", ErrCorruptSpill, path, size)
	}
	if _, err := src.ReadAt(head[:], 0); err != nil || !isSpillMagic(string(head[:])) {
		return 0, 0, false, fmt.Errorf("%w: %s has no spill header", ErrCorruptSpill, path)
	}
	fast = string(head[:]) == s2Magic
	if _, err := src.ReadAt(t[:], size-trailerBytes); err != nil {
		return 0, 0, false, fmt.Errorf("storage: read spill trailer of %s: %w", path, err)
	}
	payload = int64(binary.LittleEndian.Uint64(t[0:]))
	if payload != size-frameBytes {
		return 0, 0, false, fmt.Errorf("%w: %s: payload length %d does not match the size %d", ErrCorruptSpill, path, payload, size)
	}
	crc := crc32.New(castagnoli)
	if _, err := io.Copy(crc, io.NewSectionReader(src, int64(len(head)), payload)); err != nil {
		return 0, 0, false, fmt.Errorf("storage: read %s: %w", path, err)
	}
	if got, want := crc.Sum32(), binary.LittleEndian.Uint32(t[20:]); got != want {
		return 0, 0, false, fmt.Errorf("%w: %s: checksum %08x, want %08x", ErrCorruptSpill, path, got, want)
	}
	return payload, int64(binary.LittleEndian.Uint32(t[16:])), fast, nil
}

// isSpillMagic reports whether head is a spill file's header, of either codec.
func isSpillMagic(head string) bool { return head == spillMagic || head == s2Magic }

// VerifySpillFile checks the framing and the checksum of a file in the spill format
// without decoding it (as opening a reader does) and returns the rows recorded in its
// trailer.
func VerifySpillFile(fsys vfs.FS, path string) (rows int64, err error) {
	f, err := fsys.Open(path)
	if err != nil {
		return 0, fmt.Errorf("storage: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("storage: stat %s: %w", path, err)
	}
	_, rows, _, err = checkFrame(f, path, st.Size())
	return rows, err
}
