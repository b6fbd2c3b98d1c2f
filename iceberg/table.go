package iceberg

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// Table is an Iceberg table of a Catalog. Its methods read the metadata version loaded
// last (by LoadTable, Refresh, or this Table's own commits); Refresh picks up commits
// made by other writers. A Table is safe for concurrent use, but concurrent commits
// through it are serialized.
type Table struct {
	cat   *Catalog
	ident table.Identifier

	commit sync.Mutex // serializes this Table's commits
	mu     sync.Mutex // guards tbl
	tbl    *table.Table
}

// Snapshot is one committed version of a table.
type Snapshot struct {
	// ID identifies the snapshot (AtSnapshot, ReadAppended).
	ID int64
	// ParentID is the previous snapshot's ID, 0 for the first.
	ParentID int64
	// Time is when the snapshot was committed (AsOf).
	Time time.Time
	// Operation is Iceberg's: append, overwrite, replace or delete.
	Operation string
	// Summary is the snapshot summary (added-records, total-records, ...).
	Summary map[string]string
}

// DataFile is a data file a scan plans to read.
type DataFile struct {
	Path      string
	Records   int64
	SizeBytes int64
	// Partition maps the partition field names to the file's partition values
	// (as iceberg-go holds them: int32 days for day, months for month, ...).
	Partition map[string]any
	// DeleteFiles counts the delete files applying to this file (merge-on-read deletes
	// by another writer); kindling reads such a file through iceberg-go.
	DeleteFiles int
}

// Name returns the table's name, "namespace.table".
func (t *Table) Name() string { return strings.Join(t.ident, ".") }

// Iceberg returns the iceberg-go table as last loaded, for what this package does not
// wrap.
func (t *Table) Iceberg() *table.Table {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tbl
}

// Location returns the table's root directory.
func (t *Table) Location() string { return t.Iceberg().Location() }

// Refresh loads the table's latest metadata version, with other writers' commits.
func (t *Table) Refresh(ctx context.Context) error {
	fresh, err := t.cat.cat.LoadTable(ctx, t.ident)
	if err != nil {
		return fmt.Errorf("iceberg: Refresh %s: %w", t.Name(), err)
	}
	t.set(fresh)
	return nil
}

func (t *Table) set(tbl *table.Table) {
	t.mu.Lock()
	t.tbl = tbl
	t.mu.Unlock()
}

// Schema returns the table's current schema as Arrow's, the schema Read returns.
func (t *Table) Schema() (*arrow.Schema, error) {
	return arrowSchema(t.Iceberg().Schema())
}

// PartitionSpec returns the table's current partition fields.
func (t *Table) PartitionSpec() []PartitionField {
	tbl := t.Iceberg()
	spec, sc := tbl.Spec(), tbl.Schema()
	var out []PartitionField
	for _, pf := range spec.Fields() {
		col, _ := sc.FindColumnName(pf.SourceID())
		out = append(out, PartitionField{Column: col, Transform: pf.Transform.String(), Name: pf.Name})
	}
	return out
}

// CurrentSnapshot returns the table's current snapshot; ok is false for a table never
// written.
func (t *Table) CurrentSnapshot() (s Snapshot, ok bool) {
	cur := t.Iceberg().CurrentSnapshot()
	if cur == nil {
		return Snapshot{}, false
	}
	return snapshotOf(*cur), true
}

// Snapshots returns the table's snapshots, oldest first.
func (t *Table) Snapshots() []Snapshot {
	snaps := t.Iceberg().Metadata().Snapshots()
	out := make([]Snapshot, len(snaps))
	for i, s := range snaps {
		out[i] = snapshotOf(s)
	}
	return out
}

func snapshotOf(s table.Snapshot) Snapshot {
	out := Snapshot{ID: s.SnapshotID, Time: time.UnixMilli(s.TimestampMs).UTC()}
	if s.ParentSnapshotID != nil {
		out.ParentID = *s.ParentSnapshotID
	}
	if s.Summary != nil {
		out.Operation = string(s.Summary.Operation)
		out.Summary = map[string]string(s.Summary.Properties)
	}
	return out
}

// PlanFiles returns the data files a Read with the same options would read: those of
// the chosen snapshot whose partition and column statistics the filter cannot exclude.
func (t *Table) PlanFiles(ctx context.Context, opts ...ReadOption) ([]DataFile, error) {
	tbl := t.Iceberg()
	ps, err := newScan(ctx, tbl, opts, nil)
	if err != nil {
		return nil, err
	}
	tasks, err := ps.plan(ctx, tbl)
	if err != nil {
		return nil, fmt.Errorf("iceberg: PlanFiles %s: %w", t.Name(), err)
	}
	return dataFilesOf(tbl, tasks), nil
}

// dataFilesOf describes the planned files once each: iceberg-go splits a large Parquet
// file into several tasks.
func dataFilesOf(tbl *table.Table, tasks []table.FileScanTask) []DataFile {
	var out []DataFile
	index := map[string]int{}
	for _, task := range tasks {
		f := task.File
		if _, dup := index[f.FilePath()]; dup {
			continue
		}
		index[f.FilePath()] = len(out)
		out = append(out, DataFile{
			Path: f.FilePath(), Records: f.Count(), SizeBytes: f.FileSizeBytes(),
			Partition:   partitionOf(tbl, f),
			DeleteFiles: len(task.DeleteFiles) + len(task.EqualityDeleteFiles) + len(task.DeletionVectorFiles),
		})
	}
	return out
}

func partitionOf(tbl *table.Table, f iceberggo.DataFile) map[string]any {
	spec := tbl.Metadata().PartitionSpecByID(int(f.SpecID()))
	if spec == nil || spec.NumFields() == 0 {
		return nil
	}
	vals := f.Partition()
	out := make(map[string]any, spec.NumFields())
	for _, pf := range spec.Fields() {
		out[pf.Name] = vals[pf.FieldID]
	}
	return out
}

func arrowSchema(sc *iceberggo.Schema) (*arrow.Schema, error) {
	s, err := table.SchemaToArrowSchema(sc, nil, false, false)
	if err != nil {
		return nil, fmt.Errorf("iceberg: %w", err)
	}
	return s, nil
}

// wrap names the operation and the table in err, unless err already comes from this
// package's own checks, which name what failed.
func (t *Table) wrap(op string, err error) error {
	if strings.HasPrefix(err.Error(), "iceberg: ") {
		return err
	}
	return fmt.Errorf("iceberg: %s %s: %w", op, t.Name(), err)
}
