package hashjoin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
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

var hjAllKinds = []plan.JoinKind{plan.InnerJoin, plan.LeftJoin, plan.RightJoin, plan.FullJoin, plan.LeftSemiJoin, plan.LeftAntiJoin}

var hjDictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// hjOutSchema is the join's output schema as the planner makes it: left columns, then
// (except semi/anti) right columns, a clashing right name suffixed.
func hjOutSchema(left, right *arrow.Schema, kind plan.JoinKind) *arrow.Schema {
	fields := append([]arrow.Field(nil), left.Fields()...)
	if kind == plan.LeftSemiJoin || kind == plan.LeftAntiJoin {
		return arrow.NewSchema(fields, nil)
	}
	for _, f := range right.Fields() {
		if len(left.FieldIndices(f.Name)) > 0 {
			f.Name += plan.RightSuffix
		}
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil)
}

// hjValue makes a test value of type dt from a small integer (nil stays NULL).
func hjValue(dt arrow.DataType, v int) any {
	switch dt.ID() {
	case arrow.INT64:
		return int64(v)
	case arrow.INT32:
		return int32(v)
	case arrow.UINT32:
		return uint32(v)
	case arrow.FLOAT64:
		floats := []float64{0, math.Copysign(0, -1), math.NaN(), 1.5, -2.25, math.Inf(1), 3, math.NaN()}
		return floats[v%len(floats)]
	case arrow.STRING, arrow.DICTIONARY:
		return fmt.Sprintf("s%d", v)
	}
	panic("hjValue: " + dt.String())
}

// hjGenRows makes n rows of schema: key columns (named in keys) drawn from [lo, hi) with
// about 10% NULLs, other columns unique payloads.
func hjGenRows(rng *rand.Rand, schema *arrow.Schema, keys []string, n, lo, hi int, tag string) [][]any {
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[k] = true
	}
	rows := make([][]any, n)
	for i := range rows {
		row := make([]any, schema.NumFields())
		for c, f := range schema.Fields() {
			switch {
			case isKey[f.Name] && rng.IntN(10) == 0:
				row[c] = nil
			case isKey[f.Name]:
				row[c] = hjValue(f.Type, lo+rng.IntN(hi-lo))
			case f.Type.ID() == arrow.STRING:
				row[c] = fmt.Sprintf("%s%d", tag, i)
			default:
				row[c] = hjValue(f.Type, i)
			}
		}
		rows[i] = row
	}
	return rows
}

// hjSplit cuts rows into batches: "none" (no batch), "zero" (one empty batch), "one",
// "single-row", or "multi" (random sizes, empty batches among them).
func hjSplit(rng *rand.Rand, rows [][]any, mode string) [][][]any {
	switch mode {
	case "none":
		return nil
	case "zero":
		return [][][]any{{}}
	case "one":
		return [][][]any{rows}
	case "single-row":
		var parts [][][]any
		for _, r := range rows {
			parts = append(parts, [][]any{r})
		}
		return parts
	}
	parts := [][][]any{{}}
	for len(rows) > 0 {
		n := min(len(rows), rng.IntN(40))
		parts = append(parts, rows[:n])
		rows = rows[n:]
	}
	return parts
}

func hjBatches(t testing.TB, mem memory.Allocator, schema *arrow.Schema, parts [][][]any) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(parts))
	for i, p := range parts {
		out[i] = exectest.BuildBatch(t, mem, schema, p)
	}
	return out
}

// hjKeyEqual is the oracle's key equality: NULL never matches, integers by value, floats
// with NaN = NaN and -0 = 0, strings by value.
func hjKeyEqual(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case string:
		return x == b.(string)
	}
	return exectest.ToInt64(a) == exectest.ToInt64(b)
}

// hjOracle joins by nested loops.
func hjOracle(left, right [][]any, lk, rk []int, nl, nr int, kind plan.JoinKind) [][]any {
	match := func(l, r []any) bool {
		for i := range lk {
			if !hjKeyEqual(l[lk[i]], r[rk[i]]) {
				return false
			}
		}
		return true
	}
	var out [][]any
	rightMatched := make([]bool, len(right))
	for _, l := range left {
		found := false
		for j, r := range right {
			if !match(l, r) {
				continue
			}
			found = true
			rightMatched[j] = true
			if kind != plan.LeftSemiJoin && kind != plan.LeftAntiJoin {
				out = append(out, append(append([]any(nil), l...), r...))
			}
		}
		switch {
		case kind == plan.LeftSemiJoin && found, kind == plan.LeftAntiJoin && !found:
			out = append(out, l)
		case !found && (kind == plan.LeftJoin || kind == plan.FullJoin):
			out = append(out, append(append([]any(nil), l...), make([]any, nr)...))
		}
	}
	if kind == plan.RightJoin || kind == plan.FullJoin {
		for j, r := range right {
			if !rightMatched[j] {
				out = append(out, append(make([]any, nl), r...))
			}
		}
	}
	return out
}

// hjRowKeys renders rows for multiset comparison, sorted.
func hjRowKeys(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for c, v := range r {
			parts[c] = exectest.NormKey(v)
		}
		out[i] = strings.Join(parts, "|")
	}
	sort.Strings(out)
	return out
}

type hjCase struct {
	name           string
	left, right    *arrow.Schema
	lkeys, rkeys   []string
	lrange, rrange [2]int
}

func hjCases() []hjCase {
	f := func(name string, dt arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: true}
	}
	i64, i32, f64, str := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String
	return []hjCase{
		{"int64", arrow.NewSchema([]arrow.Field{f("k", i64), f("lv", str)}, nil),
			arrow.NewSchema([]arrow.Field{f("k", i64), f("rv", str)}, nil), []string{"k"}, []string{"k"}, [2]int{0, 12}, [2]int{4, 16}},
		{"int32-int64", arrow.NewSchema([]arrow.Field{f("lv", str), f("a", i32)}, nil),
			arrow.NewSchema([]arrow.Field{f("b", i64), f("rv", str), f("rn", f64)}, nil), []string{"a"}, []string{"b"}, [2]int{-3, 9}, [2]int{0, 14}},
		{"dict-string", arrow.NewSchema([]arrow.Field{f("s", hjDictString), f("lv", str)}, nil),
			arrow.NewSchema([]arrow.Field{f("s", str), f("rv", str)}, nil), []string{"s"}, []string{"s"}, [2]int{0, 10}, [2]int{5, 15}},
		{"string-dict", arrow.NewSchema([]arrow.Field{f("s", str), f("lv", i64)}, nil),
			arrow.NewSchema([]arrow.Field{f("t", hjDictString), f("rv", str)}, nil), []string{"s"}, []string{"t"}, [2]int{0, 10}, [2]int{5, 15}},
		{"float-nan", arrow.NewSchema([]arrow.Field{f("x", f64), f("lv", str)}, nil),
			arrow.NewSchema([]arrow.Field{f("y", f64), f("rv", str)}, nil), []string{"x"}, []string{"y"}, [2]int{0, 6}, [2]int{1, 8}},
		{"two-keys", arrow.NewSchema([]arrow.Field{f("a", i64), f("lv", str), f("s", str)}, nil),
			arrow.NewSchema([]arrow.Field{f("s", hjDictString), f("a", i32), f("rv", str)}, nil), []string{"a", "s"}, []string{"a", "s"}, [2]int{0, 4}, [2]int{1, 5}},
	}
}

// hjRun runs the join to the end; it checks the output schema and batch sizes.
func hjRun(t *testing.T, mem memory.Allocator, left, right []arrow.RecordBatch, node *plan.PHashJoin, batchRows int, res colop.Reservation) ([][]any, error) {
	t.Helper()
	op := NewHashJoin(&exectest.Source{Batches: left}, &exectest.Source{Batches: right}, node, colop.Options{Mem: mem}.WithReservation(res))
	op.batchRows = batchRows
	defer func() {
		if err := op.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := op.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}()
	out, err := exectest.Drain(t, op)
	if err != nil {
		return nil, err
	}
	for _, b := range out {
		if !b.Schema().Equal(node.OutSchema) {
			t.Errorf("batch schema %s, want %s", b.Schema(), node.OutSchema)
		}
		if limit := max(batchRows, 0); limit > 0 && b.NumRows() > int64(limit) || b.NumRows() > colop.DefaultBatchRows {
			t.Errorf("batch of %d rows, limit %d", b.NumRows(), batchRows)
		}
	}
	if _, err := op.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next after EOF: %v", err)
	}
	return exectest.RowsOf(t, out), nil
}

func hjKeyIndices(t testing.TB, s *arrow.Schema, keys []string) []int {
	var idx []int
	for _, k := range keys {
		i := s.FieldIndices(k)
		if len(i) == 0 {
			t.Fatalf("no column %q", k)
		}
		idx = append(idx, i[0])
	}
	return idx
}

func TestHashJoinAgainstOracle(t *testing.T) {
	modes := [][2]string{
		{"multi", "multi"}, {"one", "single-row"}, {"single-row", "one"},
		{"none", "multi"}, {"multi", "none"}, {"none", "none"}, {"zero", "multi"}, {"multi", "zero"},
	}
	for ci, c := range hjCases() {
		for mi, m := range modes {
			for _, kind := range hjAllKinds {
				for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
					side := map[plan.BuildSide]string{plan.BuildRight: "build=right", plan.BuildLeft: "build=left"}[build]
					name := fmt.Sprintf("%s/%s-%s/%s/%s", c.name, m[0], m[1], kind, side)
					t.Run(name, func(t *testing.T) {
						mem := memtest.Checked()
						defer mem.AssertSize(t, 0)
						rng := rand.New(rand.NewPCG(uint64(ci), uint64(mi)))
						lrows := hjGenRows(rng, c.left, c.lkeys, 60+rng.IntN(40), c.lrange[0], c.lrange[1], "l")
						rrows := hjGenRows(rng, c.right, c.rkeys, 50+rng.IntN(40), c.rrange[0], c.rrange[1], "r")
						lparts, rparts := hjSplit(rng, lrows, m[0]), hjSplit(rng, rrows, m[1])
						lrows, rrows = nil, nil
						for _, p := range lparts {
							lrows = append(lrows, p...)
						}
						for _, p := range rparts {
							rrows = append(rrows, p...)
						}
						node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: build,
							OutSchema: hjOutSchema(c.left, c.right, kind)}
						want := hjOracle(lrows, rrows, hjKeyIndices(t, c.left, c.lkeys), hjKeyIndices(t, c.right, c.rkeys),
							c.left.NumFields(), c.right.NumFields(), kind)
						for _, batchRows := range []int{0, 7} {
							res := &exectest.FakeReservation{Limit: 1 << 40}
							got, err := hjRun(t, mem, hjBatches(t, mem, c.left, lparts), hjBatches(t, mem, c.right, rparts), node, batchRows, res)
							if err != nil {
								t.Fatal(err)
							}
							if res.Held != 0 || !res.Freed {
								t.Errorf("reservation after Close: held %d freed %v", res.Held, res.Freed)
							}
							g, w := hjRowKeys(got), hjRowKeys(want)
							if strings.Join(g, "\n") != strings.Join(w, "\n") {
								t.Fatalf("batchRows=%d: got %d rows, want %d\ngot:\n%s\nwant:\n%s", batchRows, len(g), len(w),
									strings.Join(g, "\n"), strings.Join(w, "\n"))
							}
						}
					})
				}
			}
		}
	}
}

// TestHashJoinHeavyDuplicates checks a many-to-many key whose cross product spans many
// output batches.
func TestHashJoinHeavyDuplicates(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	c := hjCases()[0]
	var lrows, rrows [][]any
	for i := range 300 {
		lrows = append(lrows, []any{int64(i % 3), fmt.Sprintf("l%d", i)})
	}
	for i := range 200 {
		rrows = append(rrows, []any{int64(i % 2), fmt.Sprintf("r%d", i)})
	}
	for _, kind := range []plan.JoinKind{plan.InnerJoin, plan.FullJoin} {
		for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
			node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: kind, Build: build,
				OutSchema: hjOutSchema(c.left, c.right, kind)}
			got, err := hjRun(t, mem, hjBatches(t, mem, c.left, [][][]any{lrows[:150], lrows[150:]}),
				hjBatches(t, mem, c.right, [][][]any{rrows}), node, 1000, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := hjOracle(lrows, rrows, []int{0}, []int{0}, 2, 2, kind)
			if len(got) != len(want) {
				t.Fatalf("%s: %d rows, want %d", kind, len(got), len(want))
			}
			if strings.Join(hjRowKeys(got), "\n") != strings.Join(hjRowKeys(want), "\n") {
				t.Fatalf("%s build=%d: rows differ", kind, build)
			}
		}
	}
}

func TestHashJoinReservationRefused(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	c := hjCases()[0]
	rows := exectest.ManyGroupRows(50000)
	var parts [][][]any
	for len(rows) > 0 {
		n := min(1000, len(rows))
		parts = append(parts, rows[:n])
		rows = rows[n:]
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "rv", Type: arrow.BinaryTypes.String}}, nil)
	node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: plan.InnerJoin, Build: plan.BuildRight,
		OutSchema: hjOutSchema(c.left, schema, plan.InnerJoin)}
	res := &exectest.FakeReservation{Limit: 1 << 20}
	left := hjBatches(t, mem, c.left, [][][]any{{{int64(1), "a"}}})
	op := NewHashJoin(&exectest.Source{Batches: left}, &exectest.Source{Batches: hjBatches(t, mem, schema, parts)}, node, colop.Options{Mem: mem}.WithReservation(res))
	out, err := exectest.Drain(t, op)
	for _, b := range out {
		b.Release()
	}
	if !errors.Is(err, exectest.ErrFakeBudget) {
		t.Fatalf("err = %v, want one wrapping the reservation's", err)
	}
	if _, err2 := op.Next(); !errors.Is(err2, exectest.ErrFakeBudget) {
		t.Errorf("Next after failure: %v", err2)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	if !res.Freed || res.Held != 0 {
		t.Errorf("reservation not freed: held %d freed %v", res.Held, res.Freed)
	}
}

func TestHashJoinErrors(t *testing.T) {
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	ls := arrow.NewSchema([]arrow.Field{{Name: "k", Type: i64}}, nil)
	rs := arrow.NewSchema([]arrow.Field{{Name: "k", Type: str}}, nil)
	cases := []struct {
		name string
		node *plan.PHashJoin
		want string
	}{
		{"type mismatch", &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, OutSchema: hjOutSchema(ls, rs, plan.InnerJoin)}, "is integer but right key"},
		{"missing key", &plan.PHashJoin{LeftKeys: []string{"nope"}, RightKeys: []string{"k"}, OutSchema: hjOutSchema(ls, rs, plan.InnerJoin)}, "no key column"},
		{"key count", &plan.PHashJoin{LeftKeys: []string{"k"}, OutSchema: ls}, "left keys"},
		{"wrong out schema", &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, OutSchema: ls}, "output"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			left := hjBatches(t, mem, ls, [][][]any{{{int64(1)}}, {{int64(2)}}})
			right := hjBatches(t, mem, rs, [][][]any{{{"1"}}})
			op := NewHashJoin(&exectest.Source{Batches: left}, &exectest.Source{Batches: right}, c.node, colop.Options{Mem: mem})
			out, err := exectest.Drain(t, op)
			for _, b := range out {
				b.Release()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "exec: ") {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
			if err := op.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestHashJoinInputErrorAndLifecycle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	c := hjCases()[0]
	node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: plan.LeftJoin, OutSchema: hjOutSchema(c.left, c.right, plan.LeftJoin)}
	boom := errors.New("boom")
	left := &exectest.Source{Batches: hjBatches(t, mem, c.left, [][][]any{{{int64(1), "a"}}}), Err: boom}
	right := &exectest.Source{Batches: hjBatches(t, mem, c.right, [][][]any{{{int64(1), "b"}}})}
	op := NewHashJoin(left, right, node, colop.Options{Mem: mem})
	if _, err := op.Next(); err == nil {
		t.Error("Next before Open succeeded")
	}
	out, err := exectest.Drain(t, op)
	for _, b := range out {
		b.Release()
	}
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	op.Close()
	op.Close()
	if !left.Closed || !right.Closed {
		t.Error("inputs not closed")
	}
	// Close without Open.
	l2 := &exectest.Source{Batches: hjBatches(t, mem, c.left, [][][]any{{{int64(1), "a"}}})}
	r2 := &exectest.Source{}
	if err := NewHashJoin(l2, r2, node, colop.Options{Mem: mem}).Close(); err != nil || !l2.Closed {
		t.Errorf("Close without Open: %v closed=%v", err, l2.Closed)
	}
}

// hjReplaySource hands out the same batches on every run, retained.
type hjReplaySource struct {
	batches []arrow.RecordBatch
	pos     int
}

func (s *hjReplaySource) Open(context.Context) error { s.pos = 0; return nil }
func (s *hjReplaySource) Close() error               { return nil }
func (s *hjReplaySource) Next() (arrow.RecordBatch, error) {
	if s.pos >= len(s.batches) {
		return nil, io.EOF
	}
	b := s.batches[s.pos]
	s.pos++
	b.Retain()
	return b, nil
}

func hjBenchBatches(mem memory.Allocator, rows, batch int, key func(i int) int64) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var out []arrow.RecordBatch
	for lo := 0; lo < rows; lo += batch {
		n := min(batch, rows-lo)
		kb, vb := array.NewInt64Builder(mem), array.NewInt64Builder(mem)
		for i := lo; i < lo+n; i++ {
			kb.Append(key(i))
			vb.Append(int64(i))
		}
		k, v := kb.NewArray(), vb.NewArray()
		out = append(out, array.NewRecordBatch(schema, []arrow.Array{k, v}, int64(n)))
		k.Release()
		v.Release()
		kb.Release()
		vb.Release()
	}
	return out
}

func BenchmarkHashJoin(b *testing.B) {
	const probeRows, buildRows = 1_000_000, 100_000
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	probe := hjBenchBatches(mem, probeRows, 8192, func(int) int64 { return int64(rng.IntN(2 * buildRows)) })
	build := hjBenchBatches(mem, buildRows, 8192, func(i int) int64 { return int64(i) })
	schema := probe[0].Schema()
	node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: plan.InnerJoin, Build: plan.BuildRight,
		OutSchema: hjOutSchema(schema, schema, plan.InnerJoin)}
	b.ResetTimer()
	var outRows int64
	for range b.N {
		op := NewHashJoin(&hjReplaySource{batches: probe}, &hjReplaySource{batches: build}, node, colop.Options{Mem: mem})
		if err := op.Open(context.Background()); err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := op.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			outRows += rec.NumRows()
			rec.Release()
		}
		op.Close()
	}
	b.ReportMetric(float64(probeRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(outRows)/float64(b.N), "out-rows/op")
}
