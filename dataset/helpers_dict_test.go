package dataset

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// dictFixture is a dataset with a dictionary-encoded string column "region" (every
// fifth row NULL) and an int64 column "n", in three partitions; regions holds the rows.
func dictFixture(t *testing.T) (*fixture, *Dataset, []*string) {
	f := newFixture(t, []int{1}, Config{})
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "region", Type: dictType, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var regions []*string
	var parts [][]arrow.RecordBatch
	for p := range 3 {
		b := array.NewRecordBuilder(f.mem, schema)
		for i := range 40 {
			if i%5 == 0 {
				b.Field(0).AppendNull()
				regions = append(regions, nil)
			} else {
				r := fmt.Sprintf("r%d", (i+p)%4)
				if err := b.Field(0).(*array.BinaryDictionaryBuilder).AppendString(r); err != nil {
					t.Fatal(err)
				}
				regions = append(regions, &r)
			}
			b.Field(1).(*array.Int64Builder).Append(int64(p*100 + i))
		}
		parts = append(parts, []arrow.RecordBatch{b.NewRecordBatch()})
		b.Release()
	}
	d := f.s.FromPartitions(schema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	return f, d, regions
}

func TestHelpersOverDictionaryStrings(t *testing.T) {
	_, d, regions := dictFixture(t)
	filled := collectRows(t, d.FillNull("none").SelectColumns("region"))
	nulls, distinct := 0, map[string]int{}
	for i, r := range regions {
		want := "none"
		if r != nil {
			want = *r
			distinct[*r]++
		} else {
			nulls++
		}
		if filled[i][0] != want {
			t.Fatalf("FillNull row %d: %v, want %s", i, filled[i][0], want)
		}
	}
	if n, err := d.DropNull("any", 0).Count(t.Context()); err != nil || int(n) != len(regions)-nulls {
		t.Errorf("DropNull: %d, %v; want %d", n, err, len(regions)-nulls)
	}
	if got := collectRows(t, d.DropDuplicates("region")); len(got) != len(distinct)+1 {
		t.Errorf("DropDuplicates: %d rows, want %d", len(got), len(distinct)+1)
	}
	desc := collectRows(t, d.Describe("region"))
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range distinct {
			if !yield(k) {
				return
			}
		}
	})
	if desc[0][1] != fmt.Sprint(len(regions)-nulls) || desc[3][1] != keys[0] || desc[4][1] != keys[len(keys)-1] {
		t.Errorf("Describe: %v", desc)
	}
	piv := collectRows(t, d.GroupBy().Pivot("region").Agg(Count()))
	want := []any{int64(nulls)}
	for _, k := range keys {
		want = append(want, int64(distinct[k]))
	}
	if len(piv) != 1 || !sameRow(piv[0], want) {
		t.Errorf("Pivot: %v, want %v", piv, want)
	}
	un := collectRows(t, d.WithColumn("s", Lit("x")).Unpivot([]string{"n"}, []string{"region", "s"}, "col", "value"))
	if len(un) != 2*len(regions) {
		t.Fatalf("Unpivot: %d rows", len(un))
	}
	for i, r := range regions {
		if got := un[2*i][2]; (r == nil) != (got == nil) || (r != nil && got != *r) || un[2*i+1][2] != "x" {
			t.Fatalf("Unpivot row %d: %v %v", i, un[2*i], un[2*i+1])
		}
	}
	type row struct {
		Region *string
		N      int64
	}
	got, err := CollectAs[row](t.Context(), d)
	if err != nil || len(got) != len(regions) {
		t.Fatalf("CollectAs: %d rows, %v", len(got), err)
	}
	for i, r := range regions {
		if (r == nil) != (got[i].Region == nil) || (r != nil && *r != *got[i].Region) {
			t.Fatalf("CollectAs row %d: %v", i, got[i])
		}
	}
}

func TestPivotValueCap(t *testing.T) {
	f := newFixture(t, []int{1}, Config{})
	rows := 10001
	d := f.s.FromPartitions(testSchema).Limit(0) // empty: the keys only
	if got := collectRows(t, d.GroupBy("k").Pivot("x").Agg(Sum("y"))); len(got) != 0 {
		t.Errorf("pivot of nothing: %v", got)
	}
	// One row exploded into rows positions 0..10000: that many distinct values.
	ids := f.ds.Limit(1).Select(Split(Lit(strings.TrimSuffix(strings.Repeat("v,", rows), ",")), ",").As("v"),
		Lit(int64(1)).As("n")).PosExplode("v")
	_, err := ids.GroupBy().Pivot("pos").Agg(Sum("n")).Count(t.Context())
	if err == nil || !strings.Contains(err.Error(), "more than 10000") {
		t.Errorf("pivot over %d values: %v", rows, err)
	}
}
