package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

func TestMergeSchemaWidening(t *testing.T) {
	i8, i16, i32, i64 := arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	u32, u64 := arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64
	f32, f64 := arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64
	str := arrow.BinaryTypes.String
	dict := &arrow.DictionaryType{IndexType: i32, ValueType: str}
	dict8 := &arrow.DictionaryType{IndexType: i8, ValueType: str}
	date, ts := arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Timestamp_us
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	for _, c := range []struct {
		a, b arrow.DataType
		want arrow.DataType // nil: an incompatible change
	}{
		{i32, i32, i32},
		{i8, i16, i64},
		{i32, i64, i64},
		{u32, i64, i64},
		{i32, f32, f64},
		{i16, f64, f64},
		{f32, f64, f64},
		{dict, str, str},
		{dict, dict, dict},
		{dict8, dict, str},
		{arrow.Null, i32, i32},
		{dec(5, 2), dec(10, 4), dec(10, 4)},
		{i32, dec(12, 2), dec(12, 2)},
		{i64, f64, nil}, // float64 rounds large int64s
		{u64, i64, nil}, // int64 does not hold every uint64
		{i64, str, nil}, // not a widening
		{date, ts, nil}, // plan.CommonType has no common type for them
		{i32, dec(9, 2), dec(12, 2)},
		{i32, dec(38, 30), nil}, // no decimal128 holds both
		{dec(10, 4), f64, nil},
	} {
		got, err := srcWiden(c.a, c.b)
		if c.want == nil {
			if err == nil {
				t.Errorf("%s + %s = %s, want an error", c.a, c.b, got)
			}
			continue
		}
		if err != nil || !arrow.TypeEqual(got, c.want) {
			t.Errorf("%s + %s = %v, %v; want %s", c.a, c.b, got, err, c.want)
		}
	}
}

// mergeCell is a value of a test table: nil (NULL), int64, float64 or string.
type mergeCell = any

// writeMergeFile writes the rows of each row group to a Parquet (or, with ipc, Arrow IPC)
// file of schema, converting the cells to the columns' types.
func writeMergeFile(t *testing.T, mem memory.Allocator, path string, schema *arrow.Schema, ipc bool, groups ...[][]mergeCell) {
	t.Helper()
	type writer interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	var w writer
	var err error
	if ipc {
		w, err = datasource.NewIPCFileWriter(path, schema, mem)
	} else {
		w, err = datasource.NewParquetFileWriter(path, schema, mem)
	}
	if err != nil {
		t.Fatal(err)
	}
	for g, rows := range groups {
		if pw, ok := w.(*datasource.ParquetFileWriter); ok && g > 0 {
			if err := pw.FlushRowGroup(); err != nil {
				t.Fatal(err)
			}
		}
		b := array.NewRecordBuilder(mem, schema)
		for _, row := range rows {
			for c, v := range row {
				appendMergeCell(t, b.Field(c), v)
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

func appendMergeCell(t *testing.T, b array.Builder, v mergeCell) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int16Builder:
		b.Append(int16(v.(int64)))
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
	case *array.Decimal128Builder:
		b.Append(decimal128.FromI64(v.(int64)))
	default:
		t.Fatalf("appendMergeCell: unhandled builder %T", b)
	}
}

// mergeRow is a row of the merged table the test files make; the Go side of every check.
type mergeRow struct {
	id     int64
	name   mergeCell // string
	amount mergeCell // int64
	score  mergeCell // float64
	tag    mergeCell // string
}

func (r mergeRow) get(col string) mergeCell {
	switch col {
	case "id":
		return r.id
	case "name":
		return r.name
	case "amount":
		return r.amount
	case "score":
		return r.score
	case "tag":
		return r.tag
	}
	panic(col)
}

// render formats the cols of r as scanMerged does a batch's row.
func (r mergeRow) render(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		switch v := r.get(c).(type) {
		case nil:
			parts[i] = "(null)"
		case int64:
			parts[i] = strconv.FormatInt(v, 10)
		case float64:
			parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
		case string:
			parts[i] = v
		}
	}
	return strings.Join(parts, "|")
}

var mergeColumns = []string{"id", "name", "amount", "score", "tag"}

// writeMergeFiles writes three Parquet files whose schemas evolve: b.parquet widens id and
// amount to int64, reorders them and adds score (float32); c.parquet dictionary-encodes
// name, narrows amount to int16, adds tag and has score as float64. It returns the directory and the rows the
// merged read must give, built independently of the files.
func writeMergeFiles(t *testing.T, mem memory.Allocator) (string, []mergeRow) {
	dir := t.TempDir()
	var want []mergeRow
	i32, i64 := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	str := arrow.BinaryTypes.String

	a := arrow.NewSchema([]arrow.Field{{Name: "id", Type: i32}, {Name: "name", Type: str, Nullable: true}, {Name: "amount", Type: i32, Nullable: true}}, nil)
	var groups [][][]mergeCell
	for g := range 2 {
		var rows [][]mergeCell
		for id := int64(g * 100); id < int64(g*100+100); id++ {
			r := mergeRow{id: id, name: fmt.Sprintf("n%d", id%5), amount: id * 10}
			if id%7 == 0 {
				r.name = nil
			}
			if id%11 == 0 {
				r.amount = nil
			}
			want = append(want, r)
			rows = append(rows, []mergeCell{r.id, r.name, r.amount})
		}
		groups = append(groups, rows)
	}
	writeMergeFile(t, mem, filepath.Join(dir, "a.parquet"), a, false, groups...)

	b := arrow.NewSchema([]arrow.Field{{Name: "amount", Type: i64, Nullable: true}, {Name: "id", Type: i64},
		{Name: "score", Type: arrow.PrimitiveTypes.Float32, Nullable: true}}, nil)
	var rows [][]mergeCell
	for id := int64(200); id < 250; id++ {
		r := mergeRow{id: id, amount: id*10 + 3_000_000_000, score: float64(id) / 4}
		if id%3 == 0 {
			r.score = nil
		}
		want = append(want, r)
		rows = append(rows, []mergeCell{r.amount, r.id, r.score})
	}
	writeMergeFile(t, mem, filepath.Join(dir, "b.parquet"), b, false, rows)

	c := arrow.NewSchema([]arrow.Field{{Name: "name", Type: &arrow.DictionaryType{IndexType: i32, ValueType: str}, Nullable: true},
		{Name: "id", Type: i32}, {Name: "tag", Type: str, Nullable: true}, {Name: "amount", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	groups = nil
	for g := range 2 {
		var rows [][]mergeCell
		for id := int64(300 + g*40); id < int64(340+g*40); id++ {
			r := mergeRow{id: id, name: fmt.Sprintf("c%d", id%3), tag: "y", amount: -id, score: float64(id) / 7}
			if id%2 == 0 {
				r.tag = "x"
			}
			if id%5 == 0 {
				r.tag = nil
			}
			if id%4 == 0 {
				r.score = nil
			}
			want = append(want, r)
			rows = append(rows, []mergeCell{r.name, r.id, r.tag, r.amount, r.score})
		}
		groups = append(groups, rows)
	}
	writeMergeFile(t, mem, filepath.Join(dir, "c.parquet"), c, false, groups...)
	return dir, want
}

// scanMerged reads every partition of src, checking that each batch has the scan's
// schema, and returns the rows rendered "v1|v2|...", the schema and the row groups pruned.
func scanMerged(t *testing.T, src plan.Source, req plan.ScanRequest, mem memory.Allocator) ([]string, *arrow.Schema, int) {
	t.Helper()
	full, err := src.Schema()
	if err != nil {
		t.Fatal(err)
	}
	_, want, err := srcColumnIndices(src.String(), full, req.Columns)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := src.Partitions(req)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	pruned := 0
	for _, p := range parts {
		it, err := p.Open(context.Background(), mem)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := it.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(b.Schema().Fields(), want.Fields(), arrow.Field.Equal) {
				t.Fatalf("%s: batch schema %v, want %v", p, b.Schema(), want)
			}
			for r := 0; r < int(b.NumRows()); r++ {
				cells := make([]string, b.NumCols())
				for c := range cells {
					cells[c] = strings.Clone(b.Column(c).ValueStr(r))
				}
				rows = append(rows, strings.Join(cells, "|"))
			}
			b.Release()
		}
		if pr, ok := it.(interface{ RowGroupsPruned() int }); ok {
			pruned += pr.RowGroupsPruned()
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return rows, want, pruned
}

func renderRows(rows []mergeRow, cols []string, keep func(mergeRow) bool) []string {
	var out []string
	for _, r := range rows {
		if keep == nil || keep(r) {
			out = append(out, r.render(cols))
		}
	}
	return out
}

func sameMultiset(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d rows, want %d\n got %q\nwant %q", what, len(got), len(want), got[:min(len(got), 8)], want[:min(len(want), 8)])
	}
}

func TestMergeSchemaParquet(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir, want := writeMergeFiles(t, mem)
	src := NewParquetSourceWith([]string{dir}, FileOptions{MergeSchema: true})
	schema, err := src.Schema()
	if err != nil {
		t.Fatal(err)
	}
	wantSchema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true}, // float32 in b
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	if !schema.Equal(wantSchema) {
		t.Fatalf("merged schema %v, want %v", schema, wantSchema)
	}
	// The files keep their own types: the reads below cast dictionary to string and
	// int16, int32 to int64.
	if cs, err := datasource.ParquetSchema(filepath.Join(dir, "c.parquet")); err != nil || cs.Field(0).Type.ID() != arrow.DICTIONARY || cs.Field(3).Type.ID() != arrow.INT16 {
		t.Fatalf("c.parquet reads back as %v, %v", cs, err)
	}
	for _, cols := range [][]string{nil, {"tag"}, {"score", "id"}, {"amount"}, {"tag", "name", "tag"}} {
		for _, batch := range []int{0, 7} {
			rows, _, _ := scanMerged(t, src, plan.ScanRequest{Columns: cols, BatchRows: batch, MinPartitions: 3}, mem)
			render := cols
			if render == nil {
				render = mergeColumns
			}
			sameMultiset(t, fmt.Sprintf("columns %v, batches of %d", cols, batch), rows, renderRows(want, render, nil))
		}
	}
	// No columns: only the row counts, from every file.
	rows, _, _ := scanMerged(t, src, plan.ScanRequest{Columns: []string{}}, mem)
	if len(rows) != len(want) {
		t.Fatalf("a zero-column scan counted %d rows, want %d", len(rows), len(want))
	}
	if _, err := src.Partitions(plan.ScanRequest{Columns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `unknown column "nope"`) {
		t.Fatalf("unknown column: %v", err)
	}
}

func TestMergeSchemaPruning(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir, want := writeMergeFiles(t, mem)
	src := NewParquetSourceWith([]string{dir}, FileOptions{MergeSchema: true})
	col := func(n string) *plan.ColumnRef { return &plan.ColumnRef{Name: n} }
	i64 := func(v int64) *plan.Literal { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }
	strLit := func(v string) *plan.Literal { return &plan.Literal{Value: v, Type: arrow.BinaryTypes.String} }
	for _, c := range []struct {
		name   string
		filter plan.Expr
		keep   func(mergeRow) bool
		pruned int // a: 2 row groups, b: 1, c: 2
	}{
		// a and b lack tag: NULL there, never equal to anything.
		{"tag = x", &plan.Binary{Op: plan.OpEq, Left: col("tag"), Right: strLit("x")},
			func(r mergeRow) bool { return r.tag == "x" }, 3},
		{"tag IS NULL", &plan.Unary{Op: plan.OpIsNull, Child: col("tag")},
			func(r mergeRow) bool { return r.tag == nil }, 0},
		{"tag IS NOT NULL", &plan.Unary{Op: plan.OpIsNotNull, Child: col("tag")},
			func(r mergeRow) bool { return r.tag != nil }, 3},
		// int32 statistics in a and c against an int64 literal.
		{"id >= 150", &plan.Binary{Op: plan.OpGtEq, Left: col("id"), Right: i64(150)},
			func(r mergeRow) bool { return r.id >= 150 }, 1},
		{"id > 3e9", &plan.Binary{Op: plan.OpGt, Left: col("id"), Right: i64(3_000_000_000)},
			func(r mergeRow) bool { return r.id > 3_000_000_000 }, 5},
		{"id < 3e9", &plan.Binary{Op: plan.OpLt, Left: col("id"), Right: i64(3_000_000_000)},
			func(r mergeRow) bool { return r.id < 3_000_000_000 }, 0},
		{"amount = 3000002000", &plan.Binary{Op: plan.OpEq, Left: col("amount"), Right: i64(3_000_002_000)},
			func(r mergeRow) bool { return r.amount == int64(3_000_002_000) }, 2},
		{"amount < 0", &plan.Binary{Op: plan.OpLt, Left: col("amount"), Right: i64(0)},
			func(r mergeRow) bool { a, ok := r.amount.(int64); return ok && a < 0 }, 3},
		// score is float (never pruned on values) and missing from a.
		{"score > 10", &plan.Binary{Op: plan.OpGt, Left: col("score"), Right: &plan.Literal{Value: 10.0, Type: arrow.PrimitiveTypes.Float64}},
			func(r mergeRow) bool { s, ok := r.score.(float64); return ok && s > 10 }, 2},
	} {
		rows, _, pruned := scanMerged(t, src, plan.ScanRequest{Filters: []plan.Expr{c.filter}, BatchRows: 16}, mem)
		if pruned != c.pruned {
			t.Errorf("%s: %d row groups pruned, want %d", c.name, pruned, c.pruned)
		}
		// Pruning returns whole row groups: the matching rows must all be among them.
		got := map[string]int{}
		for _, r := range rows {
			got[r]++
		}
		for _, r := range renderRows(want, mergeColumns, c.keep) {
			if got[r] == 0 {
				t.Fatalf("%s: row %q was pruned", c.name, r)
			}
			got[r]--
		}
	}
}

func TestMergeSchemaIncompatible(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	i64 := arrow.PrimitiveTypes.Int64
	writeMergeFile(t, mem, filepath.Join(dir, "a.parquet"), arrow.NewSchema([]arrow.Field{{Name: "id", Type: i64}, {Name: "amount", Type: i64}}, nil), false,
		[][]mergeCell{{int64(1), int64(2)}})
	writeMergeFile(t, mem, filepath.Join(dir, "b.parquet"), arrow.NewSchema([]arrow.Field{{Name: "id", Type: i64}, {Name: "amount", Type: arrow.BinaryTypes.String}}, nil), false,
		[][]mergeCell{{int64(1), "2"}})
	_, err := NewParquetSourceWith([]string{dir}, FileOptions{MergeSchema: true}).Schema()
	for _, want := range []string{`column "amount"`, "string in " + filepath.Join(dir, "b.parquet"), "int64 in " + filepath.Join(dir, "a.parquet"), "not a widening change"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("incompatible change: %v, want it to say %q", err, want)
		}
	}
	t.Log(err)

	// int64 then float64 would round: also refused, naming the float file.
	writeMergeFile(t, mem, filepath.Join(dir, "c.parquet"), arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Float64}}, nil), false,
		[][]mergeCell{{1.5}})
	_, err = NewParquetSourceWith([]string{filepath.Join(dir, "a.parquet"), filepath.Join(dir, "c.parquet")}, FileOptions{MergeSchema: true}).Schema()
	if err == nil || !strings.Contains(err.Error(), `column "id" is float64 in `+filepath.Join(dir, "c.parquet")+" but int64 in") {
		t.Fatalf("int64 and float64: %v", err)
	}
}

func TestSchemaMismatchWithoutMerge(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	i32, i64 := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	nullable := []arrow.Field{{Name: "id", Type: i64, Nullable: true}, {Name: "x", Type: i64, Nullable: true}}
	for _, c := range []struct {
		name string
		a, b []arrow.Field // a nil: id and x, int64 NOT NULL
		want string
	}{
		{"type", nil, []arrow.Field{{Name: "id", Type: i32}, {Name: "x", Type: i64}}, `column "id" is int32 in B but int64 in A`},
		{"added", nil, []arrow.Field{{Name: "id", Type: i64}, {Name: "x", Type: i64}, {Name: "y", Type: i64}}, `column "y" is in B but not in A`},
		{"missing", nil, []arrow.Field{{Name: "id", Type: i64}}, `column "x" is in A but not in B`},
		{"order", nil, []arrow.Field{{Name: "x", Type: i64}, {Name: "id", Type: i64}}, "the columns are in another order: [x, id] in B, [id, x] in A"},
		{"nullable", nil, []arrow.Field{{Name: "id", Type: i64}, {Name: "x", Type: i64, Nullable: true}}, `column "x" is nullable in B but not in A`},
		{"not nullable", nullable, []arrow.Field{{Name: "id", Type: i64, Nullable: true}, {Name: "x", Type: i64}}, `: column "x" is nullable in A but not in B (`},
		{"several", nullable, []arrow.Field{{Name: "y", Type: i64, Nullable: true}, {Name: "id", Type: i32, Nullable: true}},
			`: column "id" is int32 in B but int64 in A; column "y" is in B but not in A; column "x" is in A but not in B (`},
	} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a.arrow"), filepath.Join(dir, "b.arrow")
		if c.a == nil {
			c.a = []arrow.Field{{Name: "id", Type: i64}, {Name: "x", Type: i64}}
		}
		writeMergeFile(t, mem, a, arrow.NewSchema(c.a, nil), true)
		writeMergeFile(t, mem, b, arrow.NewSchema(c.b, nil), true)
		_, err := NewIPCSource([]string{dir}).Schema()
		want := strings.NewReplacer("A", a, "B", b).Replace(c.want)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "MergeSchema") {
			t.Errorf("%s: %v, want it to say %q and suggest MergeSchema", c.name, err, want)
		}
	}
}

func TestMergeSchemaIPC(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	str := arrow.BinaryTypes.String
	a := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int16}, {Name: "price", Type: dec(5, 2), Nullable: true},
		{Name: "s", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: str}, Nullable: true}}, nil)
	b := arrow.NewSchema([]arrow.Field{{Name: "s", Type: str, Nullable: true}, {Name: "note", Type: str, Nullable: true},
		{Name: "price", Type: dec(10, 4), Nullable: true}, {Name: "k", Type: arrow.PrimitiveTypes.Int32}}, nil)
	// ValueStr prints a decimal without its trailing zeros.
	decStr := func(v int64) string {
		return strings.TrimSuffix(strings.TrimRight(decimal128.FromI64(v).ToString(4), "0"), ".")
	}
	var want []string
	var aRows, bRows [][]mergeCell
	for i := range int64(30) {
		aRows = append(aRows, []mergeCell{i, i * 101, fmt.Sprintf("s%d", i%4)}) // price i*1.01
		want = append(want, fmt.Sprintf("%d|%s|s%d|(null)", i, decStr(i*101*100), i%4))
		var note mergeCell = fmt.Sprintf("n%d", i)
		if i%4 == 0 {
			note = nil
		}
		bRows = append(bRows, []mergeCell{"t", note, i * 3, 1000 + i}) // price i*0.0003
		want = append(want, fmt.Sprintf("%d|%s|t|%s", 1000+i, decStr(i*3), map[bool]string{true: "(null)", false: fmt.Sprintf("n%d", i)}[i%4 == 0]))
	}
	writeMergeFile(t, mem, filepath.Join(dir, "a.arrow"), a, true, aRows[:12], aRows[12:])
	writeMergeFile(t, mem, filepath.Join(dir, "b.arrow"), b, true, bRows)
	src := NewIPCSourceWith([]string{dir}, FileOptions{MergeSchema: true})
	rows, schema, _ := scanMerged(t, src, plan.ScanRequest{BatchRows: 4}, mem)
	if got := fmt.Sprint(schema.Fields()); !strings.Contains(got, "k: type=int64") || !strings.Contains(got, "price: type=decimal(10, 4)") || !strings.Contains(got, "s: type=utf8") {
		t.Fatalf("merged schema %v", schema)
	}
	sameMultiset(t, "ipc", rows, want)
	rows, _, _ = scanMerged(t, src, plan.ScanRequest{Columns: []string{"note"}, BatchRows: 4}, mem)
	var notes []string
	for _, w := range want {
		notes = append(notes, w[strings.LastIndexByte(w, '|')+1:])
	}
	sameMultiset(t, "ipc note", rows, notes)
}

func TestMergeSchemaGroup(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir, want := writeMergeFiles(t, mem)
	files := []string{filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "c.parquet")}
	group := &SchemaGroup{}
	opts := FileOptions{MergeSchema: true, Group: group}
	full, err := NewParquetSourceWith(files, opts).Schema()
	if err != nil {
		t.Fatal(err)
	}
	// Over a alone, the source reads the table's schema: id and amount widened, score and
	// tag NULL.
	onlyA := NewParquetSourceWith(files[:1], opts)
	if s, err := onlyA.Schema(); err != nil || !s.Equal(full) {
		t.Fatalf("schema over a.parquet in the group: %v, %v; want %v", s, err, full)
	}
	rows, _, _ := scanMerged(t, onlyA, plan.ScanRequest{Columns: []string{"tag", "amount", "id"}}, mem)
	sameMultiset(t, "a in the group", rows, renderRows(want[:200], []string{"tag", "amount", "id"}, nil))
	// Outside the group, a's own schema.
	if s, err := NewParquetSourceWith(files[:1], FileOptions{MergeSchema: true}).Schema(); err != nil || s.NumFields() != 3 || s.Field(0).Type.ID() != arrow.INT32 {
		t.Fatalf("schema over a.parquet alone: %v, %v", s, err)
	}
	// A file the group has not seen merges on its own.
	other := filepath.Join(t.TempDir(), "d.parquet")
	writeMergeFile(t, mem, other, arrow.NewSchema([]arrow.Field{{Name: "q", Type: arrow.PrimitiveTypes.Int64}}, nil), false, [][]mergeCell{{int64(1)}})
	if s, err := NewParquetSourceWith([]string{files[0], other}, opts).Schema(); err != nil || s.NumFields() != 4 || s.Field(0).Type.ID() != arrow.INT32 {
		t.Fatalf("schema over a.parquet and d.parquet: %v, %v", s, err)
	}
}
