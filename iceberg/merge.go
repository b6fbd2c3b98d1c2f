package iceberg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/kindling-data/kindling/dataset"
)

// mergeMarker prefixes Merge's temporary columns.
const mergeMarker = "__kindling_iceberg_merge_"

// maxKeyValues bounds the distinct values of a key column that Merge plans its
// candidate files with as an IN list; beyond it, their range is used.
const maxKeyValues = 256

// mergeGroups bounds the file groups Merge tags its candidate rows with (see
// fileGroups); a variable so that tests can make it small.
var mergeGroups = maxTaggedFiles

// defaultDeleteOps are dataset.MergeSpec's default delete operations.
var defaultDeleteOps = []string{"D", "d", "delete", "DELETE"}

// Merge applies the change feed changes to the table as dataset.MergeInto applies one to
// a Parquet table: for each key (spec.Keys), the latest change by spec.OrderBy deletes
// the key's row when its spec.OpColumn value is one of spec.DeleteOps ("D", "d",
// "delete" and "DELETE" when nil) and otherwise inserts or replaces it. A change with a
// NULL key matches no row of the table; as in MergeInto, the changes to NULL keys count
// as one key, whose latest change is inserted (or, as a delete, ignored). changes must
// have every column of the table (cast to the table's types) and spec's columns; only
// the table's columns are written (not the OpColumn, unless the table has one).
// spec.PartitionBy must be empty or name the table's partition source columns: an
// Iceberg table's layout is its partition spec.
//
// It is copy-on-write in one snapshot. The candidate files are those whose partition
// and column statistics admit a changed key: the planning filter holds each key
// column's changed values (or their range, when there are many), so a table
// partitioned by a key column has only the partitions of changed keys read. One job
// joins the candidates' keys with the changed keys, counting the hits per file; the
// files with a hit are rewritten without the changed keys' rows, the upserts are
// written beside them, and one commit removes the former and adds the new files.
// Every other file stays in the table as it is (beyond 256 candidate files, the hits
// are counted per group of neighbouring files, and a group with a hit is rewritten
// whole). A key's row may move to another partition. Nothing is committed when no
// change applies (an empty feed, only deletes of keys the table does not hold).
//
// The counts are of the table's rows: Updated rows replaced by an upsert, Deleted rows
// removed, Inserted upserts of keys the table did not hold (a key held by several rows
// counts each in Updated or Deleted). PartitionsRewritten counts the partitions that
// had a file removed or added (0 for an unpartitioned table); TableRewritten says every
// data file of the table was replaced (or it had none). Besides the write, it runs a
// job for the feed's statistics, one per key column with few changed values to list
// them, and the join.
func (t *Table) Merge(ctx context.Context, changes *dataset.Dataset, spec dataset.MergeSpec) (dataset.MergeResult, error) {
	if changes == nil {
		return dataset.MergeResult{}, fmt.Errorf("iceberg: Merge %s: no changes", t.Name())
	}
	t.commit.Lock()
	defer t.commit.Unlock()
	res, err := t.merge(ctx, changes, spec)
	if err != nil {
		return dataset.MergeResult{}, t.wrap("Merge", err)
	}
	return res, nil
}

func (t *Table) merge(ctx context.Context, changes *dataset.Dataset, spec dataset.MergeSpec) (dataset.MergeResult, error) {
	tbl := t.Iceberg()
	target, err := arrowSchema(tbl.Schema())
	if err != nil {
		return dataset.MergeResult{}, err
	}
	if spec.DeleteOps == nil {
		spec.DeleteOps = defaultDeleteOps
	}
	if err := checkMergeSpec(spec, target, t.PartitionSpec()); err != nil {
		return dataset.MergeResult{}, err
	}
	conformed, err := conformChanges(changes, target, spec)
	if err != nil {
		return dataset.MergeResult{}, err
	}
	// The feed is read once: the statistics, the join and the write reuse its latest
	// changes, and a feed streamed from a reader could not be read again.
	latest := latestChanges(conformed, spec).Persist(dataset.MemoryAndDisk)
	defer latest.Unpersist()
	keyCols := cols(spec.Keys)
	changed := latest.Select(append(slices.Clone(keyCols), dataset.Col(isDeleteCol))...)
	ups, err := conformWrite(latest.Filter(dataset.Col(isDeleteCol).Not()).Select(cols(fieldNames(target))...), tbl.Schema())
	if err != nil {
		return dataset.MergeResult{}, err
	}

	stats, err := feedStats(ctx, latest, tbl.Schema(), spec.Keys)
	if err != nil {
		return dataset.MergeResult{}, err
	}
	var h hits
	if tbl.CurrentSnapshot() != nil && stats.mayMatch {
		preds, err := keyPredicates(ctx, latest, stats)
		if err != nil {
			return dataset.MergeResult{}, err
		}
		tasks, err := candidateFiles(ctx, tbl, preds)
		if err != nil {
			return dataset.MergeResult{}, err
		}
		if h, err = findHits(ctx, changes.Session(), tbl, tasks, spec.Keys, changed); err != nil {
			return dataset.MergeResult{}, err
		}
	}
	res := dataset.MergeResult{Updated: h.updated, Deleted: h.deleted, Inserted: stats.upserts - h.upsertKeys}
	var data *dataset.Dataset
	if h.rows != nil {
		data = h.rows.Join(changed.Select(keyCols...), dataset.On(spec.Keys...), dataset.LeftAnti)
	}
	switch {
	case stats.upserts == 0:
	case data == nil:
		data = ups
	default:
		data = data.Union(ups)
	}
	if data == nil {
		return res, nil
	}
	before := totalDataFiles(tbl)
	added, cleanup, err := writeData(ctx, tbl, data)
	if err != nil {
		return dataset.MergeResult{}, err
	}
	if _, err := t.commitFiles(ctx, tbl, h.files, added); err != nil {
		cleanup()
		return dataset.MergeResult{}, err
	}
	res.TableRewritten = before >= 0 && len(h.files) == before
	res.PartitionsRewritten = partitionsOf(tbl, h.files, added)
	return res, nil
}

// isDeleteCol marks the latest changes that delete their key.
const isDeleteCol = mergeMarker + "delete"

func checkMergeSpec(spec dataset.MergeSpec, target *arrow.Schema, parts []PartitionField) error {
	if len(spec.Keys) == 0 {
		return errors.New("no key columns")
	}
	if spec.OrderBy == "" {
		return errors.New("no OrderBy column to pick the latest change")
	}
	for _, k := range spec.Keys {
		if len(target.FieldIndices(k)) == 0 {
			return fmt.Errorf("key column %q is not a column of the table", k)
		}
	}
	if len(spec.PartitionBy) > 0 {
		var sources []string
		for _, p := range parts {
			sources = append(sources, p.Column)
		}
		if !slices.Equal(sources, spec.PartitionBy) {
			return fmt.Errorf("the table is partitioned by %v, not %v (its partition spec is set by CreateTable)", sources, spec.PartitionBy)
		}
	}
	return nil
}

// conformChanges selects the table's columns from changes, cast to the table's types,
// and the spec's columns that are not the table's.
func conformChanges(changes *dataset.Dataset, target *arrow.Schema, spec dataset.MergeSpec) (*dataset.Dataset, error) {
	have, err := changes.Schema()
	if err != nil {
		return nil, err
	}
	out := make([]dataset.Expr, 0, target.NumFields()+2)
	for _, f := range target.Fields() {
		idx := have.FieldIndices(f.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("the changes have no column %q of the table", f.Name)
		}
		c := dataset.Col(f.Name)
		if !arrow.TypeEqual(have.Field(idx[0]).Type, f.Type) {
			c = c.Cast(f.Type).As(f.Name)
		}
		out = append(out, c)
	}
	for _, extra := range []string{spec.OrderBy, spec.OpColumn} {
		if extra == "" || len(target.FieldIndices(extra)) > 0 {
			continue
		}
		if len(have.FieldIndices(extra)) == 0 {
			return nil, fmt.Errorf("the changes have no column %q", extra)
		}
		out = append(out, dataset.Col(extra))
	}
	return changes.Select(out...), nil
}

// latestChanges keeps each key's latest change, marked by isDeleteCol as a delete or
// not, exactly as dataset.MergeInto picks them (NULL keys form one window partition).
func latestChanges(d *dataset.Dataset, spec dataset.MergeSpec) *dataset.Dataset {
	rn := mergeMarker + "rn"
	l := d.WithColumn(rn, dataset.RowNumber().Over(dataset.PartitionBy(spec.Keys...).OrderBy(dataset.Desc(spec.OrderBy)))).
		Filter(dataset.Col(rn).Eq(dataset.Lit(1))).Drop(rn)
	isDel := dataset.Lit(false)
	if spec.OpColumn != "" {
		ops := make([]any, len(spec.DeleteOps))
		for i, o := range spec.DeleteOps {
			ops[i] = o
		}
		isDel = dataset.Coalesce(dataset.Col(spec.OpColumn).Cast(arrow.BinaryTypes.String).IsIn(ops...), dataset.Lit(false))
	}
	return l.WithColumn(isDeleteCol, isDel)
}

// feed is what the statistics job learns of the latest changes.
type feed struct {
	upserts int64
	// mayMatch is false when some key column is NULL in every change: no row can match.
	mayMatch bool
	// keys describes the key columns whose changed values can prune the planning.
	keys []keyRange
}

// keyRange is a key column's changed values: their bounds and how many there are.
type keyRange struct {
	column   string
	min, max any
	distinct int64
}

// prunable reports whether the planning can be filtered by a key column of type typ:
// a type whose values filter.go turns into literals that bind to the column, and whose
// bounds in the manifests are exact (floats are left out for their NaNs).
func prunable(typ iceberggo.Type) bool {
	switch typ.(type) {
	case iceberggo.Int32Type, iceberggo.Int64Type, iceberggo.StringType, iceberggo.DateType,
		iceberggo.TimestampType, iceberggo.TimestampTzType:
		return true
	}
	return false
}

// feedStats counts the upserts and takes each key column's bounds and distinct values
// count, in one job.
func feedStats(ctx context.Context, latest *dataset.Dataset, sc *iceberggo.Schema, keys []string) (feed, error) {
	up := mergeMarker + "up"
	aggs := []dataset.Agg{dataset.Sum(up).As(up), dataset.Count().As(mergeMarker + "n")}
	var ranges []keyRange
	for _, k := range keys {
		f, _ := sc.FindFieldByName(k)
		aggs = append(aggs, dataset.CountDistinct(k).As(mergeMarker+"distinct_"+k))
		if prunable(f.Type) {
			ranges = append(ranges, keyRange{column: k})
			aggs = append(aggs, dataset.Min(k).As(mergeMarker+"min_"+k), dataset.Max(k).As(mergeMarker+"max_"+k))
		}
	}
	recs, err := latest.WithColumn(up, dataset.If(dataset.Col(isDeleteCol), dataset.Lit(int64(0)), dataset.Lit(int64(1)))).
		GroupBy().Agg(aggs...).Collect(ctx)
	if err != nil {
		return feed{}, err
	}
	defer release(recs)
	var rec arrow.RecordBatch
	for _, r := range recs {
		if r.NumRows() > 0 {
			rec = r
		}
	}
	if rec == nil || !rec.Column(1).IsValid(0) || int64At(rec.Column(1), 0) == 0 {
		return feed{}, nil // no change
	}
	out := feed{upserts: int64At(rec.Column(0), 0), mayMatch: true}
	col := 2
	for _, k := range keys {
		distinct := int64At(rec.Column(col), 0)
		col++
		if distinct == 0 {
			out.mayMatch = false
		}
		if len(ranges) > 0 && ranges[0].column == k {
			r := ranges[0]
			ranges = ranges[1:]
			r.distinct = distinct
			r.min, _ = goValue(rec.Column(col), 0)
			r.max, _ = goValue(rec.Column(col+1), 0)
			col += 2
			if r.min != nil && r.max != nil {
				out.keys = append(out.keys, r)
			}
		}
	}
	return out, nil
}

// keyPredicates is the planning filter admitting the changed keys: per key column its
// changed values, when few, or their range. A row matching a change matches each
// column's predicate, so the filter never skips a file holding a changed key.
func keyPredicates(ctx context.Context, latest *dataset.Dataset, f feed) ([]Predicate, error) {
	var preds []Predicate
	for _, r := range f.keys {
		if r.distinct > maxKeyValues {
			preds = append(preds, Ge(r.column, r.min), Le(r.column, r.max))
			continue
		}
		c := dataset.Col(r.column)
		recs, err := latest.Select(c).Filter(c.IsNotNull()).Distinct().Collect(ctx)
		if err != nil {
			return nil, err
		}
		var vals []any
		for _, rec := range recs {
			for i := range int(rec.NumRows()) {
				if v, ok := goValue(rec.Column(0), i); ok {
					vals = append(vals, v)
				}
			}
		}
		release(recs)
		if len(vals) > 0 {
			preds = append(preds, In(r.column, vals...))
		}
	}
	return preds, nil
}

// candidateFiles plans the current snapshot's files with the key predicates, with the
// same workaround for empty-string partition bounds as Read.
func candidateFiles(ctx context.Context, tbl *table.Table, preds []Predicate) ([]table.FileScanTask, error) {
	skip, err := unprunable(ctx, tbl, snapshotsSince(tbl, tbl.CurrentSnapshot(), nil))
	if err != nil {
		return nil, err
	}
	cf, err := compileFilter(tbl.Schema(), preds, skip)
	if err != nil {
		return nil, err
	}
	tasks, err := planAll(ctx, tbl, cf.iceberg)
	if err != nil {
		return nil, err
	}
	return pruneByPartition(tbl, tasks, preds, skip), nil
}

// hits are the candidate files holding a changed key: the files, all their rows, and
// the counts of the rows updated and deleted and of the upserted keys found.
type hits struct {
	files                        []iceberggo.DataFile
	rows                         *dataset.Dataset
	updated, deleted, upsertKeys int64
}

// findHits joins the candidate files' keys with the changed keys in one job, the rows
// tagged with their file group, and counts the hits per group and kind. A key held by
// rows of several files is counted once in upsertKeys (its first row by group).
func findHits(ctx context.Context, s *dataset.Session, tbl *table.Table, tasks []table.FileScanTask, keys []string, changed *dataset.Dataset) (hits, error) {
	groups := fileGroups(tbl, tasks)
	if len(groups) == 0 {
		return hits{}, nil
	}
	whole := &preparedScan{filter: compiledFilter{empty: true}}
	full := make([]*dataset.Dataset, len(groups))
	tagged := make([]*dataset.Dataset, len(groups))
	for i, g := range groups {
		d, err := load(ctx, s, tbl, whole, g)
		if err != nil {
			return hits{}, err
		}
		full[i] = d
		tagged[i] = d.Select(cols(keys)...).WithColumn(fileTag, dataset.Lit(int64(i)))
	}
	rn, first := mergeMarker+"rn", mergeMarker+"first"
	joined := tagged[0].Union(tagged[1:]...).Join(changed, dataset.On(keys...), dataset.Inner).
		WithColumn(rn, dataset.RowNumber().Over(dataset.PartitionBy(keys...).OrderBy(dataset.Asc(fileTag)))).
		WithColumn(first, dataset.If(dataset.Col(rn).Eq(dataset.Lit(1)), dataset.Lit(int64(1)), dataset.Lit(int64(0))))
	recs, err := joined.GroupBy(fileTag, isDeleteCol).
		Agg(dataset.Count().As(mergeMarker+"n"), dataset.Sum(first).As(first)).Collect(ctx)
	if err != nil {
		return hits{}, err
	}
	defer release(recs)
	var h hits
	hit := map[int64]bool{}
	for _, rec := range recs {
		del := rec.Column(1).(*array.Boolean)
		for r := range int(rec.NumRows()) {
			hit[int64At(rec.Column(0), r)] = true
			n := int64At(rec.Column(2), r)
			if del.Value(r) {
				h.deleted += n
			} else {
				h.updated += n
				h.upsertKeys += int64At(rec.Column(3), r)
			}
		}
	}
	var rows []*dataset.Dataset
	for i, g := range groups {
		if hit[int64(i)] {
			h.files = append(h.files, uniqueFiles(g)...)
			rows = append(rows, full[i])
		}
	}
	if len(rows) > 0 {
		h.rows = rows[0].Union(rows[1:]...)
	}
	return h, nil
}

// fileGroups groups the planned tasks by file, then, beyond mergeGroups files, into
// mergeGroups groups of neighbouring files (by partition, then path): a group with a
// hit is rewritten whole, and files of one partition tend to be hit together.
func fileGroups(tbl *table.Table, tasks []table.FileScanTask) [][]table.FileScanTask {
	groups := tasksByFile(tasks)
	if len(groups) <= mergeGroups {
		return groups
	}
	keyOf := func(g []table.FileScanTask) string {
		return fmt.Sprint(partitionOf(tbl, g[0].File)) + "\x00" + g[0].File.FilePath()
	}
	slices.SortFunc(groups, func(a, b []table.FileScanTask) int { return strings.Compare(keyOf(a), keyOf(b)) })
	per := (len(groups) + mergeGroups - 1) / mergeGroups
	var out [][]table.FileScanTask
	for i := 0; i < len(groups); i += per {
		var merged []table.FileScanTask
		for _, g := range groups[i:min(i+per, len(groups))] {
			merged = append(merged, g...)
		}
		out = append(out, merged)
	}
	return out
}

// tasksByFile groups the planned tasks by the data file they read, in the order the
// files first appear.
func tasksByFile(tasks []table.FileScanTask) [][]table.FileScanTask {
	var groups [][]table.FileScanTask
	index := map[string]int{}
	for _, task := range tasks {
		i, ok := index[task.File.FilePath()]
		if !ok {
			i = len(groups)
			index[task.File.FilePath()] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], task)
	}
	return groups
}

// totalDataFiles is the current snapshot's data file count from its summary, 0 for a
// table never written, -1 when the summary does not say.
func totalDataFiles(tbl *table.Table) int {
	cur := tbl.CurrentSnapshot()
	if cur == nil {
		return 0
	}
	if cur.Summary == nil {
		return -1
	}
	n, err := strconv.Atoi(cur.Summary.Properties["total-data-files"])
	if err != nil {
		return -1
	}
	return n
}

// partitionsOf counts the distinct partitions of the given files, 0 for an
// unpartitioned table.
func partitionsOf(tbl *table.Table, removed, added []iceberggo.DataFile) int {
	if spec := tbl.Spec(); spec.NumFields() == 0 {
		return 0
	}
	seen := map[string]bool{}
	for _, f := range slices.Concat(removed, added) {
		seen[fmt.Sprint(partitionOf(tbl, f))] = true
	}
	return len(seen)
}

func cols(names []string) []dataset.Expr {
	out := make([]dataset.Expr, len(names))
	for i, n := range names {
		out[i] = dataset.Col(n)
	}
	return out
}

func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// int64At reads an integer aggregate's value, 0 for NULL (a sum over no row).
func int64At(a arrow.Array, i int) int64 {
	if a.IsNull(i) {
		return 0
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Uint64:
		return int64(a.Value(i))
	case *array.Float64:
		return int64(a.Value(i))
	}
	return 0
}

// goValue converts a key column's value to the Go value a Predicate takes; ok is false
// for NULL and for types the planning is not filtered by.
func goValue(a arrow.Array, i int) (any, bool) {
	if a.IsNull(i) {
		return nil, false
	}
	switch a := a.(type) {
	case *array.Int32:
		return a.Value(i), true
	case *array.Int64:
		return a.Value(i), true
	case *array.String:
		return strings.Clone(a.Value(i)), true // outlives the batch
	case *array.LargeString:
		return strings.Clone(a.Value(i)), true
	case *array.Date32:
		return a.Value(i), true
	case *array.Timestamp:
		if a.DataType().(*arrow.TimestampType).Unit != arrow.Microsecond {
			return nil, false
		}
		return a.Value(i), true
	}
	return nil, false
}
