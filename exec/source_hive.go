package exec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/exec/eval"
	"github.com/kindling-data/kindling/plan"
)

// hiveSource reads a table laid out in col=value directories (datasource.DiscoverHive)
// through a file source of its format, adding the partition columns to every batch and
// skipping the directories that filters on partition columns exclude. Patterns that are
// not such a layout are read by the format's source unchanged.
type hiveSource struct {
	patterns []string
	newFiles func(files []string) plan.Source // the format's source over given files
	plain    plan.Source                      // the format's source over the patterns

	once   sync.Once
	table  *datasource.HiveTable // nil: not a Hive layout
	all    plan.Source           // over every file of table
	schema *arrow.Schema
	err    error

	mu     sync.Mutex
	byKept map[string]plan.Source // sources over the files a pruning kept, by their set
}

// NewPartitionedSource reads patterns with the file source newFiles makes, discovering a
// Hive layout (col=value directories) under directory patterns: the partition columns
// are appended to the files' columns, typed from their values, and a pushed-down filter
// on them skips whole directories (Explain's scan says how many it read). Without such
// a layout it is newFiles(patterns).
func NewPartitionedSource(patterns []string, newFiles func(files []string) plan.Source) plan.Source {
	return &hiveSource{patterns: slices.Clone(patterns), newFiles: newFiles, plain: newFiles(patterns)}
}

func (s *hiveSource) String() string { return s.plain.String() }

func (s *hiveSource) resolve() error {
	s.once.Do(func() {
		s.table, s.err = datasource.DiscoverHive(s.patterns)
		if s.err != nil || s.table == nil {
			return
		}
		s.all = s.newFiles(s.table.Files)
		var fileSchema *arrow.Schema
		if fileSchema, s.err = s.all.Schema(); s.err != nil {
			return
		}
		fields := slices.Clone(fileSchema.Fields())
		for _, pf := range s.table.Fields {
			if len(fileSchema.FieldIndices(pf.Name)) > 0 {
				s.err = fmt.Errorf("exec: %s: partition column %q is also a column of the files", s, pf.Name)
				return
			}
			fields = append(fields, pf)
		}
		md := fileSchema.Metadata()
		s.schema = arrow.NewSchema(fields, &md)
	})
	return s.err
}

func (s *hiveSource) CanPrune() bool {
	if s.resolve() != nil || s.table == nil {
		return s.plain.CanPrune()
	}
	return true
}

func (s *hiveSource) Schema() (*arrow.Schema, error) {
	if err := s.resolve(); err != nil {
		return nil, err
	}
	if s.table == nil {
		return s.plain.Schema()
	}
	return s.schema, nil
}

// SplitNote passes the format's note on.
func (s *hiveSource) SplitNote(parts []plan.ScanPartition, req plan.ScanRequest) string {
	src := s.plain
	if s.table != nil {
		src = s.all
	}
	if sn, ok := src.(plan.SplitNoter); ok {
		return sn.SplitNote(parts, req)
	}
	return ""
}

// ScanNote says how many partition directories a pruning kept.
func (s *hiveSource) ScanNote(req plan.ScanRequest) string {
	if s.resolve() != nil || s.table == nil {
		return ""
	}
	kept, _, err := s.keptDirs(req.Filters)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("partitions read: %d of %d (%d pruned)", len(kept), len(s.table.Dirs), len(s.table.Dirs)-len(kept))
}

func (s *hiveSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	if err := s.resolve(); err != nil {
		return nil, err
	}
	if s.table == nil {
		return s.plain.Partitions(req)
	}
	out := s.schema
	if req.Columns != nil {
		var err error
		if _, out, err = srcColumnIndices(s.String(), s.schema, req.Columns); err != nil {
			return nil, err
		}
	}
	kept, dataFilters, err := s.keptDirs(req.Filters)
	if err != nil || len(kept) == 0 {
		return nil, err
	}
	keep := make([]bool, len(s.table.Dirs))
	for _, d := range kept {
		keep[d] = true
	}
	var files []string
	dirOf := map[string]int{}
	for i, f := range s.table.Files {
		if keep[s.table.FileDir[i]] {
			files = append(files, f)
			dirOf[f] = s.table.FileDir[i]
		}
	}
	inner := s.sourceOver(files)
	innerReq := req
	innerReq.Filters = dataFilters
	innerReq.Columns = nil
	if req.Columns != nil {
		innerReq.Columns = []string{}
		for _, c := range req.Columns {
			if !s.isPartitionColumn(c) {
				innerReq.Columns = append(innerReq.Columns, c)
			}
		}
	}
	parts, err := inner.Partitions(innerReq)
	if err != nil {
		return nil, err
	}
	wrapped := make([]plan.ScanPartition, len(parts))
	for i, p := range parts {
		fp, ok := p.(plan.FileInput)
		if !ok {
			return nil, fmt.Errorf("exec: %s: partition %s does not name its file", s, p)
		}
		wrapped[i] = &hivePartition{ScanPartition: p, table: s.table, dir: dirOf[fp.InputFile()], out: out}
	}
	return wrapped, nil
}

func (s *hiveSource) isPartitionColumn(name string) bool {
	for _, f := range s.table.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// sourceOver returns the format's source over files, made once per set of files so that
// footers and headers are read once.
func (s *hiveSource) sourceOver(files []string) plan.Source {
	if len(files) == len(s.table.Files) {
		return s.all
	}
	key := strings.Join(files, "\x00")
	s.mu.Lock()
	defer s.mu.Unlock()
	if src, ok := s.byKept[key]; ok {
		return src
	}
	if s.byKept == nil {
		s.byKept = map[string]plan.Source{}
	}
	src := s.newFiles(files)
	s.byKept[key] = src
	return src
}

// keptDirs evaluates the filters that use only partition columns over the directories'
// values and returns the directories where every one holds (true, not NULL), and the
// filters on file columns alone, for the format's source.
func (s *hiveSource) keptDirs(filters []plan.Expr) (kept []int, dataFilters []plan.Expr, err error) {
	var partFilters []plan.Expr
	for _, f := range filters {
		cols := plan.ColumnsOf(f)
		nPart := 0
		for _, c := range cols {
			if s.isPartitionColumn(c) {
				nPart++
			}
		}
		switch {
		case nPart == 0:
			dataFilters = append(dataFilters, f)
		case nPart == len(cols):
			partFilters = append(partFilters, f)
		}
	}
	all := make([]int, len(s.table.Dirs))
	for i := range all {
		all[i] = i
	}
	if len(partFilters) == 0 {
		return all, dataFilters, nil
	}
	mem := memory.DefaultAllocator
	rec, err := s.table.PartitionValuesBatch(all, mem)
	if err != nil {
		return nil, nil, err
	}
	defer rec.Release()
	keep := make([]bool, len(all))
	for i := range keep {
		keep[i] = true
	}
	for _, f := range partFilters {
		arr, err := eval.Eval(context.Background(), f, rec, mem)
		if err != nil {
			return nil, nil, fmt.Errorf("exec: %s: pruning partitions by %s: %w", s, f, err)
		}
		b, ok := arr.(*array.Boolean)
		for i := range keep {
			keep[i] = keep[i] && ok && b.IsValid(i) && b.Value(i)
		}
		arr.Release()
	}
	for i, k := range keep {
		if k {
			kept = append(kept, i)
		}
	}
	return kept, dataFilters, nil
}

// hivePartition reads one file split and appends its directory's partition values.
type hivePartition struct {
	plan.ScanPartition
	table *datasource.HiveTable
	dir   int
	out   *arrow.Schema // the columns to produce, in order
}

// InputFile is the file of the partition it wraps.
func (p *hivePartition) InputFile() string { return p.ScanPartition.(plan.FileInput).InputFile() }

func (p *hivePartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	it, err := p.ScanPartition.Open(ctx, mem)
	if err != nil {
		return nil, err
	}
	return &hiveIterator{BatchIterator: it, p: p, mem: mem}, nil
}

type hiveIterator struct {
	plan.BatchIterator
	p   *hivePartition
	mem memory.Allocator
}

// Malformed and RowGroupsPruned pass the file reader's counts on to the task's metrics.
func (it *hiveIterator) Malformed() int64 {
	if m, ok := it.BatchIterator.(interface{ Malformed() int64 }); ok {
		return m.Malformed()
	}
	return 0
}

func (it *hiveIterator) RowGroupsPruned() int {
	if m, ok := it.BatchIterator.(interface{ RowGroupsPruned() int }); ok {
		return m.RowGroupsPruned()
	}
	return 0
}

func (it *hiveIterator) Next() (arrow.RecordBatch, error) {
	rec, err := it.BatchIterator.Next()
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	n := int(rec.NumRows())
	t := it.p.table
	cols := make([]arrow.Array, it.p.out.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range it.p.out.Fields() {
		if idx := rec.Schema().FieldIndices(f.Name); len(idx) > 0 {
			cols[i] = rec.Column(idx[0])
			cols[i].Retain()
			continue
		}
		k := slices.IndexFunc(t.Fields, func(pf arrow.Field) bool { return pf.Name == f.Name })
		if k < 0 {
			return nil, fmt.Errorf("exec: %s: no column %q", it.p, f.Name)
		}
		if cols[i], err = datasource.PartitionColumn(t.Values[it.p.dir][k], n, it.mem); err != nil {
			return nil, err
		}
	}
	return array.NewRecordBatch(it.p.out, cols, int64(n)), nil
}
