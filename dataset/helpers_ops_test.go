package dataset

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestHelpersFillNull(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			got := collectRows(t, f.ds.FillNull(7))
			var want [][]any
			for _, r := range f.rows {
				y := val(r.y)
				if r.y == nil || math.IsNaN(*r.y) {
					y = 7.0
				}
				want = append(want, []any{val(r.k), fillI(r.g, 7), fillI(r.x, 7), y, val(r.s)})
			}
			assertSameRows(t, got, want)

			got = collectRows(t, f.ds.FillNull("z", "k", "x"))
			want = nil
			for _, r := range f.rows {
				k := val(r.k)
				if k == nil {
					k = "z"
				}
				want = append(want, []any{k, val(r.g), val(r.x), val(r.y), val(r.s)})
			}
			assertSameRows(t, got, want)

			got = collectRows(t, f.ds.FillNullMap(map[string]any{"s": "?", "g": int32(-1)}))
			want = nil
			for _, r := range f.rows {
				s := val(r.s)
				if s == nil {
					s = "?"
				}
				want = append(want, []any{val(r.k), fillI(r.g, -1), val(r.x), val(r.y), s})
			}
			assertSameRows(t, got, want)
		})
	}
}

func fillI(p *int64, v int64) any {
	if p == nil {
		return v
	}
	return *p
}

func TestHelpersFillNullErrors(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	for _, d := range []*Dataset{
		f.ds.FillNull(1, "nope"),
		f.ds.FillNull([]int{1}),
		f.ds.FillNullMap(map[string]any{"x": "text"}),
		f.ds.DropNull("some", 0),
		f.ds.DropNull("any", 0, "nope"),
	} {
		if _, err := d.Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "helpers_ops_test.go") {
			t.Errorf("want an error naming the call site, got %v", err)
		}
	}
}

func TestHelpersDropNull(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			present := func(r testRow) []bool {
				return []bool{r.k != nil, r.g != nil, r.x != nil, r.y != nil && !math.IsNaN(*r.y), r.s != nil}
			}
			names := []string{"k", "g", "x", "y", "s"}
			cases := []struct {
				how    string
				thresh int
				cols   []string
			}{
				{"any", 0, nil}, {"all", 0, []string{"x", "y"}}, {"any", 0, []string{"y"}},
				{"any", 4, nil}, {"all", 6, nil}, {"all", 0, nil},
			}
			for _, c := range cases {
				got := collectRows(t, f.ds.DropNull(c.how, c.thresh, c.cols...))
				var want [][]any
				for _, r := range f.rows {
					var sel []bool
					for i, p := range present(r) {
						if c.cols == nil || slices.Contains(c.cols, names[i]) {
							sel = append(sel, p)
						}
					}
					keep := count(sel) >= c.thresh
					if c.thresh == 0 {
						keep = count(sel) == len(sel) || (c.how == "all" && count(sel) > 0)
					}
					if keep {
						want = append(want, []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})
					}
				}
				assertSameRows(t, got, want)
			}
		})
	}
}

func count(p []bool) int {
	n := 0
	for _, b := range p {
		if b {
			n++
		}
	}
	return n
}

func TestHelpersDropDuplicates(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			// The budget is pinned: the distinct over five keys (three strings) holds about
			// 140 KiB of key slabs for its first group, which the 256 KiB spilling draws cannot
			// repartition below (KINDLING_SEED=202); TestHelpersSpill spills it instead.
			f := newFixture(t, sizes, Config{MemoryLimit: 8 << 20})
			got := collectRows(t, f.ds.DropDuplicates("k", "g"))
			keys := map[string]bool{}
			for _, r := range f.rows {
				keys[canon([]any{val(r.k), val(r.g)})] = true
			}
			if len(got) != len(keys) {
				t.Fatalf("got %d rows, want one per distinct key: %d", len(got), len(keys))
			}
			inputRows := map[string]bool{}
			for _, r := range f.rows {
				inputRows[canon([]any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})] = true
			}
			seen := map[string]bool{}
			for _, row := range got {
				k := canon(row[:2])
				if seen[k] || !keys[k] {
					t.Fatalf("row %v: duplicate or unknown key", row)
				}
				seen[k] = true
				// A whole input row, not values of several duplicates mixed.
				if !inputRows[canon(row)] {
					t.Fatalf("row %v is no input row", row)
				}
			}
			all := collectRows(t, f.ds.DropDuplicates())
			distinct := map[string]bool{}
			for _, r := range f.rows {
				distinct[canon([]any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})] = true
			}
			if len(all) != len(distinct) {
				t.Fatalf("DropDuplicates(): %d rows, want %d", len(all), len(distinct))
			}
		})
	}
}

func TestHelpersUnionByName(t *testing.T) {
	f := newFixture(t, []int{0, 40, 25}, Config{})
	other := f.ds.Select(Col("x").Cast(arrow.PrimitiveTypes.Int32).As("x"), Col("s"), Col("k"), Lit(1.5).As("extra"))
	got := collectRows(t, f.ds.SelectColumns("k", "x", "y").UnionByName(other, true))
	var want [][]any
	for _, r := range f.rows {
		want = append(want, []any{val(r.k), val(r.x), val(r.y), nil, nil})
		want = append(want, []any{val(r.k), val(r.x), nil, val(r.s), 1.5})
	}
	assertSameRows(t, got, want)
	schema, err := f.ds.SelectColumns("k", "x", "y").UnionByName(other, true).Schema()
	if err != nil {
		t.Fatal(err)
	}
	if got := schema.Field(1).Type; got.ID() != arrow.INT64 {
		t.Errorf("x widened to %s, want int64", got)
	}
	if _, err := f.ds.UnionByName(other, false).Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing column without allowMissing: %v", err)
	}
	bad := f.ds.Select(Col("k").As("x"))
	if _, err := f.ds.UnionByName(bad, true).Collect(t.Context()); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("incompatible types: %v", err)
	}
}

func TestHelpersWithColumnsRenamed(t *testing.T) {
	f := newFixture(t, []int{5, 9}, Config{})
	d := f.ds.WithColumns(map[string]Expr{"x": Col("x").Add(Lit(1)), "z": Col("x").Mul(Lit(2))}).
		WithColumnsRenamed(map[string]string{"k": "key", "nope": "whatever"})
	got := collectRows(t, d)
	var want [][]any
	for _, r := range f.rows {
		x1, x2 := any(nil), any(nil)
		if r.x != nil {
			x1, x2 = *r.x+1, *r.x*2
		}
		want = append(want, []any{val(r.k), val(r.g), x1, val(r.y), val(r.s), x2})
	}
	assertSameRows(t, got, want)
	schema, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Join(fieldNames(schema), ","); names != "key,g,x,y,s,z" {
		t.Errorf("columns %s", names)
	}
}

func TestHelpersSortWithinPartitions(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{MemoryLimit: 0})
	d := f.ds.SortWithinPartitions(Asc("x"), Desc("s"))
	if ex := d.Explain(); strings.Contains(ex, "Exchange") || !strings.Contains(ex, "SortWithinPartitions") {
		t.Errorf("plan:\n%s", ex)
	}
	var mu sync.Mutex
	parts := map[int][][]any{}
	err := d.ForEachBatch(t.Context(), func(p int, rec arrow.RecordBatch) error {
		rows := toRows(t, []arrow.RecordBatch{rec})
		mu.Lock()
		parts[p] = append(parts[p], rows...)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all [][]any
	for p, rows := range parts {
		for i := 1; i < len(rows); i++ {
			a, b := rows[i-1], rows[i]
			if cmpNullsFirst(a[2], b[2]) > 0 || (cmpNullsFirst(a[2], b[2]) == 0 && cmpNullsFirst(b[4], a[4]) > 0 && a[4] != nil && b[4] != nil) {
				t.Fatalf("partition %d rows %d,%d out of order: %v %v", p, i-1, i, a, b)
			}
		}
		all = append(all, rows...)
	}
	if n := len(parts); n != len(partitionSizes["mixed"]) && n > len(partitionSizes["mixed"]) {
		t.Errorf("%d partitions", n)
	}
	var want [][]any
	for _, r := range f.rows {
		want = append(want, []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})
	}
	assertSameRows(t, all, want)
	// A limit takes the first rows of the partitions in order, not a global top-N.
	if got := collectRows(t, d.Limit(3)); len(got) != 3 {
		t.Errorf("limit: %d rows", len(got))
	}
}

func cmpNullsFirst(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch a := a.(type) {
	case int64:
		return int(min(max(a-b.(int64), -1), 1))
	case string:
		return strings.Compare(a, b.(string))
	}
	return 0
}

func TestBatchesStreamsInOrder(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			d := f.ds.Filter(Col("x").IsNotNull())
			want := collectRows(t, d)
			var got [][]any
			for rec, err := range d.Batches(t.Context()) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, toRows(t, []arrow.RecordBatch{rec})...)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range got {
				if !sameRow(got[i], want[i]) {
					t.Fatalf("row %d: %v, want %v (order as Collect)", i, got[i], want[i])
				}
			}
		})
	}
}

func TestBatchesEarlyBreakLeaksNothing(t *testing.T) {
	f := newFixture(t, []int{500, 500, 500, 500, 500, 500}, Config{Parallelism: 2, BatchRows: 16})
	before := runtime.NumGoroutine()
	for range 3 {
		n := 0
		for rec, err := range f.ds.OrderBy(Asc("x")).Batches(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			rec.Retain() // kept past the body: the caller's to release
			rec.Release()
			if n++; n == 2 {
				break
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the loops, %d before", g, before)
	}
	// An error ends the loop with one error.
	errs := 0
	for _, err := range f.ds.Select(Col("nope")).Batches(t.Context()) {
		if err == nil {
			t.Fatal("a batch from a failing job")
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("%d errors", errs)
	}
}
