package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/guardalloc"
)

func openIPC(ctx context.Context, path string, mem memory.Allocator) (inputFile, *ipc.FileReader, *guardalloc.Allocator, error) {
	f, err := openInput(ctx, path)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkIPCFooter(f, f.Size()); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	ra := guardalloc.New(mem, max(minDecodeLimit, maxCompressionRatio*f.Size()))
	ra.Arm()
	rdr, err := decode("Arrow IPC", func() (*ipc.FileReader, error) {
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(ra))
		if err == nil {
			r.NumRecords() // reads the footer: fail here, not later
		}
		return r, err
	})
	if err != nil {
		ra.Reclaim()
		f.Close()
		return nil, nil, nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	ra.Disarm()
	return f, rdr, ra, nil
}

// maxCompressionRatio bounds how much larger than its file a decoded buffer may be. zstd
// turns a 128 KiB block of one repeated byte into a few bytes, so legitimate ratios run
// into the thousands; a damaged length field asks for terabytes, which would kill the
// process (Go cannot recover from running out of memory).
const maxCompressionRatio = 1 << 12

// minDecodeLimit is the largest decoded buffer allowed whatever the file's size: a small
// file that claims more (beyond maxCompressionRatio) is damaged in practice, and honouring
// a damaged claim of hundreds of megabytes costs a second of page faults per batch.
const minDecodeLimit = 1 << 28

// IPCSchema returns the schema of an Arrow IPC file.
func IPCSchema(path string) (*arrow.Schema, error) {
	f, rdr, _, err := openIPC(context.Background(), path, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer rdr.Close()
	return rdr.Schema(), nil
}

// PlanIPCSplits cuts each Arrow IPC file into runs of consecutive record batches. A file
// of S bytes and B batches gets min(B, ceil(S / MaxSplitBytes)) splits of about equal
// batch counts (batch sizes are not in the footer, so bytes are estimated pro rata).
// A file with no batches gets no split.
func PlanIPCSplits(files []string, maxPartitionBytes int64, minPartitions int) ([]FileSplit, error) {
	sizes, total, err := fileSizes(files)
	if err != nil {
		return nil, err
	}
	maxSplit := MaxSplitBytes(total, maxPartitionBytes, minPartitions)
	var out []FileSplit
	for i, path := range files {
		f, rdr, _, err := openIPC(context.Background(), path, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		nb := rdr.NumRecords()
		rdr.Close()
		f.Close()
		if nb == 0 {
			continue
		}
		pieces := int((sizes[i] + maxSplit - 1) / maxSplit)
		pieces = max(1, min(pieces, nb))
		for k := range pieces {
			first, last := k*nb/pieces, (k+1)*nb/pieces
			out = append(out, FileSplit{
				Path: path, FileSize: sizes[i], FirstBatch: first, NumBatches: last - first,
				Start: sizes[i] * int64(first) / int64(nb), End: sizes[i] * int64(last) / int64(nb),
			})
		}
	}
	return out, nil
}

// IPCReader reads a run of record batches of an Arrow IPC file.
type IPCReader struct {
	ctx    context.Context
	f      inputFile
	rdr    *ipc.FileReader
	alloc  *guardalloc.Allocator
	schema *arrow.Schema
	cols   []int
	next   int
	end    int
	err    error
}

// OpenIPC opens a split of an Arrow IPC file, projecting columns (indices of the file's
// fields; nil: all). A split with NumBatches 0 reads the whole file. Buffers are allocated
// with mem.
func OpenIPC(ctx context.Context, split FileSplit, columns []int, mem memory.Allocator) (*IPCReader, error) {
	f, rdr, ra, err := openIPC(ctx, split.Path, mem)
	if err != nil {
		return nil, err
	}
	r := &IPCReader{ctx: ctx, f: f, rdr: rdr, next: split.FirstBatch, end: split.FirstBatch + split.NumBatches}
	r.alloc = ra
	if split.NumBatches == 0 {
		r.next, r.end = 0, rdr.NumRecords()
	}
	if r.next < 0 || r.end > rdr.NumRecords() {
		r.Close()
		return nil, fmt.Errorf("datasource: %s: batches [%d, %d) out of range (%d batches)", split.Path, r.next, r.end, rdr.NumRecords())
	}
	full := rdr.Schema()
	r.schema = full
	if columns != nil {
		fields := make([]arrow.Field, len(columns))
		for i, c := range columns {
			if c < 0 || c >= full.NumFields() {
				r.Close()
				return nil, fmt.Errorf("datasource: %s: column index %d out of range (%d columns)", split.Path, c, full.NumFields())
			}
			fields[i] = full.Field(c)
		}
		md := full.Metadata()
		r.schema = arrow.NewSchema(fields, &md)
		r.cols = columns
	}
	return r, nil
}

// Schema is the schema of the batches the reader returns.
func (r *IPCReader) Schema() *arrow.Schema { return r.schema }

// Next returns the next batch or (nil, io.EOF); the caller owns the batch.
func (r *IPCReader) Next() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return nil, err
	}
	if r.next >= r.end {
		r.err = io.EOF
		return nil, io.EOF
	}
	r.alloc.Arm()
	rec, err := decode("Arrow IPC", func() (arrow.RecordBatch, error) {
		rec, err := r.rdr.RecordBatchAt(r.next)
		if err != nil {
			return nil, err
		}
		// A damaged file can decode into offsets past the end of their data, which would
		// crash a kernel far from here; the check is linear in the rows, not the bytes.
		if err := array.ValidateRecordFull(rec); err != nil {
			rec.Release()
			return nil, err
		}
		return rec, nil
	})
	if err != nil {
		r.err = fmt.Errorf("datasource: %s: batch %d: %w", r.f.Name(), r.next, err)
		r.rdr.Close()
		r.rdr = nil
		r.alloc.Reclaim()
		return nil, r.err
	}
	r.alloc.Disarm()
	r.next++
	if r.cols == nil {
		return rec, nil
	}
	defer rec.Release()
	arrs := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		arrs[i] = rec.Column(c)
	}
	return array.NewRecordBatch(r.schema, arrs, rec.NumRows()), nil
}

// Close closes the file. It is idempotent.
func (r *IPCReader) Close() error {
	if r.err == nil {
		r.err = errors.New("datasource: IPC reader is closed")
	}
	if r.rdr != nil {
		r.rdr.Close()
		r.rdr = nil
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
