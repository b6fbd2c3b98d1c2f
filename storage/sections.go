package storage

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
)

// SectionWriter writes several spill streams back to back into one file: an operator
// that spills to many partitions at once (a hash aggregate's 16) makes one file per
// spill instead of one per partition, which at tight budgets (hundreds of spills) was
// most of the spilling's cost in file creations. Each section is a complete spill
// stream (header, batches, trailer) and becomes a *SpillFile of its own; the file is
// deleted once every section has been removed.
type SectionWriter struct {
	m      *SpillManager
	name   string
	path   string
	f      interface{ Write([]byte) (int, error) }
	closer func(werr error) error
	out    *countingWriter
	schema *arrow.Schema
	shared *sharedFile
	cur    *encoder
	start  int64 // the current section's offset
	done   []*SpillFile
	closed bool
}

// sharedFile counts the sections of a file not yet removed.
type sharedFile struct{ live atomic.Int64 }

// CreateSections starts a file of sections of batches of the given schema; name is as
// for Create.
func (m *SpillManager) CreateSections(name string, schema *arrow.Schema) (*SectionWriter, error) {
	final, f, err := m.createTemp(name)
	if err != nil {
		return nil, err
	}
	w := &SectionWriter{m: m, name: name, path: final, schema: schema, shared: &sharedFile{}}
	w.out = &countingWriter{w: f}
	w.f = w.out
	w.closer = func(werr error) error { return m.finishFile(f, final, werr) }
	return w, nil
}

// Append writes one batch to the current section, starting one if none is open. It
// borrows rec.
func (w *SectionWriter) Append(rec arrow.RecordBatch) error {
	if w.closed {
		return fmt.Errorf("storage: append to spill file %s after Finish or Abort", w.path)
	}
	if w.cur == nil {
		start := w.out.n // before the encoder writes its header
		enc, err := newCodecEncoder(w.f, w.schema, true)
		if err != nil {
			return fmt.Errorf("storage: write spill file %s: %w", w.path, err)
		}
		w.cur, w.start = enc, start
	}
	if err := w.cur.append(rec); err != nil {
		return fmt.Errorf("storage: write spill file %s: %w", w.path, err)
	}
	return nil
}

// EndSection ends the current section and returns it, readable once Finish has
// succeeded; nil when no batch was appended since the last section ended.
func (w *SectionWriter) EndSection() (*SpillFile, error) {
	if w.closed || w.cur == nil {
		return nil, nil
	}
	enc := w.cur
	w.cur = nil
	size, err := enc.finish()
	if err != nil {
		return nil, fmt.Errorf("storage: write spill file %s: %w", w.path, err)
	}
	f := &SpillFile{fs: w.m.fs, path: w.path, schema: w.schema, size: size, rawBytes: enc.raw.n,
		rows: enc.rows, off: w.start, shared: w.shared}
	w.shared.live.Add(1)
	w.done = append(w.done, f)
	return f, nil
}

// Finish ends the open section and completes the file. On error the file is removed
// and the sections are unusable.
func (w *SectionWriter) Finish() error {
	if w.closed {
		return errors.New("storage: spill writer already finished")
	}
	_, err := w.EndSection()
	w.closed = true
	if err := w.closer(err); err != nil {
		return fmt.Errorf("storage: finish spill file %s (%s): %w", w.path, w.name, err)
	}
	w.m.files.Add(1)
	for _, f := range w.done {
		w.m.bytes.Add(f.size)
		w.m.raw.Add(f.rawBytes)
		w.m.rows.Add(f.rows)
	}
	return nil
}

// Abort discards the file. It is safe after Finish (a no-op) and twice.
func (w *SectionWriter) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	if w.cur != nil {
		w.cur.abort()
	}
	w.closer(errors.New("aborted")) // removes the temporary file
}
