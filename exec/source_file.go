package exec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/plan"
)

// srcFileResolver expands a source's patterns and works out its schema once, on first use,
// so that building a source does no I/O and a missing path is reported by Schema or
// Partitions.
type srcFileResolver struct {
	once   sync.Once
	files  []string
	schema *arrow.Schema
	err    error
}

func (r *srcFileResolver) resolve(patterns []string, schemaOf func(files []string) (*arrow.Schema, error)) ([]string, *arrow.Schema, error) {
	r.once.Do(func() {
		r.files, r.err = datasource.ExpandPaths(patterns)
		if r.err == nil {
			r.schema, r.err = schemaOf(r.files)
		}
	})
	return r.files, r.schema, r.err
}

// srcColumnIndices maps requested column names to indices of schema; nil means all.
func srcColumnIndices(src string, schema *arrow.Schema, names []string) ([]int, *arrow.Schema, error) {
	if names == nil {
		return nil, schema, nil
	}
	idx := make([]int, len(names))
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		found := schema.FieldIndices(n)
		if len(found) == 0 {
			have := make([]string, schema.NumFields())
			for j, f := range schema.Fields() {
				have[j] = f.Name
			}
			return nil, nil, fmt.Errorf("exec: %s: unknown column %q (have %s)", src, n, strings.Join(have, ", "))
		}
		idx[i] = found[0]
		fields[i] = schema.Field(found[0])
	}
	md := schema.Metadata()
	return idx, arrow.NewSchema(fields, &md), nil
}

func srcDescribe(kind string, patterns []string) string {
	return kind + "[" + strings.Join(patterns, ",") + "]"
}

// ---- CSV ----

type csvSource struct {
	patterns []string
	opts     datasource.CSVOptions
	res      srcFileResolver
}

// NewCSVSource reads CSV files matched by patterns (files, directories or globs; see
// datasource.ExpandPaths). The schema is opts.Schema, or inferred from the first non-empty
// file; every file's header must name the same columns as the first file's. Files are
// split by ScanRequest.MaxPartitionBytes/MinPartitions (whole files with opts.MultiLine).
// Nothing is read until Schema or Partitions is called.
func NewCSVSource(patterns []string, opts datasource.CSVOptions) plan.Source {
	return &csvSource{patterns: slices.Clone(patterns), opts: opts}
}

func (s *csvSource) String() string { return srcDescribe("csv", s.patterns) }
func (s *csvSource) CanPrune() bool { return false }

func (s *csvSource) resolve() ([]string, *arrow.Schema, error) {
	return s.res.resolve(s.patterns, func(files []string) (*arrow.Schema, error) {
		var nonEmpty []string
		for _, f := range files {
			size, err := datasource.InputSize(context.Background(), f)
			if err != nil {
				return nil, fmt.Errorf("exec: %s: %w", s, err)
			}
			if size > 0 {
				nonEmpty = append(nonEmpty, f)
			}
		}
		first := files[0]
		if len(nonEmpty) > 0 {
			first = nonEmpty[0]
		}
		schema, err := datasource.InferCSVSchema(first, s.opts)
		if err != nil {
			return nil, err
		}
		if len(nonEmpty) == 0 {
			return schema, nil
		}
		want, err := datasource.ReadCSVHeader(first, s.opts)
		if err != nil {
			return nil, err
		}
		if len(want) != schema.NumFields() {
			return nil, fmt.Errorf("exec: %s: %s has %d columns, the schema has %d", s, first, len(want), schema.NumFields())
		}
		for _, f := range nonEmpty[1:] {
			got, err := datasource.ReadCSVHeader(f, s.opts)
			if err != nil {
				return nil, err
			}
			if !slices.Equal(got, want) {
				return nil, fmt.Errorf("exec: %s: %s has columns [%s], but %s has [%s]",
					s, f, strings.Join(got, ", "), first, strings.Join(want, ", "))
			}
		}
		return schema, nil
	})
}

func (s *csvSource) Schema() (*arrow.Schema, error) {
	_, schema, err := s.resolve()
	return schema, err
}

func (s *csvSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	files, schema, err := s.resolve()
	if err != nil {
		return nil, err
	}
	cols, _, err := srcColumnIndices(s.String(), schema, req.Columns)
	if err != nil {
		return nil, err
	}
	var splits []datasource.FileSplit
	if s.opts.MultiLine {
		splits, err = datasource.PlanWholeFileSplits(files)
	} else {
		splits, err = datasource.PlanCSVSplits(files, req.MaxPartitionBytes, req.MinPartitions)
	}
	if err != nil {
		return nil, err
	}
	opts := s.opts
	if req.BatchRows > 0 {
		opts.BatchRows = req.BatchRows
	}
	parts := make([]plan.ScanPartition, len(splits))
	for i, sp := range splits {
		parts[i] = &csvPartition{split: sp, schema: schema, opts: opts, cols: cols}
	}
	return parts, nil
}

type csvPartition struct {
	split  datasource.FileSplit
	schema *arrow.Schema
	opts   datasource.CSVOptions
	cols   []int
}

func (p *csvPartition) String() string        { return p.split.String() }
func (p *csvPartition) InputFile() string     { return p.split.Path }
func (p *csvPartition) EstimatedBytes() int64 { return p.split.Bytes() }

// Open returns a *datasource.CSVReader; its Malformed method counts bad rows.
func (p *csvPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	return datasource.OpenCSV(ctx, p.split, p.schema, p.opts, p.cols, mem)
}

// ---- Parquet ----

type parquetSource struct {
	patterns []string
	res      srcFileResolver
	schemas  srcSchemas
}

// NewParquetSource reads Parquet files matched by patterns. All files must have the same
// schema. Partitions are runs of row groups; pushed-down filters of the shape
// `col op literal`, `literal op col` and `col IS [NOT] NULL` skip row groups by their
// statistics (never on float values, because of NaN).
func NewParquetSource(patterns []string) plan.Source {
	return NewParquetSourceWith(patterns, FileOptions{})
}

// NewParquetSourceWith is NewParquetSource with options: with opts.MergeSchema, files
// whose schemas differ are read as one merged schema (see FileOptions). Pruning then also
// skips a file that lacks a column some pushed filter compares or requires non-NULL.
func NewParquetSourceWith(patterns []string, opts FileOptions) plan.Source {
	return &parquetSource{patterns: slices.Clone(patterns), schemas: newSrcSchemas(opts)}
}

func (s *parquetSource) String() string { return srcDescribe("parquet", s.patterns) }
func (s *parquetSource) CanPrune() bool { return true }

func (s *parquetSource) resolve() ([]string, *arrow.Schema, error) {
	return s.res.resolve(s.patterns, func(files []string) (*arrow.Schema, error) {
		return s.schemas.resolve(s.String(), files, datasource.ParquetSchema)
	})
}

func srcSameSchemas(src string, files []string, schemaOf func(string) (*arrow.Schema, error)) (*arrow.Schema, error) {
	first, err := schemaOf(files[0])
	if err != nil {
		return nil, err
	}
	for _, f := range files[1:] {
		s, err := schemaOf(f)
		if err != nil {
			return nil, err
		}
		if !s.Equal(first) {
			return nil, srcSchemaMismatch(src, f, s, files[0], first)
		}
	}
	return first, nil
}

func (s *parquetSource) Schema() (*arrow.Schema, error) {
	_, schema, err := s.resolve()
	return schema, err
}

func (s *parquetSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	files, schema, err := s.resolve()
	if err != nil {
		return nil, err
	}
	cols, _, err := srcColumnIndices(s.String(), schema, req.Columns)
	if err != nil {
		return nil, err
	}
	splits, err := datasource.PlanParquetSplits(files, req.MaxPartitionBytes, req.MinPartitions)
	if err != nil {
		return nil, err
	}
	preds := ParquetPredicates(req.Filters)
	var filePlan func(string) (*srcFilePlan, error)
	if s.schemas.merge {
		filePlan = s.schemas.filePlans(s.String(), schema, req.Columns)
	}
	parts := make([]plan.ScanPartition, len(splits))
	for i, sp := range splits {
		p := &parquetPartition{split: sp, cols: cols, batchRows: req.BatchRows, preds: preds}
		if filePlan != nil {
			if p.adapt, err = filePlan(sp.Path); err != nil {
				return nil, err
			}
			p.cols = p.adapt.cols
			p.preds, p.noRows = p.adapt.predicates(preds)
		}
		parts[i] = p
	}
	return parts, nil
}

// SplitNote says when the files have fewer row groups than the cores asked for and are
// large enough that more would have been read in parallel: a row group is never cut.
func (s *parquetSource) SplitNote(parts []plan.ScanPartition, req plan.ScanRequest) string {
	var rowGroups int
	var bytes int64
	for _, p := range parts {
		if pp, ok := p.(*parquetPartition); ok {
			rowGroups += len(pp.split.RowGroups)
			bytes += pp.split.Bytes()
		}
	}
	if rowGroups >= req.MinPartitions || bytes/int64(max(req.MinPartitions, 1)) < datasource.OpenCostBytes {
		return ""
	}
	groups := "row groups"
	if rowGroups == 1 {
		groups = "row group"
	}
	return fmt.Sprintf("%d %s, fewer than the %d cores: a row group is not split; write the files with smaller row groups to read them in parallel",
		rowGroups, groups, req.MinPartitions)
}

type parquetPartition struct {
	split     datasource.FileSplit
	cols      []int
	batchRows int
	preds     []datasource.Predicate
	adapt     *srcFilePlan // merging schemas: how this file's batches become the scan's
	noRows    bool         // merging schemas: a pushed filter rules out every row of the file
}

func (p *parquetPartition) String() string        { return p.split.String() }
func (p *parquetPartition) InputFile() string     { return p.split.Path }
func (p *parquetPartition) EstimatedBytes() int64 { return p.split.Bytes() }

// Open returns a *datasource.ParquetReader, or over a merged schema an adapter of one;
// their RowGroupsPruned method counts skipped row groups.
func (p *parquetPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	if p.noRows {
		return srcNoRows{pruned: len(p.split.RowGroups)}, nil
	}
	r, err := datasource.OpenParquet(ctx, p.split, p.cols, p.batchRows, p.preds, mem)
	if err != nil || p.adapt == nil {
		return r, err
	}
	return p.adapt.wrap(ctx, r, mem), nil
}

// ParquetPredicates turns the conjuncts of filters that a Parquet reader can check against
// row-group statistics into predicates, ignoring the rest: `col op literal`,
// `literal op col` (the operator flipped) and `col IS [NOT] NULL`, also inside ANDs.
func ParquetPredicates(filters []plan.Expr) []datasource.Predicate {
	var out []datasource.Predicate
	var walk func(e plan.Expr)
	walk = func(e plan.Expr) {
		switch e := e.(type) {
		case *plan.Binary:
			if e.Op == plan.OpAnd {
				walk(e.Left)
				walk(e.Right)
				return
			}
			if !e.Op.IsComparison() {
				return
			}
			op := e.Op
			col, lok := e.Left.(*plan.ColumnRef)
			lit, rok := e.Right.(*plan.Literal)
			if !lok || !rok {
				col, lok = e.Right.(*plan.ColumnRef)
				lit, rok = e.Left.(*plan.Literal)
				op = op.Flipped()
			}
			if !lok || !rok || lit.Value == nil {
				return
			}
			out = append(out, datasource.Predicate{Column: col.Name, Op: op.String(), Value: lit.Value})
		case *plan.Unary:
			col, ok := e.Child.(*plan.ColumnRef)
			if !ok {
				return
			}
			switch e.Op {
			case plan.OpIsNull:
				out = append(out, datasource.Predicate{Column: col.Name, Op: "is_null"})
			case plan.OpIsNotNull:
				out = append(out, datasource.Predicate{Column: col.Name, Op: "is_not_null"})
			}
		}
	}
	for _, f := range filters {
		walk(f)
	}
	return out
}

// ---- Arrow IPC ----

type ipcSource struct {
	patterns []string
	res      srcFileResolver
	schemas  srcSchemas
}

// NewIPCSource reads Arrow IPC files matched by patterns. All files must have the same
// schema. Partitions are runs of record batches; batches larger than
// ScanRequest.BatchRows are sliced.
func NewIPCSource(patterns []string) plan.Source {
	return NewIPCSourceWith(patterns, FileOptions{})
}

// NewIPCSourceWith is NewIPCSource with options: with opts.MergeSchema, files whose
// schemas differ are read as one merged schema (see FileOptions).
func NewIPCSourceWith(patterns []string, opts FileOptions) plan.Source {
	return &ipcSource{patterns: slices.Clone(patterns), schemas: newSrcSchemas(opts)}
}

func (s *ipcSource) String() string { return srcDescribe("ipc", s.patterns) }
func (s *ipcSource) CanPrune() bool { return false }

func (s *ipcSource) resolve() ([]string, *arrow.Schema, error) {
	return s.res.resolve(s.patterns, func(files []string) (*arrow.Schema, error) {
		return s.schemas.resolve(s.String(), files, datasource.IPCSchema)
	})
}

func (s *ipcSource) Schema() (*arrow.Schema, error) {
	_, schema, err := s.resolve()
	return schema, err
}

func (s *ipcSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	files, schema, err := s.resolve()
	if err != nil {
		return nil, err
	}
	cols, _, err := srcColumnIndices(s.String(), schema, req.Columns)
	if err != nil {
		return nil, err
	}
	splits, err := datasource.PlanIPCSplits(files, req.MaxPartitionBytes, req.MinPartitions)
	if err != nil {
		return nil, err
	}
	var filePlan func(string) (*srcFilePlan, error)
	if s.schemas.merge {
		filePlan = s.schemas.filePlans(s.String(), schema, req.Columns)
	}
	parts := make([]plan.ScanPartition, len(splits))
	for i, sp := range splits {
		p := &ipcPartition{split: sp, cols: cols, batchRows: req.BatchRows}
		if filePlan != nil {
			if p.adapt, err = filePlan(sp.Path); err != nil {
				return nil, err
			}
			p.cols = p.adapt.cols
		}
		parts[i] = p
	}
	return parts, nil
}

type ipcPartition struct {
	split     datasource.FileSplit
	cols      []int
	batchRows int
	adapt     *srcFilePlan // merging schemas: how this file's batches become the scan's
}

func (p *ipcPartition) String() string        { return p.split.String() }
func (p *ipcPartition) InputFile() string     { return p.split.Path }
func (p *ipcPartition) EstimatedBytes() int64 { return p.split.Bytes() }

func (p *ipcPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	r, err := datasource.OpenIPC(ctx, p.split, p.cols, mem)
	if err != nil {
		return nil, err
	}
	if p.adapt != nil {
		// Sliced first, so that casts and NULL columns are made at the batch size.
		return p.adapt.wrap(ctx, newSrcSlicer(r, p.batchRows), mem), nil
	}
	return newSrcSlicer(r, p.batchRows), nil
}

var (
	_ plan.BatchIterator = (*datasource.CSVReader)(nil)
	_ plan.BatchIterator = (*datasource.ParquetReader)(nil)
	_ plan.BatchIterator = (*datasource.IPCReader)(nil)
	_ plan.Source        = (*RecordsSource)(nil)
)
