package exec

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/plan"
)

type jsonSource struct {
	patterns []string
	opts     datasource.JSONOptions
	res      srcFileResolver
}

// NewJSONSource reads JSON lines files matched by patterns (files, directories or globs;
// see datasource.ExpandPaths). The schema is opts.Schema, or inferred from the first
// records of every file (datasource.InferJSONSchema). Files are split at line boundaries
// by ScanRequest.MaxPartitionBytes/MinPartitions, as CSV files are: a record is one line.
// Nothing is read until Schema or Partitions is called.
func NewJSONSource(patterns []string, opts datasource.JSONOptions) plan.Source {
	return &jsonSource{patterns: slices.Clone(patterns), opts: opts}
}

func (s *jsonSource) String() string { return srcDescribe("json", s.patterns) }
func (s *jsonSource) CanPrune() bool { return false }

func (s *jsonSource) resolve() ([]string, *arrow.Schema, error) {
	return s.res.resolve(s.patterns, func(files []string) (*arrow.Schema, error) {
		return datasource.InferJSONSchema(files, s.opts)
	})
}

func (s *jsonSource) Schema() (*arrow.Schema, error) {
	_, schema, err := s.resolve()
	return schema, err
}

func (s *jsonSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	files, schema, err := s.resolve()
	if err != nil {
		return nil, err
	}
	cols, _, err := srcColumnIndices(s.String(), schema, req.Columns)
	if err != nil {
		return nil, err
	}
	splits, err := datasource.PlanCSVSplits(files, req.MaxPartitionBytes, req.MinPartitions)
	if err != nil {
		return nil, err
	}
	opts := s.opts
	if req.BatchRows > 0 {
		opts.BatchRows = req.BatchRows
	}
	parts := make([]plan.ScanPartition, len(splits))
	for i, sp := range splits {
		parts[i] = &jsonPartition{split: sp, schema: schema, opts: opts, cols: cols}
	}
	return parts, nil
}

type jsonPartition struct {
	split  datasource.FileSplit
	schema *arrow.Schema
	opts   datasource.JSONOptions
	cols   []int
}

func (p *jsonPartition) String() string        { return p.split.String() }
func (p *jsonPartition) EstimatedBytes() int64 { return p.split.Bytes() }

// filePath is the file the split reads, for sources that wrap file sources (hive-style
// partition directories).
func (p *jsonPartition) InputFile() string { return p.split.Path }

// Open returns a *datasource.JSONReader; its Malformed method counts bad lines, which
// the scan adds to the task's MalformedRows.
func (p *jsonPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	return datasource.OpenJSON(ctx, p.split, p.schema, p.opts, p.cols, mem)
}

var (
	_ plan.BatchIterator             = (*datasource.JSONReader)(nil)
	_ interface{ Malformed() int64 } = (*datasource.JSONReader)(nil)
	_ plan.FileInput                 = (*jsonPartition)(nil)
	_ plan.ScanPartition             = (*jsonPartition)(nil)
)
