package dataset_test

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// people is a small dataset of names and cities, with a NULL city, an empty name and
// multi-byte characters.
func people(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "age", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(
		[]string{"  ada LOVELACE ", "Grace Hopper", "zoë ünal", ""}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(
		[]string{"London", "New York", "", "Zürich"}, []bool{true, true, false, true})
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{36, 85, 29, 0}, []bool{true, true, true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// printQuoted runs d and prints each row, strings quoted so that "" and spaces show.
func printQuoted(d *dataset.Dataset) {
	printCells(d, func(col arrow.Array, i int) (string, bool) {
		if s, ok := col.(*array.String); ok && s.IsValid(i) {
			return fmt.Sprintf("%q", s.Value(i)), true
		}
		return "", false
	})
}

func ExampleLike() {
	s := newSession()
	defer s.Close()
	city := dataset.Col("city")
	printQuoted(people(s).Select(city,
		dataset.Like(city, "%o%").As("has_o"),
		dataset.Like(city, "_ondon").As("x_ondon"),
		dataset.Like(city, "Z_rich").As("z_rich")))
	// Output:
	// "London" true true false
	// "New York" true false false
	// (null) (null) (null) (null)
	// "Zürich" false false true
}

func ExampleILike() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.Col("name"), dataset.ILike(dataset.Col("name"), "%lovelace%").As("lovelace")))
	// Output:
	// "  ada LOVELACE " true
	// "Grace Hopper" false
	// "zoë ünal" false
	// "" false
}

func ExampleRLike() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.Col("city"), dataset.RLike(dataset.Col("city"), `^\p{Lu}\w+$`).As("one_word")))
	// Output:
	// "London" true
	// "New York" false
	// (null) (null)
	// "Zürich" false
}

func ExampleConcat() {
	s := newSession()
	defer s.Close()
	// Any NULL argument makes the result NULL; the int64 age is cast to a string.
	printQuoted(people(s).Select(dataset.Concat(dataset.Col("city"), dataset.Lit(":"), dataset.Col("age")).As("tag")))
	// Output:
	// "London:36"
	// "New York:85"
	// (null)
	// (null)
}

func ExampleConcatWS() {
	s := newSession()
	defer s.Close()
	// NULL values are skipped.
	printQuoted(people(s).Select(dataset.ConcatWS(dataset.Lit(", "), dataset.Col("city"), dataset.Col("age")).As("tag")))
	// Output:
	// "London, 36"
	// "New York, 85"
	// "29"
	// "Zürich"
}

func ExampleTrim() {
	s := newSession()
	defer s.Close()
	name := dataset.Col("name")
	printQuoted(people(s).Limit(1).Select(dataset.Trim(name), dataset.LTrim(name), dataset.RTrim(name)))
	// Output:
	// "ada LOVELACE" "ada LOVELACE " "  ada LOVELACE"
}

func ExampleLTrim() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Limit(1).Select(dataset.LTrim(dataset.Col("name"))))
	// Output:
	// "ada LOVELACE "
}

func ExampleRTrim() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Limit(1).Select(dataset.RTrim(dataset.Col("name"))))
	// Output:
	// "  ada LOVELACE"
}

func ExampleReplace() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.Replace(dataset.Col("city"), "o", "0")))
	// Output:
	// "L0nd0n"
	// "New Y0rk"
	// (null)
	// "Zürich"
}

func ExampleRegexpReplace() {
	s := newSession()
	defer s.Close()
	// Swap first and last word; ${1} is Go's syntax for group 1.
	printQuoted(people(s).Select(dataset.RegexpReplace(dataset.Trim(dataset.Col("name")), `^(\S+) (\S+)$`, "${2}, ${1}")))
	// Output:
	// "LOVELACE, ada"
	// "Hopper, Grace"
	// "ünal, zoë"
	// ""
}

func ExampleRegexpExtract() {
	s := newSession()
	defer s.Close()
	// "" where the expression does not match.
	printQuoted(people(s).Select(dataset.RegexpExtract(dataset.Col("name"), `(\p{L}+)\s*$`, 1).As("last")))
	// Output:
	// "LOVELACE"
	// "Hopper"
	// "ünal"
	// ""
}

func ExampleLPad() {
	s := newSession()
	defer s.Close()
	// Lengths count characters; longer strings are truncated.
	printQuoted(people(s).Select(dataset.LPad(dataset.Col("city"), 7, ".")))
	// Output:
	// ".London"
	// "New Yor"
	// (null)
	// ".Zürich"
}

func ExampleRPad() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.RPad(dataset.Col("city"), 8, "-=")))
	// Output:
	// "London-="
	// "New York"
	// (null)
	// "Zürich-="
}

func ExampleReverse() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.Reverse(dataset.Col("city"))))
	// Output:
	// "nodnoL"
	// "kroY weN"
	// (null)
	// "hcirüZ"
}

func ExampleInitCap() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.InitCap(dataset.Col("name"))))
	// Output:
	// "  Ada Lovelace "
	// "Grace Hopper"
	// "Zoë Ünal"
	// ""
}

func ExampleInstr() {
	s := newSession()
	defer s.Close()
	// Positions count characters: ü is one.
	printQuoted(people(s).Select(dataset.Col("city"), dataset.Instr(dataset.Col("city"), "r").As("r_at")))
	// Output:
	// "London" 0
	// "New York" 7
	// (null) (null)
	// "Zürich" 3
}

func ExampleLocate() {
	s := newSession()
	defer s.Close()
	printQuoted(people(s).Select(dataset.Locate("ch", dataset.Col("city"))))
	// Output:
	// 0
	// 0
	// (null)
	// 5
}
