package dataset_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleDataset_PosExplode() {
	s := newSession()
	defer s.Close()
	// A "pos" column (0-based) comes before the element; the empty and NULL lists of
	// rows 3 and 4 yield no row, the NULL item keeps its position.
	d := baskets(s).Select(dataset.Col("id"), dataset.Col("items")).PosExplode("items")
	schema, err := d.Schema()
	if err != nil {
		panic(err)
	}
	fmt.Println(schema.Field(1).Name, schema.Field(1).Type, schema.Field(2).Name)
	printQuoted(d)
	// Output:
	// pos int32 items
	// 1 0 "apple"
	// 1 1 "brie"
	// 1 2 "crème"
	// 2 0 "brie"
	// 2 1 (null)
}

func ExampleDataset_ExplodeOuter() {
	s := newSession()
	defer s.Close()
	// Rows 3 (empty list) and 4 (NULL list) are kept, with a NULL item.
	printQuoted(baskets(s).Select(dataset.Col("id"), dataset.Col("qty")).ExplodeOuter("qty"))
	// Output:
	// 1 3
	// 1 1
	// 1 2
	// 2 5
	// 2 (null)
	// 3 (null)
	// 4 (null)
}

func ExampleDataset_PosExplodeOuter() {
	s := newSession()
	defer s.Close()
	// Rows 3 (empty list) and 4 (NULL list) are kept with a NULL position and item.
	printQuoted(baskets(s).Select(dataset.Col("id"), dataset.Col("items")).PosExplodeOuter("items"))
	// Output:
	// 1 0 "apple"
	// 1 1 "brie"
	// 1 2 "crème"
	// 2 0 "brie"
	// 2 1 (null)
	// 3 (null) (null)
	// 4 (null) (null)
}

// TestPosExplodeDataset: posexplode through the planner, after a filter on the position
// and with column pruning, against a plain loop; and its analysis errors.
func TestPosExplodeDataset(t *testing.T) {
	s := newSession()
	defer s.Close()
	// The items of baskets (see baskets) as Go values, nil for a NULL list or item.
	items := map[int64][]*string{}
	str := func(v string) *string { return &v }
	items[1] = []*string{str("apple"), str("brie"), str("crème")}
	items[2] = []*string{str("brie"), nil}
	var want []string
	for id := int64(1); id <= 4; id++ {
		for p, it := range items[id] {
			if p >= 1 {
				v := "(null)"
				if it != nil {
					v = fmt.Sprintf("%q", *it)
				}
				want = append(want, fmt.Sprintf("%d %s", id, v))
			}
		}
	}
	d := baskets(s).PosExplode("items").Filter(dataset.Col("pos").Ge(dataset.Lit(1))).
		Select(dataset.Col("id"), dataset.Col("items"))
	var got []string
	rows := collectQuoted(t, d)
	got = append(got, rows...)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []struct {
		d    *dataset.Dataset
		want string
	}{
		{baskets(s).PosExplode("tags"), `cannot explode "tags" of type string: not a list`},
		{baskets(s).WithColumn("pos", dataset.Lit(1)).PosExplode("items"), `already has a column "pos"`},
		{baskets(s).PosExplodeOuter("nope"), `nope`},
	} {
		_, err := c.d.Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// collectQuoted collects d and renders each row as printQuoted prints it.
func collectQuoted(t *testing.T, d *dataset.Dataset) []string {
	t.Helper()
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	var out []string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			cells := make([]string, r.NumCols())
			for c := range cells {
				col := r.Column(c)
				if s, ok := col.(*array.String); ok && s.IsValid(i) {
					cells[c] = fmt.Sprintf("%q", s.Value(i))
					continue
				}
				cells[c] = col.ValueStr(i)
			}
			out = append(out, strings.Join(cells, " "))
		}
	}
	return out
}
