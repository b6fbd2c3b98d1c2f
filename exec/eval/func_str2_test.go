package eval

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestUpperLowerJavaCaseMapping: upper and lower follow Java's full case mapping (what
// Spark prints), not Go's per-rune mapping. The expected strings are Java's outputs,
// written out by hand: "ß" upper-cases to "SS", ligatures expand, a capital sigma at
// the end of a word lower-cases to "ς", and "İ" lower-cases to "i" plus U+0307. Each
// row is checked over a utf8 column, a dictionary column and as a literal; ASCII rows
// mixed with non-ASCII ones take the per-row path.
func TestUpperLowerJavaCaseMapping(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	type row struct {
		in, upper, lower any
	}
	rows := []row{
		{"straße", "STRASSE", "straße"},
		{"ΟΔΟΣ", "ΟΔΟΣ", "οδος"},
		{"ΟΔΟΣ ΟΔΟΣ.", "ΟΔΟΣ ΟΔΟΣ.", "οδος οδος."},
		{"ΑΣ1", "ΑΣ1", "ας1"},
		{"Σ", "Σ", "σ"},
		{"ΣΑ", "ΣΑ", "σα"},
		{"ﬁne", "FINE", "ﬁne"},
		{"İx", "İX", "i\u0307x"},
		{"abc XYZ", "ABC XYZ", "abc xyz"},
		{"", "", ""},
		{nil, nil, nil},
		{"héllo wörld", "HÉLLO WÖRLD", "héllo wörld"},
		{"日本語", "日本語", "日本語"},
		{"a\xffß", "A\xffSS", "a\xffß"},
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	data := make([][]any, len(rows))
	for i, r := range rows {
		data[i] = []any{r.in, r.in}
	}
	rec := exectest.BuildBatch(t, mem, schema, data)
	defer rec.Release()
	ctx := context.Background()
	for _, fn := range []string{"upper", "lower"} {
		want := func(r row) any {
			if fn == "upper" {
				return r.upper
			}
			return r.lower
		}
		for _, col := range []string{"s", "d"} {
			got, err := Eval(ctx, call(fn, exectest.Col(col)), rec, mem)
			if err != nil {
				t.Fatalf("%s(%s): %v", fn, col, err)
			}
			for i, r := range rows {
				if g := exectest.GoValue(t, got, i); g != want(r) {
					t.Errorf("%s(%s) row %d %q: got %q, want %q", fn, col, i, r.in, g, want(r))
				}
			}
			got.Release()
		}
		for _, r := range rows {
			s, ok := r.in.(string)
			if !ok {
				continue
			}
			got, err := Eval(ctx, call(fn, exectest.Str(s)), rec, mem)
			if err != nil {
				t.Fatalf("%s(%q): %v", fn, s, err)
			}
			if g := exectest.GoValue(t, got, 0); g != want(r) {
				t.Errorf("%s(literal %q): got %q, want %q", fn, s, g, want(r))
			}
			got.Release()
		}
	}
}
