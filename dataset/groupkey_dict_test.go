package dataset

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestGroupByDictionaryKeyKeepsType groups by a dictionary-encoded string and an int:
// the result keeps the dictionary type (the shuffle carries plain strings in between),
// every batch of one result partition shares one dictionary, NULL keys form a group, and
// the sums equal a Go map's.
func TestGroupByDictionaryKeyKeepsType(t *testing.T) {
	f := newFixture(t, []int{1}, Config{ShufflePartitions: 3, BatchRows: 50})
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: dictType, Nullable: true},
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	type key struct {
		region string
		null   bool
		k      int64
	}
	want := map[key]int64{}
	var parts []arrow.RecordBatch
	for p := 0; p < 4; p++ {
		b := array.NewRecordBuilder(f.mem, schema)
		rb := b.Field(0).(*array.BinaryDictionaryBuilder)
		for i := 0; i < 700; i++ {
			region := fmt.Sprintf("region-%d", (i*7+p)%5)
			k, v := int64(i%40), int64(p*1000+i)
			null := i%13 == 0
			if null {
				rb.AppendNull()
				region = ""
			} else if err := rb.AppendString(region); err != nil {
				t.Fatal(err)
			}
			b.Field(1).(*array.Int64Builder).Append(k)
			b.Field(2).(*array.Int64Builder).Append(v)
			want[key{region, null, k}] += v
		}
		parts = append(parts, b.NewRecordBatch())
		b.Release()
	}
	d := f.s.FromRecords(parts...)
	releaseAll(parts)
	recs, err := d.GroupBy("region", "k").Agg(Sum("v").As("s")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	dicts := map[*memory.Buffer]bool{}
	rows := 0
	for _, r := range recs {
		if !arrow.TypeEqual(r.Schema().Field(0).Type, dictType) {
			t.Fatalf("region comes out as %s, want %s", r.Schema().Field(0).Type, dictType)
		}
		col := r.Column(0).(*array.Dictionary)
		dicts[col.Dictionary().Data().Buffers()[2]] = true
		for i := 0; i < int(r.NumRows()); i++ {
			k := key{k: r.Column(1).(*array.Int64).Value(i), null: col.IsNull(i)}
			if !k.null {
				k.region = col.Dictionary().(*array.String).Value(col.GetValueIndex(i))
			}
			got := r.Column(2).(*array.Int64).Value(i)
			if got != want[k] {
				t.Errorf("group %+v: sum %d, want %d", k, got, want[k])
			}
			delete(want, k)
			rows++
		}
	}
	if len(want) != 0 {
		t.Errorf("%d groups missing, e.g. %v", len(want), want)
	}
	// 200 groups in batches of 50 over 3 partitions: more batches than partitions, but
	// one dictionary per partition's table. An aggregate that spilled (a budget drawn by a
	// metamorphic run) builds a table, so a dictionary, per spilled partition it merges.
	if spills := f.s.LastJob().Totals().SpillCount; spills > 0 {
		t.Logf("%d spills: %d result batches with %d dictionaries", spills, len(recs), len(dicts))
	} else if len(recs) <= 3 || len(dicts) > 3 {
		t.Errorf("%d result batches with %d distinct dictionaries, want more than 3 batches sharing at most 3", len(recs), len(dicts))
	}
}
