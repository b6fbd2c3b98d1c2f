package iceberg_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/iceberg"
)

// After a column rename and an added column, files written before are read by field
// ID (through iceberg-go's reader), and kindling appends under the new schema.
func TestSchemaEvolution(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.evolve")
	f.append(t, tbl, events(0, 5))
	tx := tbl.Iceberg().NewTransaction()
	err := tx.UpdateSchema(true, false).
		RenameColumn([]string{"amount"}, "price").
		AddColumn([]string{"note"}, iceberggo.PrimitiveTypes.String, "", false, nil).
		Commit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Refresh(f.ctx); err != nil {
		t.Fatal(err)
	}
	newer := sql(t, f, "SELECT 100 AS id, 'eu' AS region, 9.5 AS price, CAST('2024-02-01 00:00:00' AS TIMESTAMP) AS ts, 'new' AS note")
	if _, err := tbl.Append(f.ctx, newer); err != nil {
		t.Fatal(err)
	}
	want := []string{"0|0|(null)", "1|1.5|(null)", "2|3|(null)", "3|4.5|(null)", "4|6|(null)", "100|9.5|new"}
	slices.Sort(want)
	got := readColumns(t, f, tbl, "id", "price", "note")
	if !slices.Equal(got, want) {
		t.Fatalf("after rename and add: got %v, want %v", got, want)
	}
	if got := readColumns(t, f, tbl, "id", "price", "note"); !slices.Equal(got, want) {
		t.Fatalf("second read: got %v", got)
	}
}

func readColumns(t *testing.T, f *fixture, tbl *iceberg.Table, cols ...string) []string {
	t.Helper()
	d, err := tbl.Read(f.ctx, f.s, iceberg.Columns(cols...))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	var out []string
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			var parts []string
			for c := range cols {
				parts = append(parts, rec.Column(c).ValueStr(i))
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	slices.Sort(out)
	return out
}

// A required (non-nullable) column is written as such, and a NULL in it fails the
// append without committing.
func TestRequiredColumn(t *testing.T) {
	f := newFixture(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tbl, err := f.cat.CreateTable(f.ctx, "db.req", schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Append(f.ctx, sql(t, f, "SELECT 1 AS k, 'a' AS v UNION ALL SELECT 2, CAST(NULL AS STRING)")); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Append(f.ctx, sql(t, f, "SELECT CAST(NULL AS BIGINT) AS k, 'x' AS v")); err == nil {
		t.Error("a NULL in a required column: no error")
	}
	at, err := tbl.Iceberg().Scan().ToArrowTable(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	if at.NumRows() != 2 {
		t.Errorf("%d rows after a failed append, want 2", at.NumRows())
	}
	if at.Schema().Field(0).Nullable {
		t.Error("k read back nullable")
	}
}

func sql(t *testing.T, f *fixture, query string) *dataset.Dataset {
	t.Helper()
	d, err := f.s.SQL(query)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
