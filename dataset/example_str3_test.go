package dataset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// words is a small dataset whose patterns, search strings and lengths are columns:
// word, a LIKE pattern pat, a regular expression re, a substring sub and an int n, with
// NULLs and multi-byte characters.
func words(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "pat", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "re", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "sub", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"kindling", "straße", "日本語", "spark"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"KIN%", "%SS%", "_本%", ""}, []bool{true, true, true, false})
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"n+", "ß", "語$", "[aeiou]"}, nil)
	b.Field(3).(*array.StringBuilder).AppendValues([]string{"in", "ß", "語", ""}, []bool{true, true, true, false})
	b.Field(4).(*array.Int64Builder).AppendValues([]int64{3, 8, 1, 0}, []bool{true, true, true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// printWordRows runs d and prints each row with Go's %v of each value, NULL as (null).
func printWordRows(d *dataset.Dataset) {
	recs, err := d.Collect(context.Background())
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer release(recs)
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			for c, col := range rec.Columns() {
				if c > 0 {
					fmt.Print(" ")
				}
				switch {
				case col.IsNull(i):
					fmt.Print("(null)")
				case col.DataType().ID() == arrow.STRING:
					fmt.Printf("%q", col.(*array.String).Value(i))
				default:
					fmt.Print(col.ValueStr(i))
				}
			}
			fmt.Println()
		}
	}
}

func ExampleLike_columnPattern() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("pat"), dataset.Like(dataset.Col("word"), dataset.Col("pat")).As("like")))
	// Output:
	// "kindling" "KIN%" false
	// "straße" "%SS%" false
	// "日本語" "_本%" true
	// "spark" (null) (null)
}

func ExampleILike_columnPattern() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("pat"), dataset.ILike(dataset.Col("word"), dataset.Col("pat")).As("ilike")))
	// Output:
	// "kindling" "KIN%" true
	// "straße" "%SS%" false
	// "日本語" "_本%" true
	// "spark" (null) (null)
}

func ExampleRLike_columnRegex() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("re"), dataset.RLike(dataset.Col("word"), dataset.Col("re")).As("rlike")))
	// Output:
	// "kindling" "n+" true
	// "straße" "ß" true
	// "日本語" "語$" true
	// "spark" "[aeiou]" true
}

func ExampleRegexpReplace_columnRegex() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("re"), dataset.RegexpReplace(dataset.Col("word"), dataset.Col("re"), "<$0>").As("marked")))
	// Output:
	// "kindling" "n+" "ki<n>dli<n>g"
	// "straße" "ß" "stra<ß>e"
	// "日本語" "語$" "日本<語>"
	// "spark" "[aeiou]" "sp<a>rk"
}

func ExampleRegexpExtract_columnRegex() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("re"), dataset.RegexpExtract(dataset.Col("word"), dataset.Col("re"), 0).As("match")))
	// Output:
	// "kindling" "n+" "n"
	// "straße" "ß" "ß"
	// "日本語" "語$" "語"
	// "spark" "[aeiou]" "a"
}

func ExampleSplit_columnRegex() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("re"), dataset.Split(dataset.Col("word"), dataset.Col("re")).As("pieces")))
	// Output:
	// "kindling" "n+" ["ki","dli","g"]
	// "straße" "ß" ["stra","e"]
	// "日本語" "語$" ["日本",""]
	// "spark" "[aeiou]" ["sp","rk"]
}

func ExampleReplace_columnSearch() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("sub"), dataset.Replace(dataset.Col("word"), dataset.Col("sub"), "_").As("replaced")))
	// Output:
	// "kindling" "in" "k_dl_g"
	// "straße" "ß" "stra_e"
	// "日本語" "語" "日本_"
	// "spark" (null) (null)
}

func ExampleLPad_columnLength() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("n"), dataset.LPad(dataset.Col("word"), dataset.Col("n"), "*").As("padded")))
	// Output:
	// "kindling" 3 "kin"
	// "straße" 8 "**straße"
	// "日本語" 1 "日"
	// "spark" (null) (null)
}

func ExampleRPad_columnLength() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("n"), dataset.RPad(dataset.Col("word"), dataset.Col("n"), dataset.Col("sub")).As("padded")))
	// Output:
	// "kindling" 3 "kin"
	// "straße" 8 "straßeßß"
	// "日本語" 1 "日"
	// "spark" (null) (null)
}

func ExampleInstr_columnSubstring() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("sub"), dataset.Instr(dataset.Col("word"), dataset.Col("sub")).As("pos")))
	// Output:
	// "kindling" "in" 2
	// "straße" "ß" 5
	// "日本語" "語" 3
	// "spark" (null) (null)
}

func ExampleLocate_columnPosition() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("n"), dataset.Locate("n", dataset.Col("word"), dataset.Col("n")).As("pos")))
	// Output:
	// "kindling" 3 3
	// "straße" 8 0
	// "日本語" 1 0
	// "spark" (null) 0
}

func ExampleSubstring_columnStart() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("n"), dataset.Substring(dataset.Col("word"), dataset.Col("n"), 3).As("sub3")))
	// Output:
	// "kindling" 3 "ndl"
	// "straße" 8 ""
	// "日本語" 1 "日本語"
	// "spark" (null) (null)
}

func ExampleContains_columnSubstring() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("sub"), dataset.Contains(dataset.Col("word"), dataset.Col("sub")).As("contains")))
	// Output:
	// "kindling" "in" true
	// "straße" "ß" true
	// "日本語" "語" true
	// "spark" (null) (null)
}

func ExampleStartsWith_columnPrefix() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("sub"), dataset.StartsWith(dataset.Col("word"), dataset.Col("sub")).As("starts")))
	// Output:
	// "kindling" "in" false
	// "straße" "ß" false
	// "日本語" "語" false
	// "spark" (null) (null)
}

func ExampleEndsWith_columnSuffix() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("word"), dataset.Col("sub"), dataset.EndsWith(dataset.Col("word"), dataset.Col("sub")).As("ends")))
	// Output:
	// "kindling" "in" false
	// "straße" "ß" false
	// "日本語" "語" true
	// "spark" (null) (null)
}

func ExampleConcatWS_columnSeparator() {
	s := newSession()
	defer s.Close()
	printWordRows(words(s).Select(dataset.Col("sub"), dataset.ConcatWS(dataset.Col("sub"), dataset.Col("word"), dataset.Lit("x")).As("joined")))
	// Output:
	// "in" "kindlinginx"
	// "ß" "straßeßx"
	// "語" "日本語語x"
	// (null) (null)
}

// TestStringArgumentTypeErrors: a Go value of the wrong type, or a column of the wrong
// type, where a string function wants a pattern, string or length is an analysis
// error naming the call.
func TestStringArgumentTypeErrors(t *testing.T) {
	s := newSession()
	defer s.Close()
	word, n := dataset.Col("word"), dataset.Col("n")
	for _, c := range []struct {
		e    dataset.Expr
		want string
	}{
		{dataset.Like(word, 5), "like(word, 5): like takes (string, pattern string)"},
		{dataset.RLike(word, n), "rlike(word, n): rlike takes"},
		{dataset.Replace(word, n, "x"), "replace(word, n, "},
		{dataset.LPad(word, "3", "*"), "lpad(word, \"3\", \"*\"): lpad takes (string, length integer, pad string)"},
		{dataset.Substring(word, word, 2), "substring(word, word, 2): substring takes"},
		{dataset.Contains(word, 1.5), "contains(word, 1.5): contains takes (string, string)"},
		{dataset.Split(word, n), "split(word, n): split takes"},
		{dataset.Locate("a", word, "x"), "locate takes (substring string, string[, position integer])"},
		{dataset.RegexpExtract(word, "(a)", 2), "group between 0 and"},
		{dataset.Like(word, struct{}{}), "unsupported literal type"},
	} {
		_, err := words(s).Select(c.e).Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.e, err, c.want)
		}
	}
}

func ExampleFormatString() {
	s := newSession()
	defer s.Close()
	word := dataset.Col("word")
	printWordRows(words(s).Select(
		dataset.FormatString("%-8s|%2d|%5.2f|%x", word, dataset.Length(word), dataset.Lit(2.675), dataset.Length(word)).As("fixed"),
		// A format from a column: "[%3s]" for n = 3; a NULL format gives NULL.
		dataset.FormatString(dataset.Concat(dataset.Lit("[%"), dataset.Col("n"), dataset.Lit("s]")), word).As("width_n")))
	// Output:
	// "kindling| 8| 2.68|8" "[kindling]"
	// "straße  | 6| 2.68|6" "[  straße]"
	// "日本語     | 3| 2.68|3" "[日本語]"
	// "spark   | 5| 2.68|5" (null)
}
