package iceberg_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/iceberg"
)

var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
}, nil)

var regions = []string{"eu", "us", "ap", "", "-"} // "-" stands for NULL

var epoch = time.Date(2024, 1, 29, 0, 0, 0, 0, time.UTC)

// event is one row of the test table, kept in Go to compute expected results.
type event struct {
	id     int64
	region *string
	amount float64
	ts     time.Time
}

func events(start, n int) []event {
	out := make([]event, n)
	for i := range out {
		k := start + i
		e := event{id: int64(k), amount: float64(k) * 1.5, ts: epoch.Add(time.Duration(k) * 7 * time.Hour)}
		if r := regions[k%len(regions)]; r != "-" {
			e.region = &r
		}
		out[i] = e
	}
	return out
}

func (e event) row() string {
	r := "null"
	if e.region != nil {
		r = *e.region
	}
	return fmt.Sprintf("%d|%s|%g|%s", e.id, r, e.amount, e.ts.UTC().Format("2006-01-02T15:04:05"))
}

func record(es []event) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, eventSchema)
	defer b.Release()
	for _, e := range es {
		b.Field(0).(*array.Int64Builder).Append(e.id)
		if e.region == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(*e.region)
		}
		b.Field(2).(*array.Float64Builder).Append(e.amount)
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(e.ts.UnixMicro()))
	}
	return b.NewRecordBatch()
}

func rowsOfEvents(es []event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.row()
	}
	slices.Sort(out)
	return out
}

// rowsOf renders the rows of batches with eventSchema's columns as event.row does, sorted:
// results compare as multisets.
func rowsOf(t *testing.T, recs []arrow.RecordBatch) []string {
	t.Helper()
	var out []string
	for _, rec := range recs {
		cols := map[string]arrow.Array{}
		for i, f := range rec.Schema().Fields() {
			cols[f.Name] = rec.Column(i)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			e := event{
				id:     cols["id"].(*array.Int64).Value(i),
				amount: cols["amount"].(*array.Float64).Value(i),
				ts:     cols["ts"].(*array.Timestamp).Value(i).ToTime(arrow.Microsecond),
			}
			if r := cols["region"].(*array.String); r.IsValid(i) {
				s := r.Value(i)
				e.region = &s
			}
			out = append(out, e.row())
		}
	}
	slices.Sort(out)
	return out
}

type fixture struct {
	ctx context.Context
	s   *dataset.Session
	cat *iceberg.Catalog
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cat, err := iceberg.OpenCatalog(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	return &fixture{ctx: ctx, s: s, cat: cat}
}

func (f *fixture) create(t *testing.T, name string, opts ...iceberg.CreateTableOption) *iceberg.Table {
	t.Helper()
	tbl, err := f.cat.CreateTable(f.ctx, name, eventSchema, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func (f *fixture) append(t *testing.T, tbl *iceberg.Table, es []event) iceberg.Snapshot {
	t.Helper()
	rec := record(es)
	defer rec.Release()
	snap, err := tbl.Append(f.ctx, f.s.FromRecords(rec))
	if err != nil {
		t.Fatal(err)
	}
	// Snapshots a millisecond apart keep AsOf unambiguous.
	time.Sleep(3 * time.Millisecond)
	return snap
}

// read reads tbl with kindling and renders the rows.
func (f *fixture) read(t *testing.T, tbl *iceberg.Table, opts ...iceberg.ReadOption) []string {
	t.Helper()
	d, err := tbl.Read(f.ctx, f.s, opts...)
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

// icebergRows reads the table by iceberg-go's own scan, through a freshly loaded
// table so that nothing cached by the writer is involved.
func (f *fixture) icebergRows(t *testing.T, name string) []string {
	t.Helper()
	fresh, err := f.cat.LoadTable(f.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	at, err := fresh.Iceberg().Scan().ToArrowTable(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	rdr := array.NewTableReader(at, 1024)
	defer rdr.Release()
	var recs []arrow.RecordBatch
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	defer release(recs)
	return rowsOf(t, recs)
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

func equalRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d rows, want %d\n got: %s\nwant: %s", what, len(got), len(want),
			strings.Join(head(got), " "), strings.Join(head(want), " "))
	}
}

func head(rows []string) []string {
	if len(rows) > 8 {
		return append(slices.Clone(rows[:8]), "...")
	}
	return rows
}

func filterEvents(es []event, keep func(event) bool) []event {
	var out []event
	for _, e := range es {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

var epochFeb = epoch.AddDate(0, 0, 3) // 2024-02-01

var alloc = memory.DefaultAllocator

func dsCol(name string) dataset.Expr { return dataset.Col(name) }

func dsLit(v any) dataset.Expr { return dataset.Lit(v) }
