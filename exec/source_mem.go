package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// RecordsSource is a source over record batches already in memory, one slice of batches
// per partition. It holds a reference to every batch until Release.
type RecordsSource struct {
	name       string
	schema     *arrow.Schema
	mu         sync.Mutex
	partitions [][]arrow.RecordBatch
	released   bool
	// partBytes is each partition's size, measured by the first Partitions call: the
	// batches never change, and every plan of every job asks.
	partBytes []int64
}

// NewRecordsSource makes a source of in-memory partitions. It retains every batch; call
// Release when no job will scan the source again. Batches whose schema differs from
// schema are reported by Partitions. The batches were allocated by their producer, so
// scanning them allocates nothing new with the task's allocator beyond small wrappers.
func NewRecordsSource(name string, schema *arrow.Schema, partitions [][]arrow.RecordBatch) plan.Source {
	return newRecordsSource(name, schema, partitions, true)
}

func newRecordsSource(name string, schema *arrow.Schema, partitions [][]arrow.RecordBatch, retain bool) *RecordsSource {
	parts := make([][]arrow.RecordBatch, len(partitions))
	for i, p := range partitions {
		parts[i] = make([]arrow.RecordBatch, len(p))
		for j, b := range p {
			if retain {
				b.Retain()
			}
			parts[i][j] = b
		}
	}
	return &RecordsSource{name: name, schema: schema, partitions: parts}
}

// String names the source, e.g. memory[orders].
func (s *RecordsSource) String() string { return "memory[" + s.name + "]" }

// GivenPartitions is true: the partitions are the caller's, so a map stage may read
// several in one task (plan.GivenPartitions).
func (s *RecordsSource) GivenPartitions() bool { return true }

// CanPrune is false: every batch is handed out.
func (s *RecordsSource) CanPrune() bool { return false }

// Schema returns the schema given at construction.
func (s *RecordsSource) Schema() (*arrow.Schema, error) {
	if s.schema == nil {
		return nil, fmt.Errorf("exec: %s: no schema", s)
	}
	return s.schema, nil
}

// Partitions returns one partition per slice of batches given at construction.
func (s *RecordsSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released {
		return nil, fmt.Errorf("exec: %s: source was released", s)
	}
	schema, err := s.Schema()
	if err != nil {
		return nil, err
	}
	cols, proj, err := srcColumnIndices(s.String(), schema, req.Columns)
	if err != nil {
		return nil, err
	}
	if s.partBytes == nil {
		partBytes := make([]int64, len(s.partitions))
		for i, p := range s.partitions {
			for j, b := range p {
				if !b.Schema().Equal(schema) {
					return nil, fmt.Errorf("exec: %s: partition %d batch %d has schema %v, want %v", s, i, j, b.Schema(), schema)
				}
				partBytes[i] += int64(util.TotalRecordSize(b))
			}
		}
		s.partBytes = partBytes
	}
	parts := make([]plan.ScanPartition, len(s.partitions))
	for i, p := range s.partitions {
		parts[i] = &recordsPartition{src: s, index: i, batches: p, cols: cols, schema: proj, batchRows: req.BatchRows, bytes: s.partBytes[i]}
	}
	return parts, nil
}

// Release drops the source's references to its batches. Scans opened before keep their
// own references and stay valid.
func (s *RecordsSource) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released {
		return
	}
	s.released = true
	for _, p := range s.partitions {
		for _, b := range p {
			b.Release()
		}
	}
	s.partitions = nil
}

type recordsPartition struct {
	src       *RecordsSource
	index     int
	batches   []arrow.RecordBatch
	cols      []int
	schema    *arrow.Schema
	batchRows int
	bytes     int64
}

func (p *recordsPartition) String() string        { return fmt.Sprintf("%s[%d]", p.src, p.index) }
func (p *recordsPartition) EstimatedBytes() int64 { return p.bytes }

func (p *recordsPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	p.src.mu.Lock()
	defer p.src.mu.Unlock()
	if p.src.released {
		return nil, fmt.Errorf("exec: %s: source was released", p.src)
	}
	held := make([]arrow.RecordBatch, len(p.batches))
	for i, b := range p.batches {
		b.Retain()
		held[i] = b
	}
	it := &recordsIterator{ctx: ctx, batches: held, cols: p.cols, schema: p.schema}
	return newSrcSlicer(it, p.batchRows), nil
}

// recordsIterator hands out each held batch projected to cols. It holds its own
// references, so the source may be released while it runs.
type recordsIterator struct {
	ctx     context.Context
	batches []arrow.RecordBatch
	cols    []int
	schema  *arrow.Schema
	next    int
	rewrap  kernel.Rewrapper // one private copy of each dictionary the batches share
}

func (it *recordsIterator) Next() (arrow.RecordBatch, error) {
	if err := it.ctx.Err(); err != nil {
		return nil, err
	}
	if it.next >= len(it.batches) {
		return nil, io.EOF
	}
	b := it.batches[it.next]
	it.batches[it.next] = nil
	it.next++
	defer b.Release()
	// The source's batches are shared by every task and job that reads them: the caller
	// gets array objects of its own (see kernel.Rewrap).
	if it.cols == nil {
		return it.rewrap.Rewrap(b), nil
	}
	arrs := make([]arrow.Array, len(it.cols))
	for i, c := range it.cols {
		arrs[i] = it.rewrap.RewrapArray(b.Column(c))
	}
	out := array.NewRecordBatch(it.schema, arrs, b.NumRows())
	for _, a := range arrs {
		a.Release()
	}
	return out, nil
}

func (it *recordsIterator) Close() error {
	it.rewrap.Release()
	for i, b := range it.batches {
		if b != nil {
			b.Release()
			it.batches[i] = nil
		}
	}
	it.next = len(it.batches)
	return nil
}

// srcSlicer cuts batches of its input that have more than batchRows rows into slices
// of at most batchRows.
type srcSlicer struct {
	in        plan.BatchIterator
	batchRows int64
	cur       arrow.RecordBatch
	off       int64
}

func newSrcSlicer(in plan.BatchIterator, batchRows int) plan.BatchIterator {
	if batchRows <= 0 {
		return in
	}
	return &srcSlicer{in: in, batchRows: int64(batchRows)}
}

func (s *srcSlicer) Next() (arrow.RecordBatch, error) {
	if s.cur == nil {
		b, err := s.in.Next()
		if err != nil {
			return nil, err
		}
		if b.NumRows() <= s.batchRows {
			return b, nil
		}
		s.cur, s.off = b, 0
	}
	end := min(s.off+s.batchRows, s.cur.NumRows())
	out := s.cur.NewSlice(s.off, end)
	s.off = end
	if end == s.cur.NumRows() {
		s.cur.Release()
		s.cur = nil
	}
	return out, nil
}

func (s *srcSlicer) Close() error {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	return s.in.Close()
}

// readerSource drains an array.RecordReader on its first Partitions call.
type readerSource struct {
	name string
	rdr  array.RecordReader
	mu   sync.Mutex
	recs *RecordsSource
	err  error
}

// NewReaderSource makes a source of the batches of rdr. A reader can be read only once:
// the first Partitions call reads it to the end, retaining every batch, and from then on
// the source behaves like NewRecordsSource, with consecutive batches grouped into
// partitions of about ScanRequest.MaxPartitionBytes (and at least MinPartitions groups
// when there are enough batches). The caller keeps ownership of rdr. Release (the source
// has a Release() method) frees the batches read.
func NewReaderSource(name string, rdr array.RecordReader) plan.Source {
	return &readerSource{name: name, rdr: rdr}
}

func (s *readerSource) String() string { return "reader[" + s.name + "]" }
func (s *readerSource) CanPrune() bool { return false }

func (s *readerSource) Schema() (*arrow.Schema, error) {
	if s.rdr == nil {
		return nil, fmt.Errorf("exec: %s: no reader", s)
	}
	return s.rdr.Schema(), nil
}

func (s *readerSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	s.mu.Lock()
	if s.recs == nil && s.err == nil {
		s.recs, s.err = s.drain(req)
	}
	recs, err := s.recs, s.err
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return recs.Partitions(req)
}

func (s *readerSource) drain(req plan.ScanRequest) (*RecordsSource, error) {
	schema, err := s.Schema()
	if err != nil {
		return nil, err
	}
	var all []arrow.RecordBatch
	var total int64
	for s.rdr.Next() {
		b := s.rdr.RecordBatch()
		b.Retain()
		all = append(all, b)
		total += int64(util.TotalRecordSize(b))
	}
	if err := s.rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		for _, b := range all {
			b.Release()
		}
		return nil, fmt.Errorf("exec: %s: %w", s, err)
	}
	maxBytes := req.MaxPartitionBytes
	if maxBytes <= 0 {
		maxBytes = 128 << 20
	}
	if req.MinPartitions > 1 {
		maxBytes = min(maxBytes, max(1, total/int64(req.MinPartitions)))
	}
	var parts [][]arrow.RecordBatch
	var cur []arrow.RecordBatch
	var curBytes int64
	for _, b := range all {
		n := int64(util.TotalRecordSize(b))
		if len(cur) > 0 && curBytes+n > maxBytes {
			parts = append(parts, cur)
			cur, curBytes = nil, 0
		}
		cur = append(cur, b)
		curBytes += n
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	// The references taken above pass to the records source.
	return newRecordsSource(s.name, schema, parts, false), nil
}

// Release frees the batches read from the reader.
func (s *readerSource) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs != nil {
		s.recs.Release()
	}
}
