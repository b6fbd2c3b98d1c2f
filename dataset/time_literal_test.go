package dataset

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestTimeLiteralAgainstCSVTimestamps: a time.Time literal compares with a zone-less
// timestamp column inferred from CSV as Spark compares it, the column's wall-clock times
// read in the session time zone (UTC); a column of another unit converts too; and an
// error about a timestamp literal prints it as a time.
func TestTimeLiteralAgainstCSVTimestamps(t *testing.T) {
	f := newFixture(t, []int{1}, Config{})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var times []time.Time
	var csv strings.Builder
	csv.WriteString("id,ts\n")
	for i := 0; i < 200; i++ {
		ts := base.Add(time.Duration(i) * 7 * time.Hour).Add(time.Duration(i%3) * 250 * time.Millisecond)
		times = append(times, ts)
		csv.WriteString(strconv.Itoa(i) + "," + ts.Format("2006-01-02 15:04:05.000") + "\n")
	}
	path := filepath.Join(t.TempDir(), "events.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d := f.s.ReadCSV(path)
	schema, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := schema.Field(1).Type.(*arrow.TimestampType); !ok || tt.TimeZone != "" {
		t.Fatalf("ts inferred as %s, want a zone-less timestamp", schema.Field(1).Type)
	}
	cut := time.Date(2024, 1, 20, 6, 0, 0, 0, time.UTC)
	paris := time.FixedZone("CET", 3600)
	exact := times[77]
	for _, tc := range []struct {
		name string
		cond Expr
		keep func(time.Time) bool
	}{
		{"gt UTC", Col("ts").Gt(Lit(cut)), func(x time.Time) bool { return x.After(cut) }},
		{"le UTC", Col("ts").Le(Lit(cut)), func(x time.Time) bool { return !x.After(cut) }},
		// The same instant written in another zone is the same literal.
		{"gt CET", Col("ts").Gt(Lit(cut.In(paris))), func(x time.Time) bool { return x.After(cut) }},
		{"literal first", Lit(cut).Lt(Col("ts")), func(x time.Time) bool { return x.After(cut) }},
		{"eq with milliseconds", Col("ts").Eq(Lit(exact)), func(x time.Time) bool { return x.Equal(exact) }},
	} {
		var want int64
		for _, x := range times {
			if tc.keep(x) {
				want++
			}
		}
		got, err := d.Filter(tc.cond).Count(t.Context())
		if err != nil || got != want {
			t.Errorf("%s: count %d, %v; want %d", tc.name, got, err, want)
		}
	}

	// A millisecond column (as Parquet files often have) against a microsecond literal.
	msType := &arrow.TimestampType{Unit: arrow.Millisecond}
	b := array.NewTimestampBuilder(f.mem, msType)
	for _, x := range times {
		b.Append(arrow.Timestamp(x.UnixMilli()))
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "ts", Type: msType}}, nil), []arrow.Array{col}, int64(len(times)))
	col.Release()
	ms := f.s.FromRecords(rec)
	rec.Release()
	if got, err := ms.Filter(Col("ts").Eq(Lit(exact))).Count(t.Context()); err != nil || got != 1 {
		t.Errorf("millisecond column = literal: %d, %v; want 1", got, err)
	}

	// An error about a timestamp literal shows the time, not its integer encoding.
	_, err = d.Filter(Col("id").Gt(Lit(cut))).Count(t.Context())
	if err == nil || !strings.Contains(err.Error(), "TIMESTAMP '2024-01-20 06:00:00 UTC'") {
		t.Fatalf("err = %v; want the literal printed as a time", err)
	}
}
