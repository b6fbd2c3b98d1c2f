package iceberg_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/iceberg"
)

// A table written by kindling (two appends, partitioned by identity and day) reads
// back identically through iceberg-go's own scan and through kindling.
func TestKindlingWritesIcebergReads(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.events", iceberg.PartitionBy(iceberg.Identity("region"), iceberg.Day("ts")))
	all := events(0, 60)
	f.append(t, tbl, all[:25])
	f.append(t, tbl, all[25:])

	want := rowsOfEvents(all)
	equalRows(t, "iceberg-go scan", f.icebergRows(t, "db.events"), want)
	equalRows(t, "kindling read", f.read(t, tbl), want)
	equalRows(t, "kindling read via iceberg-go reader", f.read(t, tbl, iceberg.ViaIcebergReader()), want)

	files, err := tbl.PlanFiles(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, df := range files {
		if len(df.Partition) != 2 {
			t.Fatalf("file %s has partition %v, want two fields", df.Path, df.Partition)
		}
		key := ""
		if r, ok := df.Partition["region"].(string); ok {
			key = r
		} else if df.Partition["region"] != nil {
			t.Fatalf("region partition value %#v", df.Partition["region"])
		} else {
			key = "<null>"
		}
		seen[key] = true
	}
	for _, r := range []string{"eu", "us", "ap", "", "<null>"} {
		if !seen[r] {
			t.Errorf("no file with region partition %q among %v", r, seen)
		}
	}
}

// A table written by iceberg-go's own append reads back in kindling.
func TestIcebergWritesKindlingReads(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.native", iceberg.PartitionBy(iceberg.Month("ts")))
	all := events(0, 50)
	rec := record(all)
	defer rec.Release()
	native := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
	defer native.Release()
	if _, err := tbl.Iceberg().AppendTable(f.ctx, native, 1024, nil); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Refresh(f.ctx); err != nil {
		t.Fatal(err)
	}
	want := rowsOfEvents(all)
	equalRows(t, "kindling read", f.read(t, tbl), want)
	feb := filterEvents(all, func(e event) bool { return e.ts.Month() == 2 })
	equalRows(t, "kindling read of February", f.read(t, tbl, iceberg.Where(iceberg.Ge("ts", epochFeb))), rowsOfEvents(feb))
	// kindling appends to the table iceberg-go wrote; both readers see both.
	more := events(50, 10)
	f.append(t, tbl, more)
	want = rowsOfEvents(append(slices.Clone(all), more...))
	equalRows(t, "kindling read after a kindling append", f.read(t, tbl), want)
	equalRows(t, "iceberg-go scan after a kindling append", f.icebergRows(t, "db.native"), want)
}

func TestCatalog(t *testing.T) {
	f := newFixture(t)
	f.create(t, "events")
	f.create(t, "db.a.b")
	if _, err := f.cat.CreateTable(f.ctx, "events", eventSchema); !errors.Is(err, iceberg.ErrTableExists) {
		t.Errorf("creating an existing table: %v", err)
	}
	names, err := f.cat.ListTables(f.ctx, iceberg.DefaultNamespace)
	if err != nil || !slices.Equal(names, []string{"default.events"}) {
		t.Fatalf("ListTables: %v, %v", names, err)
	}
	tbl, err := f.cat.LoadTable(f.ctx, "db.a.b")
	if err != nil || tbl.Name() != "db.a.b" {
		t.Fatalf("LoadTable: %v, %v", tbl, err)
	}
	if err := f.cat.DropTable(f.ctx, "events"); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.cat.TableExists(f.ctx, "events"); ok || err != nil {
		t.Errorf("after DropTable: exists=%v, %v", ok, err)
	}
	if _, err := f.cat.LoadTable(f.ctx, "events"); !errors.Is(err, iceberg.ErrNoSuchTable) {
		t.Errorf("loading a dropped table: %v", err)
	}
}
