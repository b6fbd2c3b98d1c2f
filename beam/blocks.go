package beam

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// A block is what crosses a Beam transform: one whole Arrow record batch as an IPC stream
// with zstd-compressed buffers, behind an 8-byte header naming the shuffle and reduce
// partition it belongs to (a consuming task may read several shuffles, or several
// partitions of one, out of the same grouped input). An empty element marks a task that
// exists but receives no block, so that every reduce task runs as it would locally.
const headerLen = 8

// encodeBlock serializes rec (which it releases) as a block of (shuffle, reduce).
func encodeBlock(shuffle, reduce int, rec arrow.RecordBatch) ([]byte, error) {
	defer rec.Release()
	var buf bytes.Buffer
	var hdr [headerLen]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(shuffle))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(reduce))
	buf.Write(hdr[:])
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithZstd())
	if err := w.Write(rec); err != nil {
		w.Close()
		return nil, fmt.Errorf("beam: encoding a block: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("beam: encoding a block: %w", err)
	}
	return buf.Bytes(), nil
}

// blockKey reads a block's header.
func blockKey(b []byte) ([2]int, error) {
	if len(b) < headerLen {
		return [2]int{}, errors.New("beam: truncated block")
	}
	return [2]int{int(binary.LittleEndian.Uint32(b[:4])), int(binary.LittleEndian.Uint32(b[4:headerLen]))}, nil
}

// blockInput is a task's shuffle input: its blocks, still compressed, by (shuffle,
// reduce). Keeping them compressed until the task's operators pull them bounds what the
// worker holds outside the memory budget to the compressed bytes, and lets a shuffle
// that a stage reads twice be decoded twice.
type blockInput map[[2]int][][]byte

// add files the blocks of it (markers skipped) and returns their encoded bytes.
func (in blockInput) add(it func(*[]byte) bool) (int64, error) {
	var b []byte
	var n int64
	for it(&b) {
		if len(b) == 0 {
			continue
		}
		k, err := blockKey(b)
		if err != nil {
			return n, err
		}
		in[k] = append(in[k], b)
		n += int64(len(b))
	}
	return n, nil
}

// Open implements dataset.StageInput.
func (in blockInput) Open(ctx context.Context, shuffle, reduce int, mem memory.Allocator) (plan.BatchIterator, error) {
	return &blockIter{blocks: in[[2]int{shuffle, reduce}], mem: mem}, nil
}

// blockIter decodes one block at a time with the task's allocator, so that decoded
// batches are counted against the task's memory.
type blockIter struct {
	blocks [][]byte
	mem    memory.Allocator
}

func (it *blockIter) Next() (arrow.RecordBatch, error) {
	if len(it.blocks) == 0 {
		return nil, io.EOF
	}
	b := it.blocks[0]
	it.blocks = it.blocks[1:]
	return decodeBatch(b[headerLen:], it.mem)
}

func (it *blockIter) Close() error {
	it.blocks = nil
	return nil
}

// decodeBatch reads the one batch of an IPC stream; the caller owns it.
func decodeBatch(b []byte, mem memory.Allocator) (arrow.RecordBatch, error) {
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("beam: decoding a block: %w", err)
	}
	defer r.Release()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("beam: decoding a block: %w", err)
		}
		return nil, errors.New("beam: empty block")
	}
	rec := r.RecordBatch()
	rec.Retain()
	return rec, nil
}
