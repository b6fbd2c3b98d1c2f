package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
)

// mergeFile is one test file: its schema and its rows, cells as Go values (int64,
// float64, string or nil) converted to the columns' types when written.
type mergeFile struct {
	name   string
	schema *arrow.Schema
	rows   [][]any
}

func writeMergeTestFile(t *testing.T, mem memory.Allocator, dir string, f mergeFile, ipc bool) {
	t.Helper()
	type writer interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	path := filepath.Join(dir, f.name)
	var w writer
	var err error
	if ipc {
		w, err = datasource.NewIPCFileWriter(path, f.schema, mem)
	} else {
		w, err = datasource.NewParquetFileWriter(path, f.schema, mem)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Two batches (in Parquet, two row groups) so that pruning has something to choose.
	half := len(f.rows) / 2
	for i, rows := range [][][]any{f.rows[:half], f.rows[half:]} {
		if pw, ok := w.(*datasource.ParquetFileWriter); ok && i > 0 {
			if err := pw.FlushRowGroup(); err != nil {
				t.Fatal(err)
			}
		}
		b := array.NewRecordBuilder(mem, f.schema)
		for _, row := range rows {
			for c, v := range row {
				appendMergeValue(t, b.Field(c), v)
			}
		}
		rec := b.NewRecordBatch()
		b.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func appendMergeValue(t *testing.T, b array.Builder, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(v.(int64)))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryDictionaryBuilder:
		if err := b.AppendString(v.(string)); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("appendMergeValue: unhandled builder %T", b)
	}
}

// mergeTable writes three files whose schema evolves and returns the rows of the merged
// table (id, v, s, w, z), made in Go from the same values:
//
//	p1: id int32, v int32, s string
//	p2: s dictionary string, id int64, w float32 (added)
//	p3: z string (added), id int8, w float64, v int64
func mergeTable(t *testing.T, mem memory.Allocator, ipc bool) (string, [][]any) {
	dir := t.TempDir()
	i32, i64, str := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	ext := ".parquet"
	if ipc {
		ext = ".arrow"
	}
	var want [][]any
	p1 := mergeFile{name: "p1" + ext, schema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: i32}, {Name: "v", Type: i32, Nullable: true}, {Name: "s", Type: str, Nullable: true}}, nil)}
	for id := int64(0); id < 60; id++ {
		var v, s any = id * 7 % 23, fmt.Sprint("s", id%4)
		if id%9 == 0 {
			v = nil
		}
		p1.rows = append(p1.rows, []any{id, v, s})
		want = append(want, []any{id, v, s, nil, nil})
	}
	p2 := mergeFile{name: "p2" + ext, schema: arrow.NewSchema([]arrow.Field{{Name: "s", Type: &arrow.DictionaryType{IndexType: i32, ValueType: str}, Nullable: true},
		{Name: "id", Type: i64}, {Name: "w", Type: arrow.PrimitiveTypes.Float32, Nullable: true}}, nil)}
	for id := int64(1000); id < 1040; id++ {
		var s, w any = fmt.Sprint("d", id%3), float64(id%8) / 2
		if id%5 == 0 {
			w = nil
		}
		p2.rows = append(p2.rows, []any{s, id, w})
		want = append(want, []any{id, nil, s, w, nil})
	}
	p3 := mergeFile{name: "p3" + ext, schema: arrow.NewSchema([]arrow.Field{{Name: "z", Type: str, Nullable: true}, {Name: "id", Type: arrow.PrimitiveTypes.Int8},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true}, {Name: "v", Type: i64, Nullable: true}}, nil)}
	for id := int64(-50); id < -10; id++ {
		var z, w, v any = []string{"a", "b", "c"}[-id%3], float64(id) / 3, id * 100_000_000_000
		if id%6 == 0 {
			z = nil
		}
		p3.rows = append(p3.rows, []any{z, id, w, v})
		want = append(want, []any{id, v, nil, w, z})
	}
	for _, f := range []mergeFile{p1, p2, p3} {
		writeMergeTestFile(t, mem, dir, f, ipc)
	}
	return dir, want
}

// mergeCols picks columns of rows of the merged table.
func mergeCols(rows [][]any, cols ...int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(cols))
		for j, c := range cols {
			out[i][j] = r[c]
		}
	}
	return out
}

func mergeWhere(rows [][]any, keep func([]any) bool) [][]any {
	var out [][]any
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func TestMergeSchemaReadParquet(t *testing.T) {
	s, mem := newCacheSession(t, Config{BatchRows: 16, MaxPartitionBytes: 1})
	dir, want := mergeTable(t, mem, false)
	d := s.ReadParquetWith(ParquetOptions{MergeSchema: true}, filepath.Join(dir, "*.parquet"))
	schema, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if got := oneLine(schema); got != "(id: int64, v: int64, s: utf8, w: float64, z: utf8)" {
		t.Fatalf("merged schema %s", got)
	}
	assertSameRows(t, collectRows(t, d), want)
	assertSameRows(t, collectRows(t, d.SelectColumns("z")), mergeCols(want, 4))
	assertSameRows(t, collectRows(t, d.SelectColumns("w", "s")), mergeCols(want, 3, 2))
	if n, err := d.Count(t.Context()); err != nil || n != int64(len(want)) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(want))
	}

	num := func(v any) (float64, bool) {
		switch v := v.(type) {
		case int64:
			return float64(v), true
		case float64:
			return v, true
		}
		return 0, false
	}
	for _, c := range []struct {
		name   string
		filter Expr
		keep   func([]any) bool
	}{
		{"z = a", Col("z").Eq(Lit("a")), func(r []any) bool { return r[4] == "a" }},
		{"z IS NULL", Col("z").IsNull(), func(r []any) bool { return r[4] == nil }},
		{"z IS NOT NULL", Col("z").IsNotNull(), func(r []any) bool { return r[4] != nil }},
		{"w >= 1.5", Col("w").Ge(Lit(1.5)), func(r []any) bool { w, ok := num(r[3]); return ok && w >= 1.5 }},
		{"v > 10", Col("v").Gt(Lit(10)), func(r []any) bool { v, ok := num(r[1]); return ok && v > 10 }},
		{"v < -3e12", Col("v").Lt(Lit(int64(-3_000_000_000_000))), func(r []any) bool { v, ok := num(r[1]); return ok && v < -3e12 }},
		{"id >= 1020", Col("id").Ge(Lit(1020)), func(r []any) bool { return r[0].(int64) >= 1020 }},
		{"id < -30", Col("id").Lt(Lit(-30)), func(r []any) bool { return r[0].(int64) < -30 }},
		{"s = d1 and z is null", Col("s").Eq(Lit("d1")).And(Col("z").IsNull()), func(r []any) bool { return r[2] == "d1" && r[4] == nil }},
	} {
		f := d.Filter(c.filter)
		if !strings.Contains(f.Explain(), "pushed=") {
			t.Fatalf("%s: the filter was not pushed into the scan:\n%s", c.name, f.Explain())
		}
		t.Run(c.name, func(t *testing.T) {
			assertSameRows(t, collectRows(t, f), mergeWhere(want, c.keep))
		})
	}
	// A file that lacks z has no row with z = a: its row groups are skipped.
	if _, err := d.Filter(Col("z").Eq(Lit("a"))).Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	if pruned := s.LastJob().Stages[0].Totals().RowGroupsPruned; pruned < 4 {
		t.Fatalf("z = a pruned %d row groups, want at least the 4 of the files without z", pruned)
	}

	// Grouping over merged columns agrees with Go.
	sums := map[any]int64{}
	for _, r := range want {
		if v, ok := r[1].(int64); ok {
			sums[r[2]] += v
		}
	}
	var wantSums [][]any
	for k, v := range sums {
		wantSums = append(wantSums, []any{k, v})
	}
	assertSameRows(t, collectRows(t, d.Filter(Col("v").IsNotNull()).GroupBy("s").Agg(Sum("v").As("v"))), wantSums)
}

func TestMergeSchemaReadIPC(t *testing.T) {
	s, mem := newCacheSession(t, Config{BatchRows: 8})
	dir, want := mergeTable(t, mem, true)
	d := s.ReadIPCWith(IPCOptions{MergeSchema: true}, dir)
	assertSameRows(t, collectRows(t, d), want)
	assertSameRows(t, collectRows(t, d.Filter(Col("w").Lt(Lit(0))).SelectColumns("z", "id")),
		mergeCols(mergeWhere(want, func(r []any) bool { w, ok := r[3].(float64); return ok && w < 0 }), 4, 0))
}

func TestMergeSchemaReadErrors(t *testing.T) {
	s, mem := newCacheSession(t, Config{})
	dir, _ := mergeTable(t, mem, false)
	// Without MergeSchema, the error says what differs and how to read the files anyway.
	_, err := s.ReadParquet(dir).Count(t.Context())
	for _, want := range []string{`column "s" is string (dictionary-encoded) in ` + filepath.Join(dir, "p2.parquet"), "but string in " + filepath.Join(dir, "p1.parquet"), "MergeSchema"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("ReadParquet of differing files: %v, want it to say %q", err, want)
		}
	}
	t.Log(err)

	bad := mergeFile{name: "p4.parquet", schema: arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String}}, nil), rows: [][]any{{"x"}, {"y"}}}
	writeMergeTestFile(t, mem, dir, bad, false)
	_, err = s.ReadParquetWith(ParquetOptions{MergeSchema: true}, dir).Schema()
	for _, want := range []string{`column "v" is string in ` + filepath.Join(dir, "p4.parquet"), "but int32 in " + filepath.Join(dir, "p1.parquet"), "not a widening change"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("incompatible change: %v, want it to say %q", err, want)
		}
	}
	t.Log(err)
	if d := s.ReadParquetWith(ParquetOptions{}); d.err == nil {
		t.Fatal("ReadParquetWith with no path: no error")
	}
}

// A partitioned table whose schema changed between partitions: a filter on the partition
// column that keeps only the old directory still reads the table's merged schema.
func TestMergeSchemaPartitionedTable(t *testing.T) {
	s, mem := newCacheSession(t, Config{BatchRows: 16})
	dir, want := mergeTable(t, mem, false)
	table := t.TempDir()
	for i, f := range []string{"p1.parquet", "p2.parquet", "p3.parquet"} {
		part := filepath.Join(table, fmt.Sprintf("gen=%d", i+1))
		if err := os.MkdirAll(part, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, f), filepath.Join(part, f)); err != nil {
			t.Fatal(err)
		}
	}
	d := s.ReadParquetWith(ParquetOptions{MergeSchema: true}, table)
	schema, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if got := oneLine(schema); got != "(id: int64, v: int64, s: utf8, w: float64, z: utf8, gen: int64)" {
		t.Fatalf("schema %s", got)
	}
	gen := func(r []any) int64 {
		switch id := r[0].(int64); {
		case id < 0:
			return 3
		case id >= 1000:
			return 2
		}
		return 1
	}
	withGen := func(rows [][]any) [][]any {
		out := make([][]any, len(rows))
		for i, r := range rows {
			out[i] = append(slices.Clone(r), gen(r))
		}
		return out
	}
	assertSameRows(t, collectRows(t, d), withGen(want))
	for g := int64(1); g <= 3; g++ {
		f := d.Filter(Col("gen").Eq(Lit(g))).SelectColumns("z", "v", "id", "gen")
		if !strings.Contains(f.Explain(), "1 of 3") {
			t.Fatalf("gen = %d read more than its directory:\n%s", g, f.Explain())
		}
		got := collectRows(t, f)
		assertSameRows(t, got, mergeCols(withGen(mergeWhere(want, func(r []any) bool { return gen(r) == g })), 4, 1, 0, 5))
	}
}
