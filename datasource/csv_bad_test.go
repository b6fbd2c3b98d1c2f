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

	"github.com/kindling-data/kindling/internal/memtest"
)

// readAll reads a whole file with OpenCSV and returns the rendered rows, the malformed
// count and the first error other than io.EOF.
func readAll(t *testing.T, path string, schema *arrow.Schema, opts CSVOptions, columns []int) ([]string, int64, error) {
	t.Helper()
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r, err := OpenCSV(context.Background(), wholeSplit(t, path), schema, opts, columns, mem)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	var rows []string
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, r.Malformed(), nil
		}
		if err != nil {
			return rows, r.Malformed(), err
		}
		rows = append(rows, renderRows(b)...)
		b.Release()
	}
}

func stringSchema(names ...string) *arrow.Schema {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// A bare quote in the rows inference samples used to panic in csv.Reader.FieldPos.
func TestInferCSVSchemaBadQuote(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{
		"name,n\nab\"c,1\n",
		"name,n\n\"ab\"c,1\n",
		"name,n\nab,\"1\n",
	} {
		p := writeFile(t, dir, "q.csv", content)
		_, err := InferCSVSchema(p, CSVOptions{})
		if err == nil || !strings.Contains(err.Error(), p+":2:") {
			t.Errorf("%q fail fast: %v, want an error at %s:2", content, err, p)
		}
		for _, mode := range []ParseMode{Permissive, DropMalformed} {
			s, err := InferCSVSchema(p, CSVOptions{Mode: mode})
			if err != nil {
				t.Errorf("%q %v: %v", content, mode, err)
				continue
			}
			if got := fieldNames(s); !slices.Equal(got, []string{"name", "n"}) {
				t.Errorf("%q %v: columns %v", content, mode, got)
			}
		}
	}
	// A header that cannot be read is an error in every mode, not a panic.
	p := writeFile(t, dir, "h.csv", "na\"me,n\n1,2\n")
	for _, mode := range []ParseMode{FailFast, Permissive, DropMalformed} {
		if _, err := InferCSVSchema(p, CSVOptions{Mode: mode}); err == nil || !strings.Contains(err.Error(), p+":1:3:") {
			t.Errorf("bad header %v: %v", mode, err)
		}
		if _, err := ReadCSVHeader(p, CSVOptions{Mode: mode}); err == nil {
			t.Errorf("bad header %v: ReadCSVHeader gave no error", mode)
		}
	}
}

// A count reads one column: a bad value in another one must still fail the read or drop
// the row, as reading every column does.
func TestCSVPrunedColumnsAreValidated(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("id,v,s\n")
	const n, badInt, badUTF8 = 3000, 1234, 2345
	for i := range n {
		v, s := fmt.Sprint(i), "ok"
		if i == badInt {
			v = "12x"
		}
		if i == badUTF8 {
			s = "o\xffk"
		}
		fmt.Fprintf(&sb, "%d,%s,%s\n", i, v, s)
	}
	p := writeFile(t, dir, "c.csv", sb.String())
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, cols := range [][]int{{0}, {}, nil} {
		_, _, err := readAll(t, p, schema, CSVOptions{BatchRows: 500}, cols)
		want := fmt.Sprintf(`c.csv:%d: column "v" (2): cannot parse "12x" as int64`, badInt+2)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("fail fast, columns %v: %v, want %s", cols, err, want)
		}
		rows, malformed, err := readAll(t, p, schema, CSVOptions{Mode: DropMalformed, BatchRows: 500}, cols)
		if err != nil || len(rows) != n-2 || malformed != 2 {
			t.Errorf("drop, columns %v: %d rows, %d malformed, %v; want %d, 2", cols, len(rows), malformed, err, n-2)
		}
		rows, _, err = readAll(t, p, schema, CSVOptions{Mode: Permissive, BatchRows: 500}, cols)
		if err != nil || len(rows) != n {
			t.Errorf("permissive, columns %v: %d rows, %v; want %d", cols, len(rows), err, n)
		}
	}
	// Only the UTF-8 error left: it names the line and the column.
	p2 := writeFile(t, dir, "u.csv", strings.Replace(sb.String(), "12x", "12", 1))
	_, _, err := readAll(t, p2, schema, CSVOptions{BatchRows: 500}, []int{0})
	if want := fmt.Sprintf(`u.csv:%d: column "s" (3): invalid UTF-8`, badUTF8+2); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("utf8 pruned: %v, want %s", err, want)
	}
}

// dataLines counts the lines after the header that encoding/csv does not skip as blank:
// outside MultiLine mode each is one record, good or malformed.
func dataLines(content string) int {
	n := 0
	for _, l := range strings.Split(content, "\n") {
		if strings.TrimSuffix(l, "\r") != "" {
			n++
		}
	}
	return n - 1
}

// An unterminated quote or a quoted newline outside MultiLine mode spoils its own line only.
func TestCSVQuoteErrorsLoseNoLines(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		permissive    []string
		drop          []string
		failAt        string
	}{
		{"open", "a,b\n1,2\n3,\"x\n5,6\n7,8\n",
			[]string{"1|2", "3|(null)", "5|6", "7|8"}, []string{"1|2", "5|6", "7|8"}, ":3:"},
		{"newline", "a,b\n1,\"x\ny\",2\n5,6\n",
			[]string{"1|(null)", "(null)|(null)", "5|6"}, []string{"5|6"}, ":2:"},
		{"last", "a,b\n1,2\n3,\"x", []string{"1|2", "3|(null)"}, []string{"1|2"}, ":3:"},
		{"crlf", "a,b\r\n\"1,2\r\n\r\n3,4\r\n", []string{"(null)|(null)", "3|4"}, []string{"3|4"}, ":2:"},
	}
	for _, c := range cases {
		p := writeFile(t, dir, c.name+".csv", c.content)
		schema := stringSchema("a", "b")
		for _, mode := range []ParseMode{Permissive, DropMalformed} {
			rows, malformed, err := readAll(t, p, schema, CSVOptions{Mode: mode, BatchRows: 2}, nil)
			want := c.permissive
			if mode == DropMalformed {
				want = c.drop
				if int(malformed)+len(rows) != dataLines(c.content) {
					t.Errorf("%s: %d rows + %d malformed, want %d lines", c.name, len(rows), malformed, dataLines(c.content))
				}
			}
			if err != nil || !slices.Equal(rows, want) {
				t.Errorf("%s %v: rows %q (%v), want %q", c.name, mode, rows, err, want)
			}
		}
		_, _, err := readAll(t, p, schema, CSVOptions{}, nil)
		if err == nil || !strings.Contains(err.Error(), p+c.failAt) {
			t.Errorf("%s fail fast: %v, want %s%s", c.name, err, p, c.failAt)
		}
	}

	// MultiLine: a quote open to the end of the file spoils its record, and the lines
	// after its first are read again.
	p := writeFile(t, dir, "ml.csv", "a,b\n1,\"two\nlines\"\n3,\"x\n5,6\n7,8\n")
	rows, malformed, err := readAll(t, p, stringSchema("a", "b"), CSVOptions{MultiLine: true, Mode: DropMalformed}, nil)
	if want := []string{"1|two\nlines", "5|6", "7|8"}; err != nil || !slices.Equal(rows, want) || malformed != 1 {
		t.Errorf("multiline: rows %q, malformed %d, %v; want %q, 1", rows, malformed, err, want)
	}
	_, _, err = readAll(t, p, stringSchema("a", "b"), CSVOptions{MultiLine: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "on line 4") {
		t.Errorf("multiline fail fast: %v", err)
	}

	// Split anywhere, the lines are each read once.
	var sb strings.Builder
	sb.WriteString("a,b\n")
	for i := range 200 {
		switch i % 17 {
		case 3:
			fmt.Fprintf(&sb, "%d,\"open\n", i)
		case 9:
			fmt.Fprintf(&sb, "\"%d,x\"y\n", i)
		default:
			fmt.Fprintf(&sb, "%d,%d\n", i, i)
		}
	}
	p = writeFile(t, dir, "many.csv", sb.String())
	whole, malformed, err := readAll(t, p, stringSchema("a", "b"), CSVOptions{Mode: Permissive}, nil)
	if err != nil || len(whole) != 200 || malformed != 24 {
		t.Fatalf("many: %d rows, %d malformed, %v", len(whole), malformed, err)
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	st, _ := os.Stat(p)
	for _, step := range []int64{7, 64, 333} {
		got := readSplits(t, mem, cutSplits(p, st.Size(), step), stringSchema("a", "b"), CSVOptions{Mode: Permissive, BatchRows: 5})
		if !slices.Equal(got, whole) {
			t.Errorf("step %d: %d rows, want %d", step, len(got), len(whole))
		}
	}
}

// Invalid UTF-8 follows the mode, in plain and dictionary string columns.
func TestCSVInvalidUTF8(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	sb.WriteString("id,s\n")
	const n = 100
	bad := map[int]bool{7: true, 8: true, 60: true}
	var wantPerm, wantDrop []string
	for i := range n {
		s := fmt.Sprintf("v%d", i%5)
		if bad[i] {
			s = "x\xc3("
		}
		fmt.Fprintf(&sb, "%d,%s\n", i, s)
		if bad[i] {
			wantPerm = append(wantPerm, fmt.Sprintf("%d|(null)", i))
		} else {
			wantPerm = append(wantPerm, fmt.Sprintf("%d|%s", i, s))
			wantDrop = append(wantDrop, fmt.Sprintf("%d|%s", i, s))
		}
	}
	p := writeFile(t, dir, "u.csv", sb.String())
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for _, dict := range []bool{false, true} {
		opts := CSVOptions{BatchRows: 16, DictionaryAllStrings: dict}
		s, err := InferCSVSchema(p, CSVOptions{Schema: schema, DictionaryAllStrings: dict})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = readAll(t, p, s, opts, nil)
		if err == nil || !strings.Contains(err.Error(), `u.csv:9: column "s" (2): invalid UTF-8`) {
			t.Errorf("dict=%v fail fast: %v", dict, err)
		}
		// Read in splits, the error still names the file's line.
		mem := memtest.Checked()
		st, _ := os.Stat(p)
		for _, step := range []int64{40, 97, 300} {
			var gotErr error
			for _, sp := range cutSplits(p, st.Size(), step) {
				r, err := OpenCSV(context.Background(), sp, s, opts, nil, mem)
				if err != nil {
					t.Fatal(err)
				}
				for gotErr == nil {
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
			if gotErr == nil || !strings.Contains(gotErr.Error(), `u.csv:9: column "s" (2): invalid UTF-8`) {
				t.Errorf("dict=%v step %d: %v", dict, step, gotErr)
			}
		}
		mem.AssertSize(t, 0)
		opts.Mode = Permissive
		rows, malformed, err := readAll(t, p, s, opts, nil)
		if err != nil || !slices.Equal(rows, wantPerm) || malformed != 3 {
			t.Errorf("dict=%v permissive: %d rows, %d malformed, %v", dict, len(rows), malformed, err)
		}
		opts.Mode = DropMalformed
		rows, malformed, err = readAll(t, p, s, opts, nil)
		if err != nil || !slices.Equal(rows, wantDrop) || malformed != 3 {
			t.Errorf("dict=%v drop: %d rows, %d malformed, %v", dict, len(rows), malformed, err)
		}
	}
}

// BenchmarkCSVRead reads 200 000 rows of an int, a float and two string columns, all of
// them (the UTF-8 check covers the string bytes of each batch) and one of them (the others
// are only validated, as a Count in FailFast mode does).
func BenchmarkCSVRead(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,x,name,city\n")
	const n = 200_000
	for i := range n {
		fmt.Fprintf(&sb, "%d,%d.25,name-%d,city-%d\n", i, i%1000, i%5000, i%97)
	}
	p := filepath.Join(b.TempDir(), "b.csv")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	schema, err := InferCSVSchema(p, CSVOptions{})
	if err != nil {
		b.Fatal(err)
	}
	split, err := PlanWholeFileSplits([]string{p})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cols []int
	}{{"all", nil}, {"one", []int{0}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(sb.Len()))
			for b.Loop() {
				r, err := OpenCSV(context.Background(), split[0], schema, CSVOptions{}, bc.cols, memory.NewGoAllocator())
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for {
					batch, err := r.Next()
					if err != nil {
						if !errors.Is(err, io.EOF) {
							b.Fatal(err)
						}
						break
					}
					rows += int(batch.NumRows())
					batch.Release()
				}
				r.Close()
				if rows != n {
					b.Fatalf("%d rows", rows)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// Blank lines before the header: a split that starts among them must not read the header
// as data.
func TestCSVHeaderAfterBlankLines(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	p := writeFile(t, t.TempDir(), "b.csv", "\n\r\n\na,b\n1,2\n3,4\n")
	st, _ := os.Stat(p)
	for step := int64(1); step <= st.Size(); step++ {
		got := readSplits(t, mem, cutSplits(p, st.Size(), step), stringSchema("a", "b"), CSVOptions{})
		if want := []string{"1|2", "3|4"}; !slices.Equal(got, want) {
			t.Errorf("step %d: %q, want %q", step, got, want)
		}
	}
}

// Two invalid values can concatenate into valid UTF-8: each value must still be checked.
func TestCSVInvalidUTF8AcrossValues(t *testing.T) {
	p := writeFile(t, t.TempDir(), "j.csv", "s\n\xef\xbb\n\xb0\nok\n")
	rows, malformed, err := readAll(t, p, stringSchema("s"), CSVOptions{Mode: Permissive}, nil)
	if want := []string{"(null)", "(null)", "ok"}; err != nil || !slices.Equal(rows, want) || malformed != 2 {
		t.Fatalf("rows %q, %d malformed, %v; want %q, 2", rows, malformed, err, want)
	}
}
