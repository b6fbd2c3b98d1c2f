package window

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

var winDict = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// The input: partition key p (dictionary strings, NULLs), order key o (NULLs, ties),
// values i, f (NaN, infinities), s, and d, lag/lead's default.
var winSchema = arrow.NewSchema([]arrow.Field{
	{Name: "p", Type: winDict, Nullable: true},
	{Name: "o", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

const (
	cP = iota
	cO
	cI
	cF
	cS
	cD
)

var winFloats = []float64{1.5, -2.5, 0.25, 7, 100, math.NaN(), math.Inf(1), math.Inf(-1)}

// genWinRows makes rows over partitions of very different sizes (one row, a few, many).
func genWinRows(rng *rand.Rand, n int) [][]any {
	parts := []any{nil, "a", "b", "c", "single", "e"}
	rows := make([][]any, 0, n+1)
	orNull := func(v any) any {
		if rng.IntN(6) == 0 {
			return nil
		}
		return v
	}
	for range n {
		p := parts[rng.IntN(len(parts)-1)]
		if p == "single" {
			p = "a"
		}
		rows = append(rows, []any{p, orNull(int64(rng.IntN(12))), orNull(int64(rng.IntN(200) - 100)),
			orNull(winFloats[rng.IntN(len(winFloats))]), orNull(fmt.Sprintf("s%02d", rng.IntN(30))), orNull(int64(-rng.IntN(5)))})
	}
	return append(rows, []any{"single", int64(3), int64(5), 2.5, "x", nil})
}

func cmpKey(a, b any, desc, nullsFirst bool) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil == nullsFirst:
			return -1
		}
		return 1
	}
	var r int
	switch x := a.(type) {
	case string:
		r = cmp.Compare(x, b.(string))
	case int64:
		r = cmp.Compare(x, b.(int64))
	}
	if desc {
		return -r
	}
	return r
}

func cmpValue(a, b any) int { // for min/max: NaN above every number
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		if math.IsNaN(x) || math.IsNaN(y) {
			return cmp.Compare(btoi(math.IsNaN(x)), btoi(math.IsNaN(y)))
		}
		return cmp.Compare(x, y)
	case int64:
		return cmp.Compare(x, b.(int64))
	}
	return cmp.Compare(a.(string), b.(string))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func wexpr(f plan.WindowFuncKind, name string, frame plan.WindowFrame, args ...string) plan.WindowExpr {
	fn := &plan.WindowFunc{Func: f}
	for _, a := range args {
		fn.Args = append(fn.Args, &plan.ColumnRef{Name: a})
	}
	return plan.WindowExpr{Fn: fn, Name: name, Frame: frame}
}

func aggExpr(f plan.AggFunc, arg, name string, frame plan.WindowFrame) plan.WindowExpr {
	fn := &plan.WindowFunc{Func: plan.WinAgg, Agg: plan.AggExpr{Func: f}}
	if arg != "" {
		fn.Agg.Arg = &plan.ColumnRef{Name: arg}
	}
	return plan.WindowExpr{Fn: fn, Name: name, Frame: frame}
}

func rows(s, e int64) plan.WindowFrame {
	return plan.WindowFrame{Kind: plan.FrameRows, Start: s, End: e}
}
func rangeF(s, e int64) plan.WindowFrame {
	return plan.WindowFrame{Kind: plan.FrameRange, Start: s, End: e}
}

const (
	unbP = plan.UnboundedPreceding
	unbF = plan.UnboundedFollowing
)

// winExprs covers every function and frame kind.
func winExprs() []plan.WindowExpr {
	def := rangeF(unbP, 0)
	es := []plan.WindowExpr{
		wexpr(plan.WinRowNumber, "rn", def), wexpr(plan.WinRank, "rk", def), wexpr(plan.WinDenseRank, "drk", def),
		wexpr(plan.WinPercentRank, "pr", def), wexpr(plan.WinCumeDist, "cd", def),
		wexpr(plan.WinNTile, "nt", def), wexpr(plan.WinLag, "lag", def, "i", "d"), wexpr(plan.WinLag, "lag2", def, "s"),
		wexpr(plan.WinLead, "lead", def, "i", "d"),
		wexpr(plan.WinFirstValue, "fv", def, "s"), wexpr(plan.WinLastValue, "lv", rows(-1, 1), "s"),
		wexpr(plan.WinNthValue, "nv", rows(unbP, unbF), "f"), wexpr(plan.WinLastValue, "lvn", rangeF(-2, 2), "i"),
		wexpr(plan.WinNthValue, "nvn", rows(-3, 0), "i"), wexpr(plan.WinFirstValue, "fvn", rangeF(0, unbF), "f"),
		aggExpr(plan.AggSum, "i", "sum_i", def), aggExpr(plan.AggSum, "f", "sum_f", rows(-2, 0)),
		aggExpr(plan.AggMean, "f", "mean_f", rows(-1, 1)), aggExpr(plan.AggCount, "i", "cnt_i", rangeF(-2, 1)),
		aggExpr(plan.AggCountAll, "", "cnt", rows(1, 3)), aggExpr(plan.AggMin, "s", "min_s", rows(-2, 1)),
		aggExpr(plan.AggMax, "f", "max_f", rangeF(-3, 0)), aggExpr(plan.AggMin, "i", "min_i", rangeF(unbP, -1)),
		aggExpr(plan.AggFirst, "i", "first_i", rows(0, 2)), aggExpr(plan.AggMean, "i", "mean_i", rangeF(0, unbF)),
		aggExpr(plan.AggMax, "i", "max_i", rows(unbP, unbF)), aggExpr(plan.AggSum, "f", "sum_fr", rangeF(1, 4)),
		aggExpr(plan.AggMax, "s", "max_s", rows(2, 5)), aggExpr(plan.AggSum, "i", "sum_ip", rows(-3, -1)),
	}
	es[5].Fn.Offset = 3 // ntile(3)
	es[6].Fn.Offset = 1
	es[7].Fn.Offset = 2
	es[8].Fn.Offset = 1
	es[9].Fn.IgnoreNulls = false
	es[10].Fn.IgnoreNulls = true
	es[11].Fn.Offset = 2
	es[12].Fn.IgnoreNulls = true
	es[13].Fn.Offset = 2
	es[13].Fn.IgnoreNulls = true
	es[14].Fn.IgnoreNulls = true
	return es
}

func winNode(desc bool) *plan.PWindow {
	order := []plan.SortKey{{Column: "o", NullsFirst: true}}
	if desc {
		order = []plan.SortKey{{Column: "o", Descending: true}}
	}
	es := winExprs()
	fields := slices.Clone(winSchema.Fields())
	for _, e := range es {
		fields = append(fields, arrow.Field{Name: e.Name, Type: oracleType(e), Nullable: true})
	}
	return &plan.PWindow{PartitionBy: []string{"p"}, OrderBy: order, Exprs: es, OutSchema: arrow.NewSchema(fields, nil)}
}

func oracleType(e plan.WindowExpr) arrow.DataType {
	switch e.Fn.Func {
	case plan.WinRowNumber, plan.WinRank, plan.WinDenseRank, plan.WinNTile:
		return arrow.PrimitiveTypes.Int32
	case plan.WinPercentRank, plan.WinCumeDist:
		return arrow.PrimitiveTypes.Float64
	case plan.WinAgg:
		switch e.Fn.Agg.Func {
		case plan.AggCount, plan.AggCountAll:
			return arrow.PrimitiveTypes.Int64
		case plan.AggMean:
			return arrow.PrimitiveTypes.Float64
		}
		return winSchema.Field(winSchema.FieldIndices(e.Fn.Agg.Arg.(*plan.ColumnRef).Name)[0]).Type
	}
	return winSchema.Field(winSchema.FieldIndices(e.Fn.Args[0].(*plan.ColumnRef).Name)[0]).Type
}

// TestWindowOracle checks every function and frame kind, ascending and descending,
// against a plain-Go computation that sorts the rows and computes each row's frame from
// its definition, through the conformance harness (batch cuts, empty batches and inputs,
// early Close, checked allocator).
func TestWindowOracle(t *testing.T) {
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprintf("desc=%v", desc), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(btoi(desc))))
			in := genWinRows(rng, 150)
			node := winNode(desc)
			slices.SortStableFunc(in, func(a, b []any) int {
				if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
					return c
				}
				return cmpKey(a[cO], b[cO], desc, !desc)
			})
			want := oracle(in, node, desc)
			exectest.RunTests(t, []exectest.Input{exectest.Rows(winSchema, in)}, want,
				func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
					return NewWindow(ins[0], node, colop.Options{Mem: mem, BatchRows: 16}), nil
				})
		})
	}
}

// oracle computes the window columns of sorted rows naively: O(rows × partition).
func oracle(in [][]any, node *plan.PWindow, desc bool) [][]any {
	out := make([][]any, len(in))
	for ps := 0; ps < len(in); {
		pe := ps
		for pe < len(in) && cmpKey(in[pe][cP], in[ps][cP], false, true) == 0 {
			pe++
		}
		part := in[ps:pe]
		for r := range part {
			row := slices.Clone(part[r])
			for _, e := range node.Exprs {
				row = append(row, oracleValue(part, r, e, desc))
			}
			out[ps+r] = row
		}
		ps = pe
	}
	return out
}

func argCol(name string) int { return winSchema.FieldIndices(name)[0] }

func oracleValue(part [][]any, r int, e plan.WindowExpr, desc bool) any {
	ocmp := func(a, b int) int { return cmpKey(part[a][cO], part[b][cO], desc, !desc) }
	n := len(part)
	before, peersEnd, groups := 0, 0, 0
	for j := range part {
		if ocmp(j, r) < 0 {
			before++
		}
		if ocmp(j, r) <= 0 {
			peersEnd++
		}
		if j == 0 || ocmp(j, j-1) != 0 {
			if ocmp(j, r) <= 0 {
				groups++
			}
		}
	}
	fn := e.Fn
	switch fn.Func {
	case plan.WinRowNumber:
		return int32(r + 1)
	case plan.WinRank:
		return int32(before + 1)
	case plan.WinDenseRank:
		return int32(groups)
	case plan.WinPercentRank:
		if n == 1 {
			return 0.0
		}
		return float64(before) / float64(n-1)
	case plan.WinCumeDist:
		return float64(peersEnd) / float64(n)
	case plan.WinNTile:
		k := int(fn.Offset)
		// Spark: the first n%k buckets get one row more.
		size, extra := n/k, n%k
		b, start := 0, 0
		for {
			sz := size
			if b < extra {
				sz++
			}
			if r < start+sz {
				return int32(b + 1)
			}
			start += sz
			b++
		}
	case plan.WinLag, plan.WinLead:
		j := r - int(fn.Offset)
		if fn.Func == plan.WinLead {
			j = r + int(fn.Offset)
		}
		if j >= 0 && j < n {
			return part[j][argCol(fn.Args[0].(*plan.ColumnRef).Name)]
		}
		if len(fn.Args) > 1 {
			return part[r][argCol(fn.Args[1].(*plan.ColumnRef).Name)]
		}
		return nil
	}
	var frame []int
	for j := range part {
		if inFrame(part, r, j, e.Frame, desc, ocmp) {
			frame = append(frame, j)
		}
	}
	if fn.Func == plan.WinAgg {
		return oracleAgg(part, frame, fn.Agg)
	}
	c := argCol(fn.Args[0].(*plan.ColumnRef).Name)
	var vals []any
	for _, j := range frame {
		if !fn.IgnoreNulls || part[j][c] != nil {
			vals = append(vals, part[j][c])
		}
	}
	k := 0
	switch fn.Func {
	case plan.WinLastValue:
		k = len(vals) - 1
	case plan.WinNthValue:
		k = int(fn.Offset) - 1
	}
	if k < 0 || k >= len(vals) {
		return nil
	}
	return vals[k]
}

// inFrame reports whether row j is in row r's frame, from the frame's definition.
func inFrame(part [][]any, r, j int, f plan.WindowFrame, desc bool, ocmp func(a, b int) int) bool {
	if f.Kind == plan.FrameRows {
		return (f.Start == unbP || int64(j) >= int64(r)+f.Start) && (f.End == unbF || int64(j) <= int64(r)+f.End)
	}
	kr, kj := part[r][cO], part[j][cO]
	lower, upper := true, true
	switch {
	case f.Start == unbP:
	case f.Start == 0:
		lower = ocmp(j, r) >= 0
	case kr == nil: // NULL plus an offset is NULL, compared in the sort order
		lower = !desc || kj == nil
	case kj == nil: // NULL sorts before every value when NULLs come first
		lower = desc
	default:
		lower = (!desc && kj.(int64) >= kr.(int64)+f.Start || desc && kj.(int64) <= kr.(int64)-f.Start)
	}
	switch {
	case f.End == unbF:
	case f.End == 0:
		upper = ocmp(j, r) <= 0
	case kr == nil:
		upper = desc || kj == nil
	case kj == nil:
		upper = !desc
	default:
		upper = (!desc && kj.(int64) <= kr.(int64)+f.End || desc && kj.(int64) >= kr.(int64)-f.End)
	}
	return lower && upper
}

func oracleAgg(part [][]any, frame []int, a plan.AggExpr) any {
	if a.Func == plan.AggCountAll {
		return int64(len(frame))
	}
	c := argCol(a.Arg.(*plan.ColumnRef).Name)
	var vals []any
	for _, j := range frame {
		if part[j][c] != nil {
			vals = append(vals, part[j][c])
		}
	}
	if a.Func == plan.AggCount {
		return int64(len(vals))
	}
	if len(vals) == 0 {
		return nil
	}
	switch a.Func {
	case plan.AggFirst:
		return vals[0]
	case plan.AggMin:
		return slices.MinFunc(vals, cmpValue)
	case plan.AggMax:
		return slices.MaxFunc(vals, cmpValue)
	}
	var si int64
	var sf float64
	for _, v := range vals {
		switch x := v.(type) {
		case int64:
			si += x
			sf += float64(x)
		case float64:
			sf += x
		}
	}
	if a.Func == plan.AggMean {
		return sf / float64(len(vals))
	}
	if _, ok := vals[0].(int64); ok {
		return si
	}
	return sf
}

// TestRangeBoundsFloat checks RANGE offsets over a float key with NaN (above every
// number, a NaN row's frame its NaN peers), infinities and NULLs, both directions,
// against the frame's definition.
func TestRangeBoundsFloat(t *testing.T) {
	mem := memory.NewGoAllocator()
	keys := []any{nil, math.Inf(-1), -1.5, 0.0, 0.5, 1.0, 2.5, math.Inf(1), math.NaN(), math.NaN()}
	for _, desc := range []bool{false, true} {
		in := slices.Clone(keys)
		if desc {
			slices.Reverse(in)
		}
		rows := make([][]any, len(in))
		for i, k := range in {
			rows[i] = []any{k}
		}
		schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
		rec := exectest.BuildBatch(t, mem, schema, rows)
		o := &Op{node: &plan.PWindow{OrderBy: []plan.SortKey{{Column: "k", Descending: desc, NullsFirst: !desc}}}}
		o.full = binding{order: []int{0}}
		o.cur = &o.full
		l, err := o.layout(rec)
		if err != nil {
			t.Fatal(err)
		}
		f := plan.WindowFrame{Kind: plan.FrameRange, Start: -1, End: 1}
		b, err := o.frameBounds(rec, l, f)
		if err != nil {
			t.Fatal(err)
		}
		key := func(i int) float64 { return in[i].(float64) }
		for r := range in {
			var want []int
			for j := range in {
				var ok bool
				switch {
				case in[r] == nil || in[j] == nil:
					ok = in[r] == nil && in[j] == nil
				case math.IsNaN(key(r)) || math.IsNaN(key(j)):
					ok = math.IsNaN(key(r)) && math.IsNaN(key(j))
				case desc:
					ok = key(j) <= key(r)+1 && key(j) >= key(r)-1
				default:
					ok = key(j) >= key(r)-1 && key(j) <= key(r)+1
				}
				if ok {
					want = append(want, j)
				}
			}
			lo, hi := int(b.lo[r]), int(b.hi[r])
			got := []int{}
			for j := lo; j < hi; j++ {
				got = append(got, j)
			}
			if len(want) == 0 {
				want = []int{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("desc=%v row %d (key %v): frame %v, want %v", desc, r, in[r], got, want)
			}
		}
		rec.Release()
	}
}
