package eval

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestInitCapJavaCaseMapping: initcap follows Spark's
// UTF8String.toLowerCase().toTitleCase(), Java's full lower-casing then
// Character.toTitleCase of each word's first char. The expected strings are Java's
// outputs, written out by hand; each row is checked over a utf8 column, a dictionary
// column and as a literal.
func TestInitCapJavaCaseMapping(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := [][2]any{
		{"ǆemal", "ǅemal"},           // a digraph title-cases to its title form, not "Ǆ"
		{"ǉubljana ǈ", "ǈubljana ǈ"}, // already title case stays
		{"ßa", "ßa"},                 // no one-char title case for ß: it stays
		{"STRASSE straße", "Strasse Straße"},
		{"ΟΔΟΣ ΟΔΟΣ", "Οδος Οδος"},     // final sigma from Java's lower-casing
		{"İstanbul", "I\u0307stanbul"}, // İ lower-cases to i + U+0307, then i title-cases
		{"ﬁne ﬂy", "ﬁne ﬂy"},           // ligatures have no one-char title case
		{"𐐨x 𐐀y", "𐐨x 𐐨y"},             // outside the BMP: Java's char-level mapping leaves it
		{"hELLO wORLD", "Hello World"},
		{"o'neil-smith", "O'neil-smith"},
		{"  two  spaces ", "  Two  Spaces "},
		{"éCOLE à l'ÉCOLE", "École À L'école"},
		{"日本 語", "日本 語"},
		{"a\xffB c", "A\xffb C"},
		{"", ""},
		{nil, nil},
		{"x", "X"},
		{"\tab cd", "\tab Cd"}, // only ' ' starts a word
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	data := make([][]any, len(rows))
	for i, r := range rows {
		data[i] = []any{r[0], r[0]}
	}
	rec := exectest.BuildBatch(t, mem, schema, data)
	defer rec.Release()
	ctx := context.Background()
	for _, col := range []string{"s", "d"} {
		got, err := Eval(ctx, call("initcap", exectest.Col(col)), rec, mem)
		if err != nil {
			t.Fatalf("initcap(%s): %v", col, err)
		}
		for i, r := range rows {
			if g := exectest.GoValue(t, got, i); g != r[1] {
				t.Errorf("initcap(%s) row %d %q: got %q, want %q", col, i, r[0], g, r[1])
			}
		}
		got.Release()
	}
	for _, r := range rows {
		s, ok := r[0].(string)
		if !ok {
			continue
		}
		got, err := Eval(ctx, call("initcap", exectest.Str(s)), rec, mem)
		if err != nil {
			t.Fatalf("initcap(%q): %v", s, err)
		}
		if g := exectest.GoValue(t, got, 0); g != r[1] {
			t.Errorf("initcap(literal %q): got %q, want %q", s, g, r[1])
		}
		got.Release()
	}
}
