package sorting

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

var sortDictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

var sortSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: sortDictType, Nullable: true},
	{Name: "u", Type: arrow.PrimitiveTypes.Int32},
}, nil)

// sortRow is one input row in plain Go; a nil pointer is NULL.
type sortRow struct {
	id int64
	i  *int64
	f  *float64
	s  *string
	d  *string
	u  int32
}

var sortTestFloats = []float64{0, math.Copysign(0, -1), math.NaN(), 1.5, -2.5, math.Inf(1), math.Inf(-1), 7}

func genSortRows(rng *rand.Rand, first, n int) []sortRow {
	rows := make([]sortRow, n)
	for r := range rows {
		row := &rows[r]
		row.id = int64(first + r)
		row.u = int32(rng.IntN(4))
		if rng.IntN(7) > 0 {
			v := int64(rng.IntN(30) - 15)
			row.i = &v
		}
		if rng.IntN(7) > 0 {
			v := sortTestFloats[rng.IntN(len(sortTestFloats))]
			row.f = &v
		}
		if rng.IntN(7) > 0 {
			v := strings.Repeat("x", rng.IntN(3)) + []string{"", "a", "ab", "b", "\xff"}[rng.IntN(5)]
			row.s = &v
		}
		if rng.IntN(7) > 0 {
			v := []string{"pear", "apple", "fig", "apples", ""}[rng.IntN(5)]
			row.d = &v
		}
	}
	return rows
}

func buildSortBatch(t testing.TB, mem memory.Allocator, rows []sortRow) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, sortSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		if r.i == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int64Builder).Append(*r.i)
		}
		if r.f == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append(*r.f)
		}
		if r.s == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.StringBuilder).Append(*r.s)
		}
		if r.d == nil {
			b.Field(4).AppendNull()
		} else if err := b.Field(4).(*array.BinaryDictionaryBuilder).AppendString(*r.d); err != nil {
			t.Fatal(err)
		}
		b.Field(5).(*array.Int32Builder).Append(r.u)
	}
	return b.NewRecordBatch()
}

// nullsCmp places NULLs; ok is false when both are present.
func nullsCmp(aNull, bNull bool, k plan.SortKey) (int, bool) {
	switch {
	case aNull && bNull:
		return 0, true
	case aNull:
		if k.NullsFirst {
			return -1, true
		}
		return 1, true
	case bNull:
		if k.NullsFirst {
			return 1, true
		}
		return -1, true
	}
	return 0, false
}

// floatRank orders floats the Spark way without the code under test: NaN above all.
func floatOracle(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0 // includes -0 == 0
}

func sortRowCmp(a, b sortRow, keys []plan.SortKey) int {
	for _, k := range keys {
		var r int
		var done bool
		switch k.Column {
		case "i":
			if r, done = nullsCmp(a.i == nil, b.i == nil, k); !done {
				r = cmpInt(*a.i, *b.i)
			}
		case "f":
			if r, done = nullsCmp(a.f == nil, b.f == nil, k); !done {
				r = floatOracle(*a.f, *b.f)
			}
		case "s":
			if r, done = nullsCmp(a.s == nil, b.s == nil, k); !done {
				r = strings.Compare(*a.s, *b.s)
			}
		case "d":
			if r, done = nullsCmp(a.d == nil, b.d == nil, k); !done {
				r = strings.Compare(*a.d, *b.d)
			}
		case "u":
			r = cmpInt(int64(a.u), int64(b.u))
		}
		if !done && k.Descending {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// drainSort runs op to the end and returns the output rows' ids, checking every output
// column against the input row of that id.
func drainSort(t *testing.T, op colop.Operator, byID map[int64]sortRow, maxRows int) ([]int64, error) {
	t.Helper()
	if err := op.Open(context.Background()); err != nil {
		return nil, err
	}
	var ids []int64
	for {
		rec, err := op.Next()
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		if maxRows > 0 && rec.NumRows() > int64(maxRows) {
			t.Errorf("batch of %d rows, at most %d allowed", rec.NumRows(), maxRows)
		}
		if !rec.Schema().Equal(sortSchema) {
			t.Fatalf("output schema %s", rec.Schema())
		}
		idc := rec.Column(0).(*array.Int64)
		for r := range int(rec.NumRows()) {
			id := idc.Value(r)
			ids = append(ids, id)
			want := byID[id]
			checkSortCell(t, rec, r, want)
		}
		rec.Release()
	}
}

func checkSortCell(t *testing.T, rec arrow.RecordBatch, r int, want sortRow) {
	t.Helper()
	got := fmt.Sprint(
		valStr(rec.Column(1), r), valStr(rec.Column(2), r), valStr(rec.Column(3), r),
		valStr(rec.Column(4), r), valStr(rec.Column(5), r))
	w := fmt.Sprint(ptrStr(want.i), ptrStr(want.f), ptrStr(want.s), ptrStr(want.d), want.u)
	if got != w {
		t.Fatalf("row id %d: got %s, want %s", want.id, got, w)
	}
}

func valStr(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "<nil>"
	}
	switch a := a.(type) {
	case *array.Int64:
		return fmt.Sprint(a.Value(i))
	case *array.Int32:
		return fmt.Sprint(a.Value(i))
	case *array.Float64:
		return fmt.Sprint(math.Float64bits(a.Value(i)))
	case *array.String:
		return fmt.Sprintf("%q", a.Value(i))
	case *array.Dictionary:
		return fmt.Sprintf("%q", a.Dictionary().(*array.String).Value(a.GetValueIndex(i)))
	}
	return "?"
}

func ptrStr[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	switch v := any(*p).(type) {
	case float64:
		return fmt.Sprint(math.Float64bits(v))
	case string:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprint(*p)
}

// sortCase builds the input batches (random sizes, including empty and one-row ones).
func sortCase(t *testing.T, mem memory.Allocator, rng *rand.Rand, total int) ([]sortRow, []arrow.RecordBatch) {
	var rows []sortRow
	var batches []arrow.RecordBatch
	for len(rows) < total {
		n := min(total-len(rows), []int{0, 1, 3, 50, 200}[rng.IntN(5)])
		part := genSortRows(rng, len(rows), n)
		rows = append(rows, part...)
		batches = append(batches, buildSortBatch(t, mem, part))
	}
	return rows, batches
}

var sortKeyColumns = []string{"i", "f", "s", "d", "u"}

func randomSortKeys(rng *rand.Rand) []plan.SortKey {
	var keys []plan.SortKey
	for _, c := range rng.Perm(len(sortKeyColumns))[:1+rng.IntN(3)] {
		keys = append(keys, plan.SortKey{Column: sortKeyColumns[c], Descending: rng.IntN(2) == 0, NullsFirst: rng.IntN(2) == 0})
	}
	return keys
}

func TestSortAgainstOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := range 120 {
		mem := memtest.Checked()
		total := []int{0, 1, 2, 40, 700, 2000}[iter%6]
		rows, batches := sortCase(t, mem, rng, total)
		keys := randomSortKeys(rng)
		var limit int64
		if iter%2 == 1 {
			limit = []int64{1, 3, 10, 64, int64(total), int64(total) + 5}[rng.IntN(6)]
			if limit == 0 {
				limit = 1
			}
		}
		byID := make(map[int64]sortRow, len(rows))
		for _, r := range rows {
			byID[r.id] = r
		}
		want := append([]sortRow(nil), rows...)
		sort.SliceStable(want, func(a, b int) bool { return sortRowCmp(want[a], want[b], keys) < 0 })
		if limit > 0 && int64(len(want)) > limit {
			want = want[:limit]
		}
		res := &exectest.FakeReservation{Limit: 1 << 40}
		op := NewSort(&exectest.Source{Batches: batches}, &plan.PSort{Keys: keys, Limit: limit}, colop.Options{Mem: mem}.WithReservation(res))
		op.batchRows = []int{0, 1, 7, 100}[rng.IntN(4)]
		op.topMergeRows = []int{0, 1, 16}[rng.IntN(3)]
		what := fmt.Sprintf("iter %d: %d rows, keys %v, limit %d, batch rows %d, merge rows %d",
			iter, total, keys, limit, op.batchRows, op.topMergeRows)
		got, err := drainSort(t, op, byID, op.batchRows)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k].id {
				t.Fatalf("%s: row %d is id %d, want id %d", what, k, got[k], want[k].id)
			}
		}
		if res.Held != 0 || !res.Freed {
			t.Errorf("%s: reservation holds %d after the output (freed %v)", what, res.Held, res.Freed)
		}
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
		mem.AssertSize(t, 0)
	}
}

// TestSortStable sorts rows whose keys are all equal (including all NULL): the output is
// the input order, for the full sort and the top-N.
func TestSortStable(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, limit := range []int64{0, 5, 300} {
		var batches []arrow.RecordBatch
		byID := map[int64]sortRow{}
		id := 0
		for _, n := range []int{100, 0, 1, 150} {
			rows := make([]sortRow, n)
			for k := range rows {
				rows[k] = sortRow{id: int64(id), u: 1}
				byID[int64(id)] = rows[k]
				id++
			}
			batches = append(batches, buildSortBatch(t, mem, rows))
		}
		keys := []plan.SortKey{{Column: "u", Descending: true}, {Column: "s"}, {Column: "f", NullsFirst: true}}
		op := NewSort(&exectest.Source{Batches: batches}, &plan.PSort{Keys: keys, Limit: limit}, colop.Options{Mem: mem})
		op.topMergeRows = 1
		got, err := drainSort(t, op, byID, 8192)
		if err != nil {
			t.Fatal(err)
		}
		n := 251
		if limit > 0 {
			n = min(n, int(limit))
		}
		if len(got) != n {
			t.Fatalf("limit %d: %d rows, want %d", limit, len(got), n)
		}
		for k, x := range got {
			if x != int64(k) {
				t.Fatalf("limit %d: row %d is id %d: equal keys lost their input order", limit, k, x)
			}
		}
		op.Close()
	}
}

func TestSortEmptyInput(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, limit := range []int64{0, 3} {
		for _, batches := range [][]arrow.RecordBatch{nil, {buildSortBatch(t, mem, nil), buildSortBatch(t, mem, nil)}} {
			op := NewSort(&exectest.Source{Batches: batches}, &plan.PSort{Keys: []plan.SortKey{{Column: "i"}}, Limit: limit}, colop.Options{Mem: mem})
			got, err := drainSort(t, op, nil, 0)
			if err != nil || len(got) != 0 {
				t.Errorf("limit %d: %v rows, err %v", limit, got, err)
			}
			if _, err := op.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next after the end: %v", err)
			}
			op.Close()
			op.Close()
		}
	}
}

func TestSortReservationRefused(t *testing.T) {
	for _, limit := range []int64{0, 1000} {
		mem := memtest.Checked()
		rng := rand.New(rand.NewPCG(1, 1))
		_, batches := sortCase(t, mem, rng, 5000)
		res := &exectest.FakeReservation{Limit: 20_000}
		op := NewSort(&exectest.Source{Batches: batches}, &plan.PSort{Keys: []plan.SortKey{{Column: "s"}}, Limit: limit}, colop.Options{Mem: mem}.WithReservation(res))
		_, err := drainSort(t, op, nil, 0)
		if !errors.Is(err, exectest.ErrFakeBudget) || !strings.Contains(err.Error(), "exec: sort") {
			t.Fatalf("limit %d: err = %v, want the reservation's error wrapped", limit, err)
		}
		if _, err2 := op.Next(); !errors.Is(err2, exectest.ErrFakeBudget) {
			t.Errorf("Next after failure: %v", err2)
		}
		op.Close()
		if !res.Freed || res.Held != 0 {
			t.Errorf("reservation not freed: held %d", res.Held)
		}
		mem.AssertSize(t, 0)
	}
}

func TestSortErrors(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := genSortRows(rand.New(rand.NewPCG(2, 2)), 0, 3)
	for _, node := range []*plan.PSort{
		{Keys: []plan.SortKey{{Column: "nope"}}},
		{Keys: []plan.SortKey{{Column: "nope"}}, Limit: 2},
	} {
		op := NewSort(&exectest.Source{Batches: []arrow.RecordBatch{buildSortBatch(t, mem, rows)}}, node, colop.Options{Mem: mem})
		if _, err := drainSort(t, op, nil, 0); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("unknown key: err = %v", err)
		}
		op.Close()
	}
	op := NewSort(&exectest.Source{}, &plan.PSort{}, colop.Options{Mem: mem})
	if err := op.Open(context.Background()); err == nil {
		t.Error("no keys: Open succeeded")
	}
	op.Close()
	if _, err := op.Next(); err == nil {
		t.Error("Next after Close: no error")
	}
}

func int64SortInput(b *testing.B, n int) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(9, 9))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	var out []arrow.RecordBatch
	for first := 0; first < n; first += 8192 {
		m := min(8192, n-first)
		kb := array.NewInt64Builder(memory.DefaultAllocator)
		vb := array.NewFloat64Builder(memory.DefaultAllocator)
		for range m {
			kb.Append(rng.Int64())
			vb.Append(rng.Float64())
		}
		k, v := kb.NewArray(), vb.NewArray()
		out = append(out, array.NewRecordBatch(schema, []arrow.Array{k, v}, int64(m)))
		k.Release()
		v.Release()
		kb.Release()
		vb.Release()
	}
	return out
}

func benchSort(b *testing.B, limit int64) {
	const n = 1_000_000
	input := int64SortInput(b, n)
	defer func() {
		for _, r := range input {
			r.Release()
		}
	}()
	node := &plan.PSort{Keys: []plan.SortKey{{Column: "k"}}, Limit: limit}
	b.ResetTimer()
	for b.Loop() {
		for _, r := range input {
			r.Retain()
		}
		op := NewSort(&exectest.Source{Batches: append([]arrow.RecordBatch(nil), input...)}, node, colop.Options{Mem: memory.DefaultAllocator})
		if err := op.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := op.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				b.Fatal(err)
			}
			rec.Release()
		}
		op.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkSortInt64(b *testing.B) { benchSort(b, 0) }

func BenchmarkTopN(b *testing.B) { benchSort(b, 100) }

// TestTopNTinyBatchesHoldLimitRows feeds a top-N one-row batches, as slices of one large
// batch (each carries the parent's buffers) and as batches of their own (each carries
// padded buffers): it must hold O(limit) rows, not the candidates' buffers until a
// batch's worth of rows has arrived, so it finishes within a budget far below the input.
func TestTopNTinyBatchesHoldLimitRows(t *testing.T) {
	const n, limit = 3000, 7
	keys := []plan.SortKey{{Column: "i"}, {Column: "s", Descending: true}}
	for _, sliced := range []bool{true, false} {
		mem := memtest.Checked()
		rng := rand.New(rand.NewPCG(9, 9))
		rows := genSortRows(rng, 0, n)
		var batches []arrow.RecordBatch
		if sliced {
			parent := buildSortBatch(t, mem, rows)
			for i := range n {
				batches = append(batches, parent.NewSlice(int64(i), int64(i+1)))
			}
			parent.Release()
		} else {
			for i := range n {
				batches = append(batches, buildSortBatch(t, mem, rows[i:i+1]))
			}
		}
		byID := make(map[int64]sortRow, n)
		for _, r := range rows {
			byID[r.id] = r
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(a, b sortRow) int { return sortRowCmp(a, b, keys) })
		res := &exectest.LimitReservation{Limit: 64 << 10}
		op := NewSort(&exectest.Source{Batches: batches}, &plan.PSort{Keys: keys, Limit: limit}, colop.Options{Mem: mem}.WithReservation(res))
		ids, err := drainSort(t, op, byID, 0)
		if err != nil {
			t.Fatalf("sliced %v: %v", sliced, err)
		}
		if len(ids) != limit {
			t.Fatalf("sliced %v: %d rows, want %d", sliced, len(ids), limit)
		}
		for i, id := range ids {
			if id != want[i].id {
				t.Errorf("sliced %v: row %d is id %d, want %d", sliced, i, id, want[i].id)
			}
		}
		op.Close()
		if res.Held != 0 {
			t.Errorf("sliced %v: %d bytes still reserved", sliced, res.Held)
		}
		mem.AssertSize(t, 0)
	}
}
