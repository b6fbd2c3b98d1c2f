package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/kindling-data/kindling/internal/guardalloc"
)

// Predicate is a condition on one column that a Parquet reader may use to skip row groups
// whose statistics prove that no row satisfies it. It is a hint: readers return whole row
// groups, and the engine still filters every row.
type Predicate struct {
	// Column is a top-level column name.
	Column string
	// Op is one of "=", "!=", "<", "<=", ">", ">=", "is_null", "is_not_null".
	Op string
	// Value is int64, float64, string, bool or arrow.Date32; unused by the null tests.
	Value any
}

// String renders the predicate as column op value, e.g. amount > 0, or column is_null.
func (p Predicate) String() string {
	if p.Op == "is_null" || p.Op == "is_not_null" {
		return p.Column + " " + p.Op
	}
	return fmt.Sprintf("%s %s %v", p.Column, p.Op, p.Value)
}

func openParquet(ctx context.Context, path string, mem memory.Allocator) (inputFile, *file.Reader, error) {
	f, err := openInput(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	pf, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	if err := checkParquetArrowSchema(pf.MetaData().KeyValueMetadata().FindValue("ARROW:schema")); err != nil {
		pf.Close()
		f.Close()
		return nil, nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	return f, pf, nil
}

// ParquetSchema returns the Arrow schema of a Parquet file (from its footer).
func ParquetSchema(path string) (*arrow.Schema, error) {
	return decodeFile(path, "Parquet", func() (*arrow.Schema, error) { return parquetSchema(path) })
}

func parquetSchema(path string) (*arrow.Schema, error) {
	f, pf, err := openParquet(context.Background(), path, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	s, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	return stripFieldIDs(s), nil
}

// stripFieldIDs drops the PARQUET:field_id metadata pqarrow puts on every top-level field,
// so that a schema read back equals the schema written.
func stripFieldIDs(s *arrow.Schema) *arrow.Schema {
	fields := slices.Clone(s.Fields())
	for i := range fields {
		md := fields[i].Metadata
		if md.Len() == 0 {
			continue
		}
		k, v := []string{}, []string{}
		for j, key := range md.Keys() {
			if key != "PARQUET:field_id" {
				k, v = append(k, key), append(v, md.Values()[j])
			}
		}
		fields[i].Metadata = arrow.NewMetadata(k, v)
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

// PlanParquetSplits groups each file's consecutive row groups into splits balanced by
// compressed size (row groups are never cut, and a split never spans two files). The
// target is Spark's: splits of at most maxPartitionBytes, at least as many as
// minPartitions (the cores) when the input is large enough, never smaller than
// OpenCostBytes. The row groups are then dealt into that many splits by their place in
// the input (DataFusion's repartitioned file scans), so that no split is left to run
// alone after the others: six equal row groups on two cores make two splits of three,
// where packing up to the size bound made three. A file without row groups gets no split.
func PlanParquetSplits(files []string, maxPartitionBytes int64, minPartitions int) ([]FileSplit, error) {
	sizes, total, err := fileSizes(files)
	if err != nil {
		return nil, err
	}
	return planParquetSplits(files, sizes, MaxSplitBytes(total, maxPartitionBytes, minPartitions))
}

// parquetRowGroup is a row group's place and compressed size.
type parquetRowGroup struct {
	offset, bytes int64
}

func planParquetSplits(files []string, sizes []int64, maxSplit int64) ([]FileSplit, error) {
	groups := make([][]parquetRowGroup, len(files))
	var total int64
	for i, path := range files {
		rgs, err := decodeFile(path, "Parquet", func() ([]parquetRowGroup, error) {
			return parquetRowGroups(path)
		})
		if err != nil {
			return nil, err
		}
		groups[i] = rgs
		for _, rg := range rgs {
			total += rg.bytes
		}
	}
	n := max(1, (total+maxSplit-1)/max(maxSplit, 1))
	target := float64(total) / float64(n)
	var out []FileSplit
	var prefix int64 // the compressed bytes of the row groups before this one
	for i, path := range files {
		cur := FileSplit{Path: path, FileSize: sizes[i]}
		bucket := int64(-1)
		for rg, g := range groups[i] {
			// The split a row group goes to is where its middle falls.
			b := min(n-1, int64((float64(prefix)+float64(g.bytes)/2)/target))
			if len(cur.RowGroups) > 0 && b != bucket {
				out = append(out, cur)
				cur = FileSplit{Path: path, FileSize: sizes[i]}
			}
			if len(cur.RowGroups) == 0 {
				cur.Start, cur.End = g.offset, g.offset
			}
			cur.RowGroups = append(cur.RowGroups, rg)
			cur.RowGroupBytes = append(cur.RowGroupBytes, g.bytes)
			cur.End += g.bytes
			prefix += g.bytes
			bucket = b
		}
		if len(cur.RowGroups) > 0 {
			out = append(out, cur)
		}
	}
	return out, nil
}

// parquetRowGroups reads the row groups of one file from its footer.
func parquetRowGroups(path string) ([]parquetRowGroup, error) {
	f, pf, err := openParquet(context.Background(), path, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer pf.Close()
	md := pf.MetaData()
	out := make([]parquetRowGroup, md.NumRowGroups())
	for rg := range out {
		rgm := md.RowGroup(rg)
		n := rgm.TotalCompressedSize()
		if n <= 0 {
			n = rgm.TotalByteSize()
		}
		out[rg] = parquetRowGroup{offset: rgm.FileOffset(), bytes: max(n, 1)}
	}
	return out, nil
}

// ParquetReader reads the row groups of one split that survive predicate pruning.
type ParquetReader struct {
	ctx      context.Context
	f        inputFile
	pf       *file.Reader
	rr       pqarrow.RecordReader
	schema   *arrow.Schema
	pick     []int // output column i is column pick[i] of the record reader's batches
	pruned   int
	countRow []int64 // zero-column scans: rows left per row group
	alloc    *guardalloc.Allocator
	batch    int64
	err      error
}

// OpenParquet opens a split of a Parquet file. columns are indices of the file's top-level
// fields (nil: all; empty non-nil: none, batches then carry only row counts). Row groups
// whose statistics prove that some predicate holds for no row are skipped (see
// RowGroupsPruned). Float columns are never pruned on their values: Parquet's min/max leave
// NaN out, and NaN is greater than every number in kindling's ordering. Every buffer is
// allocated with mem.
func OpenParquet(ctx context.Context, split FileSplit, columns []int, batchRows int, preds []Predicate, mem memory.Allocator) (*ParquetReader, error) {
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	alloc := guardalloc.New(mem, 1<<30)
	size := split.FileSize
	if size <= 0 {
		if st, err := statInput(ctx, split.Path); err == nil {
			size = st.size
		}
	}
	alloc.Limit = max(alloc.Limit, maxCompressionRatio*size)
	r := &ParquetReader{ctx: ctx, batch: int64(batchRows), alloc: alloc}
	alloc.Arm()
	if _, err := decodeFile(split.Path, "Parquet", func() (struct{}, error) {
		return struct{}{}, r.open(split, columns, batchRows, preds)
	}); err != nil {
		r.Close()
		alloc.Reclaim()
		return nil, err
	}
	alloc.Disarm()
	return r, nil
}

func (r *ParquetReader) open(split FileSplit, columns []int, batchRows int, preds []Predicate) error {
	f, pf, err := openParquet(r.ctx, split.Path, r.alloc)
	if err != nil {
		return err
	}
	r.f, r.pf = f, pf
	fail := func(err error) error {
		return fmt.Errorf("datasource: %s: %w", split.Path, err)
	}
	mem := r.alloc
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batchRows)}, mem)
	if err != nil {
		return fail(err)
	}
	full, err := fr.Schema()
	if err != nil {
		return fail(err)
	}
	full = stripFieldIDs(full)
	if columns == nil {
		columns = make([]int, full.NumFields())
		for i := range columns {
			columns[i] = i
		}
	}
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		if c < 0 || c >= full.NumFields() {
			return fail(fmt.Errorf("column index %d out of range (%d columns)", c, full.NumFields()))
		}
		fields[i] = full.Field(c)
	}
	md := full.Metadata()
	r.schema = arrow.NewSchema(fields, &md)

	rowGroups := split.RowGroups
	if rowGroups == nil {
		for rg := 0; rg < pf.NumRowGroups(); rg++ {
			rowGroups = append(rowGroups, rg)
		}
	}
	var keep []int
	for _, rg := range rowGroups {
		if rg < 0 || rg >= pf.NumRowGroups() {
			return fail(fmt.Errorf("row group %d out of range (%d row groups)", rg, pf.NumRowGroups()))
		}
		if rowGroupMayMatch(pf.MetaData(), fr, full, rg, preds) {
			keep = append(keep, rg)
		} else {
			r.pruned++
		}
	}
	if len(keep) == 0 {
		r.err = io.EOF
		return nil
	}
	if len(columns) == 0 {
		for _, rg := range keep {
			r.countRow = append(r.countRow, pf.MetaData().RowGroup(rg).NumRows())
		}
		return nil
	}
	// Read each distinct field once, by its leaf columns, then pick output columns.
	pos := make(map[int]int)
	var leaves []int
	for _, c := range columns {
		if _, ok := pos[c]; ok {
			r.pick = append(r.pick, pos[c])
			continue
		}
		pos[c] = len(pos)
		r.pick = append(r.pick, pos[c])
		leaves = append(leaves, fieldLeaves(fr.Manifest.Fields[c])...)
	}
	rr, err := fr.GetRecordReader(r.ctx, leaves, keep)
	if err != nil {
		return fail(err)
	}
	r.rr = rr
	return nil
}

func fieldLeaves(f pqarrow.SchemaField) []int {
	if len(f.Children) == 0 {
		return []int{f.ColIndex}
	}
	var out []int
	for _, c := range f.Children {
		out = append(out, fieldLeaves(c)...)
	}
	return out
}

// Schema is the schema of the batches the reader returns.
func (r *ParquetReader) Schema() *arrow.Schema { return r.schema }

// RowGroupsPruned counts the split's row groups skipped by their statistics.
func (r *ParquetReader) RowGroupsPruned() int { return r.pruned }

// Next returns the next batch or (nil, io.EOF); the caller owns the batch.
func (r *ParquetReader) Next() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return nil, err
	}
	if r.rr == nil { // zero-column scan
		for len(r.countRow) > 0 && r.countRow[0] == 0 {
			r.countRow = r.countRow[1:]
		}
		if len(r.countRow) == 0 {
			r.err = io.EOF
			return nil, io.EOF
		}
		n := min(r.countRow[0], r.batch)
		r.countRow[0] -= n
		return array.NewRecordBatch(r.schema, nil, n), nil
	}
	r.alloc.Arm()
	rec, err := decode("Parquet", r.rr.Read)
	if err == nil && rec == nil {
		err = io.EOF
	}
	if err != nil {
		if !errors.Is(err, io.EOF) {
			// The decoder may be left half-way: close it, then free what the failed
			// read allocated and nothing holds any more.
			err = fmt.Errorf("datasource: %s: %w", r.f.Name(), err)
			r.rr.Release()
			r.rr = nil
			r.pf.Close()
			r.pf = nil
			r.alloc.Reclaim()
		}
		r.alloc.Disarm()
		r.err = err
		return nil, err
	}
	r.alloc.Disarm()
	// rec stays owned by the record reader; the new batch retains the columns it keeps.
	cols := make([]arrow.Array, len(r.pick))
	for i, p := range r.pick {
		cols[i] = rec.Column(p)
	}
	return array.NewRecordBatch(r.schema, cols, rec.NumRows()), nil
}

// Close releases the reader and closes the file. It is idempotent.
func (r *ParquetReader) Close() error {
	if r.err == nil {
		r.err = errors.New("datasource: Parquet reader is closed")
	}
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	var err error
	if r.pf != nil {
		err = r.pf.Close()
		r.pf = nil
	}
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	return nil
}

// rowGroupMayMatch reports whether some row of row group rg may satisfy every predicate.
// Any doubt (no statistics, unsupported types, nested columns) means yes.
func rowGroupMayMatch(md *metadata.FileMetaData, fr *pqarrow.FileReader, schema *arrow.Schema, rg int, preds []Predicate) bool {
	rgm := md.RowGroup(rg)
	for _, p := range preds {
		idx := schema.FieldIndices(p.Column)
		if len(idx) != 1 {
			continue
		}
		sf := fr.Manifest.Fields[idx[0]]
		if len(sf.Children) != 0 || sf.ColIndex < 0 {
			continue
		}
		cc, err := rgm.ColumnChunk(sf.ColIndex)
		if err != nil {
			continue
		}
		stats, err := cc.Statistics()
		if err != nil || stats == nil {
			continue
		}
		if !statsMayMatch(stats, rgm.NumRows(), schema.Field(idx[0]).Type, p) {
			return false
		}
	}
	return true
}

func statsMayMatch(stats metadata.TypedStatistics, numRows int64, typ arrow.DataType, p Predicate) bool {
	hasNulls := !stats.HasNullCount() || stats.NullCount() > 0
	allNull := stats.HasNullCount() && stats.NullCount() >= numRows
	switch p.Op {
	case "is_null":
		return hasNulls
	case "is_not_null":
		return !allNull
	}
	if allNull {
		return false // a comparison with NULL is never true
	}
	if !stats.HasMinMax() {
		return true
	}
	switch s := stats.(type) {
	case *metadata.Int64Statistics:
		v, ok := p.Value.(int64)
		if !ok || typ.ID() != arrow.INT64 {
			return true
		}
		return cmpMayMatch(compareOrdered(s.Min(), v), compareOrdered(s.Max(), v), p.Op)
	case *metadata.Int32Statistics:
		var v int64
		switch x := p.Value.(type) {
		case int64:
			if typ.ID() != arrow.INT32 {
				return true
			}
			v = x
		case arrow.Date32:
			if typ.ID() != arrow.DATE32 {
				return true
			}
			v = int64(x)
		default:
			return true
		}
		return cmpMayMatch(compareOrdered(int64(s.Min()), v), compareOrdered(int64(s.Max()), v), p.Op)
	case *metadata.ByteArrayStatistics:
		v, ok := p.Value.(string)
		if !ok || typ.ID() != arrow.STRING && typ.ID() != arrow.LARGE_STRING && typ.ID() != arrow.DICTIONARY {
			return true
		}
		return cmpMayMatch(compareOrdered(string(s.Min()), v), compareOrdered(string(s.Max()), v), p.Op)
	case *metadata.BooleanStatistics:
		v, ok := p.Value.(bool)
		if !ok {
			return true
		}
		return cmpMayMatch(compareOrdered(b2i(s.Min()), b2i(v)), compareOrdered(b2i(s.Max()), b2i(v)), p.Op)
	}
	// Floats and everything else: never prune on values (NaN is not in min/max).
	return true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compareOrdered[T int64 | int | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpMayMatch decides from cmin = cmp(min, v) and cmax = cmp(max, v) whether some value in
// [min, max] may satisfy "value op v".
func cmpMayMatch(cmin, cmax int, op string) bool {
	switch op {
	case "=":
		return cmin <= 0 && cmax >= 0
	case "!=":
		return !(cmin == 0 && cmax == 0)
	case "<":
		return cmin < 0
	case "<=":
		return cmin <= 0
	case ">":
		return cmax > 0
	case ">=":
		return cmax >= 0
	}
	return true
}
