package iceberg_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/iceberg"
)

// loadRun is one run of a daily load copying what was appended to an Iceberg table
// into a Parquet table directory, the snapshot read up to kept as the load's cursor.
type loadRun struct {
	f      *fixture
	tbl    *iceberg.Table
	target string
	// during runs between the read and the write, as a commit by another writer.
	during func()
	// fail makes the write fail.
	fail bool
}

func (r loadRun) run(t *testing.T) (rows int64, err error) {
	t.Helper()
	ctx := r.f.ctx
	l, err := r.f.s.IncrementalLoad(r.target, "copy")
	if err != nil {
		t.Fatal(err)
	}
	cursor := "iceberg:" + r.tbl.Name()
	var from int64
	if c, ok := l.Cursor(cursor); ok {
		if from, err = strconv.ParseInt(c, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	d, upTo, err := r.tbl.ReadSince(ctx, r.f.s, from)
	if err != nil {
		t.Fatal(err)
	}
	if r.during != nil {
		r.during()
	}
	d = d.Persist(dataset.MemoryAndDisk)
	defer d.Unpersist()
	if rows, err = d.Count(ctx); err != nil {
		return 0, err
	}
	if r.fail {
		d = d.MapBatches("fail", nil, func(context.Context, arrow.RecordBatch, memory.Allocator) (arrow.RecordBatch, error) {
			return nil, errors.New("injected")
		})
	}
	l.SetCursor(cursor, strconv.FormatInt(upTo.ID, 10))
	return rows, d.WriteParquet(ctx, r.target, dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(l))
}

func (r loadRun) targetRows(t *testing.T) []string {
	t.Helper()
	recs, err := r.f.s.ReadParquet(r.target).Collect(r.f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	return rowsOf(t, recs)
}

// A daily load reads each appended row once, whatever is committed during a run, a
// failed run loads nothing and keeps its cursor, and overwrite snapshots (a delete)
// are not appends.
func TestIncrementalLoadFromIceberg(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.src", iceberg.PartitionBy(iceberg.Day("ts")))
	r := loadRun{f: f, tbl: tbl, target: filepath.Join(t.TempDir(), "copy")}
	a, b, c, d := events(0, 15), events(15, 10), events(25, 7), events(32, 9)
	var loaded []event
	step := func(what string, r loadRun, want []event) {
		t.Helper()
		n, err := r.run(t)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != int64(len(want)) {
			t.Errorf("%s: %d rows read, want %d", what, n, len(want))
		}
		loaded = append(loaded, want...)
		equalRows(t, what, r.targetRows(t), rowsOfEvents(loaded))
	}

	// An empty table: no row, no position yet.
	if _, upTo, err := tbl.ReadSince(f.ctx, f.s, 0); err != nil || upTo.ID != 0 {
		t.Fatalf("ReadSince of an empty table: %+v, %v", upTo, err)
	}
	f.append(t, tbl, a)
	during := r
	during.during = func() { f.append(t, tbl, b) }
	step("first run, b committed while it runs", during, a)
	step("second run", r, b)

	f.append(t, tbl, c)
	failing := r
	failing.fail = true
	if _, err := failing.run(t); err == nil {
		t.Fatal("the failing run did not fail")
	}
	equalRows(t, "after a failed run", r.targetRows(t), rowsOfEvents(loaded))
	step("the run after the failed one", r, c)
	step("a run with nothing new", r, nil)

	if _, err := tbl.Delete(f.ctx, f.s, iceberg.Lt("id", 5)); err != nil {
		t.Fatal(err)
	}
	f.append(t, tbl, d)
	step("a run after a delete and an append", r, d)

	// ReadAppended from the current snapshot is empty, not an error.
	cur, _ := tbl.CurrentSnapshot()
	if rows := readAppended(t, f, tbl, cur.ID); len(rows) != 0 {
		t.Errorf("ReadAppended from the current snapshot: %d rows", len(rows))
	}
	// ReadSince ends at the snapshot AtSnapshot names and says so.
	snaps := tbl.Snapshots()
	first := snaps[0]
	got, upTo, err := tbl.ReadSince(f.ctx, f.s, first.ID, iceberg.AtSnapshot(snaps[1].ID))
	if err != nil || upTo.ID != snaps[1].ID {
		t.Fatalf("ReadSince up to the second snapshot: %+v, %v", upTo, err)
	}
	recs, err := got.Collect(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	equalRows(t, "ReadSince(first, AtSnapshot(second))", rowsOf(t, recs), rowsOfEvents(slices.Clone(b)))
}
