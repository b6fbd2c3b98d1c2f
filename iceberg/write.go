package iceberg

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/kindling-data/kindling/dataset"
)

// Append writes d's rows to the table as new data files and commits them as an append
// snapshot, which it returns. d must have the table's columns (by name, in any order;
// an optional column it lacks is NULL) and no other; values are cast to the table's
// types. kindling writes the files (Parquet with the Iceberg field IDs, into the
// table's data directory, one directory per partition); iceberg-go reads their footers
// for the column statistics recorded in the manifest, and the partition values are
// computed from their rows. A table partitioned by bucket (whose hash kindling does
// not compute) is written by iceberg-go's writer instead.
//
// Nothing is committed if the job fails; its files are then removed.
func (t *Table) Append(ctx context.Context, d *dataset.Dataset) (Snapshot, error) {
	t.commit.Lock()
	defer t.commit.Unlock()
	tbl := t.Iceberg()
	added, cleanup, err := writeData(ctx, tbl, d)
	if err != nil {
		return Snapshot{}, fmt.Errorf("iceberg: Append %s: %w", t.Name(), err)
	}
	snap, err := t.commitFiles(ctx, tbl, nil, added)
	if err != nil {
		cleanup()
		return Snapshot{}, fmt.Errorf("iceberg: Append %s: %w", t.Name(), err)
	}
	return snap, nil
}

// Overwrite replaces the table's rows by d's, in one overwrite snapshot that removes
// every current data file and adds d's (as Append writes them). Older snapshots keep
// the replaced files for time travel.
func (t *Table) Overwrite(ctx context.Context, d *dataset.Dataset) (Snapshot, error) {
	t.commit.Lock()
	defer t.commit.Unlock()
	tbl := t.Iceberg()
	var old []iceberggo.DataFile
	if tbl.CurrentSnapshot() != nil {
		tasks, err := planAll(ctx, tbl, iceberggo.AlwaysTrue{})
		if err != nil {
			return Snapshot{}, fmt.Errorf("iceberg: Overwrite %s: %w", t.Name(), err)
		}
		old = uniqueFiles(tasks)
	}
	added, cleanup, err := writeData(ctx, tbl, d)
	if err != nil {
		return Snapshot{}, fmt.Errorf("iceberg: Overwrite %s: %w", t.Name(), err)
	}
	snap, err := t.commitFiles(ctx, tbl, old, added)
	if err != nil {
		cleanup()
		return Snapshot{}, fmt.Errorf("iceberg: Overwrite %s: %w", t.Name(), err)
	}
	return snap, nil
}

// OverwriteWhere deletes the rows matching the filter and adds d's rows, in one
// overwrite snapshot (Spark's overwrite(condition), Delta's replaceWhere without its
// check that d's rows match). The files holding matching rows are rewritten without
// them, as Delete does, in the same job that writes d's rows; d's rows are not checked
// against the filter. It returns the snapshot and the number of rows deleted.
func (t *Table) OverwriteWhere(ctx context.Context, s *dataset.Session, d *dataset.Dataset, filter ...Predicate) (Snapshot, int64, error) {
	t.commit.Lock()
	defer t.commit.Unlock()
	snap, n, err := t.rewrite(ctx, s, filter, d)
	if err != nil {
		return Snapshot{}, 0, fmt.Errorf("iceberg: OverwriteWhere %s: %w", t.Name(), err)
	}
	return snap, n, nil
}

// Delete deletes the rows matching every predicate of the filter (all rows for an
// empty filter) by copy-on-write: the data files the filter's planning cannot exclude
// are read by kindling in session s, those holding matching rows are rewritten without
// them, and one overwrite snapshot swaps the files (a job counting the matches per
// file, a job writing). It returns the number of rows
// deleted; when none match, nothing is committed. A row whose filter column is NULL
// does not match (SQL's DELETE ... WHERE).
func (t *Table) Delete(ctx context.Context, s *dataset.Session, filter ...Predicate) (int64, error) {
	t.commit.Lock()
	defer t.commit.Unlock()
	_, n, err := t.rewrite(ctx, s, filter, nil)
	if err != nil {
		return 0, fmt.Errorf("iceberg: Delete %s: %w", t.Name(), err)
	}
	return n, nil
}

// rewrite removes the rows matching filter from the files holding some and adds add's
// rows (if any), committing both in one snapshot.
func (t *Table) rewrite(ctx context.Context, s *dataset.Session, filter []Predicate, add *dataset.Dataset) (Snapshot, int64, error) {
	tbl := t.Iceberg()
	skip, err := unprunable(ctx, tbl, snapshotsSince(tbl, tbl.CurrentSnapshot(), nil))
	if err != nil {
		return Snapshot{}, 0, err
	}
	cf, err := compileFilter(tbl.Schema(), filter, skip)
	if err != nil {
		return Snapshot{}, 0, err
	}
	var m matches
	if tbl.CurrentSnapshot() != nil {
		tasks, err := planAll(ctx, tbl, cf.iceberg)
		if err != nil {
			return Snapshot{}, 0, err
		}
		if m, err = matchingFiles(ctx, s, tbl, pruneByPartition(tbl, tasks, filter, skip), cf.expr); err != nil {
			return Snapshot{}, 0, err
		}
	}
	data := m.rows
	if data != nil {
		data = data.Filter(dataset.Coalesce(cf.expr, dataset.Lit(false)).Not())
	}
	switch {
	case data == nil:
		data = add
	case add != nil:
		if add, err = conformWrite(add, tbl.Schema()); err != nil {
			return Snapshot{}, 0, err
		}
		data = data.Union(add)
	}
	if data == nil {
		cur, _ := t.CurrentSnapshot()
		return cur, 0, nil
	}
	added, cleanup, err := writeData(ctx, tbl, data)
	if err != nil {
		return Snapshot{}, 0, err
	}
	snap, err := t.commitFiles(ctx, tbl, m.files, added)
	if err != nil {
		cleanup()
		return Snapshot{}, 0, err
	}
	return snap, m.count, nil
}

// matches are the data files holding rows a filter matches: the files, all their rows
// (nil when there is none), and the count of matching rows.
type matches struct {
	files []iceberggo.DataFile
	rows  *dataset.Dataset
	count int64
}

// maxTaggedFiles bounds the candidate files matchingFiles reads as one dataset each to
// tell which hold a match; beyond it, every candidate is rewritten.
const maxTaggedFiles = 256

// fileTag names the column telling matchingFiles which file a row came from.
const fileTag = "__kindling_iceberg_file"

// matchingFiles finds, among the planned candidate files, those holding a row cond
// matches, in one job counting the matches per file: copy-on-write rewrites them only,
// as Spark does. The candidates are read whole (load drops the planner's residual,
// which would drop exactly the matching rows).
func matchingFiles(ctx context.Context, s *dataset.Session, tbl *table.Table, tasks []table.FileScanTask, cond dataset.Expr) (matches, error) {
	whole := &preparedScan{filter: compiledFilter{empty: true}}
	groups := tasksByFile(tasks)
	if len(groups) == 0 {
		return matches{}, nil
	}
	if len(groups) > maxTaggedFiles {
		all, err := load(ctx, s, tbl, whole, tasks)
		if err != nil {
			return matches{}, err
		}
		n, err := all.Filter(cond).Count(ctx)
		if err != nil || n == 0 {
			return matches{}, err
		}
		return matches{files: uniqueFiles(tasks), rows: all, count: n}, nil
	}
	parts := make([]*dataset.Dataset, len(groups))
	tagged := make([]*dataset.Dataset, len(groups))
	for i, g := range groups {
		d, err := load(ctx, s, tbl, whole, g)
		if err != nil {
			return matches{}, err
		}
		parts[i], tagged[i] = d, d.WithColumn(fileTag, dataset.Lit(int64(i)))
	}
	counts, err := tagged[0].Union(tagged[1:]...).Filter(cond).GroupBy(fileTag).Agg(dataset.Count()).Collect(ctx)
	if err != nil {
		return matches{}, err
	}
	defer func() {
		for _, r := range counts {
			r.Release()
		}
	}()
	var m matches
	var hit []*dataset.Dataset
	for _, rec := range counts {
		ids, ns := rec.Column(0).(*array.Int64), rec.Column(1).(*array.Int64)
		for r := 0; r < int(rec.NumRows()); r++ {
			i := ids.Value(r)
			m.files = append(m.files, groups[i][0].File)
			m.count += ns.Value(r)
			hit = append(hit, parts[i])
		}
	}
	if len(hit) > 0 {
		m.rows = hit[0].Union(hit[1:]...)
	}
	return m, nil
}

func planAll(ctx context.Context, tbl *table.Table, filter iceberggo.BooleanExpression) ([]table.FileScanTask, error) {
	scan := tbl.Scan(table.WithRowFilter(filter))
	defer scan.Close()
	return scan.PlanFiles(ctx)
}

func uniqueFiles(tasks []table.FileScanTask) []iceberggo.DataFile {
	seen := map[string]bool{}
	var out []iceberggo.DataFile
	for _, task := range tasks {
		if p := task.File.FilePath(); !seen[p] {
			seen[p] = true
			out = append(out, task.File)
		}
	}
	return out
}

// commitFiles commits one snapshot removing old and adding added, based on tbl; a
// concurrent commit by another writer is reconciled (or refused) by iceberg-go.
func (t *Table) commitFiles(ctx context.Context, tbl *table.Table, old, added []iceberggo.DataFile) (Snapshot, error) {
	if len(old) == 0 && len(added) == 0 {
		cur, _ := t.CurrentSnapshot()
		return cur, nil
	}
	tx := tbl.NewTransaction()
	if err := tx.ReplaceDataFilesWithDataFiles(ctx, old, added, nil); err != nil {
		return Snapshot{}, err
	}
	fresh, err := tx.Commit(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	t.set(fresh)
	cur, _ := t.CurrentSnapshot()
	return cur, nil
}

// writeData writes d as data files of tbl and describes them for the manifest. cleanup
// removes the files, for when the commit fails.
func writeData(ctx context.Context, tbl *table.Table, d *dataset.Dataset) ([]iceberggo.DataFile, func(), error) {
	d, err := conformWrite(d, tbl.Schema())
	if err != nil {
		return nil, nil, err
	}
	keys, ok, err := partitionKeys(tbl.Spec(), tbl.Schema())
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return writeWithIceberg(ctx, tbl, d)
	}
	root, local := localPath(tbl.Location())
	if !local {
		return writeWithIceberg(ctx, tbl, d)
	}
	dir := filepath.Join(root, "data", "kindling-"+uuid.NewString())
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := writeParquet(ctx, tbl, d, keys, dir); err != nil {
		cleanup()
		return nil, nil, err
	}
	files, err := describeFiles(ctx, tbl, dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return files, cleanup, nil
}

func writeParquet(ctx context.Context, tbl *table.Table, d *dataset.Dataset, keys []partitionKey, dir string) error {
	var opts []dataset.WriteOption
	if codec, ok := parquetCodec(tbl.Properties()); ok {
		opts = append(opts, dataset.ParquetCompression(codec))
	}
	if len(keys) > 0 {
		schema, err := d.Schema()
		if err != nil {
			return err
		}
		cols := make([]dataset.Expr, 0, schema.NumFields()+len(keys))
		for _, f := range schema.Fields() {
			cols = append(cols, dataset.Col(f.Name))
		}
		names := make([]string, len(keys))
		for i, k := range keys {
			cols = append(cols, k.expr)
			names[i] = k.name
		}
		d = d.Select(cols...)
		opts = append(opts, dataset.PartitionedBy(names...))
	}
	d, err := withFieldIDs(d, tbl.Schema())
	if err != nil {
		return err
	}
	return d.WriteParquet(ctx, dir, opts...)
}

// parquetCodec maps the table's write.parquet.compression-codec to kindling's codec
// names; iceberg-go's default (zstd) is kindling's too.
func parquetCodec(props iceberggo.Properties) (string, bool) {
	codec := strings.ToLower(props.Get("write.parquet.compression-codec", ""))
	switch codec {
	case "zstd", "snappy", "gzip", "brotli", "lz4":
		return codec, true
	case "uncompressed", "none":
		return "none", true
	}
	return "", false
}

// writeWithIceberg has iceberg-go's writer write d's rows, for the partition specs
// kindling cannot lay files out by.
func writeWithIceberg(ctx context.Context, tbl *table.Table, d *dataset.Dataset) ([]iceberggo.DataFile, func(), error) {
	d, err := withFieldIDs(d, tbl.Schema())
	if err != nil {
		return nil, nil, err
	}
	schema, err := d.Schema()
	if err != nil {
		return nil, nil, err
	}
	var files []iceberggo.DataFile
	cleanup := func() {
		for _, f := range files {
			if p, ok := localPath(f.FilePath()); ok {
				_ = os.Remove(p)
			}
		}
	}
	for df, err := range table.WriteRecords(ctx, tbl, schema, ownedBatches(ctx, d)) {
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		files = append(files, df)
	}
	return files, cleanup, nil
}

// ownedBatches streams d's batches to a consumer that releases them (WriteRecords),
// while kindling releases each batch after the loop body: each is retained once more.
func ownedBatches(ctx context.Context, d *dataset.Dataset) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for rec, err := range d.Batches(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			rec.Retain()
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// conformWrite gives d the table's columns, in order and of its types, failing on a
// column the table lacks or a required column d lacks.
func conformWrite(d *dataset.Dataset, sc *iceberggo.Schema) (*dataset.Dataset, error) {
	target, err := table.SchemaToArrowSchema(sc, nil, false, false)
	if err != nil {
		return nil, err
	}
	have, err := d.Schema()
	if err != nil {
		return nil, err
	}
	for _, f := range have.Fields() {
		if len(target.FieldIndices(f.Name)) == 0 {
			return nil, fmt.Errorf("column %q is not in the table's schema", f.Name)
		}
	}
	for _, f := range target.Fields() {
		if !f.Nullable && len(have.FieldIndices(f.Name)) == 0 {
			return nil, fmt.Errorf("required column %q is missing", f.Name)
		}
	}
	return conform(d, target)
}

// withFieldIDs declares d's table columns (its first ones, as conformWrite ordered
// them) with their Iceberg field IDs, which kindling's Parquet writer stores in the
// files: readers then match the columns by ID, as Iceberg intends, rather than through
// the table's name mapping, which iceberg-go does not update on a rename (a file
// written after one would be unreadable to it). Required columns are declared
// non-nullable, as iceberg-go requires of the files; a NULL in one fails the write.
func withFieldIDs(d *dataset.Dataset, sc *iceberggo.Schema) (*dataset.Dataset, error) {
	ids, err := table.SchemaToArrowSchema(sc, nil, true, false)
	if err != nil {
		return nil, err
	}
	have, err := d.Schema()
	if err != nil {
		return nil, err
	}
	fields := slices.Clone(have.Fields())
	copy(fields, ids.Fields())
	out := arrow.NewSchema(fields, nil)
	return d.MapBatches("iceberg.fieldIDs", out, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		for i, f := range ids.Fields() {
			if !f.Nullable && in.Column(i).NullN() > 0 {
				return nil, fmt.Errorf("required column %q holds NULL", f.Name)
			}
		}
		return array.NewRecordBatch(out, in.Columns(), in.NumRows()), nil
	}), nil
}
