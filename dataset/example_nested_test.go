package dataset_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// baskets is a small dataset with nested columns: a list of item names (one NULL list,
// one empty list, one NULL item), a list of quantities, a struct of the buyer's name
// and age (one NULL struct) and a comma-separated tag string.
func baskets(s *dataset.Session) *dataset.Dataset {
	buyer := arrow.StructOf(
		arrow.Field{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "age", Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "items", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "qty", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "buyer", Type: buyer, Nullable: true},
		{Name: "tags", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4}, nil)

	items := b.Field(1).(*array.ListBuilder)
	iv := items.ValueBuilder().(*array.StringBuilder)
	items.Append(true)
	iv.AppendValues([]string{"apple", "brie", "crème"}, nil)
	items.Append(true)
	iv.AppendValues([]string{"brie", ""}, []bool{true, false})
	items.Append(true) // empty
	items.AppendNull()

	qty := b.Field(2).(*array.ListBuilder)
	qv := qty.ValueBuilder().(*array.Int64Builder)
	qty.Append(true)
	qv.AppendValues([]int64{3, 1, 2}, nil)
	qty.Append(true)
	qv.AppendValues([]int64{5, 0}, []bool{true, false})
	qty.Append(true)
	qty.AppendNull()

	st := b.Field(3).(*array.StructBuilder)
	name, age := st.FieldBuilder(0).(*array.StringBuilder), st.FieldBuilder(1).(*array.Int64Builder)
	for i, n := range []string{"Ada", "Zoë", "", "Grace"} {
		if i == 2 {
			st.AppendNull()
			continue
		}
		st.Append(true)
		name.Append(n)
		age.Append(int64(30 + 10*i))
	}
	b.Field(4).(*array.StringBuilder).AppendValues(
		[]string{"fruit,cheese", "cheese,,", "", ""}, []bool{true, true, true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

func ExampleExpr_Field() {
	s := newSession()
	defer s.Close()
	buyer := dataset.Col("buyer")
	// Row 3's buyer is a NULL struct: its fields are NULL.
	printQuoted(baskets(s).Select(dataset.Col("id"), buyer.Field("name").As("name"),
		buyer.Field("age").Add(dataset.Lit(1)).As("next_age")))
	// Output:
	// 1 "Ada" 31
	// 2 "Zoë" 41
	// 3 (null) (null)
	// 4 "Grace" 61
}

func ExampleSize() {
	s := newSession()
	defer s.Close()
	// A NULL list has size -1 (Spark 3's default); a NULL element counts.
	printQuoted(baskets(s).Select(dataset.Col("id"), dataset.Size(dataset.Col("items")).As("n")))
	// Output:
	// 1 3
	// 2 2
	// 3 0
	// 4 -1
}

func ExampleElementAt() {
	s := newSession()
	defer s.Close()
	items := dataset.Col("items")
	printQuoted(baskets(s).Select(dataset.Col("id"),
		dataset.ElementAt(items, dataset.Lit(1)).As("first"),
		dataset.ElementAt(items, dataset.Lit(-1)).As("last"),
		dataset.ElementAt(items, dataset.Col("id")).As("at_id")))
	// Output:
	// 1 "apple" "crème" "apple"
	// 2 "brie" (null) (null)
	// 3 (null) (null) (null)
	// 4 (null) (null) (null)
}

func ExampleArrayContains() {
	s := newSession()
	defer s.Close()
	// Row 2 has no "apple" but a NULL item, so the answer is NULL, not false.
	printQuoted(baskets(s).Select(dataset.Col("id"),
		dataset.ArrayContains(dataset.Col("items"), dataset.Lit("brie")).As("brie"),
		dataset.ArrayContains(dataset.Col("items"), dataset.Lit("apple")).As("apple"),
		dataset.ArrayContains(dataset.Col("qty"), dataset.Lit(5)).As("five")))
	// Output:
	// 1 true true false
	// 2 true (null) true
	// 3 false false false
	// 4 (null) (null) (null)
}

func ExampleSplit() {
	s := newSession()
	defer s.Close()
	// Empty pieces are kept; "" splits into one empty piece.
	tags := dataset.Split(dataset.Col("tags"), ",")
	printQuoted(baskets(s).Select(dataset.Col("tags"), tags.As("parts"), dataset.Size(tags).As("n")))
	// Output:
	// "fruit,cheese" ["fruit","cheese"] 2
	// "cheese,," ["cheese","",""] 3
	// "" [""] 1
	// (null) (null) -1
}

func ExampleDataset_Explode() {
	s := newSession()
	defer s.Close()
	// Row 3's empty list and row 4's NULL list yield no row; the NULL item is kept.
	printQuoted(baskets(s).Select(dataset.Col("id"), dataset.Col("items")).Explode("items"))
	// Output:
	// 1 "apple"
	// 1 "brie"
	// 1 "crème"
	// 2 "brie"
	// 2 (null)
}

// TestNestedErrors: wrong argument types are analysis errors naming the call.
func TestNestedErrors(t *testing.T) {
	s := newSession()
	defer s.Close()
	for _, c := range []struct {
		d    *dataset.Dataset
		want string
	}{
		{baskets(s).Select(dataset.Size(dataset.Col("tags"))), "size(tags): size takes one list, got (string)"},
		{baskets(s).Select(dataset.Col("buyer").Field("email")), "naming one of the fields (name, age)"},
		{baskets(s).Select(dataset.ElementAt(dataset.Col("items"), dataset.Lit(0))), "other than 0 (indices start at 1)"},
		{baskets(s).Select(dataset.ArrayContains(dataset.Col("qty"), dataset.Col("tags"))), "array_contains(qty, tags): array_contains takes"},
		{baskets(s).Select(dataset.Split(dataset.Col("tags"), "(")), "valid regular expression"},
		{baskets(s).Explode("tags"), `cannot explode "tags" of type string: not a list`},
	} {
		_, err := c.d.Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
