package iceberg_test

import (
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/iceberg"
)

func TestTimeTravel(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.tt", iceberg.PartitionBy(iceberg.Identity("region")))
	first, second := events(0, 20), events(20, 15)
	s1 := f.append(t, tbl, first)
	s2 := f.append(t, tbl, second)
	if _, err := tbl.Delete(f.ctx, f.s, iceberg.Eq("region", "eu")); err != nil {
		t.Fatal(err)
	}
	both := append(slices.Clone(first), second...)
	equalRows(t, "AtSnapshot(first)", f.read(t, tbl, iceberg.AtSnapshot(s1.ID)), rowsOfEvents(first))
	equalRows(t, "AtSnapshot(second)", f.read(t, tbl, iceberg.AtSnapshot(s2.ID)), rowsOfEvents(both))
	equalRows(t, "AsOf(first's time)", f.read(t, tbl, iceberg.AsOf(s1.Time)), rowsOfEvents(first))
	equalRows(t, "AsOf(between)", f.read(t, tbl, iceberg.AsOf(s2.Time.Add(time.Millisecond))), rowsOfEvents(both))
	noEU := filterEvents(both, func(e event) bool { return e.region == nil || *e.region != "eu" })
	equalRows(t, "current", f.read(t, tbl), rowsOfEvents(noEU))
	if _, err := tbl.Read(f.ctx, f.s, iceberg.AsOf(s1.Time.Add(-time.Hour))); err == nil {
		t.Error("AsOf before the first snapshot: no error")
	}
	if got := len(tbl.Snapshots()); got != 3 {
		t.Errorf("%d snapshots, want 3", got)
	}
}

func TestReadAppended(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.inc", iceberg.PartitionBy(iceberg.Day("ts")))
	base, more, last := events(0, 10), events(10, 12), events(22, 5)
	s1 := f.append(t, tbl, base)
	s2 := f.append(t, tbl, more)
	f.append(t, tbl, last)
	d, err := tbl.ReadAppended(f.ctx, f.s, s1.ID)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	equalRows(t, "appended after the first snapshot", rowsOf(t, recs), rowsOfEvents(append(slices.Clone(more), last...)))
	equalRows(t, "appended after the first, up to the second", readAppended(t, f, tbl, s1.ID, iceberg.AtSnapshot(s2.ID)), rowsOfEvents(more))
	odd := filterEvents(last, func(e event) bool { return e.id >= 24 })
	equalRows(t, "appended after the second, filtered", readAppended(t, f, tbl, s2.ID, iceberg.Where(iceberg.Ge("id", 24))), rowsOfEvents(odd))
}

func readAppended(t *testing.T, f *fixture, tbl *iceberg.Table, from int64, opts ...iceberg.ReadOption) []string {
	t.Helper()
	d, err := tbl.ReadAppended(f.ctx, f.s, from, opts...)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	return rowsOf(t, recs)
}

func TestDeleteLeavesTheComplement(t *testing.T) {
	for _, part := range []bool{false, true} {
		f := newFixture(t)
		var opts []iceberg.CreateTableOption
		if part {
			opts = append(opts, iceberg.PartitionBy(iceberg.Identity("region"), iceberg.Month("ts")))
		}
		tbl := f.create(t, "db.del", opts...)
		all := events(0, 80)
		f.append(t, tbl, all[:40])
		f.append(t, tbl, all[40:])
		// region = 'us' AND amount < 60: NULL regions do not match.
		n, err := tbl.Delete(f.ctx, f.s, iceberg.Eq("region", "us"), iceberg.Lt("amount", 60.0))
		if err != nil {
			t.Fatal(err)
		}
		keep := filterEvents(all, func(e event) bool { return e.region == nil || *e.region != "us" || e.amount >= 60 })
		if want := int64(len(all) - len(keep)); n != want {
			t.Errorf("partitioned=%v: deleted %d rows, want %d", part, n, want)
		}
		want := rowsOfEvents(keep)
		equalRows(t, "kindling read after delete", f.read(t, tbl), want)
		equalRows(t, "iceberg-go scan after delete", f.icebergRows(t, "db.del"), want)
		cur, _ := tbl.CurrentSnapshot()
		if cur.Operation != "overwrite" && cur.Operation != "delete" {
			t.Errorf("delete committed a %q snapshot", cur.Operation)
		}
		// Deleting what is not there commits nothing.
		n, err = tbl.Delete(f.ctx, f.s, iceberg.Eq("region", "nowhere"))
		if err != nil || n != 0 {
			t.Fatalf("delete of nothing: %d, %v", n, err)
		}
		if again, _ := tbl.CurrentSnapshot(); again.ID != cur.ID {
			t.Error("a delete of no row committed a snapshot")
		}
		// IS NULL deletes exactly the NULL regions.
		if _, err := tbl.Delete(f.ctx, f.s, iceberg.IsNull("region")); err != nil {
			t.Fatal(err)
		}
		keep = filterEvents(keep, func(e event) bool { return e.region != nil })
		equalRows(t, "after deleting NULL regions", f.icebergRows(t, "db.del"), rowsOfEvents(keep))
	}
}

func TestOverwrite(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.ow", iceberg.PartitionBy(iceberg.Identity("region")))
	old := events(0, 30)
	f.append(t, tbl, old)
	fresh := events(100, 12)
	rec := record(fresh)
	defer rec.Release()
	if _, err := tbl.Overwrite(f.ctx, f.s.FromRecords(rec)); err != nil {
		t.Fatal(err)
	}
	equalRows(t, "after Overwrite", f.icebergRows(t, "db.ow"), rowsOfEvents(fresh))

	// Replace the 'eu' rows by new ones, keeping the others.
	eu := "eu"
	repl := []event{{id: 500, region: &eu, amount: 1, ts: epoch}, {id: 501, region: &eu, amount: 2, ts: epoch}}
	rr := record(repl)
	defer rr.Release()
	_, n, err := tbl.OverwriteWhere(f.ctx, f.s, f.s.FromRecords(rr), iceberg.Eq("region", "eu"))
	if err != nil {
		t.Fatal(err)
	}
	kept := filterEvents(fresh, func(e event) bool { return e.region == nil || *e.region != "eu" })
	if want := int64(len(fresh) - len(kept)); n != want {
		t.Errorf("OverwriteWhere deleted %d rows, want %d", n, want)
	}
	want := rowsOfEvents(append(kept, repl...))
	equalRows(t, "after OverwriteWhere (iceberg-go)", f.icebergRows(t, "db.ow"), want)
	equalRows(t, "after OverwriteWhere (kindling)", f.read(t, tbl), want)
}

// Partition pruning and column-statistics pruning skip files, and the filtered read is
// exact, also for an empty-string partition value (which iceberg-go's manifest
// evaluator mishandles, see unprunable).
func TestPruning(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.pr", iceberg.PartitionBy(iceberg.Identity("region")))
	all := events(0, 50)
	f.append(t, tbl, all)
	total := planned(t, f, tbl)
	if total != len(regions) {
		t.Fatalf("%d files, want one per region (%d)", total, len(regions))
	}
	for _, c := range []struct {
		p     iceberg.Predicate
		files int
		keep  func(event) bool
	}{
		{iceberg.Eq("region", "eu"), 1, func(e event) bool { return e.region != nil && *e.region == "eu" }},
		{iceberg.Eq("region", ""), 1, func(e event) bool { return e.region != nil && *e.region == "" }},
		{iceberg.In("region", "", "us"), 2, func(e event) bool { return e.region != nil && (*e.region == "" || *e.region == "us") }},
		{iceberg.Lt("region", "b"), 2, func(e event) bool { return e.region != nil && *e.region < "b" }},
		{iceberg.IsNull("region"), 1, func(e event) bool { return e.region == nil }},
		{iceberg.StartsWith("region", "e"), 1, func(e event) bool { return e.region != nil && *e.region == "eu" }},
	} {
		if got := planned(t, f, tbl, iceberg.Where(c.p)); got != c.files {
			t.Errorf("%s: %d files planned, want %d", c.p, got, c.files)
		}
		want := rowsOfEvents(filterEvents(all, c.keep))
		equalRows(t, c.p.String(), f.read(t, tbl, iceberg.Where(c.p)), want)
		equalRows(t, c.p.String()+" via iceberg-go's reader", f.read(t, tbl, iceberg.Where(c.p), iceberg.ViaIcebergReader()), want)
	}

	// Column statistics: two appends of disjoint id ranges to an unpartitioned table.
	plain := f.create(t, "db.stats")
	f.append(t, plain, events(0, 100))
	f.append(t, plain, events(100, 100))
	if got := planned(t, f, plain, iceberg.Where(iceberg.Ge("id", 150))); got != 1 {
		t.Errorf("id >= 150: %d files planned, want 1", got)
	}
	equalRows(t, "id >= 150", f.read(t, plain, iceberg.Where(iceberg.Ge("id", 150))),
		rowsOfEvents(events(150, 50)))
}

func planned(t *testing.T, f *fixture, tbl *iceberg.Table, opts ...iceberg.ReadOption) int {
	t.Helper()
	files, err := tbl.PlanFiles(f.ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// A bucket-partitioned table (whose hash kindling does not compute) is written through
// iceberg-go's writer and read back by both.
func TestBucketTableFallsBackToIcebergWriter(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.bucket", iceberg.PartitionBy(iceberg.Bucket("id", 4)))
	all := events(0, 40)
	f.append(t, tbl, all)
	want := rowsOfEvents(all)
	equalRows(t, "iceberg-go scan", f.icebergRows(t, "db.bucket"), want)
	equalRows(t, "kindling read", f.read(t, tbl), want)
	if n, err := tbl.Delete(f.ctx, f.s, iceberg.Lt("id", 10)); err != nil || n != 10 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	equalRows(t, "after delete", f.icebergRows(t, "db.bucket"), rowsOfEvents(all[10:]))
}

// Appends cast to the table's types, reorder columns, fill a missing optional column
// with NULL and refuse a column the table lacks.
func TestAppendConformsToTheSchema(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.conform")
	es := events(0, 6)
	rec := record(es)
	defer rec.Release()
	d := f.s.FromRecords(rec)
	reordered := d.Select(dsCol("ts"), dsCol("amount"), dsCol("region"), dsCol("id"))
	if _, err := tbl.Append(f.ctx, reordered); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Append(f.ctx, d.Select(dsCol("id"), dsCol("amount"), dsCol("ts"))); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Append(f.ctx, d.WithColumn("extra", dsLit(1))); err == nil {
		t.Error("append with an extra column: no error")
	}
	var want []event
	want = append(want, es...)
	for _, e := range es {
		e.region = nil
		want = append(want, e)
	}
	equalRows(t, "conformed appends", f.icebergRows(t, "db.conform"), rowsOfEvents(want))
}

func TestEmptyTableAndEmptyAppend(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.empty", iceberg.PartitionBy(iceberg.Day("ts")))
	if rows := f.read(t, tbl); len(rows) != 0 {
		t.Fatalf("empty table read %d rows", len(rows))
	}
	empty := array.NewRecordBuilder(alloc, eventSchema)
	rec := empty.NewRecordBatch()
	defer rec.Release()
	if _, err := tbl.Append(f.ctx, f.s.FromPartitions(eventSchema, []arrow.RecordBatch{rec})); err != nil {
		t.Fatal(err)
	}
	if _, ok := tbl.CurrentSnapshot(); ok {
		t.Error("an empty append committed a snapshot")
	}
}

// Delete rewrites only the files holding a matching row, not every file the
// statistics could not exclude.
func TestDeleteRewritesOnlyMatchingFiles(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.cow")
	a := events(0, 10)
	b := events(0, 10)
	for i := range b {
		b[i].id += 100
		b[i].amount += 0.25 // overlapping range, never equal to a's amounts
	}
	f.append(t, tbl, a)
	f.append(t, tbl, b)
	bFiles, err := tbl.PlanFiles(f.ctx, iceberg.Where(iceberg.Ge("id", 100)))
	if err != nil || len(bFiles) != 1 {
		t.Fatalf("b's file: %v, %v", bFiles, err)
	}
	if got := planned(t, f, tbl, iceberg.Where(iceberg.Eq("amount", 3.0))); got != 2 {
		t.Fatalf("amount = 3: %d files planned, want both", got)
	}
	if n, err := tbl.Delete(f.ctx, f.s, iceberg.Eq("amount", 3.0)); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	after, err := tbl.PlanFiles(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, df := range after {
		kept = kept || df.Path == bFiles[0].Path
	}
	if !kept || len(after) != 2 {
		t.Errorf("files after the delete %v: want b's %s kept and a's rewritten", after, bFiles[0].Path)
	}
	keep := filterEvents(append(slices.Clone(a), b...), func(e event) bool { return e.amount != 3 })
	equalRows(t, "after delete", f.icebergRows(t, "db.cow"), rowsOfEvents(keep))
}
