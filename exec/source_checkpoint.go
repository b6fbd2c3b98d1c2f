package exec

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/vfs"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// CheckpointExt is the extension of a checkpoint's part files: the spill file format
// (storage.NewStreamWriter), whose CRC-32C is verified before a part's first batch is read.
const CheckpointExt = ".kcp"

// checkpointSource reads a directory written by Checkpoint: one partition per part file.
type checkpointSource struct {
	fs  vfs.FS
	dir string

	once   sync.Once
	files  []string
	schema *arrow.Schema
	legacy plan.Source // a checkpoint of Arrow IPC files, written before parts had checksums
	err    error
}

// NewCheckpointSource reads the checkpoint in dir through fsys. Nothing is read until
// Schema or Partitions is called. A directory of Arrow IPC part files (checkpoints written
// before they were checksummed) is read as ReadIPC would, unchecked.
func NewCheckpointSource(fsys vfs.FS, dir string) plan.Source {
	return &checkpointSource{fs: fsys, dir: dir}
}

func (s *checkpointSource) String() string { return "checkpoint[" + s.dir + "]" }
func (s *checkpointSource) CanPrune() bool { return false }

func (s *checkpointSource) resolve() error {
	s.once.Do(func() {
		entries, err := s.fs.ReadDir(s.dir)
		if err != nil {
			s.err = fmt.Errorf("exec: %s: %w", s, err)
			return
		}
		arrowParts := false
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, "part-") {
				continue
			}
			switch filepath.Ext(name) {
			case CheckpointExt:
				s.files = append(s.files, filepath.Join(s.dir, name))
			case ".arrow":
				arrowParts = true
			}
		}
		if len(s.files) == 0 {
			if arrowParts {
				s.legacy = NewIPCSource([]string{s.dir})
				s.schema, s.err = s.legacy.Schema()
				return
			}
			s.err = fmt.Errorf("exec: %s: no checkpoint part files (part-*%s) in the directory", s, CheckpointExt)
			return
		}
		// Every part repeats the schema; the first one's is the checkpoint's.
		r, err := storage.OpenSpillFile(context.Background(), s.fs, s.files[0], memory.DefaultAllocator)
		if err != nil {
			s.err = fmt.Errorf("exec: %s: %w", s, err)
			return
		}
		s.schema = r.Schema()
		r.Close()
	})
	return s.err
}

func (s *checkpointSource) Schema() (*arrow.Schema, error) {
	if err := s.resolve(); err != nil {
		return nil, err
	}
	return s.schema, nil
}

func (s *checkpointSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	if err := s.resolve(); err != nil {
		return nil, err
	}
	if s.legacy != nil {
		return s.legacy.Partitions(req)
	}
	cols, schema, err := srcColumnIndices(s.String(), s.schema, req.Columns)
	if err != nil {
		return nil, err
	}
	parts := make([]plan.ScanPartition, len(s.files))
	for i, f := range s.files {
		parts[i] = &checkpointPartition{src: s, path: f, cols: cols, schema: schema, batchRows: req.BatchRows}
	}
	return parts, nil
}

type checkpointPartition struct {
	src       *checkpointSource
	path      string
	cols      []int
	schema    *arrow.Schema
	batchRows int
}

func (p *checkpointPartition) String() string { return p.path }

// InputFile is the checkpoint's part file.
func (p *checkpointPartition) InputFile() string { return p.path }

func (p *checkpointPartition) EstimatedBytes() int64 {
	st, err := p.src.fs.Stat(p.path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// Open verifies the part's checksum over the whole file first: a job that stops early
// (Take, a limit) must not pass on rows of a corrupt file that the reader's own check, at
// the end of the stream, would have caught too late.
func (p *checkpointPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	if _, err := storage.VerifySpillFile(p.src.fs, p.path); err != nil {
		return nil, fmt.Errorf("exec: checkpoint part %s: %w", p.path, err)
	}
	r, err := storage.OpenSpillFile(ctx, p.src.fs, p.path, mem)
	if err != nil {
		return nil, fmt.Errorf("exec: checkpoint part %s: %w", p.path, err)
	}
	return newSrcSlicer(&checkpointReader{r: r, cols: p.cols, schema: p.schema}, p.batchRows), nil
}

// checkpointReader projects the batches of a part file.
type checkpointReader struct {
	r      *storage.SpillReader
	cols   []int
	schema *arrow.Schema
}

func (c *checkpointReader) Next() (arrow.RecordBatch, error) {
	rec, err := c.r.Next()
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("exec: checkpoint: %w", err)
		}
		return nil, err
	}
	if c.cols == nil {
		return rec, nil
	}
	defer rec.Release()
	arrs := make([]arrow.Array, len(c.cols))
	for i, col := range c.cols {
		arrs[i] = rec.Column(col)
	}
	return array.NewRecordBatch(c.schema, arrs, rec.NumRows()), nil
}

func (c *checkpointReader) Close() error { return c.r.Close() }
