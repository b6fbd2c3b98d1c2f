package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/plan"
)

// MergeSpec says how MergeInto applies a change feed (CDC) to a table.
type MergeSpec struct {
	// Keys are the columns that identify a row of the table. A change with a NULL key
	// matches no row of the table: the latest of the changes with NULL keys (they count
	// as one key, as NULL group keys do) is inserted, or ignored as a delete.
	Keys []string
	// OrderBy is the column that orders the changes to one key: the change with the
	// largest value is the one applied, the others are superseded. Ties are broken
	// arbitrarily, so it should be unique per key (a log sequence number, a change time
	// precise enough).
	OrderBy string
	// OpColumn is the column saying what a change is; its values in DeleteOps delete the
	// key's row, others (and NULL) insert or update it. "" means every change is an
	// upsert. The column is not written to the table.
	OpColumn string
	// DeleteOps are the OpColumn values meaning delete; nil means "D", "d", "delete" and
	// "DELETE".
	DeleteOps []string
	// PartitionBy are the partition columns when MergeInto creates the table; an existing
	// table's are its own (they must then be empty or equal).
	PartitionBy []string
}

// MergeResult says what a MergeInto did.
type MergeResult struct {
	// Inserted, Updated and Deleted count the table's rows added, replaced and removed.
	Inserted, Updated, Deleted int64
	// PartitionsRewritten counts the partition directories replaced (0 when the table is
	// not partitioned or was rewritten whole).
	PartitionsRewritten int
	// TableRewritten says the whole table was written: it was new, unpartitioned, or the
	// changes touched more than MaxMergePartitions partitions.
	TableRewritten bool
}

// MaxMergePartitions bounds the partitions a MergeInto rewrites one by one; a change feed
// touching more rewrites the whole table.
const MaxMergePartitions = 256

// mergeMarker names MergeInto's temporary columns.
const mergeMarker = "__kindling_merge_"

// MergeInto applies the change feed d to the Parquet table in dir (created if missing):
// for each key, the latest change (by spec.OrderBy) inserts, updates or deletes the key's
// row, as Delta's MERGE of a CDC feed does. A partitioned table has only the partitions
// holding a changed key, or receiving a row, rewritten (a dynamic partition overwrite,
// committed atomically with any CommitLoad state in opts); a partition left with no row is
// removed. The table's other partitions are not read. d must have every column of the
// table (cast to the table's types) and spec's columns; extra columns are dropped.
//
// It runs four jobs: the changes' effect per partition and per key (over one scan of the
// table's keys), the upserts per partition, and the write. Updated and Deleted count
// the table's rows (a key the table holds twice is two rows); Inserted counts keys.
func (d *Dataset) MergeInto(ctx context.Context, dir string, spec MergeSpec, opts ...WriteOption) (MergeResult, error) {
	if d.err != nil {
		return MergeResult{}, d.err
	}
	src, err := d.Schema()
	if err != nil {
		return MergeResult{}, err
	}
	if err := spec.check(src); err != nil {
		return MergeResult{}, err
	}
	latest, isDelete := spec.latest(d)
	exists := true
	if _, err := d.s.fs.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		exists = false
	} else if err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	if !exists {
		return spec.create(ctx, latest, isDelete, dir, opts)
	}
	return spec.mergeExisting(ctx, d.s, latest, isDelete, dir, opts)
}

func (spec *MergeSpec) check(src *arrow.Schema) error {
	if len(spec.Keys) == 0 {
		return errors.New("dataset: MergeInto: no key columns")
	}
	if spec.OrderBy == "" {
		return errors.New("dataset: MergeInto: no OrderBy column to pick the latest change")
	}
	need := append(slices.Clone(spec.Keys), spec.OrderBy)
	if spec.OpColumn != "" {
		need = append(need, spec.OpColumn)
	}
	for _, c := range need {
		if len(src.FieldIndices(c)) == 0 {
			return fmt.Errorf("dataset: MergeInto: the changes have no column %q (have %v)", c, fieldNames(src))
		}
	}
	if spec.DeleteOps == nil {
		spec.DeleteOps = []string{"D", "d", "delete", "DELETE"}
	}
	return nil
}

// latest keeps each key's latest change, with a boolean column saying it is a delete.
func (spec *MergeSpec) latest(d *Dataset) (*Dataset, string) {
	rn, del := mergeMarker+"rn", mergeMarker+"delete"
	l := d.WithColumn(rn, RowNumber().Over(PartitionBy(spec.Keys...).OrderBy(Desc(spec.OrderBy)))).
		Filter(Col(rn).Eq(Lit(1))).Drop(rn)
	isDel := Lit(false)
	if spec.OpColumn != "" {
		ops := make([]any, len(spec.DeleteOps))
		for i, o := range spec.DeleteOps {
			ops[i] = o
		}
		isDel = Coalesce(Col(spec.OpColumn).Cast(arrow.BinaryTypes.String).IsIn(ops...), Lit(false))
	}
	return l.WithColumn(del, isDel), del
}

// create writes a new table of the upserts.
func (spec *MergeSpec) create(ctx context.Context, latest *Dataset, isDelete string, dir string, opts []WriteOption) (MergeResult, error) {
	drop := []string{isDelete}
	if spec.OpColumn != "" {
		drop = append(drop, spec.OpColumn)
	}
	ups := latest.Filter(Col(isDelete).Not()).Drop(drop...).Persist(MemoryAndDisk)
	defer ups.Unpersist()
	n, err := ups.Count(ctx)
	if err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	wopts := append([]WriteOption{PartitionedBy(spec.PartitionBy...)}, opts...)
	if err := ups.WriteParquet(ctx, dir, wopts...); err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	return MergeResult{Inserted: n, TableRewritten: true}, nil
}

func (spec *MergeSpec) mergeExisting(ctx context.Context, s *Session, latest *Dataset, isDelete, dir string, opts []WriteOption) (MergeResult, error) {
	table := s.ReadParquet(dir)
	tSchema, err := table.Schema()
	if err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	var partCols []string
	if h, err := datasource.DiscoverHive([]string{dir}); err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	} else if h != nil {
		for _, f := range h.Fields {
			partCols = append(partCols, f.Name)
		}
	}
	if len(spec.PartitionBy) > 0 && !slices.Equal(spec.PartitionBy, partCols) {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %s is partitioned by %v, not %v", dir, partCols, spec.PartitionBy)
	}
	ups, err := upsertsAs(latest, isDelete, tSchema, dir)
	if err != nil {
		return MergeResult{}, err
	}
	keys := latest.Select(append(exprCols(spec.Keys), Col(isDelete))...)

	// Jobs 1 and 2: the table's rows the changes hit (one scan of the table's keys, kept),
	// per partition, updated or deleted; and the changed keys the table holds, which an
	// upsert then updates rather than inserts (a key the table holds twice is one key).
	hitRows := table.Select(exprCols(append(slices.Clone(spec.Keys), partCols...))...).
		Join(keys, On(spec.Keys...), Inner).Persist(MemoryAndDisk)
	defer hitRows.Unpersist()
	hit := hitRows.GroupBy(append(slices.Clone(partCols), isDelete)...).Agg(Count().As(mergeMarker + "n"))
	res := MergeResult{}
	touched, err := collectPartitions(ctx, hit, partCols, func(rec arrow.RecordBatch, row int) {
		n := rec.Column(len(partCols) + 1).(*array.Int64).Value(row)
		if rec.Column(len(partCols)).(*array.Boolean).Value(row) {
			res.Deleted += n
		} else {
			res.Updated += n
		}
	})
	if err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	var heldKeys int64
	heldByKey := hitRows.GroupBy(append(slices.Clone(spec.Keys), isDelete)...).Agg(Count().As(mergeMarker + "n")).
		Filter(Col(isDelete).Not())
	if heldKeys, err = heldByKey.Count(ctx); err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	// Job 3: the upserts per partition.
	var upserts int64
	landing, err := collectPartitions(ctx, ups.GroupBy(partCols...).Agg(Count().As(mergeMarker+"n")), partCols,
		func(rec arrow.RecordBatch, row int) { upserts += rec.Column(len(partCols)).(*array.Int64).Value(row) })
	if err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	res.Inserted = upserts - heldKeys
	affected := touched
	for dir, cond := range landing {
		affected[dir] = cond
	}
	// Job 4: the affected partitions without the changed keys, plus the upserts.
	keep := table
	wopts := []WriteOption{PartitionedBy(partCols...)}
	if len(partCols) == 0 || len(affected) > MaxMergePartitions {
		res.TableRewritten = true
		wopts = append(wopts, WriteMode(ModeOverwrite))
	} else {
		dirs := make([]string, 0, len(affected))
		for dir := range affected {
			dirs = append(dirs, dir)
		}
		slices.Sort(dirs)
		if len(dirs) == 0 {
			return res, nil // nothing to do
		}
		inAffected := affected[dirs[0]]
		for _, dir := range dirs[1:] {
			inAffected = inAffected.Or(affected[dir])
		}
		keep = table.Filter(inAffected)
		res.PartitionsRewritten = len(dirs)
		wopts = append(wopts, WriteMode(ModeOverwritePartitions), replacePartitions(dirs))
	}
	out := keep.Join(keys.Select(exprCols(spec.Keys)...), On(spec.Keys...), LeftAnti).UnionByName(ups, false)
	if err := out.WriteParquet(ctx, dir, append(wopts, opts...)...); err != nil {
		return MergeResult{}, fmt.Errorf("dataset: MergeInto: %w", err)
	}
	return res, nil
}

// upsertsAs returns the latest changes that are not deletes in the table's columns and
// types.
func upsertsAs(latest *Dataset, isDelete string, table *arrow.Schema, dir string) (*Dataset, error) {
	ls, err := latest.Schema()
	if err != nil {
		return nil, err
	}
	cols := make([]Expr, table.NumFields())
	for i, f := range table.Fields() {
		idx := ls.FieldIndices(f.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("dataset: MergeInto: the changes have no column %q of the table %s", f.Name, dir)
		}
		c := Col(f.Name)
		if !arrow.TypeEqual(ls.Field(idx[0]).Type, f.Type) {
			c = c.Cast(f.Type).As(f.Name)
		}
		cols[i] = c
	}
	return latest.Filter(Col(isDelete).Not()).Select(cols...), nil
}

// replacePartitions makes an OverwritePartitions write replace dirs even where it writes
// no row (they are then removed).
func replacePartitions(dirs []string) WriteOption {
	return func(o *writeOptions) { o.replaceDirs = append(o.replaceDirs, dirs...) }
}

func exprCols(names []string) []Expr {
	out := make([]Expr, len(names))
	for i, n := range names {
		out[i] = Col(n)
	}
	return out
}

// collectPartitions runs d, whose first columns are partCols, calls each for every row,
// and returns the distinct partitions' directories with a condition selecting each.
func collectPartitions(ctx context.Context, d *Dataset, partCols []string, each func(rec arrow.RecordBatch, row int)) (map[string]Expr, error) {
	recs, err := d.Collect(ctx)
	if err != nil {
		return nil, err
	}
	defer releaseAll(recs)
	out := map[string]Expr{}
	for _, rec := range recs {
		for row := range int(rec.NumRows()) {
			each(rec, row)
		}
		if len(partCols) == 0 || rec.NumRows() == 0 {
			continue
		}
		sp, err := datasource.NewPartitionSplitter(rec.Schema(), partCols)
		if err != nil {
			return nil, err
		}
		for _, g := range sp.Split(rec) {
			row := 0
			if g.Rows != nil {
				row = int(g.Rows[0])
			}
			out[g.Dir] = partitionCondition(rec, partCols, row)
		}
	}
	return out, nil
}

// partitionCondition is true on the table's rows of the partition of rec's row. The
// table reads its directory's value back, so NULL and "" (one directory) are NULL.
func partitionCondition(rec arrow.RecordBatch, partCols []string, row int) Expr {
	var cond Expr
	for i, c := range partCols {
		a := rec.Column(i)
		var term Expr
		if lit := partitionLiteral(a, row); lit == nil {
			term = Col(c).IsNull()
		} else {
			term = Col(c).Eq(Expr{e: lit})
		}
		if i == 0 {
			cond = term
		} else {
			cond = cond.And(term)
		}
	}
	return cond
}

// partitionLiteral is row's value of a partition column of the table as a literal, nil
// for the NULL partition.
func partitionLiteral(a arrow.Array, row int) *plan.Literal {
	if a.IsNull(row) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return &plan.Literal{Value: a.Value(row), Type: a.DataType()}
	case *array.Float64:
		return &plan.Literal{Value: a.Value(row), Type: a.DataType()}
	case *array.Date32:
		return &plan.Literal{Value: a.Value(row), Type: a.DataType()}
	case *array.Timestamp:
		return &plan.Literal{Value: a.Value(row), Type: a.DataType()}
	case *array.Boolean:
		return &plan.Literal{Value: a.Value(row), Type: a.DataType()}
	case *array.Dictionary:
		return partitionLiteral(a.Dictionary(), a.GetValueIndex(row))
	}
	v := strings.Clone(a.ValueStr(row)) // the literal outlives the batch's buffers
	if v == "" {
		return nil
	}
	return &plan.Literal{Value: v, Type: arrow.BinaryTypes.String}
}
