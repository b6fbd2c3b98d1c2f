package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// batchIter is what every reader of this package provides.
type batchIter interface {
	Next() (arrow.RecordBatch, error)
}

// drain reads every batch and renders each row as "v1|v2|..." with ValueStr.
func drain(t *testing.T, it batchIter) []string {
	t.Helper()
	var rows []string
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, renderRows(b)...)
		b.Release()
	}
}

func renderRows(b arrow.RecordBatch) []string {
	out := make([]string, b.NumRows())
	for r := range out {
		parts := make([]string, b.NumCols())
		for c := range parts {
			// ValueStr of a string column points into the batch's buffer, which the
			// poisoned test pool overwrites once the batch is released.
			parts[c] = strings.Clone(b.Column(c).ValueStr(r))
		}
		out[r] = strings.Join(parts, "|")
	}
	return out
}

func wholeSplit(t *testing.T, path string) FileSplit {
	t.Helper()
	s, err := PlanWholeFileSplits([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	return s[0]
}

func readCSV(t *testing.T, mem memory.Allocator, path string, opts CSVOptions, columns []int) (*arrow.Schema, []string) {
	t.Helper()
	schema, err := InferCSVSchema(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenCSV(context.Background(), wholeSplit(t, path), schema, opts, columns, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Schema(), drain(t, r)
}

func TestInferCSVSchema(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "t.csv",
		"id,price,flag,day,ts,name,empty,mixed,,id\n"+
			"1,1,true,2024-01-02,2024-01-02 10:00:00,ann,,1,x,5\n"+
			"2,2.5,FALSE,2024-02-29,2024-01-02T10:00:00Z,bob,,true,y,6\n"+
			"3,,,,2024-01-03,,,,z,7\n")
	s, err := InferCSVSchema(p, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"id: int64", "price: float64", "flag: bool", "day: date32", "ts: timestamp[us]",
		"name: utf8", "empty: utf8", "mixed: utf8", "col_9: utf8", "col_10: int64",
	}
	var got []string
	for _, f := range s.Fields() {
		got = append(got, f.Name+": "+f.Type.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("schema\n got %v\nwant %v", got, want)
	}

	// InferRows bounds what inference sees: the 2.5 on row 2 is not seen.
	s, err = InferCSVSchema(p, CSVOptions{InferRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.Field(1).Type.ID() != arrow.INT64 {
		t.Fatalf("price with InferRows 1: %s", s.Field(1).Type)
	}

	// No header: names are col_N and the first line is data.
	s, err = InferCSVSchema(p, CSVOptions{NoHeader: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Field(0).Name != "col_1" || s.Field(0).Type.ID() != arrow.STRING {
		t.Fatalf("no header: %v", s)
	}
}

func TestReadCSVValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p := writeFile(t, dir, "t.csv",
		"id,price,name,day,ts\n"+
			"1,1,\"a,b\",2024-01-02,2024-01-02 10:00:00\n"+
			"2,2.5,\"say \"\"hi\"\"\",,2024-01-02T10:00:00.5+01:00\n"+
			",NaN,,1970-01-01,\n")
	s, rows := readCSV(t, mem, p, CSVOptions{}, nil)
	if s.NumFields() != 5 {
		t.Fatal(s)
	}
	want := []string{
		`1|1|a,b|2024-01-02|2024-01-02T10:00:00`,
		`2|2.5|say "hi"|(null)|2024-01-02T09:00:00.5`,
		`(null)|NaN|(null)|1970-01-01|(null)`,
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows\n got %q\nwant %q", rows, want)
	}

	// Projection picks and orders columns.
	s, rows = readCSV(t, mem, p, CSVOptions{}, []int{2, 0})
	if s.Field(0).Name != "name" || s.Field(1).Name != "id" {
		t.Fatal(s)
	}
	if !slices.Equal(rows, []string{"a,b|1", `say "hi"|2`, "(null)|(null)"}) {
		t.Fatalf("projected rows %q", rows)
	}

	// Zero columns still count rows.
	_, rows = readCSV(t, mem, p, CSVOptions{}, []int{})
	if len(rows) != 3 {
		t.Fatalf("zero-column rows: %d", len(rows))
	}
}

func TestReadCSVDelimitersAndNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p := writeFile(t, dir, "t.tsv", "a\tb\n1\tNA\n\\N\tx\n3\t\n")
	opts := CSVOptions{Delimiter: '\t', NullValues: []string{"NA", `\N`}}
	s, rows := readCSV(t, mem, p, opts, nil)
	if s.Field(0).Type.ID() != arrow.INT64 || s.Field(1).Type.ID() != arrow.STRING {
		t.Fatal(s)
	}
	// "" is not a null text here, so it is an empty string.
	want := []string{"1|(null)", "(null)|x", "3|"}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows %q want %q", rows, want)
	}

	p = writeFile(t, dir, "semi.csv", "\xEF\xBB\xBFx;y\n1;2\n")
	s, rows = readCSV(t, mem, p, CSVOptions{Delimiter: ';'}, nil)
	if s.Field(0).Name != "x" || !slices.Equal(rows, []string{"1|2"}) {
		t.Fatalf("%v %q", s, rows)
	}
}

func TestReadCSVDictionary(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("k,cat,other\n")
	var want []string
	for i := range 50 {
		cat := []string{"red", "green", "blue", ""}[i%4]
		fmt.Fprintf(&sb, "%d,%s,o%d\n", i, cat, i%3)
		if cat == "" {
			cat = "(null)"
		}
		want = append(want, fmt.Sprintf("%d|%s|o%d", i, cat, i%3))
	}
	p := writeFile(t, dir, "d.csv", sb.String())
	opts := CSVOptions{DictionaryColumns: []string{"cat"}, BatchRows: 7}
	s, rows := readCSV(t, mem, p, opts, nil)
	if !arrow.TypeEqual(s.Field(1).Type, dictType) || s.Field(2).Type.ID() != arrow.STRING {
		t.Fatal(s)
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows %q", rows)
	}
	s, rows = readCSV(t, mem, p, CSVOptions{DictionaryAllStrings: true}, nil)
	if s.Field(2).Type.ID() != arrow.DICTIONARY || !slices.Equal(rows, want) {
		t.Fatal(s, rows)
	}
	if _, err := InferCSVSchema(p, CSVOptions{DictionaryColumns: []string{"k"}}); err == nil {
		t.Fatal("dictionary on an int column: no error")
	}
	if _, err := InferCSVSchema(p, CSVOptions{DictionaryColumns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown dictionary column: %v", err)
	}
}

// genCSV writes rows of varying length and returns the expected rendered rows.
func genCSV(t *testing.T, dir, name string, n int, crlf bool) (string, []string) {
	var sb strings.Builder
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	sb.WriteString("id,name,score" + nl)
	want := make([]string, n)
	for i := range n {
		name := strings.Repeat("x", i%13)
		score := fmt.Sprintf("%d.5", i*7%101)
		if i%5 == 0 {
			name = ""
		}
		fmt.Fprintf(&sb, "%d,%s,%s%s", i, name, score, nl)
		if name == "" {
			name = "(null)"
		}
		want[i] = fmt.Sprintf("%d|%s|%s", i, name, score)
	}
	return writeFile(t, dir, name, sb.String()), want
}

func readSplits(t *testing.T, mem memory.Allocator, splits []FileSplit, schema *arrow.Schema, opts CSVOptions) []string {
	t.Helper()
	var rows []string
	for _, sp := range splits {
		r, err := OpenCSV(context.Background(), sp, schema, opts, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, drain(t, r)...)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

func cutSplits(path string, size, step int64) []FileSplit {
	var out []FileSplit
	for s := int64(0); s < size; s += step {
		out = append(out, FileSplit{Path: path, Start: s, End: min(s+step, size), FileSize: size})
	}
	return out
}

func TestCSVSplitsReadEveryRowOnce(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	for _, crlf := range []bool{false, true} {
		p, want := genCSV(t, dir, fmt.Sprintf("g%v.csv", crlf), 120, crlf)
		schema, err := InferCSVSchema(p, CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		whole := readSplits(t, mem, []FileSplit{wholeSplit(t, p)}, schema, CSVOptions{})
		if !slices.Equal(whole, want) {
			t.Fatalf("unsplit read differs from the generator")
		}
		for _, step := range []int64{1, 2, 3, 5, 16, 17, 64, 1000, st.Size() - 1, st.Size()} {
			got := readSplits(t, mem, cutSplits(p, st.Size(), step), schema, CSVOptions{BatchRows: 10})
			if !slices.Equal(got, want) {
				t.Fatalf("crlf=%v step %d: %d rows, want %d", crlf, step, len(got), len(want))
			}
		}
	}
}

func TestPlanCSVSplits(t *testing.T) {
	if got := MaxSplitBytes(100<<20, 128<<20, 4); got != 25<<20 {
		t.Fatalf("MaxSplitBytes = %d", got)
	}
	if got := MaxSplitBytes(1<<20, 128<<20, 4); got != OpenCostBytes {
		t.Fatalf("MaxSplitBytes small = %d", got)
	}
	if got := MaxSplitBytes(1<<40, 128<<20, 4); got != 128<<20 {
		t.Fatalf("MaxSplitBytes big = %d", got)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	// ~5 MB of long lines: two splits of at most 4 MiB.
	var sb strings.Builder
	sb.WriteString("id,name,score\n")
	var want []string
	pad := strings.Repeat("p", 250)
	for i := range 20_000 {
		fmt.Fprintf(&sb, "%d,%s%d,%d.5\n", i, pad, i, i%101)
		want = append(want, fmt.Sprintf("%d|%s%d|%d.5", i, pad, i, i%101))
	}
	p := writeFile(t, dir, "big.csv", sb.String())
	small, want2 := genCSV(t, dir, "small.csv", 10, false)
	splits, err := PlanCSVSplits([]string{p, small}, 4<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	wantSplits := int((st.Size()+OpenCostBytes-1)/OpenCostBytes) + 1
	if len(splits) != wantSplits {
		t.Fatalf("%d splits, want %d: %v", len(splits), wantSplits, splits)
	}
	schema, err := InferCSVSchema(p, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := readSplits(t, mem, splits, schema, CSVOptions{BatchRows: 50000})
	if !slices.Equal(got, append(want, want2...)) {
		t.Fatalf("split read: %d rows, want %d", len(got), len(want)+len(want2))
	}
}

func TestCSVErrorLineNumbers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("id,name,amount\n")
	for i := 2; i <= 30; i++ {
		amount := fmt.Sprintf("%d.25", i)
		if i == 17 {
			amount = "12x"
		}
		fmt.Fprintf(&sb, "%d,n%d,%s\n", i, i, amount)
	}
	p := writeFile(t, dir, "orders-2.csv", sb.String())
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	st, _ := os.Stat(p)
	for _, step := range []int64{st.Size(), 50, 7} {
		var gotErr error
		for _, sp := range cutSplits(p, st.Size(), step) {
			r, err := OpenCSV(context.Background(), sp, schema, CSVOptions{}, nil, mem)
			if err != nil {
				t.Fatal(err)
			}
			for {
				b, err := r.Next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						gotErr = err
					}
					break
				}
				b.Release()
			}
			r.Close()
		}
		want := p + `:17: column "amount" (3): cannot parse "12x" as float64`
		if gotErr == nil || gotErr.Error() != "datasource: "+want {
			t.Fatalf("step %d: error %v, want %s", step, gotErr, want)
		}
	}

	// Wrong field count names file and line, also in a later split.
	p2 := writeFile(t, dir, "short.csv", "a,b\n1,2\n3,4\n5\n6,7\n")
	st, _ = os.Stat(p2)
	sp := FileSplit{Path: p2, Start: 10, End: st.Size(), FileSize: st.Size()}
	r, err := OpenCSV(context.Background(), sp, schema2(), CSVOptions{}, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lastErr error
	for {
		b, err := r.Next()
		if err != nil {
			lastErr = err
			break
		}
		b.Release()
	}
	if lastErr == nil || !strings.Contains(lastErr.Error(), "short.csv:4: expected 2 fields, found 1") {
		t.Fatalf("field count error: %v", lastErr)
	}
}

func schema2() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
}

func TestCSVMalformedModes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p := writeFile(t, dir, "m.csv", "a,b\n1,2\n3,x\n5\n6,7,8\n9,10\nbad\"quote,1\n11,12\n")
	cases := []struct {
		mode      ParseMode
		rows      []string
		malformed int64
	}{
		// The row with the bare quote stays, NULL from the field that could not be split.
		{Permissive, []string{"1|2", "3|(null)", "5|(null)", "6|7", "9|10", "(null)|(null)", "11|12"}, 4},
		{DropMalformed, []string{"1|2", "9|10", "11|12"}, 4},
	}
	for _, c := range cases {
		opts := CSVOptions{Schema: schema2(), Mode: c.mode, BatchRows: 2}
		r, err := OpenCSV(context.Background(), wholeSplit(t, p), schema2(), opts, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		rows := drain(t, r)
		if !slices.Equal(rows, c.rows) || r.Malformed() != c.malformed {
			t.Errorf("%v: rows %q malformed %d, want %q %d", c.mode, rows, r.Malformed(), c.rows, c.malformed)
		}
		r.Close()
	}
	r, err := OpenCSV(context.Background(), wholeSplit(t, p), schema2(), CSVOptions{}, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if err == nil || !strings.Contains(err.Error(), `m.csv:3: column "b" (2): cannot parse "x" as int64`) {
		t.Fatalf("fail fast: %v", err)
	}
	r.Close()
}

func TestCSVEmptyAndMissing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p := writeFile(t, dir, "orders.csv", "")
	_, err := InferCSVSchema(p, CSVOptions{})
	if err == nil || err.Error() != "datasource: "+p+" is empty: cannot infer a schema" {
		t.Fatalf("empty infer: %v", err)
	}
	splits, err := PlanCSVSplits([]string{p}, 1<<20, 4)
	if err != nil || len(splits) != 1 {
		t.Fatal(splits, err)
	}
	r, err := OpenCSV(context.Background(), splits[0], schema2(), CSVOptions{}, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	if rows := drain(t, r); len(rows) != 0 {
		t.Fatal(rows)
	}
	r.Close()

	// Header only: all columns string, no rows.
	h := writeFile(t, dir, "h.csv", "a,b\n")
	s, rows := readCSV(t, mem, h, CSVOptions{}, nil)
	if s.NumFields() != 2 || len(rows) != 0 {
		t.Fatal(s, rows)
	}

	missing := filepath.Join(dir, "nope.csv")
	if _, err := InferCSVSchema(missing, CSVOptions{}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := OpenCSV(context.Background(), FileSplit{Path: missing, End: 10}, schema2(), CSVOptions{}, nil, mem); err == nil {
		t.Fatal("open missing: no error")
	}
}

func TestCSVMultiLine(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p := writeFile(t, dir, "ml.csv", "a,b\n1,\"two\nlines\"\n2,x\n3,\"bad\n")
	opts := CSVOptions{MultiLine: true}
	s, err := InferCSVSchema(p, CSVOptions{MultiLine: true, InferRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenCSV(context.Background(), wholeSplit(t, p), s, opts, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Next()
	if err == nil {
		b.Release()
		t.Fatal("unterminated quote: no error")
	}
	if !strings.Contains(err.Error(), "ml.csv:5:") {
		t.Fatalf("error %v", err)
	}
	r.Close()
	if _, err := OpenCSV(context.Background(), FileSplit{Path: p, Start: 3, End: 10, FileSize: 30}, s, opts, nil, mem); err == nil {
		t.Fatal("multiline partial split: no error")
	}
}

func TestCSVContextCancel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	p, _ := genCSV(t, dir, "c.csv", 100, false)
	s, err := InferCSVSchema(p, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := OpenCSV(ctx, wholeSplit(t, p), s, CSVOptions{BatchRows: 10}, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	cancel()
	if _, err := r.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.csv", "a.csv", "_SUCCESS", ".hidden", "c.txt"} {
		writeFile(t, dir, n, "x\n")
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	got, err := ExpandPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "c.txt")}
	if !slices.Equal(got, want) {
		t.Fatalf("dir: %v", got)
	}
	got, err = ExpandPaths([]string{filepath.Join(dir, "*.csv"), filepath.Join(dir, "a.csv")})
	if err != nil || !slices.Equal(got, want[:2]) {
		t.Fatalf("glob: %v %v", got, err)
	}
	pat := filepath.Join(dir, "orders/*.csv")
	if _, err := ExpandPaths([]string{pat}); err == nil || err.Error() != fmt.Sprintf("datasource: no files match %q", pat) {
		t.Fatalf("no match: %v", err)
	}
	if _, err := ExpandPaths([]string{filepath.Join(dir, "missing.csv")}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}
