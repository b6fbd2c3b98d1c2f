package iceberg_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/kindling-data/kindling/iceberg"
)

// Each transform kindling lays files out by gives, per file, the partition values
// iceberg-go's own writer records for the same rows (timestamps before 1970 included,
// where a truncating division would be off by one).
func TestPartitionValuesMatchIcebergGo(t *testing.T) {
	f := newFixture(t)
	rows := events(0, 30)
	for i := range 6 {
		e := rows[i]
		e.id = -int64(i)*7 - 3
		e.ts = time.Date(1969, 12, 31, 22, 30, 0, 0, time.UTC).Add(-time.Duration(i) * 50 * time.Hour)
		rows = append(rows, e)
	}
	for i, spec := range [][]iceberg.PartitionField{
		{iceberg.Year("ts")}, {iceberg.Month("ts")}, {iceberg.Day("ts")}, {iceberg.Hour("ts")},
		{iceberg.Identity("ts")}, {iceberg.Identity("amount")}, {iceberg.Truncate("id", 10)},
		{iceberg.Truncate("region", 1), iceberg.Identity("id")},
	} {
		ours := f.create(t, fmt.Sprintf("db.k%d", i), iceberg.PartitionBy(spec...))
		f.append(t, ours, rows)
		theirs := f.create(t, fmt.Sprintf("db.n%d", i), iceberg.PartitionBy(spec...))
		rec := record(rows)
		native := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
		if _, err := theirs.Iceberg().AppendTable(f.ctx, native, 1024, nil); err != nil {
			t.Fatal(err)
		}
		native.Release()
		rec.Release()
		if err := theirs.Refresh(f.ctx); err != nil {
			t.Fatal(err)
		}
		got, want := partitionsOf(t, f, ours), partitionsOf(t, f, theirs)
		if !slices.Equal(got, want) {
			t.Errorf("%v: kindling's files have partitions\n%v\niceberg-go's\n%v", spec, got, want)
		}
		equalRows(t, fmt.Sprint(spec), f.icebergRows(t, fmt.Sprintf("db.k%d", i)), rowsOfEvents(rows))
	}
}

// partitionsOf lists the distinct partition tuples of the table's files with their row
// counts.
func partitionsOf(t *testing.T, f *fixture, tbl *iceberg.Table) []string {
	t.Helper()
	files, err := tbl.PlanFiles(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, df := range files {
		var parts []string
		for _, pf := range tbl.PartitionSpec() {
			parts = append(parts, fmt.Sprintf("%s=%v", pf.Name, df.Partition[pf.Name]))
		}
		counts[strings.Join(parts, ",")] += df.Records
	}
	var out []string
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%s:%d", k, n))
	}
	slices.Sort(out)
	return out
}

// kindling's files carry the Iceberg field IDs, and the files a scan plans are read by
// kindling's Parquet reader, unless asked otherwise.
func TestReadUsesKindlingsParquetReader(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.fast")
	f.append(t, tbl, events(0, 10))
	d, err := tbl.Read(f.ctx, f.s)
	if err != nil {
		t.Fatal(err)
	}
	if plan := d.Explain(); !strings.Contains(plan, "Scan parquet[") || strings.Contains(plan, "Scan reader[") {
		t.Errorf("Read's plan does not read Parquet with kindling:\n%s", plan)
	}
	files, err := tbl.PlanFiles(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := file.OpenParquetFile(files[0].Path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	root := pf.MetaData().Schema.Root()
	for i := 0; i < root.NumFields(); i++ {
		if want := int32(i + 1); root.Field(i).FieldID() != want {
			t.Errorf("column %s has field id %d, want %d", root.Field(i).Name(), root.Field(i).FieldID(), want)
		}
	}
	d, err = tbl.Read(f.ctx, f.s, iceberg.ViaIcebergReader())
	if err != nil {
		t.Fatal(err)
	}
	if plan := d.Explain(); !strings.Contains(plan, "Scan reader[") {
		t.Errorf("ViaIcebergReader's plan does not read through iceberg-go:\n%s", plan)
	}
}
