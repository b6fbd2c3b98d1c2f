// Spill files' compression and the encoder that frames, compresses and checksums them.

package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/kindling-data/kindling/internal/kernel"
)

// zstd encoders and decoders hold sizeable tables; blocks are many and small, so both are
// pooled. With concurrency 1 neither starts goroutines, so a pooled one holds no resources
// but memory.
var (
	encoderPool sync.Pool // *zstd.Encoder
	decoderPool sync.Pool // *zstd.Decoder
)

func getEncoder(w io.Writer) (*zstd.Encoder, error) {
	if e, ok := encoderPool.Get().(*zstd.Encoder); ok {
		e.Reset(w)
		return e, nil
	}
	// A 256 KiB window instead of the default 8 MiB: each encoder allocates its window, the
	// pool loses them at every GC, and an operator may hold many spill files open at once
	// (16 partitions of an aggregate, a merge's runs), none of it in the budget. With the
	// 8 MiB window a 1 MiB-budget sort peaked at 1.5x the resident memory of an unbounded
	// one; with 1 MiB windows and 256 KiB buffers a 1 MiB-budget join of 2 M x 500 k rows
	// still peaked at 244 MB against 189 MB unbounded, with these 162-166 MB.
	return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(256<<10))
}

// s2 writers and readers are pooled like zstd's; with 64 KiB blocks (not the default
// 1 MiB) each holds about 200 KiB, outside the budget, while its file is open.
var (
	s2WriterPool sync.Pool // *s2.Writer
	s2ReaderPool sync.Pool // *s2.Reader
)

const s2BlockBytes = 64 << 10

func getS2Writer(w io.Writer) *s2.Writer {
	if e, ok := s2WriterPool.Get().(*s2.Writer); ok {
		e.Reset(w)
		return e
	}
	return s2.NewWriter(w, s2.WriterConcurrency(1), s2.WriterBlockSize(s2BlockBytes))
}

func getS2Reader(r io.Reader) *s2.Reader {
	if d, ok := s2ReaderPool.Get().(*s2.Reader); ok {
		d.Reset(r)
		return d
	}
	return s2.NewReader(r, s2.ReaderMaxBlockSize(s2BlockBytes))
}

func getDecoder(r io.Reader) (*zstd.Decoder, error) {
	if d, ok := decoderPool.Get().(*zstd.Decoder); ok {
		if err := d.Reset(r); err == nil {
			return d, nil
		}
		d.Close()
	}
	// Low-memory decoding: like the encoder's window, its buffers are outside the budget.
	return zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
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

// encoder writes the spill stream format (magic, zstd-compressed IPC stream, trailer) to a
// file or a memory buffer.
type encoder struct {
	dst     io.Writer
	crc     hash.Hash32
	counted *countingWriter
	buf     *bufio.Writer
	zw      *zstd.Encoder // one of zw and sw compresses
	sw      *s2.Writer
	raw     *countingWriter
	ipcw    *ipc.Writer
	rows    int64
	closed  bool
}

func newEncoder(dst io.Writer, schema *arrow.Schema) (*encoder, error) {
	return newCodecEncoder(dst, schema, false)
}

// newCodecEncoder is newEncoder compressing with S2 (fast) instead of zstd.
func newCodecEncoder(dst io.Writer, schema *arrow.Schema, fast bool) (*encoder, error) {
	magic := spillMagic
	if fast {
		magic = s2Magic
	}
	if _, err := dst.Write([]byte(magic)); err != nil {
		return nil, err
	}
	e := &encoder{dst: dst, crc: crc32.New(castagnoli)}
	e.counted = &countingWriter{w: io.MultiWriter(dst, e.crc)}
	e.buf = bufio.NewWriterSize(e.counted, 64<<10)
	if fast {
		e.sw = getS2Writer(e.buf)
		e.raw = &countingWriter{w: e.sw}
	} else {
		zw, err := getEncoder(e.buf)
		if err != nil {
			return nil, err
		}
		e.zw = zw
		e.raw = &countingWriter{w: zw}
	}
	// Deltas: a CSV split's batches share one growing dictionary, which would otherwise be
	// written whole with every batch.
	e.ipcw = ipc.NewWriter(e.raw, ipc.WithSchema(schema), ipc.WithDictionaryDeltas(true))
	return e, nil
}

func (e *encoder) append(rec arrow.RecordBatch) error {
	if err := e.ipcw.Write(rec); err != nil {
		return err
	}
	e.rows += rec.NumRows()
	return nil
}

// finish ends the stream and writes the trailer; it returns the total bytes written to dst.
func (e *encoder) finish() (int64, error) {
	e.closed = true
	err := e.ipcw.Close()
	if err == nil {
		err = e.closeCompressor()
	}
	if err == nil {
		err = e.buf.Flush()
	}
	if err != nil {
		return 0, err
	}
	var t [trailerBytes]byte
	binary.LittleEndian.PutUint64(t[0:], uint64(e.counted.n))
	binary.LittleEndian.PutUint64(t[8:], uint64(e.raw.n))
	binary.LittleEndian.PutUint32(t[16:], uint32(min(e.rows, 1<<32-1)))
	binary.LittleEndian.PutUint32(t[20:], e.crc.Sum32())
	if _, err := e.dst.Write(t[:]); err != nil {
		return 0, err
	}
	return frameBytes + e.counted.n, nil
}

// closeCompressor ends the compressed stream and pools the compressor (only a cleanly
// closed one is reused).
func (e *encoder) closeCompressor() error {
	if e.sw != nil {
		if err := e.sw.Close(); err != nil {
			return err
		}
		e.sw.Reset(nil)
		s2WriterPool.Put(e.sw)
		return nil
	}
	if err := e.zw.Close(); err != nil {
		return err
	}
	encoderPool.Put(e.zw)
	return nil
}

func (e *encoder) abort() {
	if e.closed {
		return
	}
	e.closed = true
	e.ipcw.Close()
	if e.sw != nil {
		e.sw.Close()
	} else {
		e.zw.Close()
	}
}

// encodeBlock returns batches (all of schema) as a serialized block: the columnar format
// (zstd segments), or, for batches without columns, the spill stream format.
func encodeBlock(schema *arrow.Schema, batches []arrow.RecordBatch) ([]byte, error) {
	if schema.NumFields() > 0 {
		return encodeColumnarBlock(schema, batches)
	}
	var buf bytes.Buffer
	e, err := newEncoder(&buf, schema)
	if err != nil {
		return nil, err
	}
	wide := kernel.WidenDictionaries(batches)
	defer releaseAll(wide)
	for _, b := range wide {
		if err := e.append(b); err != nil {
			e.abort()
			return nil, err
		}
	}
	if _, err := e.finish(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
