package dataset

import (
	"fmt"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSQLDictionaryStrings filters, groups and sorts by a dictionary-encoded string
// column through SQL, against a Go map.
func TestSQLDictionaryStrings(t *testing.T) {
	f := newFixture(t, []int{1}, Config{ShufflePartitions: 3, BatchRows: 50})
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: dictType, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	sums := map[string]int64{}
	counts := map[string]int64{}
	var parts []arrow.RecordBatch
	for p := 0; p < 3; p++ {
		b := array.NewRecordBuilder(f.mem, schema)
		rb := b.Field(0).(*array.BinaryDictionaryBuilder)
		for i := 0; i < 300; i++ {
			region := fmt.Sprintf("region-%d", (i*7+p)%5)
			v := int64(p*1000 + i)
			if i%11 == 0 {
				rb.AppendNull()
			} else {
				if err := rb.AppendString(region); err != nil {
					t.Fatal(err)
				}
				if region != "region-2" {
					sums[region] += v
					counts[region]++
				}
			}
			b.Field(1).(*array.Int64Builder).Append(v)
		}
		parts = append(parts, b.NewRecordBatch())
		b.Release()
	}
	d := f.s.FromRecords(parts...)
	releaseAll(parts)
	if err := d.CreateOrReplaceTempView("dt"); err != nil {
		t.Fatal(err)
	}
	got := collectRows(t, mustSQL(t, f.s, `SELECT region, sum(v) AS s, count(*) AS n FROM dt
		WHERE region LIKE 'region-%' AND region <> 'region-2' GROUP BY region ORDER BY region DESC`))
	var keys []string
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	if len(got) != len(keys) {
		t.Fatalf("got %v, want keys %v", got, keys)
	}
	for i, k := range keys {
		want := []any{k, sums[k], counts[k]}
		if !sameRow(got[i], want) {
			t.Fatalf("row %d: got %v, want %v", i, got[i], want)
		}
	}
}
