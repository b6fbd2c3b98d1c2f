package datasource

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "name", Type: dictType, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// testBatch builds rows [from, from+n): id = i, price = i/2 (NaN every 50th), name = one
// of four (NULL every 7th), day = i, note NULL in every other row.
func testBatch(mem memory.Allocator, from, n int) (arrow.RecordBatch, []string) {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	var rows []string
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		p := float64(i) / 2
		if i%50 == 0 {
			p = math.NaN()
		}
		b.Field(1).(*array.Float64Builder).Append(p)
		name := []string{"ann", "bob", "cy", "dee"}[i%4]
		if i%7 == 0 {
			b.Field(2).AppendNull()
			name = "(null)"
		} else {
			b.Field(2).(*array.BinaryDictionaryBuilder).AppendString(name)
		}
		b.Field(3).(*array.Date32Builder).Append(arrow.Date32(i))
		note := "(null)"
		if i%2 == 0 {
			note = fmt.Sprintf("n%d", i)
			b.Field(4).(*array.StringBuilder).Append(note)
		} else {
			b.Field(4).AppendNull()
		}
		rows = append(rows, fmt.Sprintf("%d|%s|%s|%s|%s", i, fmtFloat(p), name, arrow.Date32(i).FormattedString(), note))
	}
	return b.NewRecordBatch(), rows
}

func fmtFloat(f float64) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	return fmt.Sprint(f)
}

// writeParquet writes 4 row groups of 100 rows, ids 0..399, as batches of 30 and 70.
func writeParquet(t *testing.T, mem memory.Allocator, path string) []string {
	t.Helper()
	w, err := NewParquetFileWriter(path, testSchema, mem)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for rg := range 4 {
		if rg > 0 {
			if err := w.FlushRowGroup(); err != nil {
				t.Fatal(err)
			}
		}
		for _, part := range [][2]int{{0, 30}, {30, 70}} {
			b, rows := testBatch(mem, rg*100+part[0], part[1])
			if err := w.Write(b); err != nil {
				t.Fatal(err)
			}
			b.Release()
			all = append(all, rows...)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestParquetRoundTripAndPruning(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := filepath.Join(t.TempDir(), "t.parquet")
	want := writeParquet(t, mem, p)

	s, err := ParquetSchema(p)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Equal(testSchema) {
		t.Fatalf("schema\n%v\nwant\n%v", s, testSchema)
	}
	splits, err := PlanParquetSplits([]string{p}, 128<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 1 || !slices.Equal(splits[0].RowGroups, []int{0, 1, 2, 3}) {
		t.Fatalf("splits %v", splits)
	}
	// Small splits: one row group each, or two.
	st, _ := os.Stat(p)
	for _, maxSplit := range []int64{1, splits[0].RowGroupBytes[0] * 2} {
		small, err := planParquetSplits([]string{p}, []int64{st.Size()}, maxSplit)
		if err != nil {
			t.Fatal(err)
		}
		var rgs []int
		var got []string
		for _, sp := range small {
			rgs = append(rgs, sp.RowGroups...)
			if maxSplit == 1 && len(sp.RowGroups) != 1 {
				t.Fatalf("maxSplit 1: %v", small)
			}
			r, err := OpenParquet(context.Background(), sp, nil, 64, nil, mem)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, drain(t, r)...)
			r.Close()
		}
		if !slices.Equal(rgs, []int{0, 1, 2, 3}) || !slices.Equal(got, want) {
			t.Fatalf("maxSplit %d: row groups %v, %d rows", maxSplit, rgs, len(got))
		}
	}

	read := func(cols []int, preds []Predicate) ([]string, int) {
		t.Helper()
		r, err := OpenParquet(context.Background(), splits[0], cols, 64, preds, mem)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return drain(t, r), r.RowGroupsPruned()
	}
	got, pruned := read(nil, nil)
	if !slices.Equal(got, want) || pruned != 0 {
		t.Fatalf("full read: %d rows, pruned %d", len(got), pruned)
	}
	got, _ = read([]int{4, 0}, nil)
	for i, row := range got {
		f := strings.Split(want[i], "|")
		if row != f[4]+"|"+f[0] {
			t.Fatalf("projected row %d: %q from %q", i, row, want[i])
		}
	}
	got, _ = read([]int{}, nil)
	if len(got) != 400 {
		t.Fatalf("zero columns: %d rows", len(got))
	}

	cases := []struct {
		preds  []Predicate
		pruned int
	}{
		{[]Predicate{{"id", ">=", int64(250)}}, 2},
		{[]Predicate{{"id", "<", int64(100)}}, 3},
		{[]Predicate{{"id", "=", int64(150)}}, 3},
		{[]Predicate{{"id", "!=", int64(150)}}, 0},
		{[]Predicate{{"id", ">", int64(1000)}}, 4},
		{[]Predicate{{"id", ">=", int64(150)}, {"day", "<=", arrow.Date32(120)}}, 3},
		{[]Predicate{{"name", "=", "zed"}}, 4},
		{[]Predicate{{"name", ">", "bob"}}, 0},
		{[]Predicate{{"price", ">", 1e9}}, 0}, // floats never prune
		{[]Predicate{{"price", "is_null", nil}}, 4},
		{[]Predicate{{"note", "is_null", nil}}, 0},
		{[]Predicate{{"note", "is_not_null", nil}}, 0},
		{[]Predicate{{"id", "=", "text"}}, 0},     // mismatched type: no pruning
		{[]Predicate{{"nope", "=", int64(1)}}, 0}, // unknown column: no pruning
	}
	for _, c := range cases {
		got, pruned := read(nil, c.preds)
		if pruned != c.pruned {
			t.Errorf("%v: pruned %d, want %d", c.preds, pruned, c.pruned)
		}
		if len(got) != (4-pruned)*100 {
			t.Errorf("%v: %d rows from %d row groups", c.preds, len(got), 4-pruned)
		}
		// What survives must contain every row that satisfies the predicates.
		for _, row := range want {
			if rowMatches(row, c.preds) && !slices.Contains(got, row) {
				t.Errorf("%v: pruned away matching row %s", c.preds, row)
				break
			}
		}
	}
}

// rowMatches evaluates the id/day predicates of the test on a rendered row (others: true).
func rowMatches(row string, preds []Predicate) bool {
	f := strings.Split(row, "|")
	for _, p := range preds {
		if p.Op == "is_null" || p.Op == "is_not_null" {
			idx := testSchema.FieldIndices(p.Column)[0]
			if (f[idx] == "(null)") != (p.Op == "is_null") {
				return false
			}
			continue
		}
		var v, x int64
		switch p.Column {
		case "id":
			iv, ok := p.Value.(int64)
			if !ok {
				continue
			}
			fmt.Sscan(f[0], &v)
			x = iv
		case "day":
			fmt.Sscan(f[0], &v) // day == id in the test data
			x = int64(p.Value.(arrow.Date32))
		case "name":
			if p.Op == "=" && f[2] != p.Value.(string) {
				return false
			}
			continue
		default:
			continue
		}
		ok := map[string]bool{"=": v == x, "!=": v != x, "<": v < x, "<=": v <= x, ">": v > x, ">=": v >= x}[p.Op]
		if !ok {
			return false
		}
	}
	return true
}

func TestIPCRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := filepath.Join(t.TempDir(), "t.arrow")
	w, err := NewIPCFileWriter(p, testSchema, mem)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for k := range 5 {
		b, rows := testBatch(mem, k*10, 10+k)
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		b.Release()
		want = append(want, rows...)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := IPCSchema(p)
	if err != nil || s.Field(2).Type.ID() != arrow.STRING || s.Field(0).Type.ID() != arrow.INT64 {
		t.Fatal(s, err)
	}
	splits, err := PlanIPCSplits([]string{p}, 0, 1)
	if err != nil || len(splits) != 1 || splits[0].NumBatches != 5 {
		t.Fatal(splits, err)
	}
	// Three hand-made splits read the same rows.
	var got []string
	for _, sp := range []FileSplit{{Path: p, FirstBatch: 0, NumBatches: 2}, {Path: p, FirstBatch: 2, NumBatches: 1}, {Path: p, FirstBatch: 3, NumBatches: 2}} {
		r, err := OpenIPC(context.Background(), sp, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, drain(t, r)...)
		r.Close()
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ipc rows differ: %d vs %d", len(got), len(want))
	}
	r, err := OpenIPC(context.Background(), splits[0], []int{2}, mem)
	if err != nil {
		t.Fatal(err)
	}
	got = drain(t, r)
	r.Close()
	for i := range want {
		if got[i] != strings.Split(want[i], "|")[2] {
			t.Fatalf("projected ipc row %d: %q", i, got[i])
		}
	}
	if _, err := IPCSchema(filepath.Join(t.TempDir(), "missing.arrow")); err == nil {
		t.Fatal("missing ipc file: no error")
	}
}

func TestCSVWriterRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	w, err := NewCSVFileWriter(p, testSchema, CSVWriteOptions{Header: true, Delimiter: ';'})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for k := range 3 {
		b, rows := testBatch(mem, k*40, 40)
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		b.Release()
		want = append(want, rows...)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	opts := CSVOptions{Delimiter: ';', DictionaryColumns: []string{"name"}}
	s, got := readCSV(t, mem, p, opts, nil)
	if !s.Equal(testSchema) {
		t.Fatalf("read back schema %v", s)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read back rows differ:\n%q\n%q", got[:3], want[:3])
	}

	// Timestamps and a custom null text.
	ts := arrow.NewSchema([]arrow.Field{{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, ts)
	b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_123_456))
	b.Field(0).AppendNull()
	rec := b.NewRecordBatch()
	b.Release()
	p2 := filepath.Join(dir, "ts.csv")
	w, err = NewCSVFileWriter(p2, ts, CSVWriteOptions{NullValue: "NA"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	w.Close()
	data, _ := os.ReadFile(p2)
	if string(data) != "2023-11-14 22:13:20.123456\nNA\n" {
		t.Fatalf("timestamp csv %q", data)
	}
}

func TestDirectoryCommitter(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out", "daily")
	listDir := func() []string {
		var names []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if p != dir {
				rel, _ := filepath.Rel(dir, p)
				names = append(names, rel)
			}
			return nil
		})
		return names
	}

	// Abort leaves nothing.
	c, err := NewDirectoryCommitter(out, ErrorIfExists)
	if err != nil {
		t.Fatal(err)
	}
	tp := c.TaskFiles().Path(3, "", 0, "parquet")
	if filepath.Base(tp) != "part-00003.parquet" || !strings.HasPrefix(filepath.Base(filepath.Dir(tp)), ".daily.kindling-") {
		t.Fatalf("task path %s", tp)
	}
	os.WriteFile(tp, []byte("x"), 0o644)
	if err := c.AbortJob(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(); !slices.Equal(got, []string{"out"}) {
		t.Fatalf("after abort: %v", got)
	}

	// Commit makes the directory with _SUCCESS.
	c, _ = NewDirectoryCommitter(out, ErrorIfExists)
	os.WriteFile(c.TaskFiles().Path(0, "", 0, ".csv"), []byte("first"), 0o644)
	if err := c.CommitJob(); err != nil {
		t.Fatal(err)
	}
	want := []string{"out", "out/daily", "out/daily/_SUCCESS", "out/daily/part-00000.csv"}
	if got := listDir(); !slices.Equal(got, want) {
		t.Fatalf("after commit: %v", got)
	}
	if _, err := NewDirectoryCommitter(out, ErrorIfExists); err == nil || err.Error() != "datasource: output directory "+out+" exists" {
		t.Fatalf("exists: %v", err)
	}

	// Overwrite replaces the content.
	c, err = NewDirectoryCommitter(out, Overwrite)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(c.TaskFiles().Path(1, "", 0, ".csv"), []byte("second"), 0o644)
	if err := c.CommitJob(); err != nil {
		t.Fatal(err)
	}
	want = []string{"out", "out/daily", "out/daily/_SUCCESS", "out/daily/part-00001.csv"}
	if got := listDir(); !slices.Equal(got, want) {
		t.Fatalf("after overwrite: %v", got)
	}
	if err := c.AbortJob(); err != nil { // no-op after commit
		t.Fatal(err)
	}
	if got := listDir(); !slices.Equal(got, want) {
		t.Fatalf("abort after commit changed files: %v", got)
	}
}
