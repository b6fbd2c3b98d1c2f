package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// readJSONSplits reads the splits with OpenJSON on a checked allocator, checking every
// batch's structure, and returns the rendered rows, the malformed count and the first
// error other than io.EOF.
func readJSONSplits(t *testing.T, splits []FileSplit, schema *arrow.Schema, opts JSONOptions, columns []int) ([]string, int64, error) {
	t.Helper()
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var rows []string
	var malformed int64
	for _, sp := range splits {
		r, err := OpenJSON(context.Background(), sp, schema, opts, columns, mem)
		if err != nil {
			return rows, malformed, err
		}
		for {
			b, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				return rows, malformed + r.Malformed(), err
			}
			if err := array.ValidateRecordFull(b); err != nil {
				t.Fatalf("%s: invalid batch: %v", sp, err)
			}
			for _, col := range b.Columns() {
				if !validUTF8Nested(col) {
					t.Fatalf("%s: invalid UTF-8 in column values", sp)
				}
			}
			if opts.BatchRows > 0 && b.NumRows() > int64(opts.BatchRows) {
				t.Fatalf("%s: batch of %d rows, BatchRows %d", sp, b.NumRows(), opts.BatchRows)
			}
			rows = append(rows, renderRows(b)...)
			b.Release()
		}
		malformed += r.Malformed()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
	}
	return rows, malformed, nil
}

// validUTF8Nested reports whether every string in a, at any depth, is valid UTF-8.
func validUTF8Nested(a arrow.Array) bool {
	switch a := a.(type) {
	case *array.String:
		return validStrings(a)
	case *array.Struct:
		for i := range a.NumField() {
			if !validUTF8Nested(a.Field(i)) {
				return false
			}
		}
	case array.ListLike:
		return validUTF8Nested(a.ListValues())
	case *array.Dictionary:
		return validUTF8Nested(a.Dictionary())
	}
	return true
}

func readJSONFile(t *testing.T, path string, schema *arrow.Schema, opts JSONOptions) ([]string, int64, error) {
	t.Helper()
	return readJSONSplits(t, []FileSplit{wholeSplit(t, path)}, schema, opts, nil)
}

func TestInferJSONSchemaNestedAndMixed(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.json", `{"id": 1, "name": "ann", "score": 2, "tags": ["x"], "addr": {"city": "Lyon", "zip": 69001}}

{"id": 2, "score": 2.5, "flag": true, "tags": [], "addr": {"zip": "01000", "geo": {"lat": 45.7}}, "when": "2024-01-02"}
{"id": 3, "name": null, "tags": null, "mixed": 1, "nums": [1, 2.5, null], "deep": [[1], [2, 3]]}
{"id": 4, "mixed": "one", "objs": [{"a": 1}, {"b": "x"}], "odd": {"k": 1}, "empty": {}, "nothing": null}
{"id": 5, "odd": [1], "arr": [], "big": 12345678901234567890}
`)
	// A second file adds a column: inference reads the first rows of every file.
	q := writeFile(t, dir, "b.json", `{"id": 6, "late": false}`+"\n")
	got, err := InferJSONSchema([]string{p, q}, JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	str, i64, f64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64
	null := func(name string, t arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: t, Nullable: true}
	}
	want := arrow.NewSchema([]arrow.Field{
		null("id", i64),
		null("name", str),
		null("score", f64),
		null("tags", arrow.ListOf(str)),
		null("addr", arrow.StructOf(null("city", str), null("zip", str), null("geo", arrow.StructOf(null("lat", f64))))),
		null("flag", arrow.FixedWidthTypes.Boolean),
		null("when", str), // dates stay strings, as with Spark's inferTimestamp=false
		null("mixed", str),
		null("nums", arrow.ListOf(f64)),
		null("deep", arrow.ListOf(arrow.ListOf(i64))),
		null("objs", arrow.ListOf(arrow.StructOf(null("a", i64), null("b", str)))),
		null("odd", str),   // an object, then an array
		null("empty", str), // an object that never has a member
		null("nothing", str),
		null("arr", arrow.ListOf(str)),
		null("big", f64), // does not fit int64
		null("late", arrow.FixedWidthTypes.Boolean),
	}, nil)
	if !got.Equal(want) {
		t.Fatalf("schema\n%v\nwant\n%v", got, want)
	}

	// The inferred schema reads the files; a string column holds other kinds' JSON text.
	rows, _, err := readJSONFile(t, p, got, JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `4|(null)|(null)|(null)|(null)|(null)|(null)|one|(null)|(null)|[{"a":1,"b":null},{"a":null,"b":"x"}]|{"k": 1}|{}|(null)|(null)|(null)|(null)`; rows[3] != want {
		t.Errorf("row 4:\n%s\nwant\n%s", rows[3], want)
	}
	if want := `3|(null)|(null)|(null)|(null)|(null)|(null)|1|[1,2.5,null]|[[1],[2,3]]|`; !strings.HasPrefix(rows[2], want) {
		t.Errorf("row 3:\n%s\nwant prefix\n%s", rows[2], want)
	}

	// PrimitivesAsString, InferRows and the corrupt record column.
	got, err = InferJSONSchema([]string{p}, JSONOptions{PrimitivesAsString: true, InferRows: 1, CorruptRecordColumn: "_corrupt"})
	if err != nil {
		t.Fatal(err)
	}
	want = arrow.NewSchema([]arrow.Field{
		null("id", str), null("name", str), null("score", str), null("tags", arrow.ListOf(str)),
		null("addr", arrow.StructOf(null("city", str), null("zip", str))), null("_corrupt", str),
	}, nil)
	if !got.Equal(want) {
		t.Fatalf("primitives as string:\n%v\nwant\n%v", got, want)
	}
}

func TestInferJSONSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, dir, "empty.json", "\n  \n")
	if _, err := InferJSONSchema([]string{empty}, JSONOptions{}); err == nil || !strings.Contains(err.Error(), "no JSON record") {
		t.Errorf("blank file: %v", err)
	}
	bad := writeFile(t, dir, "bad.json", "{\"a\": 1}\n\n{\"a\": [1,}\n{\"a\": 2}\n")
	_, err := InferJSONSchema([]string{bad}, JSONOptions{})
	if err == nil || !strings.Contains(err.Error(), "bad.json:3:10: invalid character '}' looking for value") {
		t.Errorf("FailFast inference: %v", err)
	}
	s, err := InferJSONSchema([]string{bad}, JSONOptions{Mode: DropMalformed})
	if err != nil || s.NumFields() != 1 || s.Field(0).Type.ID() != arrow.INT64 {
		t.Errorf("DropMalformed inference: %v, %v", s, err)
	}
	mapSchema := arrow.NewSchema([]arrow.Field{{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)}}, nil)
	if _, err := InferJSONSchema([]string{bad}, JSONOptions{Schema: mapSchema}); err == nil || !strings.Contains(err.Error(), "unsupported JSON type") {
		t.Errorf("map schema: %v", err)
	}
}

// jsonModesFile holds one good or bad line of each kind; the comments say why a line is bad.
const jsonModesFile = `{"id": 1, "v": 10, "s": "a"}
{"id": 2, "v": "ten", "s": "b"}
{"id": 3, "v": 30, "s": "c"}

{"id": 4, "v": 1.5}
not json
{"id": 6, "v": 60, "s": "f", "extra": {"ignored": [1, 2]}}
{"id": 7, "v": 70, "s": "g"
[{"id": 8}]
{"id": 9, "v": 90, "id": 9}
{"id": 10, "v": 100, "s": "bad` + "\xff" + `utf8"}
{"id": 11} {"id": 12}
{"id": 13, "s": "m", "v": null}
{"id": 14, "v": 9223372036854775808}
{"id": 15, "v": -9223372036854775808, "s": "o\u00e9\n"}
`

func TestJSONModes(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "modes.json", jsonModesFile)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	good := map[int]string{
		1: "1|10|a", 3: "3|30|c", 7: "6|60|f", 13: "13|(null)|m", 15: "15|-9223372036854775808|oé\n",
	}
	// The bad lines, by line number, and what FailFast says of the first.
	bad := []int{2, 5, 6, 8, 9, 10, 11, 12, 14}
	var permissive, dropped []string
	for line := 1; line <= 15; line++ {
		switch {
		case good[line] != "":
			permissive = append(permissive, good[line])
			dropped = append(dropped, good[line])
		case slices.Contains(bad, line):
			permissive = append(permissive, "(null)|(null)|(null)")
		}
	}

	rows, malformed, err := readJSONFile(t, p, schema, JSONOptions{Mode: Permissive, BatchRows: 3})
	if err != nil || malformed != int64(len(bad)) || !slices.Equal(rows, permissive) {
		t.Errorf("Permissive: %d malformed, %v\n%q\nwant %d malformed\n%q", malformed, err, rows, len(bad), permissive)
	}
	rows, malformed, err = readJSONFile(t, p, schema, JSONOptions{Mode: DropMalformed, BatchRows: 3})
	if err != nil || malformed != int64(len(bad)) || !slices.Equal(rows, dropped) {
		t.Errorf("DropMalformed: %d malformed, %v\n%q\nwant %d malformed\n%q", malformed, err, rows, len(bad), dropped)
	}
	// A count reads no column, yet drops the same rows.
	rows, malformed, err = readJSONSplits(t, []FileSplit{wholeSplit(t, p)}, schema, JSONOptions{Mode: DropMalformed}, []int{})
	if err != nil || malformed != int64(len(bad)) || len(rows) != len(dropped) {
		t.Errorf("DropMalformed count: %d rows, %d malformed, %v", len(rows), malformed, err)
	}

	// FailFast names file, line and column; each bad line alone says what is wrong.
	messages := map[int]string{
		2:  `:2:16: column "v": cannot read "ten" as int64`,
		5:  `:5:16: column "v": cannot read 1.5 as int64`,
		6:  `:6:1: invalid character 'n' looking for the beginning of an object`,
		8:  `:8:28: unexpected end of line after object key:value pair`,
		9:  `:9:1: invalid character '[' looking for the beginning of an object`,
		10: `:10:25: key "id" repeated`,
		11: `:11:31: invalid UTF-8 in string`,
		12: `:12:12: invalid character '{' after the object`,
		14: `:14:17: column "v": cannot read 9223372036854775808 as int64`,
	}
	lines := strings.SplitAfter(jsonModesFile, "\n")
	for _, line := range bad {
		// The same line at its place in a file of good lines, so that the line number is the file's.
		var sb strings.Builder
		for i := 1; i < line; i++ {
			sb.WriteString("{}\n")
		}
		sb.WriteString(lines[line-1])
		q := writeFile(t, dir, fmt.Sprintf("bad%d.json", line), sb.String())
		_, _, err := readJSONFile(t, q, schema, JSONOptions{})
		if err == nil || !strings.Contains(err.Error(), filepath.Base(q)+messages[line]) {
			t.Errorf("line %d: FailFast error %v, want %q", line, err, messages[line])
		}
	}
	_, _, err = readJSONFile(t, p, schema, JSONOptions{})
	if err == nil || !strings.Contains(err.Error(), "modes.json:2:16: ") {
		t.Errorf("FailFast: %v", err)
	}
}

func TestJSONCorruptRecordColumn(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.json", "{\"a\": 1, \"_corrupt\": \"not read\"}\n{\"a\": \"x\"}\r\n{\"a\": 3}\n{\"a\": \"\xfe\"}\n")
	opts := JSONOptions{Mode: Permissive, CorruptRecordColumn: "_corrupt"}
	schema, err := InferJSONSchema([]string{p}, JSONOptions{Mode: DropMalformed, CorruptRecordColumn: "_corrupt"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(schema.Fields()); got != "[a: type=utf8, nullable _corrupt: type=utf8, nullable]" {
		t.Fatalf("schema %s", got)
	}
	schema = arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "_corrupt", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rows, malformed, err := readJSONFile(t, p, schema, opts)
	want := []string{"1|(null)", `(null)|{"a": "x"}`, "3|(null)", "(null)|{\"a\": \"\uFFFD\"}"}
	if err != nil || malformed != 2 || !slices.Equal(rows, want) {
		t.Errorf("got %q, %d malformed, %v; want %q", rows, malformed, err, want)
	}
	// Only the corrupt record column.
	rows, _, err = readJSONSplits(t, []FileSplit{wholeSplit(t, p)}, schema, opts, []int{1})
	if want := []string{"(null)", `{"a": "x"}`, "(null)", "{\"a\": \"\uFFFD\"}"}; err != nil || !slices.Equal(rows, want) {
		t.Errorf("projected: %q, %v", rows, err)
	}
}

func TestJSONGivenSchema(t *testing.T) {
	p := writeFile(t, t.TempDir(), "g.json", strings.Join([]string{
		`{"i8": -128, "u16": 65535, "f32": 1.5, "d": "2024-02-29", "ts": "2024-02-29T10:30:00.5+01:00", "dec": 12.345, "cat": "red", "n": null, "other": 1}`,
		`{"d": "2024-03-01", "ts": "2024-03-01 08:00:00", "dec": "-0.5", "cat": "blue", "f32": "NaN", "ll": [[1], null, []]}`,
		`{"cat": "red", "f32": 1e400, "ts": "2024-03-02"}`,
		`{"i8": 128}`,
		`{"u16": -1}`,
		`{"dec": 123456.7}`,
		`{"d": "2024-02-30"}`,
		`{"n": 0}`,
		`{"f32": true}`,
	}, "\n"))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 6, Scale: 2}, Nullable: true},
		{Name: "cat", Type: dictType, Nullable: true},
		{Name: "n", Type: arrow.Null, Nullable: true},
		{Name: "ll", Type: arrow.LargeListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)), Nullable: true},
	}, nil)
	if _, err := InferJSONSchema(nil, JSONOptions{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	rows, malformed, err := readJSONFile(t, p, schema, JSONOptions{Mode: DropMalformed})
	want := []string{
		"-128|65535|1.5|2024-02-29|2024-02-29T09:30:00.5|12.35|red|(null)|(null)",
		"(null)|(null)|NaN|2024-03-01|2024-03-01T08:00:00|-0.5|blue|(null)|[[1],null,[]]",
		"(null)|(null)|+Inf|(null)|2024-03-02T00:00:00|(null)|red|(null)|(null)",
	}
	if err != nil || malformed != 6 || !slices.Equal(rows, want) {
		t.Errorf("got %d malformed, %v\n%q\nwant\n%q", malformed, err, rows, want)
	}

	// Go layouts for dates and timestamps.
	q := writeFile(t, t.TempDir(), "f.json", `{"d": "29/02/2024", "ts": "29/02/2024 10h30"}`+"\n")
	opts := JSONOptions{DateFormat: "02/01/2006", TimestampFormat: "02/01/2006 15h04"}
	rows, _, err = readJSONFile(t, q, arrow.NewSchema(schema.Fields()[3:5], nil), opts)
	if want := []string{"2024-02-29|2024-02-29T10:30:00"}; err != nil || !slices.Equal(rows, want) {
		t.Errorf("layouts: %q, %v", rows, err)
	}
}

// jsonRoundTripBatch is a batch of every kind the writer and reader share, nested and
// with NULLs at every level.
func jsonRoundTripBatch(mem memory.Allocator) arrow.RecordBatch {
	item := arrow.StructOf(
		arrow.Field{Name: "sku", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "qty", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "items", Type: arrow.ListOf(item), Nullable: true},
		{Name: "addr", Type: arrow.StructOf(
			arrow.Field{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "geo", Type: arrow.StructOf(arrow.Field{Name: "lat", Type: arrow.PrimitiveTypes.Float64, Nullable: true}), Nullable: true},
		), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const n = 7
	for r := range n {
		if r == 3 { // a row of NULLs
			for _, f := range b.Fields() {
				f.AppendNull()
			}
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(r) * (math.MaxInt64 / 7))
		prices := []float64{3, -0.1, 1e21, 0, math.NaN(), math.Inf(-1), 5e-324}
		b.Field(1).(*array.Float64Builder).Append(prices[r])
		names := []string{"plain", "quote \" back \\ slash", "tab\tnew\nline", "", "é ü 日本 \U0001F600", "ctl \x01\x1f", "</script>"}
		b.Field(2).(*array.StringBuilder).Append(names[r])
		b.Field(3).(*array.BooleanBuilder).Append(r%2 == 0)
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32(int32(r*4000 - 10000)))
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(r)*1_000_000_123_457 - 3_000_000_000_000_000))
		b.Field(6).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(r*r*1234 - 5000)))
		tags := b.Field(7).(*array.ListBuilder)
		items := b.Field(8).(*array.ListBuilder)
		addr := b.Field(9).(*array.StructBuilder)
		switch r {
		case 1:
			tags.AppendNull()
			items.Append(true) // empty
			addr.AppendNull()
			continue
		case 5:
			tags.Append(true) // empty
			items.AppendNull()
			addr.Append(true) // every member NULL: {}
			addr.FieldBuilder(0).AppendNull()
			addr.FieldBuilder(1).AppendNull()
			continue
		}
		tags.Append(true)
		tv := tags.ValueBuilder().(*array.StringBuilder)
		tv.Append(fmt.Sprintf("t%d", r))
		tv.AppendNull()
		tv.Append("z")
		items.Append(true)
		iv := items.ValueBuilder().(*array.StructBuilder)
		for k := range r % 3 {
			iv.Append(true)
			iv.FieldBuilder(0).(*array.StringBuilder).Append(fmt.Sprintf("sku%d", k))
			if k == 1 {
				iv.FieldBuilder(1).AppendNull()
			} else {
				iv.FieldBuilder(1).(*array.Int32Builder).Append(int32(k * r))
			}
		}
		iv.AppendNull()
		addr.Append(true)
		addr.FieldBuilder(0).(*array.StringBuilder).Append("Lyon")
		geo := addr.FieldBuilder(1).(*array.StructBuilder)
		geo.Append(true)
		geo.FieldBuilder(0).(*array.Float64Builder).Append(45.75 + float64(r))
	}
	return b.NewRecordBatch()
}

func TestJSONRoundTrip(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := jsonRoundTripBatch(mem)
	defer rec.Release()
	dir := t.TempDir()
	p := filepath.Join(dir, "rt.json")
	w, err := NewJSONFileWriter(p, rec.Schema())
	if err != nil {
		t.Fatal(err)
	}
	// Written in two batches, one of them a slice that starts mid-array.
	for _, part := range []arrow.RecordBatch{rec.NewSlice(0, 2), rec.NewSlice(2, rec.NumRows())} {
		err := w.Write(part)
		part.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	// Spark's layout: NULL members left out, NULL elements kept, floats with a fraction.
	if want := `{"id":0,"price":3.0,"name":"plain","ok":true,"day":"1942-08-16","at":"1874-12-07T18:40:00","amount":-50.00,"tags":["t0",null,"z"],"items":[null],"addr":{"city":"Lyon","geo":{"lat":45.75}}}`; lines[0] != want {
		t.Errorf("line 1:\n%s\nwant\n%s", lines[0], want)
	}
	if want := `{"id":1317624576693539401,"price":-0.1,"name":"quote \" back \\ slash","ok":false,"day":"1953-07-29","at":"1874-12-19T08:26:40.123457","amount":-37.66,"items":[]}`; lines[1] != want {
		t.Errorf("line 2:\n%s\nwant\n%s", lines[1], want)
	}
	if lines[3] != "{}" || lines[5] != `{"id":6588122883467697005,"price":"-Infinity","name":"ctl \u0001\u001f","ok":false,"day":"1997-05-19","at":"1875-02-03T15:33:20.617285","amount":258.50,"tags":[],"addr":{}}` {
		t.Errorf("lines 4 and 6:\n%s\n%s", lines[3], lines[5])
	}

	// Read back with the schema: the same batch.
	r, err := OpenJSON(context.Background(), wholeSplit(t, p), rec.Schema(), JSONOptions{}, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !array.RecordApproxEqual(got, rec, array.WithNaNsEqual(true)) {
		t.Errorf("read back\n%v\nwant\n%v", got, rec)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the batch: %v", err)
	}

	// Inferred, dates and timestamps are strings, decimals floats, and price a string:
	// the strings that stand for NaN and infinities meet its numbers.
	schema, err := InferJSONSchema([]string{p}, JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, f := range schema.Fields() {
		types = append(types, f.Name+":"+f.Type.String())
	}
	if got, want := strings.Join(types, " "), "id:int64 price:utf8 name:utf8 ok:bool day:utf8 at:utf8 amount:float64 tags:list<item: utf8, nullable> items:list<item: struct<sku: utf8 nullable, qty: int64 nullable>, nullable> addr:struct<city: utf8 nullable, geo: struct<lat: float64 nullable> nullable>"; got != want {
		t.Errorf("inferred\n%s\nwant\n%s", got, want)
	}
}

func TestJSONWriterRejects(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "iv", Type: arrow.FixedWidthTypes.MonthInterval}}, nil)
	if _, err := NewJSONFileWriter(filepath.Join(t.TempDir(), "x.json"), schema); err == nil || !strings.Contains(err.Error(), `column "iv": cannot write type month_interval as JSON`) {
		t.Errorf("interval column: %v", err)
	}
}

// A file read in many small splits gives the same rows as read whole, and a bad line is
// reported with the file's line number by whichever split owns it.
func TestJSONSplits(t *testing.T) {
	dir := t.TempDir()
	var sb strings.Builder
	var want []string
	for i := range 3000 {
		pad := strings.Repeat("x", i*37%200)
		switch {
		case i%500 == 7:
			sb.WriteString("\n") // blank lines are no rows
		case i%250 == 11:
			sb.WriteString(`{"id": ` + fmt.Sprint(i) + `, "s": "` + pad + `", "l": [1, 2}` + "\n")
			continue
		}
		fmt.Fprintf(&sb, `{"id": %d, "s": "%s", "l": [%d, %d]}`+"\n", i, pad, i, -i)
		want = append(want, fmt.Sprintf("%d|%s|[%d,%d]", i, pad, i, -i))
	}
	p := writeFile(t, dir, "s.json", strings.TrimSuffix(sb.String(), "\n")) // no final newline
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	opts := JSONOptions{Mode: DropMalformed, BatchRows: 100}
	whole, malformed, err := readJSONFile(t, p, schema, opts)
	if err != nil || malformed != 12 || !slices.Equal(whole, want) {
		t.Fatalf("whole: %d rows (want %d), %d malformed, %v", len(whole), len(want), malformed, err)
	}
	for _, size := range []int64{97, 1000, 4096} {
		splits, err := PlanCSVSplits([]string{p}, size, 1)
		if err != nil {
			t.Fatal(err)
		}
		got, malformed, err := readJSONSplits(t, splits, schema, opts, nil)
		slices.Sort(got)
		sorted := slices.Sorted(slices.Values(want))
		if err != nil || malformed != 12 || !slices.Equal(got, sorted) {
			t.Errorf("%d-byte splits (%d): %d rows, %d malformed, %v", size, len(splits), len(got), malformed, err)
		}
	}
	splits, err := PlanCSVSplits([]string{p}, 5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = readJSONSplits(t, splits[40:], schema, JSONOptions{}, nil)
	// The first bad line that starts at or after byte 200000, found independently.
	firstBad, offset := 0, 0
	for n, line := range strings.SplitAfter(sb.String(), "\n") {
		if offset >= 40*5000 && strings.HasSuffix(line, "2}\n") {
			firstBad = n + 1
			break
		}
		offset += len(line)
	}
	if err == nil || !regexp.MustCompile(fmt.Sprintf(`s\.json:%d:\d+: `, firstBad)).MatchString(err.Error()) {
		t.Errorf("split error %v, want one at line %d", err, firstBad)
	}
}

func TestJSONLongLinesAndBOM(t *testing.T) {
	long := strings.Repeat("é", 1<<20)
	p := writeFile(t, t.TempDir(), "l.json", "\xef\xbb\xbf"+`{"s": "`+long+`"}`+"\r\n"+`{"s": "\u00e9\ud83d\ude00\ud800x"}`)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rows, _, err := readJSONFile(t, p, schema, JSONOptions{})
	if err != nil || len(rows) != 2 || rows[0] != long || rows[1] != "é\U0001F600\uFFFDx" {
		t.Errorf("%d rows, %v; second %q", len(rows), err, rows[1:])
	}
}
