package dataset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// joinOrderTables registers a fact table f(fk_a, fk_b, v) of n rows (every seventh
// fk_a NULL), a dimension a(a_id, a_name) of 50 rows and a dimension b(b_id, b_flag) of
// 20 rows, b_flag "x" on every fourth; it returns the tables' rows for the plain-Go check.
func joinOrderTables(t *testing.T, s *dataset.Session, n int) (f [][3]int64, fNull []bool, a []string, bflag []string) {
	t.Helper()
	mem := memory.DefaultAllocator
	fb := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "fk_a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "fk_b", Type: arrow.PrimitiveTypes.Int32},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil))
	defer fb.Release()
	for i := range n {
		row := [3]int64{int64(i*13) % 53, int64(i*7) % 23, int64(i)}
		null := i%7 == 0
		f, fNull = append(f, row), append(fNull, null)
		if null {
			fb.Field(0).AppendNull()
		} else {
			fb.Field(0).(*array.Int64Builder).Append(row[0])
		}
		fb.Field(1).(*array.Int32Builder).Append(int32(row[1]))
		fb.Field(2).(*array.Int64Builder).Append(row[2])
	}
	ab := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "a_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "a_name", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}},
	}, nil))
	defer ab.Release()
	for i := range 50 {
		a = append(a, fmt.Sprintf("name%d", i%9))
		ab.Field(0).(*array.Int64Builder).Append(int64(i))
		if err := ab.Field(1).(*array.BinaryDictionaryBuilder).AppendString(a[i]); err != nil {
			t.Fatal(err)
		}
	}
	bb := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "b_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b_flag", Type: arrow.BinaryTypes.String},
	}, nil))
	defer bb.Release()
	for i := range 20 {
		flag := "y"
		if i%4 == 0 {
			flag = "x"
		}
		bflag = append(bflag, flag)
		bb.Field(0).(*array.Int64Builder).Append(int64(i))
		bb.Field(1).(*array.StringBuilder).Append(flag)
	}
	for name, b := range map[string]*array.RecordBuilder{"f": fb, "a": ab, "b": bb} {
		rec := b.NewRecordBatch()
		d := s.FromRecords(rec)
		rec.Release()
		if err := d.CreateOrReplaceTempView(name); err != nil {
			t.Fatal(err)
		}
	}
	return f, fNull, a, bflag
}

// TestSQLCommaJoinOrder checks that comma joins written fact first, with the filtered
// dimension last, are bound starting from that dimension, and that the answer (and the
// column order of SELECT *) is the written one's.
func TestSQLCommaJoinOrder(t *testing.T) {
	for _, n := range []int{0, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 3, BroadcastThreshold: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			f, fNull, a, bflag := joinOrderTables(t, s, n)
			d, err := s.SQL("SELECT * FROM f, a, b WHERE f.fk_a = a.a_id AND f.fk_b = b.b_id AND b.b_flag = 'x'")
			if err != nil {
				t.Fatal(err)
			}
			schema, err := d.Schema()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, fl := range schema.Fields() {
				names = append(names, fl.Name)
			}
			if want := []string{"fk_a", "fk_b", "v", "a_id", "a_name", "b_id", "b_flag"}; !slices.Equal(names, want) {
				t.Fatalf("columns %v, want %v", names, want)
			}
			// The first join takes the filtered dimension b: its key pair is f's and b's.
			plan := d.Explain()
			phys := plan[strings.Index(plan, "== Physical Plan =="):strings.Index(plan, "== Stages ==")]
			joins := regexpJoins(phys)
			if len(joins) != 2 || !strings.Contains(joins[1], "fk_b") {
				t.Errorf("joins %q: the innermost should join f to b\n%s", joins, phys)
			}
			recs, err := d.Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				for _, r := range recs {
					r.Release()
				}
			}()
			var got, want []string
			for _, r := range recs {
				for i := range int(r.NumRows()) {
					var cells []string
					for c := range int(r.NumCols()) {
						cells = append(cells, r.Column(c).ValueStr(i))
					}
					got = append(got, strings.Join(cells, ","))
				}
			}
			for i, row := range f {
				if fNull[i] || row[0] >= 50 || row[1] >= 20 || bflag[row[1]] != "x" {
					continue
				}
				want = append(want, fmt.Sprintf("%d,%d,%d,%d,%s,%d,%s", row[0], row[1], row[2], row[0], a[row[0]], row[1], bflag[row[1]]))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%d rows, want %d; first got %q, want %q", len(got), len(want), first(got), first(want))
			}
		})
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// regexpJoins returns the hash-join lines of an Explain section, outermost first.
func regexpJoins(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "HashJoin") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}
