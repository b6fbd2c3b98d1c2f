package iceberg_test

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// List and struct columns are written by kindling and read back by both readers.
func TestNestedColumns(t *testing.T) {
	f := newFixture(t)
	st := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "xs", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "st", Type: st, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(alloc, schema)
	defer b.Release()
	for i := range 3 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		lb := b.Field(1).(*array.ListBuilder)
		lb.Append(true)
		for j := 0; j <= i; j++ {
			lb.ValueBuilder().(*array.Int64Builder).Append(int64(10*i + j))
		}
		sb := b.Field(2).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int64Builder).Append(int64(i))
		sb.FieldBuilder(1).(*array.StringBuilder).Append(strings.Repeat("x", i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	tbl, err := f.cat.CreateTable(f.ctx, "db.nested", schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Append(f.ctx, f.s.FromRecords(rec)); err != nil {
		t.Fatal(err)
	}
	at, err := tbl.Iceberg().Scan().ToArrowTable(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	want := []string{`0|[0]|{"a":0,"b":""}`, `1|[10,11]|{"a":1,"b":"x"}`, `2|[20,21,22]|{"a":2,"b":"xx"}`}
	got := tableRows(at)
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("iceberg-go read %v, want %v", got, want)
	}
	d, err := tbl.Read(f.ctx, f.s)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	got = nil
	for _, r := range recs {
		got = append(got, recordRows(r)...)
	}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("kindling read %v, want %v", got, want)
	}
}

func tableRows(at arrow.Table) []string {
	rdr := array.NewTableReader(at, 1024)
	defer rdr.Release()
	var out []string
	for rdr.Next() {
		out = append(out, recordRows(rdr.RecordBatch())...)
	}
	return out
}

func recordRows(r arrow.RecordBatch) []string {
	var out []string
	for i := 0; i < int(r.NumRows()); i++ {
		var parts []string
		for c := 0; c < int(r.NumCols()); c++ {
			parts = append(parts, r.Column(c).ValueStr(i))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}
