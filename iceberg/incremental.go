package iceberg

import (
	"context"
	"errors"

	"github.com/apache/iceberg-go/table"

	"github.com/kindling-data/kindling/dataset"
)

// ReadSince is the read of an incremental load: it returns the rows appended after
// snapshot fromID (ReadAppended) or, for fromID 0 (a first run), all the table's rows
// (Read), and the snapshot they were read up to, which the load records as its next
// fromID (IncrementalLoad.SetCursor, committed with the loaded rows by CommitLoad).
// Reading up to the current snapshot and asking for it afterwards could name a snapshot
// committed in between, whose rows the next run would then never read; ReadSince
// resolves the snapshot once and reads exactly up to it. AtSnapshot or AsOf choose
// another end than the current snapshot.
//
// For a table never written (and fromID 0), it returns no row and the zero Snapshot:
// there is no position to record yet.
func (t *Table) ReadSince(ctx context.Context, s *dataset.Session, fromID int64, opts ...ReadOption) (*dataset.Dataset, Snapshot, error) {
	tbl := t.Iceberg()
	var cfg readConfig
	for _, o := range opts {
		o(&cfg)
	}
	end := cfg.snapshot(tbl)
	if end == nil {
		// No snapshot to read up to: an empty table's first run, or a missing
		// snapshot, which the reads report.
		var d *dataset.Dataset
		var err error
		if fromID == 0 {
			d, err = readTable(ctx, s, tbl, opts)
		} else if _, err = readAppended(ctx, s, tbl, fromID, opts); err == nil {
			err = errors.New("no snapshot to read up to")
		}
		if err != nil {
			return nil, Snapshot{}, t.wrap("ReadSince", err)
		}
		return d, Snapshot{}, nil
	}
	pinned := append(opts[:len(opts):len(opts)], pinSnapshot(end.SnapshotID))
	var d *dataset.Dataset
	var err error
	if fromID == 0 {
		d, err = readTable(ctx, s, tbl, pinned)
	} else {
		d, err = readAppended(ctx, s, tbl, fromID, pinned)
	}
	if err != nil {
		return nil, Snapshot{}, t.wrap("ReadSince", err)
	}
	return d, snapshotOf(*end), nil
}

// pinSnapshot makes a read end at the snapshot with this ID, replacing AsOf.
func pinSnapshot(id int64) ReadOption {
	return func(c *readConfig) { c.snapshotID, c.asOf = &id, nil }
}

// snapshot returns the snapshot a read configured by c reads (up to): the one
// AtSnapshot or AsOf choose, or the current one; nil if there is none.
func (c *readConfig) snapshot(tbl *table.Table) *table.Snapshot {
	switch {
	case c.snapshotID != nil && c.asOf != nil:
		return nil
	case c.snapshotID != nil:
		return tbl.SnapshotByID(*c.snapshotID)
	case c.asOf != nil:
		return tbl.SnapshotAsOf(c.asOf.UnixMilli(), true)
	}
	return tbl.CurrentSnapshot()
}
