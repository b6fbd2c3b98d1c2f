package iceberg

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/kindling-data/kindling/dataset"
)

// ReadOption adjusts Read, ReadAppended and PlanFiles.
type ReadOption func(*readConfig)

type readConfig struct {
	snapshotID    *int64
	asOf          *time.Time
	filter        []Predicate
	columns       []string
	icebergReader bool
}

// AtSnapshot reads the table as of the snapshot with this ID (time travel, Spark's
// VERSION AS OF). For ReadAppended it is the last snapshot whose appends are read.
func AtSnapshot(id int64) ReadOption { return func(c *readConfig) { c.snapshotID = &id } }

// AsOf reads the table as it was at t: the latest snapshot committed at or before t
// (Spark's TIMESTAMP AS OF).
func AsOf(t time.Time) ReadOption { return func(c *readConfig) { c.asOf = &t } }

// Where keeps the rows satisfying every predicate. The scan planning skips the
// partitions and files that cannot hold such a row, and kindling filters the rows read.
// Several Where options add up.
func Where(preds ...Predicate) ReadOption {
	return func(c *readConfig) { c.filter = append(c.filter, preds...) }
}

// Columns reads only these columns, in this order.
func Columns(names ...string) ReadOption {
	return func(c *readConfig) { c.columns = append(c.columns, names...) }
}

// ViaIcebergReader reads every file through iceberg-go's Arrow reader instead of
// kindling's Parquet reader, as is done anyway for files with deletes or written under
// other column names. It is slower; it exists to compare the two readers.
func ViaIcebergReader() ReadOption { return func(c *readConfig) { c.icebergReader = true } }

// preparedScan is a scan configured for iceberg-go in two variants: planOpts plan the
// files with the filter (the incremental scan takes options, not a scan), readOpts read
// them without it. iceberg-go's reader cannot evaluate every filter (starts_with is not
// implemented by arrow-go's compute), and kindling evaluates the whole filter anyway.
type preparedScan struct {
	cfg      readConfig
	filter   compiledFilter
	skip     map[string]bool // columns left out of the planning filter (unprunable)
	planOpts []table.ScanOption
	readOpts []table.ScanOption
}

// newScan prepares the scan opts describe; from is the snapshot an incremental scan
// starts after.
func newScan(ctx context.Context, tbl *table.Table, opts []ReadOption, from *int64) (*preparedScan, error) {
	var cfg readConfig
	for _, o := range opts {
		o(&cfg)
	}
	var readOpts []table.ScanOption
	switch {
	case cfg.snapshotID != nil && cfg.asOf != nil:
		return nil, errors.New("iceberg: AtSnapshot and AsOf both given")
	case cfg.snapshotID != nil:
		if tbl.SnapshotByID(*cfg.snapshotID) == nil {
			return nil, fmt.Errorf("iceberg: table %s has no snapshot %d", strings.Join(tbl.Identifier(), "."), *cfg.snapshotID)
		}
		readOpts = append(readOpts, table.WithSnapshotID(*cfg.snapshotID))
	case cfg.asOf != nil:
		if tbl.SnapshotAsOf(cfg.asOf.UnixMilli(), true) == nil {
			return nil, fmt.Errorf("iceberg: table %s has no snapshot at or before %s", strings.Join(tbl.Identifier(), "."), cfg.asOf.UTC().Format(time.RFC3339Nano))
		}
		readOpts = append(readOpts, table.WithSnapshotAsOf(cfg.asOf.UnixMilli()))
	}
	base := tbl.Scan(readOpts...)
	schema := scanSchema(tbl, base)
	var skip map[string]bool
	if len(cfg.filter) > 0 {
		var err error
		if skip, err = unprunable(ctx, tbl, snapshotsSince(tbl, base.Snapshot(), from)); err != nil {
			return nil, err
		}
	}
	_ = base.Close()
	filter, err := compileFilter(schema, cfg.filter, skip)
	if err != nil {
		return nil, err
	}
	if len(cfg.columns) > 0 {
		// The filter's columns are read too: kindling evaluates the filter on the rows.
		fields := slices.Clone(cfg.columns)
		for _, c := range filter.columns {
			if !slices.Contains(fields, c) {
				fields = append(fields, c)
			}
		}
		readOpts = append(readOpts, table.WithSelectedFields(fields...))
	}
	planOpts := slices.Clone(readOpts)
	if !filter.empty {
		planOpts = append(planOpts, table.WithRowFilter(filter.iceberg))
	}
	return &preparedScan{cfg: cfg, filter: filter, skip: skip, planOpts: planOpts, readOpts: readOpts}, nil
}

// plan plans the scan's files.
func (ps *preparedScan) plan(ctx context.Context, tbl *table.Table) ([]table.FileScanTask, error) {
	scan := tbl.Scan(ps.planOpts...)
	defer scan.Close()
	tasks, err := scan.PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	return pruneByPartition(tbl, tasks, ps.cfg.filter, ps.skip), nil
}

// scanSchema is the schema the filter binds to: the snapshot's own when time
// travelling, so that a filter on a since-dropped column still works.
func scanSchema(tbl *table.Table, scan *table.Scan) *iceberggo.Schema {
	if snap := scan.Snapshot(); snap != nil && snap.SchemaID != nil {
		if sc, ok := tbl.Schemas()[*snap.SchemaID]; ok {
			return sc
		}
	}
	return tbl.Schema()
}

// Read returns the table's rows (at the current snapshot, or the one AtSnapshot or AsOf
// choose) as a lazy dataset of session s. The files the scan plans are read by
// kindling's Parquet reader (splitting them into tasks, skipping row groups by their
// statistics); files with merge-on-read deletes, or written under since-renamed
// columns, are read by iceberg-go's reader, which applies the deletes and maps the
// columns by field ID. The dataset's schema is the table's (Schema).
func (t *Table) Read(ctx context.Context, s *dataset.Session, opts ...ReadOption) (*dataset.Dataset, error) {
	d, err := readTable(ctx, s, t.Iceberg(), opts)
	if err != nil {
		return nil, t.wrap("Read", err)
	}
	return d, nil
}

func readTable(ctx context.Context, s *dataset.Session, tbl *table.Table, opts []ReadOption) (*dataset.Dataset, error) {
	ps, err := newScan(ctx, tbl, opts, nil)
	if err != nil {
		return nil, err
	}
	tasks, err := ps.plan(ctx, tbl)
	if err != nil {
		return nil, err
	}
	return load(ctx, s, tbl, ps, tasks)
}

// ReadAppended returns the rows that the append snapshots committed after snapshot
// fromID added, up to the current snapshot (or the one AtSnapshot or AsOf choose):
// an incremental read for a pipeline that remembers the last snapshot it processed.
// Snapshots that overwrite or delete are skipped (their changes are not appends), as
// Spark's incremental read of Iceberg does. When fromID is the last snapshot, no row is
// read. The files are chosen when it is called, so a snapshot committed afterwards does
// not change the dataset; ReadSince also returns the snapshot read up to.
func (t *Table) ReadAppended(ctx context.Context, s *dataset.Session, fromID int64, opts ...ReadOption) (*dataset.Dataset, error) {
	d, err := readAppended(ctx, s, t.Iceberg(), fromID, opts)
	if err != nil {
		return nil, t.wrap("ReadAppended", err)
	}
	return d, nil
}

func readAppended(ctx context.Context, s *dataset.Session, tbl *table.Table, fromID int64, opts []ReadOption) (*dataset.Dataset, error) {
	if tbl.SnapshotByID(fromID) == nil {
		return nil, fmt.Errorf("no snapshot %d", fromID)
	}
	ps, err := newScan(ctx, tbl, opts, &fromID)
	if err != nil {
		return nil, err
	}
	if end := ps.cfg.snapshot(tbl); end != nil && end.SnapshotID == fromID {
		// iceberg-go refuses an exclusive scan from its own end snapshot; nothing was
		// appended since.
		return load(ctx, s, tbl, ps, nil)
	}
	tasks, err := tbl.NewIncrementalAppendScan(ps.planOpts...).FromSnapshotExclusive(fromID).PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	return load(ctx, s, tbl, ps, pruneByPartition(tbl, tasks, ps.cfg.filter, ps.skip))
}

// load makes the dataset of the planned tasks: kindling's Parquet reader over the files
// it can read by name, iceberg-go's reader over the rest, both conformed to the scan's
// schema, then the filter and the column selection.
func load(ctx context.Context, s *dataset.Session, tbl *table.Table, ps *preparedScan, tasks []table.FileScanTask) (*dataset.Dataset, error) {
	scan := tbl.Scan(ps.readOpts...)
	proj, err := scan.Projection()
	if err != nil {
		return nil, err
	}
	target, err := arrowSchema(proj)
	if err != nil {
		return nil, err
	}
	fastOK := !ps.cfg.icebergReader && namesStable(tbl.Metadata()) && kindlingReadable(proj)
	var files []string
	var slow []table.FileScanTask
	seen := map[string]bool{}
	for _, task := range tasks {
		path, local := localPath(task.File.FilePath())
		if fastOK && local && !hasDeletes(task) && task.File.FileFormat() == iceberggo.ParquetFile {
			// iceberg-go splits a large file into several tasks; kindling splits it
			// again by its row groups.
			if !seen[path] {
				seen[path] = true
				files = append(files, path)
			}
			continue
		}
		slow = append(slow, task)
	}
	var parts []*dataset.Dataset
	if len(files) > 0 {
		d, err := conform(s.ReadParquetWith(dataset.ParquetOptions{MergeSchema: true}, files...), target)
		if err != nil {
			return nil, err
		}
		parts = append(parts, d)
	}
	if len(slow) > 0 {
		// The records are read lazily, at the dataset's first action, which may come
		// after the caller's context ended.
		for i := range slow {
			slow[i].Residual = nil
		}
		sc, records, err := scan.ReadTasks(context.WithoutCancel(ctx), slow)
		if err != nil {
			return nil, err
		}
		d, err := conform(s.FromReader(array.ReaderFromIter(sc, records)), target)
		if err != nil {
			return nil, err
		}
		parts = append(parts, d)
	} else {
		_ = scan.Close()
	}
	var d *dataset.Dataset
	switch len(parts) {
	case 0:
		d = s.FromPartitions(target)
	case 1:
		d = parts[0]
	default:
		d = parts[0].Union(parts[1:]...)
	}
	if !ps.filter.empty {
		d = d.Filter(ps.filter.expr)
	}
	if len(ps.cfg.columns) > 0 {
		cols := make([]dataset.Expr, len(ps.cfg.columns))
		for i, c := range ps.cfg.columns {
			cols[i] = dataset.Col(c)
		}
		d = d.Select(cols...)
	}
	return d, nil
}

// conform gives d exactly the target's columns, in order and of its types: files read
// by name may lack a column added later (NULL), hold a narrower type (int before a
// promotion to long), or order their columns differently.
func conform(d *dataset.Dataset, target *arrow.Schema) (*dataset.Dataset, error) {
	have, err := d.Schema()
	if err != nil {
		return nil, err
	}
	same := have.NumFields() == target.NumFields()
	cols := make([]dataset.Expr, target.NumFields())
	for i, f := range target.Fields() {
		idx := have.FieldIndices(f.Name)
		switch {
		case len(idx) == 0:
			cols[i], same = dataset.Lit(nil).Cast(f.Type).As(f.Name), false
		case !arrow.TypeEqual(have.Field(idx[0]).Type, f.Type):
			cols[i], same = dataset.Col(f.Name).Cast(f.Type).As(f.Name), false
		default:
			cols[i] = dataset.Col(f.Name)
			same = same && idx[0] == i
		}
	}
	if same {
		return d, nil
	}
	return d.Select(cols...), nil
}

func hasDeletes(task table.FileScanTask) bool {
	return len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0
}

// localPath returns the local path of a data file location, ok=false for object
// stores, which kindling's reader does not read.
func localPath(loc string) (string, bool) {
	if rest, ok := strings.CutPrefix(loc, "file://"); ok {
		loc = rest
	} else if strings.Contains(loc, "://") {
		return "", false
	}
	return loc, filepath.IsAbs(loc)
}

// kindlingReadable reports whether every column is of a type kindling's Parquet reader
// returns as iceberg-go's Arrow conversion does; nested and exotic types (uuid, fixed,
// time, variant) go through iceberg-go's reader. A column with an initial default
// (format v3) must read as that default from older files, not as NULL.
func kindlingReadable(sc *iceberggo.Schema) bool {
	for _, f := range sc.Fields() {
		if f.InitialDefault != nil {
			return false
		}
		switch f.Type.(type) {
		case iceberggo.BooleanType, iceberggo.Int32Type, iceberggo.Int64Type,
			iceberggo.Float32Type, iceberggo.Float64Type, iceberggo.DecimalType,
			iceberggo.DateType, iceberggo.StringType, iceberggo.BinaryType,
			iceberggo.TimestampType, iceberggo.TimestampTzType:
		default:
			return false
		}
	}
	return true
}

// namesStable reports whether a file's columns can be matched to the table's by name:
// no column was ever renamed, no name was reused for a new column (drop, then add), and
// the name mapping gives no field a second name. Otherwise only field IDs are reliable,
// and iceberg-go's reader, which maps by them, reads the files.
func namesStable(meta table.Metadata) bool {
	cur := meta.CurrentSchema()
	curIndex, err := iceberggo.IndexByName(cur)
	if err != nil {
		return false
	}
	for _, sc := range meta.Schemas() {
		index, err := iceberggo.IndexByName(sc)
		if err != nil {
			return false
		}
		for name, id := range index {
			if cid, ok := curIndex[name]; ok && cid != id {
				return false
			}
			if cname, ok := cur.FindColumnName(id); ok && cname != name {
				return false
			}
		}
	}
	return singleNames(meta.NameMapping())
}

func singleNames(fields []iceberggo.MappedField) bool {
	for _, f := range fields {
		if len(f.Names) > 1 || !singleNames(f.Fields) {
			return false
		}
	}
	return true
}
