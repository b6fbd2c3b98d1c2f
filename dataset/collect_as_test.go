package dataset

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

type collectRow struct {
	Key  *string  `kindling:"k"`
	G    *int64   // matched by name, case-insensitively
	X    *int64   `kindling:"x"`
	Y    *float64 `kindling:"y"`
	Text *string  `kindling:"s"`
	Skip string   `kindling:"-"`
}

func TestCollectAsMatchesRows(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			got, err := CollectAs[collectRow](t.Context(), f.ds)
			if err != nil {
				t.Fatal(err)
			}
			want := collectRows(t, f.ds)
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i, r := range got {
				row := []any{val(r.Key), val(r.G), val(r.X), val(r.Y), val(r.Text)}
				if !sameRow(row, want[i]) {
					t.Fatalf("row %d: %v, want %v", i, row, want[i])
				}
			}
		})
	}
}

func TestCollectAsTypes(t *testing.T) {
	f := newFixture(t, []int{1}, Config{})
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "region", Type: dictType, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int32}}, nil)
	b := array.NewRecordBuilder(f.mem, schema)
	regions := []string{"east", "", "west", "east"}
	for i, r := range regions {
		if r == "" {
			b.Field(0).AppendNull()
		} else if err := b.Field(0).(*array.BinaryDictionaryBuilder).AppendString(r); err != nil {
			t.Fatal(err)
		}
		b.Field(1).(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecordBatch()
	b.Release()
	d := f.s.FromRecords(rec).Select(Col("region"), Col("n"), Col("n").Cast(arrow.PrimitiveTypes.Int64).As("N64"),
		Col("n").Cast(arrow.PrimitiveTypes.Float64).Div(Lit(4)).As("f"),
		Col("n").Gt(Lit(1)).As("b"),
		LitDecimal("12.345").As("dec"),
		Lit(time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)).As("ts"),
		Lit(arrow.Date32FromTime(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))).As("day"))
	rec.Release()
	type typed struct {
		Region *string
		N      int32
		N64    int64
		F      float64 `kindling:"f"`
		B      bool
		Dec    *big.Rat
		TS     time.Time
		Day    *time.Time
	}
	got, err := CollectAs[typed](t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(regions) {
		t.Fatalf("%d rows", len(got))
	}
	for i, r := range got {
		if (r.Region == nil) != (regions[i] == "") || (r.Region != nil && *r.Region != regions[i]) {
			t.Errorf("row %d region %v", i, r.Region)
		}
		if r.N != int32(i) || r.N64 != int64(i) || math.Abs(r.F-float64(i)/4) > 1e-12 || r.B != (i > 1) {
			t.Errorf("row %d: %+v", i, r)
		}
		if r.Dec == nil || r.Dec.RatString() != "2469/200" {
			t.Errorf("row %d decimal %v", i, r.Dec)
		}
		if !r.TS.Equal(time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)) || r.Day == nil || !r.Day.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("row %d times %v %v", i, r.TS, r.Day)
		}
	}
}

func TestCollectAsErrors(t *testing.T) {
	f := newFixture(t, []int{50, 50}, Config{})
	type notNullable struct{ X int64 }
	if _, err := CollectAs[notNullable](t.Context(), f.ds); err == nil || !strings.Contains(err.Error(), `column "x"`) || !strings.Contains(err.Error(), "notNullable.X") {
		t.Errorf("NULL into int64: %v", err)
	}
	type wrong struct {
		K int64 `kindling:"k"`
	}
	if _, err := CollectAs[wrong](t.Context(), f.ds); err == nil || !strings.Contains(err.Error(), `column "k" (utf8) into field wrong.K (int64)`) {
		t.Errorf("string into int64: %v", err)
	}
	type narrow struct {
		X *int32
	}
	if _, err := CollectAs[narrow](t.Context(), f.ds); err == nil || !strings.Contains(err.Error(), "cannot convert") {
		t.Errorf("int64 into int32: %v", err)
	}
	if _, err := CollectAs[int](t.Context(), f.ds); err == nil {
		t.Error("a non-struct type")
	}
	empty, err := CollectAs[collectRow](t.Context(), f.ds.Filter(Lit(false)))
	if err != nil || len(empty) != 0 {
		t.Errorf("empty: %v %v", empty, err)
	}
}
