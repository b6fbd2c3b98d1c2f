package dataset_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// regionList is a one-column dataset "name" of the given regions; "" stands for NULL.
func regionList(s *dataset.Session, regions ...string) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	sb := b.Field(0).(*array.StringBuilder)
	for _, r := range regions {
		if r == "" {
			sb.AppendNull()
		} else {
			sb.Append(r)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

func ExampleExpr_IsInDataset() {
	s := newSession()
	defer s.Close()
	wanted := regionList(s, "east", "north", "east", "")
	// The orders whose region is one of wanted's: duplicates in wanted do not repeat
	// rows, and the NULL region matches nothing.
	printQuoted(orders(s, 2).Filter(dataset.Col("region").IsInDataset(wanted).And(dataset.Col("qty").Gt(dataset.Lit(2)))).
		Select(dataset.Col("region"), dataset.Col("qty")))
	// Output:
	// "east" 3
	// "north" 5
	// "east" 4
}

func ExampleExpr_NotInDataset() {
	s := newSession()
	defer s.Close()
	region := dataset.Col("region")
	// Not east nor north: the west orders; the NULL region is not kept.
	printQuoted(orders(s, 2).Filter(region.NotInDataset(regionList(s, "east", "north"))).Select(region, dataset.Col("amount")))
	// A NULL in the subquery makes NOT IN never true, as in SQL.
	n, err := orders(s, 2).Filter(region.NotInDataset(regionList(s, "east", ""))).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("with a NULL:", n)
	// Over an empty subquery every row is kept, the NULL region included.
	n, err = orders(s, 2).Filter(region.NotInDataset(regionList(s))).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("over nothing:", n)
	// Output:
	// "west" 80
	// "west" 310
	// "west" 80
	// with a NULL: 0
	// over nothing: 8
}

// int64Dataset is a one-column int64 dataset named name, split into parts batches; a nil
// value is NULL.
func int64Dataset(s *dataset.Session, name string, vals []*int64, parts int) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	var recs []arrow.RecordBatch
	for p := 0; p < parts; p++ {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		ib := b.Field(0).(*array.Int64Builder)
		for _, v := range vals[len(vals)*p/parts : len(vals)*(p+1)/parts] {
			if v == nil {
				ib.AppendNull()
			} else {
				ib.Append(*v)
			}
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	defer release(recs)
	return s.FromRecords(recs...)
}

// collectInt64s collects the first column of d, an int64 one, NULL as nil, sorted with
// NULLs first.
func collectInt64s(t *testing.T, d *dataset.Dataset) []*int64 {
	t.Helper()
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	var out []*int64
	for _, r := range recs {
		c := r.Column(0).(*array.Int64)
		for i := 0; i < c.Len(); i++ {
			if c.IsNull(i) {
				out = append(out, nil)
				continue
			}
			v := c.Value(i)
			out = append(out, &v)
		}
	}
	sortInt64s(out)
	return out
}

func sortInt64s(vs []*int64) {
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i] == nil || vs[j] == nil {
			return vs[i] == nil && vs[j] != nil
		}
		return *vs[i] < *vs[j]
	})
}

func fmtInt64s(vs []*int64) string {
	var b strings.Builder
	for _, v := range vs {
		if v == nil {
			b.WriteString("NULL ")
		} else {
			fmt.Fprintf(&b, "%d ", *v)
		}
	}
	return b.String()
}

// randomInt64s draws n values in [0, span) with duplicates, each NULL with probability
// nulls.
func randomInt64s(r *rand.Rand, n, span int, nulls float64) []*int64 {
	out := make([]*int64, n)
	for i := range out {
		if r.Float64() < nulls {
			continue
		}
		v := int64(r.IntN(span))
		out[i] = &v
	}
	return out
}

// inOracle keeps the values of probe for which x IN (sub) (or NOT IN) is true, by SQL's
// rules computed over a Go set.
func inOracle(probe, sub []*int64, negated bool) []*int64 {
	set := map[int64]bool{}
	subNull := false
	for _, v := range sub {
		if v == nil {
			subNull = true
		} else {
			set[*v] = true
		}
	}
	var out []*int64
	for _, v := range probe {
		var keep bool
		switch {
		case !negated:
			keep = v != nil && set[*v]
		case len(sub) == 0:
			keep = true
		default:
			keep = v != nil && !subNull && !set[*v]
		}
		if keep {
			out = append(out, v)
		}
	}
	sortInt64s(out)
	return out
}

// TestInDatasetRandom: IN and NOT IN over generated data with duplicates and NULLs on
// both sides, and over empty subqueries, against a Go set.
func TestInDatasetRandom(t *testing.T) {
	s := newSession()
	defer s.Close()
	r := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 12; trial++ {
		probe := randomInt64s(r, 50+r.IntN(200), 40, 0.1)
		subNulls := 0.0
		if trial%3 == 0 {
			subNulls = 0.05
		}
		sub := randomInt64s(r, r.IntN(60), 60, subNulls)
		if trial == 5 {
			sub = nil
		}
		for _, negated := range []bool{false, true} {
			x := dataset.Col("x")
			subDs := int64Dataset(s, "y", sub, 1+trial%3)
			cond := x.IsInDataset(subDs)
			if negated {
				cond = x.NotInDataset(subDs)
			}
			got := collectInt64s(t, int64Dataset(s, "x", probe, 1+trial%4).Filter(cond))
			want := inOracle(probe, sub, negated)
			if fmtInt64s(got) != fmtInt64s(want) {
				t.Errorf("trial %d negated=%v (subquery %s):\ngot  %s\nwant %s", trial, negated, fmtInt64s(sub), fmtInt64s(got), fmtInt64s(want))
			}
		}
	}
}

// TestInDatasetPlans: the filter becomes a semi (anti) join over a distinct subquery, with
// the other conjuncts kept; a subquery over an aggregated, shuffled dataset and a probe
// value needing a cast (int64 against float64) work.
func TestInDatasetPlans(t *testing.T) {
	s := newSession()
	defer s.Close()
	region := dataset.Col("region")
	in := orders(s, 2).Filter(dataset.Col("qty").Gt(dataset.Lit(1)).And(region.IsInDataset(regionList(s, "east"))))
	explain := in.Explain()
	for _, want := range []string{"BroadcastHashJoin left_semi on [region] = [__in0_key]", "HashAggregate(complete) keys=[__in0_key]", "Filter (qty > 1)"} {
		if !strings.Contains(explain, want) {
			t.Errorf("explain lacks %q:\n%s", want, explain)
		}
	}
	if _, optimized, _ := strings.Cut(explain, "== Optimized Plan =="); strings.Contains(optimized, "subquery") {
		t.Errorf("the subquery filter is not rewritten:\n%s", explain)
	}
	not := orders(s, 2).Filter(region.NotInDataset(regionList(s, "east"))).Explain()
	if !strings.Contains(not, "left_anti on [region] = [__in0_key]") || !strings.Contains(not, "BroadcastHashJoin left on [__in0_one] = [__in0_one_r]") {
		t.Errorf("NOT IN plan:\n%s", not)
	}

	// Regions whose total amount exceeds 150 (an aggregate after a shuffle): east and west.
	big := orders(s, 3).Repartition(3, "region").GroupBy("region").Agg(dataset.Sum("amount").As("total")).
		Filter(dataset.Col("total").Gt(dataset.Lit(150))).Select(region)
	got := collectQuoted(t, orders(s, 2).Filter(region.IsInDataset(big)).GroupBy("region").Count().OrderBy(dataset.Asc("region")))
	if strings.Join(got, ";") != `"east" 3;"west" 3` {
		t.Errorf("IN over an aggregate: %v", got)
	}
	got = collectQuoted(t, orders(s, 2).Filter(region.NotInDataset(big)).Select(region))
	if strings.Join(got, ";") != `"north"` {
		t.Errorf("NOT IN over an aggregate: %v", got)
	}

	// Two subqueries AND-ed: east or west, but not west.
	got = collectQuoted(t, orders(s, 2).Filter(region.IsInDataset(regionList(s, "east", "west")).
		And(region.NotInDataset(regionList(s, "west")))).GroupBy("region").Count())
	if strings.Join(got, ";") != `"east" 3` {
		t.Errorf("two subqueries: %v", got)
	}

	// qty (int64) against amounts (float64): compared as float64; 0 and 80 are amounts
	// (the NULL amount makes NOT IN never true).
	amounts := orders(s, 1).Select(dataset.Col("amount"))
	got = collectQuoted(t, orders(s, 2).Filter(dataset.Col("qty").Mul(dataset.Lit(40)).IsInDataset(amounts)).Select(dataset.Col("qty")))
	if strings.Join(got, ";") != `2;2` {
		t.Errorf("int64 IN float64: %v", got)
	}
}

// TestInDatasetErrors: misplaced predicates, a subquery of two columns and incomparable
// types are analysis errors naming the call.
func TestInDatasetErrors(t *testing.T) {
	s := newSession()
	defer s.Close()
	region := dataset.Col("region")
	sub := regionList(s, "east")
	for _, c := range []struct {
		d    *dataset.Dataset
		want string
	}{
		{orders(s, 1).Filter(region.IsInDataset(sub).Or(dataset.Col("qty").Gt(dataset.Lit(1)))), "isInDataset@example_subquery_test.go"},
		{orders(s, 1).Filter(region.IsInDataset(sub).Or(dataset.Col("qty").Gt(dataset.Lit(1)))), "only supported as a filter conjunct"},
		{orders(s, 1).Filter(region.NotInDataset(sub).Not()), "only supported as a filter conjunct"},
		{orders(s, 1).Select(region.IsInDataset(sub).As("in")), "only supported as a filter conjunct"},
		{orders(s, 1).WithColumn("in", region.IsInDataset(sub)), "only supported as a filter conjunct"},
		{orders(s, 1).Filter(region.IsInDataset(orders(s, 1))), "must have exactly one column, it has 4 (region, day, amount, qty)"},
		{orders(s, 1).Filter(dataset.Col("qty").NotInDataset(sub)), "cannot compare int64 with the dataset's column \"name\" of type string"},
		{orders(s, 1).Filter(dataset.Col("qty").NotInDataset(sub)), "notInDataset@example_subquery_test.go"},
		{orders(s, 1).Filter(dataset.Col("nope").IsInDataset(sub)), "nope"},
	} {
		_, err := c.d.Collect(context.Background())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// TestInDatasetDictionary: a dictionary-encoded probe column against a plain string
// subquery (and the reverse), multi-byte UTF-8 and empty strings included.
func TestInDatasetDictionary(t *testing.T) {
	s := newSession()
	defer s.Close()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{{Name: "city", Type: dt, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	db := b.Field(0).(*array.BinaryDictionaryBuilder)
	cities := []string{"Zürich", "", "東京", "Zürich", "-", "Oslo", "東京"} // "-": NULL
	for _, c := range cities {
		if c == "-" {
			db.AppendNull()
		} else if err := db.AppendString(c); err != nil {
			t.Fatal(err)
		}
	}
	rec := b.NewRecordBatch()
	b.Release()
	dict := s.FromRecords(rec)
	rec.Release()
	city := dataset.Col("city")
	plain := regionList(s, "東京", "Zürich").Select(dataset.Col("name").As("x"))
	got := collectQuoted(t, dict.Filter(city.IsInDataset(plain)))
	if strings.Join(got, ";") != `Zürich;東京;Zürich;東京` { // dictionary cells print unquoted
		t.Errorf("dictionary IN: %v", got)
	}
	got = collectQuoted(t, dict.Filter(city.NotInDataset(plain)))
	if strings.Join(got, ";") != `;Oslo` {
		t.Errorf("dictionary NOT IN: %v", got)
	}
	// The reverse: plain probe, dictionary subquery with the empty string.
	got = collectQuoted(t, regionList(s, "Oslo", "Bern", "").Filter(dataset.Col("name").IsInDataset(dict)))
	if strings.Join(got, ";") != `"Oslo"` {
		t.Errorf("IN a dictionary: %v", got)
	}
}
