package dataset

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rightRow is a row of the right side of the join tests: (g, k, w), where g and k are
// the join keys and k also clashes with a left column name.
type rightRow struct {
	g *int64
	k *string
	w *float64
}

var rightSchema = arrow.NewSchema([]arrow.Field{
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// genRight makes right rows with duplicate keys, NULL keys, and keys (g = 5, 6; k = "z")
// that the left side never has.
func genRight(rng *rand.Rand, n int) []rightRow {
	keys := []string{"a", "b", "c", "z"}
	rows := make([]rightRow, n)
	for i := range rows {
		r := &rows[i]
		if rng.IntN(8) > 0 {
			r.g = ptr(int64(rng.IntN(7))) // left g is 0..3
		}
		if rng.IntN(8) > 0 {
			r.k = ptr(keys[rng.IntN(len(keys))])
		}
		r.w = ptr(float64(i))
	}
	return rows
}

func buildRight(mem memory.Allocator, rows []rightRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, rightSchema)
	defer b.Release()
	for _, r := range rows {
		appendI64(b.Field(0).(*array.Int64Builder), r.g)
		appendStr(b.Field(1).(*array.StringBuilder), r.k)
		if r.w == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append(*r.w)
		}
	}
	return b.NewRecordBatch()
}

func (f *fixture) rightSide(t *testing.T, sizes []int) ([]rightRow, *Dataset) {
	rng := rand.New(rand.NewPCG(77, uint64(len(sizes))))
	var rows []rightRow
	parts := make([][]arrow.RecordBatch, len(sizes))
	for i, n := range sizes {
		rs := genRight(rng, n)
		rows = append(rows, rs...)
		rec := buildRight(f.mem, rs)
		parts[i] = []arrow.RecordBatch{rec}
	}
	d := f.s.FromPartitions(rightSchema, parts...)
	for _, p := range parts {
		p[0].Release()
	}
	return rows, d
}

func leftValues(r testRow) []any { return []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)} }

var allJoinKinds = []JoinKind{Inner, LeftOuter, RightOuter, FullOuter, LeftSemi, LeftAnti}

// joinOracle is a nested-loop join: match says whether a left and a right row join;
// emit builds an output row from either side (nil for the missing side).
func joinOracle(kind JoinKind, left []testRow, right []rightRow, match func(testRow, rightRow) bool,
	emit func(l *testRow, r *rightRow) []any) [][]any {
	var out [][]any
	rightMatched := make([]bool, len(right))
	for i := range left {
		matched := false
		for j := range right {
			if !match(left[i], right[j]) {
				continue
			}
			matched = true
			rightMatched[j] = true
			if kind != LeftSemi && kind != LeftAnti {
				out = append(out, emit(&left[i], &right[j]))
			}
		}
		switch {
		case kind == LeftSemi && matched, kind == LeftAnti && !matched:
			out = append(out, leftValues(left[i]))
		case !matched && (kind == LeftOuter || kind == FullOuter):
			out = append(out, emit(&left[i], nil))
		}
	}
	if kind == RightOuter || kind == FullOuter {
		for j := range right {
			if !rightMatched[j] {
				out = append(out, emit(nil, &right[j]))
			}
		}
	}
	return out
}

func TestJoinUsingKey(t *testing.T) {
	for _, threshold := range []int64{-1, 1 << 30} { // shuffled, then broadcast where allowed
		for _, kind := range allJoinKinds {
			name := kind.String() + map[bool]string{true: "/shuffled", false: "/broadcast"}[threshold < 0]
			t.Run(name, func(t *testing.T) {
				f := newFixture(t, partitionSizes["mixed"], Config{BroadcastThreshold: threshold, ShufflePartitions: 3})
				right, rds := f.rightSide(t, []int{0, 40, 1, 25})
				d := f.ds.Join(rds, On("g"), kind)
				want := joinOracle(kind, f.rows, right,
					func(l testRow, r rightRow) bool { return l.g != nil && r.g != nil && *l.g == *r.g },
					func(l *testRow, r *rightRow) []any {
						row := []any{nil, nil, nil, nil, nil, nil, nil}
						if l != nil {
							copy(row, leftValues(*l))
						}
						if r != nil {
							if l == nil {
								row[1] = val(r.g) // the using key: coalesce(left.g, right.g)
							}
							row[5], row[6] = val(r.k), val(r.w)
						}
						return row
					})
				schema, err := d.Schema()
				if err != nil {
					t.Fatal(err)
				}
				wantNames := "k,g,x,y,s,k_right,w"
				if kind == LeftSemi || kind == LeftAnti {
					wantNames = "k,g,x,y,s"
				}
				if got := schemaNames(schema); got != wantNames {
					t.Fatalf("columns %s, want %s", got, wantNames)
				}
				assertSameRows(t, collectRows(t, d), want)
			})
		}
	}
}

func TestJoinTwoKeysDifferentNames(t *testing.T) {
	for _, kind := range allJoinKinds {
		t.Run(kind.String(), func(t *testing.T) {
			f := newFixture(t, []int{0, 13, 1, 200}, Config{BroadcastThreshold: -1})
			right, rds := f.rightSide(t, []int{30, 0, 30})
			rds = rds.Rename("g", "gid").Rename("k", "key")
			d := f.ds.Join(rds, OnKeys([]string{"k", "g"}, []string{"key", "gid"}), kind)
			want := joinOracle(kind, f.rows, right,
				func(l testRow, r rightRow) bool {
					return l.g != nil && r.g != nil && *l.g == *r.g && l.k != nil && r.k != nil && *l.k == *r.k
				},
				func(l *testRow, r *rightRow) []any {
					row := []any{nil, nil, nil, nil, nil, nil, nil, nil}
					if l != nil {
						copy(row, leftValues(*l))
					}
					if r != nil {
						row[5], row[6], row[7] = val(r.g), val(r.k), val(r.w)
					}
					return row
				})
			assertSameRows(t, collectRows(t, d), want)
		})
	}
}

func TestBroadcastJoinDoesNotShuffleTheBigSide(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{ShufflePartitions: 4, BroadcastThreshold: 10 << 20}) // the default, kept in metamorphic runs
	_, dim := f.rightSide(t, []int{20})
	d := f.ds.Join(dim, On("g"), Inner)
	ex := d.Explain()
	if !strings.Contains(ex, "BroadcastHashJoin") {
		t.Fatalf("a small dimension table was not broadcast:\n%s", ex)
	}
	recs, err := d.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	job := f.s.LastJob()
	// Two stages: the dimension's broadcast map stage (20 rows) and the join stage that
	// reads the big side straight from its source.
	if len(job.Stages) != 2 {
		t.Fatalf("%d stages, want 2:\n%s\n%s", len(job.Stages), ex, job)
	}
	if shuffled := job.Stages[0].Totals().RowsOut; shuffled != 20 {
		t.Fatalf("the broadcast stage shuffled %d rows, want only the dimension's 20", shuffled)
	}
	if in := job.Stages[1].Totals().RowsIn; in < int64(len(f.rows)) {
		t.Fatalf("join stage read %d rows, want the big side's %d read directly", in, len(f.rows))
	}
	// A hint forces the broadcast even over the threshold.
	f2 := newFixture(t, partitionSizes["mixed"], Config{BroadcastThreshold: -1})
	_, dim2 := f2.rightSide(t, []int{20})
	if ex := f2.ds.Join(Broadcast(dim2), On("g"), LeftOuter).Explain(); !strings.Contains(ex, "BroadcastHashJoin") {
		t.Fatalf("Broadcast hint ignored:\n%s", ex)
	}
	if ex := f2.ds.Join(dim2, On("g"), LeftOuter).Explain(); !strings.Contains(ex, "ShuffledHashJoin") {
		t.Fatalf("no shuffled join with broadcasting off:\n%s", ex)
	}
}

func TestCopartitionedJoinAddsNoShuffle(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{BroadcastThreshold: -1})
	_, rds := f.rightSide(t, []int{10, 10})
	l := f.ds.Repartition(4, "g")
	r := rds.Repartition(4, "g")
	recs, err := l.Join(r, On("g"), Inner).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	// Two repartition stages and the join stage: the join itself added no exchange.
	if n := len(f.s.LastJob().Stages); n != 3 {
		t.Fatalf("%d stages, want 3 (two repartitions + join)", n)
	}
}

func TestOrderBy(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{ShufflePartitions: 4})
			d := f.ds.OrderBy(Asc("k"), Desc("y"), Asc("x").NullsLast()).Select(Col("k"), Col("y"), Col("x"))
			got := collectRows(t, d)
			want := make([][]any, len(f.rows))
			for i, r := range f.rows {
				want[i] = []any{val(r.k), val(r.y), val(r.x)}
			}
			less := func(a, b []any) int {
				if c := cmpAny(a[0], b[0], false, true); c != 0 {
					return c
				}
				if c := cmpAny(a[1], b[1], true, false); c != 0 {
					return c
				}
				return cmpAny(a[2], b[2], false, false)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := 1; i < len(got); i++ {
				if less(got[i-1], got[i]) > 0 {
					t.Fatalf("rows %d and %d out of order: %v then %v", i-1, i, got[i-1], got[i])
				}
			}
			assertSameRows(t, slices.Clone(got), want)
			// Stability: rows with equal keys keep their input order.
			byG := collectRows(t, f.ds.OrderBy(Asc("g")))
			var wantOrder [][]any
			for _, g := range []any{nil, int64(0), int64(1), int64(2), int64(3)} {
				for _, r := range f.rows {
					if val(r.g) == g {
						wantOrder = append(wantOrder, leftValues(r))
					}
				}
			}
			if len(byG) != len(wantOrder) {
				t.Fatalf("OrderBy(g): %d rows, want %d", len(byG), len(wantOrder))
			}
			for i := range byG {
				if !sameRow(byG[i], wantOrder[i]) {
					t.Fatalf("OrderBy(g) is not stable at row %d: %v, want %v", i, byG[i], wantOrder[i])
				}
			}
			// Top-N equals the head of the full sort.
			for _, n := range []int64{1, 5, 1000} {
				top := collectRows(t, d.Limit(n))
				if int64(len(top)) != min(n, int64(len(got))) {
					t.Fatalf("top %d gave %d rows", n, len(top))
				}
				for i := range top {
					if less(top[i], got[i]) != 0 {
						t.Fatalf("top %d row %d = %v, full sort has %v", n, i, top[i], got[i])
					}
				}
			}
		})
	}
}

// cmpAny orders test values as kindling does: NULLs first or last as asked, NaN above
// every number, strings by bytes; desc reverses values but not NULL placement.
func cmpAny(a, b any, desc, nullsFirst bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return map[bool]int{true: -1, false: 1}[nullsFirst]
	case b == nil:
		return map[bool]int{true: 1, false: -1}[nullsFirst]
	}
	c := 0
	switch a := a.(type) {
	case int64:
		c = cmpOrdered(a, b.(int64))
	case string:
		c = strings.Compare(a, b.(string))
	case float64:
		bf := b.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(bf):
			c = 0
		case math.IsNaN(a):
			c = 1
		case math.IsNaN(bf):
			c = -1
		default:
			c = cmpOrdered(a, bf)
		}
	}
	if desc {
		return -c
	}
	return c
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
