package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/plan"
)

// FileOptions configure the Parquet and Arrow IPC sources (NewParquetSourceWith,
// NewIPCSourceWith).
type FileOptions struct {
	// MergeSchema reads files whose schemas differ as one table, as Spark's mergeSchema:
	// columns are matched by name, a column a file lacks is NULL in its rows, and a column
	// whose type differs between files takes the type that holds every file's values
	// (int8/16/32 to int64, int8/16/32 and float32 to float64, dictionary-encoded and
	// plain strings to string, decimals to a decimal holding both). The merged schema has
	// the first file's columns in order, then the columns other files add, in the order
	// they are first seen. Any other change (int64 and string, int64 and float64, whose
	// values a float64 does not all hold) is an error naming the column, its types and
	// the files. Without MergeSchema, files must have equal schemas.
	MergeSchema bool
	// Group, when set, makes the merging sources made with it over parts of one table
	// agree on the table's schema (see SchemaGroup).
	Group *SchemaGroup
}

// SchemaGroup lets the sources that read parts of one table with MergeSchema agree on its
// merged schema. A partitioned table's scan that skips directories reads the files it
// keeps with a new source, whose own merge over fewer files could lack a column, or a
// widening, that the table's schema has; its batches would then not be the table's. A
// source of the group whose files are all among those of a source of the group resolved
// earlier takes that source's merged schema. The zero value is ready to use.
type SchemaGroup struct {
	mu      sync.Mutex
	schema  *arrow.Schema
	perFile map[string]*arrow.Schema // nil until a source of the group has resolved
}

// lookup returns the group's schema when it covers every one of files.
func (g *SchemaGroup) lookup(files []string) (*arrow.Schema, map[string]*arrow.Schema, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.perFile == nil {
		return nil, nil, false
	}
	for _, f := range files {
		if g.perFile[f] == nil {
			return nil, nil, false
		}
	}
	return g.schema, g.perFile, true
}

// pin makes schema the group's, unless a source resolved first.
func (g *SchemaGroup) pin(schema *arrow.Schema, perFile map[string]*arrow.Schema) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.perFile == nil {
		g.schema, g.perFile = schema, perFile
	}
}

// errNotWidening is why two types of one column do not merge.
var errNotWidening = errors.New("not a widening change")

// srcSchemas works out the schema of a multi-file source and, when merging, keeps each
// file's own schema: its partitions read what their file has and adapt it.
type srcSchemas struct {
	merge   bool
	group   *SchemaGroup             // nil: the source merges its own files' schemas
	perFile map[string]*arrow.Schema // set once, by resolve, before any partition is planned
}

func newSrcSchemas(opts FileOptions) srcSchemas {
	return srcSchemas{merge: opts.MergeSchema, group: opts.Group}
}

// resolve reads every file's schema and returns the one the source produces.
func (m *srcSchemas) resolve(src string, files []string, schemaOf func(string) (*arrow.Schema, error)) (*arrow.Schema, error) {
	if !m.merge {
		return srcSameSchemas(src, files, schemaOf)
	}
	if m.group != nil {
		if s, perFile, ok := m.group.lookup(files); ok {
			m.perFile = perFile
			return s, nil
		}
	}
	schemas := make([]*arrow.Schema, len(files))
	m.perFile = make(map[string]*arrow.Schema, len(files))
	for i, f := range files {
		s, err := schemaOf(f)
		if err != nil {
			return nil, err
		}
		schemas[i] = s
		m.perFile[f] = s
	}
	merged, err := srcMergeSchemas(src, files, schemas)
	if err == nil && m.group != nil {
		m.group.pin(merged, m.perFile)
	}
	return merged, err
}

// srcMergedColumn is a merged column and where its types came from, for error messages.
type srcMergedColumn struct {
	field arrow.Field
	files int              // how many files have the column
	types []arrow.DataType // the distinct types seen, in order
	from  []string         // the first file of each of types
}

// srcMergeSchemas merges the files' schemas (in files' order) as FileOptions.MergeSchema
// describes.
func srcMergeSchemas(src string, files []string, schemas []*arrow.Schema) (*arrow.Schema, error) {
	var cols []*srcMergedColumn
	byName := map[string]*srcMergedColumn{}
	for i, s := range schemas {
		seen := make(map[string]bool, s.NumFields())
		for _, f := range s.Fields() {
			if seen[f.Name] {
				return nil, fmt.Errorf("exec: %s: %s has two columns named %q: columns are merged by name", src, files[i], f.Name)
			}
			seen[f.Name] = true
			c := byName[f.Name]
			if c == nil {
				c = &srcMergedColumn{field: f, types: []arrow.DataType{f.Type}, from: []string{files[i]}}
				byName[f.Name] = c
				cols = append(cols, c)
				c.files++
				continue
			}
			c.files++
			c.field.Nullable = c.field.Nullable || f.Nullable
			if err := c.widen(f.Type, files[i]); err != nil {
				return nil, fmt.Errorf("exec: %s: %w", src, err)
			}
		}
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.field
		// A file without the column reads it as NULL.
		fields[i].Nullable = c.field.Nullable || c.files < len(files)
	}
	md := schemas[0].Metadata()
	return arrow.NewSchema(fields, &md), nil
}

// widen merges type t of file into the column's type.
func (c *srcMergedColumn) widen(t arrow.DataType, file string) error {
	for _, u := range c.types {
		if arrow.TypeEqual(u, t) {
			return nil
		}
	}
	to, err := srcWiden(c.field.Type, t)
	if err != nil {
		// Name a file whose type conflicts with t itself, rather than the merged type no
		// file may have.
		for j, u := range c.types {
			if _, err := srcWiden(u, t); err != nil {
				return fmt.Errorf("column %q is %s in %s but %s in %s: %w", c.field.Name, srcTypeName(t), file, srcTypeName(u), c.from[j], err)
			}
		}
		return fmt.Errorf("column %q is %s in %s, which does not widen with %s, its type across %s: %w",
			c.field.Name, srcTypeName(t), file, srcTypeName(c.field.Type), strings.Join(c.from, ", "), err)
	}
	c.field.Type = to
	c.types = append(c.types, t)
	c.from = append(c.from, file)
	return nil
}

// srcWiden returns the type that holds every value of a and of b, when converting both
// to it loses nothing. plan.CommonType proposes it (the type coalesce and union by name
// use); srcLossless rejects its proposals that round or truncate, because a merged file
// read must return what was written.
func srcWiden(a, b arrow.DataType) (arrow.DataType, error) {
	switch {
	case arrow.TypeEqual(a, b):
		return a, nil
	case a.ID() == arrow.NULL:
		return b, nil
	case b.ID() == arrow.NULL:
		return a, nil
	}
	t, err := plan.CommonType(a, b)
	if err != nil || !srcLossless(a, t) || !srcLossless(b, t) {
		return nil, errNotWidening
	}
	return t, nil
}

// srcLossless reports whether every value of type from converts to type to exactly.
func srcLossless(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) {
		return true
	}
	switch to.ID() {
	case arrow.INT64:
		return srcIntDigits(from) > 0 && srcIntDigits(from) < 19
	case arrow.FLOAT64:
		// float64 holds integers exactly up to 2^53: int64 and uint64 do not fit.
		return srcIntDigits(from) > 0 && srcIntDigits(from) < 19 || from.ID() == arrow.FLOAT32
	case arrow.STRING:
		switch from.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return true
		case arrow.DICTIONARY:
			return srcLossless(from.(*arrow.DictionaryType).ValueType, to)
		}
	case arrow.DECIMAL128, arrow.DECIMAL256:
		tp, ts := srcDecimal(to)
		if fp, fs := srcDecimal(from); fp > 0 {
			return ts >= fs && tp-ts >= fp-fs
		}
		return srcIntDigits(from) > 0 && tp-ts >= srcIntDigits(from)
	}
	return false
}

// srcIntDigits is the number of decimal digits of an integer type's largest magnitude,
// or 0 for other types.
func srcIntDigits(t arrow.DataType) int32 {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return 3
	case arrow.INT16, arrow.UINT16:
		return 5
	case arrow.INT32, arrow.UINT32:
		return 10
	case arrow.INT64:
		return 19
	case arrow.UINT64:
		return 20
	}
	return 0
}

// srcDecimal is a decimal type's precision and scale, or 0, 0.
func srcDecimal(t arrow.DataType) (int32, int32) {
	if d, ok := t.(arrow.DecimalType); ok {
		return d.GetPrecision(), d.GetScale()
	}
	return 0, 0
}

// srcTypeName names a type the way users think of it: arrow says utf8 for string.
func srcTypeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.STRING:
		return "string"
	case arrow.LARGE_STRING:
		return "large_string"
	case arrow.DICTIONARY:
		if v := t.(*arrow.DictionaryType).ValueType; v.ID() == arrow.STRING {
			return "string (dictionary-encoded)"
		}
	}
	return t.String()
}

// srcSchemaMismatch is the error for two files whose schemas differ when the source does
// not merge them: it says what differs first, which a dump of two wide schemas hides.
func srcSchemaMismatch(src, file string, s *arrow.Schema, first string, want *arrow.Schema) error {
	return fmt.Errorf("exec: %s: %s and %s have different schemas: %s (MergeSchema reads them as one schema)",
		src, file, first, srcSchemaDiff(file, s, first, want))
}

func srcSchemaDiff(file string, s *arrow.Schema, first string, want *arrow.Schema) string {
	// Type changes first: they are what MergeSchema may refuse.
	var types, names, nulls []string
	for _, f := range s.Fields() {
		if want.FieldIndices(f.Name) == nil {
			names = append(names, fmt.Sprintf("column %q is in %s but not in %s", f.Name, file, first))
		}
	}
	for _, w := range want.Fields() {
		idx := s.FieldIndices(w.Name)
		if idx == nil {
			names = append(names, fmt.Sprintf("column %q is in %s but not in %s", w.Name, first, file))
			continue
		}
		f := s.Field(idx[0])
		switch {
		case !arrow.TypeEqual(f.Type, w.Type):
			types = append(types, fmt.Sprintf("column %q is %s in %s but %s in %s", w.Name, srcTypeName(f.Type), file, srcTypeName(w.Type), first))
		case f.Nullable && !w.Nullable:
			nulls = append(nulls, fmt.Sprintf("column %q is nullable in %s but not in %s", w.Name, file, first))
		case w.Nullable && !f.Nullable:
			nulls = append(nulls, fmt.Sprintf("column %q is nullable in %s but not in %s", w.Name, first, file))
		}
	}
	diffs := append(append(types, names...), nulls...)
	if len(diffs) == 0 && srcNames(s) != srcNames(want) {
		diffs = append(diffs, fmt.Sprintf("the columns are in another order: %s in %s, %s in %s", srcNames(s), file, srcNames(want), first))
	}
	switch {
	case len(diffs) == 0:
		return fmt.Sprintf("%s has %v, %s has %v", file, s, first, want)
	case len(diffs) == 4:
		return strings.Join(diffs[:3], "; ") + "; and one more difference"
	case len(diffs) > 4:
		return strings.Join(diffs[:3], "; ") + fmt.Sprintf("; and %d more differences", len(diffs)-3)
	}
	return strings.Join(diffs, "; ")
}

func srcNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// srcFilePlan says how the batches of one file become the scan's.
type srcFilePlan struct {
	path string
	file *arrow.Schema // the file's own schema
	// cols are the file's column indices to read, in output order: the output columns
	// the file has.
	cols []int
	// out is the schema of the scan's batches: the merged schema, projected.
	out *arrow.Schema
	// from[i] is the column of a read batch that output column i comes from, or -1 when
	// the file lacks it (all NULL); cast[i] says it is converted to out's type.
	from []int
	cast []bool
	// same says the read batches are the scan's as they are.
	same bool
}

// filePlans returns a memoized planner of each file's srcFilePlan for a scan of the
// columns names (nil: all) of the merged schema.
func (m *srcSchemas) filePlans(src string, merged *arrow.Schema, names []string) func(path string) (*srcFilePlan, error) {
	if names == nil {
		names = make([]string, merged.NumFields())
		for i, f := range merged.Fields() {
			names[i] = f.Name
		}
	}
	plans := map[string]*srcFilePlan{}
	return func(path string) (*srcFilePlan, error) {
		if p, ok := plans[path]; ok {
			return p, nil
		}
		fs := m.perFile[path]
		if fs == nil {
			return nil, fmt.Errorf("exec: %s: %s was not among the files when the schema was merged", src, path)
		}
		p := &srcFilePlan{path: path, file: fs, cols: []int{}, from: make([]int, len(names)), cast: make([]bool, len(names)), same: true}
		fields := make([]arrow.Field, len(names))
		for i, n := range names {
			idx := merged.FieldIndices(n)
			if idx == nil {
				return nil, fmt.Errorf("exec: %s: unknown column %q", src, n)
			}
			fields[i] = merged.Field(idx[0])
			fi := p.fileColumn(n)
			if fi < 0 || fs.Field(fi).Type.ID() == arrow.NULL && fields[i].Type.ID() != arrow.NULL {
				p.from[i], p.same = -1, false
				continue
			}
			p.from[i] = len(p.cols)
			p.cols = append(p.cols, fi)
			p.cast[i] = !arrow.TypeEqual(fs.Field(fi).Type, fields[i].Type)
			p.same = p.same && fs.Field(fi).Equal(fields[i])
		}
		md := merged.Metadata()
		p.out = arrow.NewSchema(fields, &md)
		plans[path] = p
		return p, nil
	}
}

// fileColumn is the index of column name in the file, or -1.
func (p *srcFilePlan) fileColumn(name string) int {
	if idx := p.file.FieldIndices(name); idx != nil {
		return idx[0]
	}
	return -1
}

// predicates returns the predicates to check against the file's statistics. A column the
// file lacks (or has only as the NULL type) is NULL in every row: IS NULL holds for all
// of them, and a comparison or IS NOT NULL for none, so the file has no matching row
// (none is true). A predicate on a column the file has as a narrower type stays:
// widening keeps every value, and the reader compares statistics only with a literal of
// the file column's own kind.
func (p *srcFilePlan) predicates(preds []datasource.Predicate) (kept []datasource.Predicate, none bool) {
	for _, pr := range preds {
		fi := p.fileColumn(pr.Column)
		if fi >= 0 && p.file.Field(fi).Type.ID() != arrow.NULL {
			kept = append(kept, pr)
			continue
		}
		if pr.Op != "is_null" {
			return nil, true
		}
	}
	return kept, false
}

// wrap returns in's batches as the scan's, or in itself when they already are.
func (p *srcFilePlan) wrap(ctx context.Context, in plan.BatchIterator, mem memory.Allocator) plan.BatchIterator {
	if p.same {
		return in
	}
	return &srcSchemaAdapter{in: in, plan: p, ctx: colop.ComputeCtx(ctx, mem), mem: mem}
}

// srcSchemaAdapter turns the batches of one file into batches of the merged schema:
// widened columns cast, missing columns all NULL, in the scan's order.
type srcSchemaAdapter struct {
	in   plan.BatchIterator
	plan *srcFilePlan
	ctx  context.Context // carries mem for the cast kernels
	mem  memory.Allocator
	err  error
}

// Next returns the next adapted batch or (nil, io.EOF); the caller owns the batch.
func (a *srcSchemaAdapter) Next() (arrow.RecordBatch, error) {
	if a.err != nil {
		return nil, a.err
	}
	b, err := a.in.Next()
	if err != nil {
		return nil, err
	}
	defer b.Release()
	n := b.NumRows()
	cols := make([]arrow.Array, len(a.plan.from))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, from := range a.plan.from {
		t := a.plan.out.Field(i).Type
		switch {
		case from < 0:
			cols[i] = array.MakeArrayOfNull(a.mem, t, int(n))
		case a.plan.cast[i]:
			c, err := compute.CastArray(a.ctx, b.Column(from), compute.SafeCastOptions(t))
			if err != nil {
				a.err = fmt.Errorf("exec: %s: column %q from %s to %s: %w", a.plan.path, a.plan.out.Field(i).Name, b.Column(from).DataType(), t, err)
				return nil, a.err
			}
			cols[i] = c
		default:
			cols[i] = b.Column(from)
			cols[i].Retain()
		}
	}
	return array.NewRecordBatch(a.plan.out, cols, n), nil
}

// Close closes the file's reader. It is idempotent.
func (a *srcSchemaAdapter) Close() error { return a.in.Close() }

// RowGroupsPruned forwards the Parquet reader's count, which the scan reports.
func (a *srcSchemaAdapter) RowGroupsPruned() int {
	if p, ok := a.in.(interface{ RowGroupsPruned() int }); ok {
		return p.RowGroupsPruned()
	}
	return 0
}

// srcNoRows is the scan of a file whose statistics need not be read: a pushed filter
// tests a column the file lacks, so no row matches. Its row groups count as pruned.
type srcNoRows struct{ pruned int }

// Next returns io.EOF.
func (e srcNoRows) Next() (arrow.RecordBatch, error) { return nil, io.EOF }

// Close does nothing: no file was opened.
func (e srcNoRows) Close() error { return nil }

// RowGroupsPruned counts the file's row groups of the split.
func (e srcNoRows) RowGroupsPruned() int { return e.pruned }
