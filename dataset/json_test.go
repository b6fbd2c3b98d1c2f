package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// jsonSession is a session on a checked allocator with small partitions, so that a file
// of a few hundred kilobytes is read in many splits; it checks for leaks when the test ends.
func jsonSession(t *testing.T, maxPartitionBytes int64) *Session {
	t.Helper()
	leakcheck.Check(t)
	mem := memtest.Checked()
	s, err := NewSession(Config{Allocator: mem, BatchRows: 300, MaxPartitionBytes: maxPartitionBytes, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Session.Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	return s
}

// renderSorted renders every row of the batches as "v1|v2|..." and sorts them.
func renderSorted(recs []arrow.RecordBatch) []string {
	var out []string
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			parts := make([]string, r.NumCols())
			for c := range parts {
				parts[c] = strings.Clone(r.Column(c).ValueStr(i))
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	slices.Sort(out)
	return out
}

// jsonNestedBatch is n rows with nested structs and lists, dates and NULLs at each level.
func jsonNestedBatch(n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "who", Type: arrow.StructOf(
			arrow.Field{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "langs", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		), Nullable: true},
		{Name: "scores", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	who := b.Field(3).(*array.StructBuilder)
	langs := who.FieldBuilder(1).(*array.ListBuilder)
	scores := b.Field(4).(*array.ListBuilder)
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 3 {
			b.Field(1).AppendNull()
			b.Field(2).AppendNull()
		} else {
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32(19000 + i%400))
			b.Field(2).(*array.Float64Builder).Append(float64(i) / 4)
		}
		switch i % 5 {
		case 0:
			who.AppendNull()
		case 1:
			who.Append(true)
			who.FieldBuilder(0).AppendNull()
			langs.AppendNull()
		default:
			who.Append(true)
			who.FieldBuilder(0).(*array.StringBuilder).Append(fmt.Sprintf("n\"%d\"é", i))
			langs.Append(true)
			for k := range i % 3 {
				langs.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("l%d", k))
			}
		}
		if i%4 == 0 {
			scores.AppendNull()
			continue
		}
		scores.Append(true)
		for k := range i % 4 {
			if k == 1 {
				scores.ValueBuilder().AppendNull()
			} else {
				scores.ValueBuilder().(*array.Int64Builder).Append(int64(i * k))
			}
		}
	}
	return b.NewRecordBatch()
}

// Writing a dataset as JSON and reading it back with its schema gives the same rows,
// read whole or in many splits; inferred, the dates come back as strings.
func TestJSONWriteReadRoundTrip(t *testing.T) {
	s := jsonSession(t, 8<<10)
	ctx := t.Context()
	rec := jsonNestedBatch(3000)
	want := renderSorted([]arrow.RecordBatch{rec})
	src := s.FromRecords(rec.NewSlice(0, 1000), rec.NewSlice(1000, 3000))
	rec.Release()
	dir := filepath.Join(t.TempDir(), "out")
	if err := src.WriteJSON(ctx, dir); err != nil {
		t.Fatal(err)
	}
	schema, err := src.Schema()
	if err != nil {
		t.Fatal(err)
	}
	back := s.ReadJSONWith(JSONOptions{Schema: schema}, dir)
	recs, err := back.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := renderSorted(recs)
	releaseAll(recs)
	if !slices.Equal(got, want) {
		t.Fatalf("read back %d rows, want %d; first differences:\n%v\n%v", len(got), len(want), got[:3], want[:3])
	}
	if tasks := len(s.LastJob().Stages[0].Tasks); tasks < 10 {
		t.Errorf("read in %d tasks, want many splits", tasks)
	}

	inferred, err := s.ReadJSON(dir).Schema()
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := "id:int64 day:utf8 v:float64 who:struct<name: utf8 nullable, langs: list<item: utf8, nullable> nullable> scores:list<item: int64, nullable>"
	var types []string
	for _, f := range inferred.Fields() {
		types = append(types, f.Name+":"+f.Type.String())
	}
	if got := strings.Join(types, " "); got != wantTypes {
		t.Errorf("inferred %s\nwant %s", got, wantTypes)
	}
}

// The modes over a file read in many splits: rows and malformed counts as counted while
// writing the file, the same for Count, which reads no column, and FailFast names a bad line.
func TestJSONModesInSplits(t *testing.T) {
	s := jsonSession(t, 16<<10)
	ctx := t.Context()
	const n = 6000
	var sb strings.Builder
	var badLines []string
	for i := range n {
		switch i % 1000 {
		case 17:
			fmt.Fprintf(&sb, `{"id": %d, "v": "seventeen", "s": "x"}`+"\n", i) // a string for an int64
		case 400:
			fmt.Fprintf(&sb, `{"id": %d, "v": 1, "s": "x"`+"\n", i) // cut short
		case 801:
			fmt.Fprintf(&sb, `{"id": %d, "v": 2, "s": "bad`+"\xff"+`"}`+"\n", i) // invalid UTF-8
		default:
			fmt.Fprintf(&sb, `{"id": %d, "v": %d, "s": "s%d"}`+"\n", i, i%9, i%4)
			continue
		}
		badLines = append(badLines, fmt.Sprint(i+1))
	}
	bad := int64(len(badLines))
	p := filepath.Join(t.TempDir(), "m.json")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, c := range []struct {
		mode      ParseMode
		rows      int64
		nullRows  int64
		malformed int64
	}{{Permissive, n, bad, bad}, {DropMalformed, n - bad, 0, bad}} {
		d := s.ReadJSONWith(JSONOptions{Schema: schema, Mode: c.mode}, p)
		cnt, err := d.Count(ctx)
		if err != nil || cnt != c.rows {
			t.Errorf("%v: Count = %d, %v; want %d", c.mode, cnt, err, c.rows)
		}
		if c.mode == DropMalformed {
			if m := s.LastJob().Stages[0].Totals().MalformedRows; m != c.malformed {
				t.Errorf("%v: Count's job counted %d malformed lines, want %d", c.mode, m, c.malformed)
			}
		}
		recs, err := d.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m := s.LastJob().Stages[0].Totals().MalformedRows; m != c.malformed {
			t.Errorf("%v: Collect's job counted %d malformed lines, want %d", c.mode, m, c.malformed)
		}
		var rows, nullRows int64
		for _, r := range recs {
			rows += r.NumRows()
			nullRows += int64(r.Column(0).NullN())
		}
		releaseAll(recs)
		if rows != c.rows || nullRows != c.nullRows {
			t.Errorf("%v: Collect gave %d rows, %d of NULLs; want %d, %d", c.mode, rows, nullRows, c.rows, c.nullRows)
		}
	}
	// Tasks run at once: any of the bad lines may be the one reported.
	_, err := s.ReadJSONWith(JSONOptions{Schema: schema}, p).Count(ctx)
	if err == nil || !regexp.MustCompile(`m\.json:(`+strings.Join(badLines, "|")+`):\d+: `).MatchString(err.Error()) {
		t.Errorf("fail fast: %v; want an error at a bad line of m.json", err)
	}
}
