package hashagg

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// aggDecRow is one test row: a group key (nil: NULL) and an unscaled decimal value (nil:
// NULL).
type aggDecRow struct {
	k *int64
	v *big.Int
}

// aggDecBatches builds batches of k int64, dk decimal(12,2) (k as k.00, a decimal group
// key) and v of type vt from rows, batch rows at a time.
func aggDecBatches(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows []aggDecRow, batch int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for lo := 0; lo < len(rows); lo += batch {
		hi := min(lo+batch, len(rows))
		b := array.NewRecordBuilder(mem, schema)
		kb := b.Field(0).(*array.Int64Builder)
		db := b.Field(1).(*array.Decimal128Builder)
		vb := b.Field(2).(*array.Decimal128Builder)
		for _, r := range rows[lo:hi] {
			if r.k == nil {
				kb.AppendNull()
				db.AppendNull()
			} else {
				kb.Append(*r.k)
				db.Append(decimal128.FromI64(*r.k * 100))
			}
			if r.v == nil {
				vb.AppendNull()
			} else {
				vb.Append(decimal128.FromBigInt(r.v))
			}
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

func aggDecSchema(vt *arrow.Decimal128Type) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "dk", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "v", Type: vt, Nullable: true},
	}, nil)
}

func aggDecAggs() []plan.AggExpr {
	v := &plan.ColumnRef{Name: "v"}
	return []plan.AggExpr{
		{Func: plan.AggSum, Arg: v, Name: "sum"},
		{Func: plan.AggMean, Arg: v, Name: "mean"},
		{Func: plan.AggMin, Arg: v, Name: "min"},
		{Func: plan.AggMax, Arg: v, Name: "max"},
		{Func: plan.AggCount, Arg: v, Name: "count"},
		{Func: plan.AggCountDistinct, Arg: v, Name: "distinct"},
	}
}

// aggDecPow10 is 10^n.
func aggDecPow10(n int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// aggDecFits reports whether x has at most p digits.
func aggDecFits(x *big.Int, p int32) bool {
	return new(big.Int).Abs(x).Cmp(new(big.Int).Sub(aggDecPow10(p), big.NewInt(1))) <= 0
}

// aggDecRound rounds the rational r to an integer, half away from zero.
func aggDecRound(r *big.Rat) *big.Int {
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// aggDecWant is the oracle: per group key, the values of sum, mean, min, max, count and
// count distinct (nil: NULL) computed with math/big from Spark's rules. sum: exact, NULL
// when a running sum leaves decimal(min(38,p+10),s) (the test data overflows in one
// direction only, so the order of addition does not matter); mean: sum/count rounded half
// up at the scale of Spark's decimal division, then at the result scale s+4.
func aggDecWant(vt *arrow.Decimal128Type, rows []aggDecRow) map[string][]any {
	type acc struct {
		sum      *big.Int
		over     bool
		min, max *big.Int
		n        int64
		distinct map[string]bool
	}
	groups := map[string]*acc{}
	sumPrec := min(38, vt.Precision+10)
	for _, r := range rows {
		key := "NULL"
		if r.k != nil {
			key = fmt.Sprint(*r.k)
		}
		g := groups[key]
		if g == nil {
			g = &acc{sum: new(big.Int), distinct: map[string]bool{}}
			groups[key] = g
		}
		if r.v == nil {
			continue
		}
		g.n++
		g.distinct[r.v.String()] = true
		if !g.over {
			g.sum.Add(g.sum, r.v)
			g.over = !aggDecFits(g.sum, sumPrec)
		}
		if g.min == nil || r.v.Cmp(g.min) < 0 {
			g.min = r.v
		}
		if g.max == nil || r.v.Cmp(g.max) > 0 {
			g.max = r.v
		}
	}
	// Spark's Divide(decimal(p1,s), decimal(20,0)) scale, adjusted to 38 digits.
	p1, s := sumPrec, vt.Scale
	divScale := max(6, s+21)
	divPrec := p1 - s + divScale
	if divPrec > 38 {
		divScale = max(38-(divPrec-divScale), 6)
		divPrec = 38
	}
	rp, rs := min(38, vt.Precision+4), min(38, vt.Scale+4)
	out := map[string][]any{}
	for key, g := range groups {
		if g.n == 0 {
			out[key] = []any{nil, nil, nil, nil, int64(0), int64(0)}
			continue
		}
		var sum, mean any
		if !g.over {
			sum = g.sum
			q := new(big.Rat).SetFrac(new(big.Int).Mul(g.sum, aggDecPow10(divScale)), new(big.Int).Mul(big.NewInt(g.n), aggDecPow10(s)))
			d := aggDecRound(q)
			if aggDecFits(d, divPrec) {
				m := aggDecRound(new(big.Rat).SetFrac(new(big.Int).Mul(d, aggDecPow10(rs)), aggDecPow10(divScale)))
				if aggDecFits(m, rp) {
					mean = m
				}
			}
		}
		out[key] = []any{sum, mean, g.min, g.max, g.n, int64(len(g.distinct))}
	}
	return out
}

// aggDecCheck compares result batches (key column kcol, then the aggregates of
// aggDecAggs) with want, and releases them.
func aggDecCheck(t *testing.T, out []arrow.RecordBatch, keyIsDecimal bool, want map[string][]any) {
	t.Helper()
	seen := 0
	for _, b := range out {
		for i := 0; i < int(b.NumRows()); i++ {
			key := "NULL"
			if kc := b.Column(0); kc.IsValid(i) {
				if keyIsDecimal {
					v := kc.(*array.Decimal128).Value(i).BigInt()
					key = new(big.Int).Quo(v, big.NewInt(100)).String()
				} else {
					key = fmt.Sprint(kc.(*array.Int64).Value(i))
				}
			}
			w, ok := want[key]
			if !ok {
				t.Fatalf("unexpected group %s", key)
			}
			seen++
			for a := range w {
				col := b.Column(1 + a)
				var got any
				if col.IsValid(i) {
					switch c := col.(type) {
					case *array.Decimal128:
						got = c.Value(i).BigInt()
					case *array.Int64:
						got = c.Value(i)
					}
				}
				switch wv := w[a].(type) {
				case *big.Int:
					if g, ok := got.(*big.Int); !ok || g.Cmp(wv) != 0 {
						t.Errorf("group %s: %s = %v, want %v", key, aggDecAggs()[a].Name, got, wv)
					}
				default:
					if got != wv {
						t.Errorf("group %s: %s = %v, want %v", key, aggDecAggs()[a].Name, got, wv)
					}
				}
			}
		}
		b.Release()
	}
	if seen != len(want) {
		t.Errorf("got %d groups, want %d", seen, len(want))
	}
}

// aggDecCase is one data set of the decimal aggregate tests.
type aggDecCase struct {
	name string
	vt   *arrow.Decimal128Type
	rows []aggDecRow
}

func aggDecCases() []aggDecCase {
	r := rand.New(rand.NewPCG(7, 11))
	key := func(k int64) *int64 { return &k }
	random := func(vt *arrow.Decimal128Type, n, groups int, digits int32) []aggDecRow {
		lim := aggDecPow10(digits)
		rows := make([]aggDecRow, n)
		for i := range rows {
			g := int64(r.IntN(groups)) - 3 // negative keys too
			rows[i].k = key(g)
			if g == 0 {
				rows[i].k = nil
			}
			switch {
			case g == 1: // a group of NULLs only
			case r.IntN(9) == 0:
			default:
				v := new(big.Int).SetUint64(r.Uint64())
				v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(r.Uint64()))
				v.Mod(v, lim)
				if r.IntN(3) == 0 { // small values too
					v.Mod(v, big.NewInt(1000))
				}
				if r.IntN(2) == 0 {
					v.Neg(v)
				}
				rows[i].v = v
			}
		}
		return rows
	}
	d := func(p, s int32) *arrow.Decimal128Type { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	// decimal(38,0) sums in decimal(38,0): group 5 overflows upwards, group 6 downwards,
	// group 7 reaches the bound exactly and stays within it, groups 9 and 10 pass it by a
	// third (no 128-bit wrap), group 8 holds NULLs only.
	near := new(big.Int).Sub(aggDecPow10(38), big.NewInt(1))
	third := new(big.Int).Quo(near, big.NewInt(3))
	var over []aggDecRow
	for i := 0; i < 40; i++ {
		over = append(over,
			aggDecRow{k: key(5), v: new(big.Int).Set(third)},
			aggDecRow{k: key(6), v: new(big.Int).Neg(third)},
			aggDecRow{k: key(2), v: big.NewInt(int64(i*i) - 700)},
		)
		if i < 3 {
			over = append(over, aggDecRow{k: key(7), v: new(big.Int).Set(third)})
		}
		if i < 4 { // past 10^38-1 but within the 128-bit range
			over = append(over, aggDecRow{k: key(9), v: new(big.Int).Set(third)}, aggDecRow{k: key(10), v: new(big.Int).Neg(third)})
		}
		if i%4 == 0 {
			over = append(over, aggDecRow{k: key(5)}, aggDecRow{k: key(8)})
		}
	}
	return []aggDecCase{
		{"decimal(12,2)", d(12, 2), random(d(12, 2), 5000, 40, 12)},
		{"decimal(5,3)", d(5, 3), random(d(5, 3), 3000, 12, 5)},
		{"decimal(20,10)", d(20, 10), random(d(20, 10), 3000, 12, 20)},
		{"decimal(30,2)", d(30, 2), random(d(30, 2), 3000, 12, 30)},
		{"decimal(38,30)", d(38, 30), random(d(38, 30), 3000, 12, 38)},
		{"decimal(38,0) overflow", d(38, 0), over},
		{"decimal(28,0)", d(28, 0), random(d(28, 0), 3000, 6, 28)},
	}
}

// TestHashAggDecimal runs sum, mean, min, max, count and count distinct over decimal
// columns, grouped by an int64 and by a decimal key, in Complete mode, as Partial then
// Final (the state through a simulated shuffle), and in Complete mode under a memory
// limit that makes it spill; every result is checked against math/big.
func TestHashAggDecimal(t *testing.T) {
	for _, c := range aggDecCases() {
		for _, key := range []string{"k", "dk"} {
			t.Run(c.name+"/"+key, func(t *testing.T) {
				mem := memtest.Checked()
				defer mem.AssertSize(t, 0)
				schema := aggDecSchema(c.vt)
				partial, final, complete := aggNodes(t, schema, []string{key}, aggDecAggs())
				want := aggDecWant(c.vt, c.rows)
				isDec := key == "dk"

				op := NewHashAggregate(&exectest.Source{Batches: aggDecBatches(t, mem, schema, c.rows, 700)}, complete, colop.Options{Mem: mem})
				out, err := exectest.Drain(t, op)
				op.Close()
				if err != nil {
					t.Fatal(err)
				}
				aggDecCheck(t, out, isDec, want)

				// Partial on three map tasks, then Final over their states.
				var states []arrow.RecordBatch
				for task := range 3 {
					var mine []aggDecRow
					for i := task; i < len(c.rows); i += 3 {
						mine = append(mine, c.rows[i])
					}
					op := NewHashAggregate(&exectest.Source{Batches: aggDecBatches(t, mem, schema, mine, 300)}, partial, colop.Options{Mem: mem})
					op.outRows = 7
					out, err := exectest.Drain(t, op)
					op.Close()
					if err != nil {
						t.Fatal(err)
					}
					states = append(states, out...)
				}
				op = NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
				out, err = exectest.Drain(t, op)
				op.Close()
				if err != nil {
					t.Fatal(err)
				}
				aggDecCheck(t, out, isDec, want)
			})
		}
	}
}

// TestHashAggDecimalSpill aggregates many decimal groups under a small memory limit:
// the groups' state goes through the spill files and must come back exact.
func TestHashAggDecimalSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	vt := &arrow.Decimal128Type{Precision: 12, Scale: 2}
	r := rand.New(rand.NewPCG(5, 6))
	rows := make([]aggDecRow, 60000/aggSpillTestScale)
	for i := range rows {
		k := int64(r.IntN(20000 / aggSpillTestScale))
		rows[i].k = &k
		if r.IntN(10) != 0 {
			rows[i].v = big.NewInt(r.Int64N(2e11) - 1e11)
		}
	}
	schema := aggDecSchema(vt)
	want := aggDecWant(vt, rows)
	for _, key := range []string{"k", "dk"} {
		t.Run(key, func(t *testing.T) {
			_, _, complete := aggNodes(t, schema, []string{key}, aggDecAggs())
			const limit = 256 << 10
			run := newAggSpillRun(t, &exectest.Source{Batches: aggDecBatches(t, mem, schema, rows, 2048)}, complete, mem, limit)
			out, err := exectest.Drain(t, run.op)
			if err != nil {
				t.Fatal(err)
			}
			aggDecCheck(t, out, key == "dk", want)
			aggCheckSpilled(t, run, limit)
			run.finish(t)
		})
	}
}

// TestHashAggDecimalSkippedPartial runs Partial over mostly unique keys, so that it
// stops hashing and turns rows straight into decimal states, then Final.
func TestHashAggDecimalSkippedPartial(t *testing.T) {
	if raceEnabled {
		t.Skip("one goroutine: nothing for the race detector, which slows it tenfold")
	}
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	vt := &arrow.Decimal128Type{Precision: 38, Scale: 4}
	n := 3 * aggSkipProbeRows / 2
	rows := make([]aggDecRow, n)
	third := new(big.Int).Quo(aggDecPow10(38), big.NewInt(3))
	for i := range rows {
		k := int64(i)
		if i%7 == 6 {
			k = int64(i / 2)
		}
		if i%5 == 0 {
			k = -1 // one big group: its sum overflows decimal(38,4)
		}
		rows[i].k = &k
		switch {
		case i%5 == 0:
			rows[i].v = third
		case i%13 != 0:
			rows[i].v = big.NewInt(int64(i) * 12345)
		}
	}
	schema := aggDecSchema(vt)
	partial, final, _ := aggNodes(t, schema, []string{"k"}, aggDecAggs())
	op := NewHashAggregate(&exectest.Source{Batches: aggDecBatches(t, mem, schema, rows, 4096)}, partial, colop.Options{Mem: mem})
	states, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	var stateRows int64
	for _, b := range states {
		stateRows += b.NumRows()
	}
	if stateRows <= int64(n)/2 {
		t.Errorf("%d state rows for %d input rows: partial aggregation was not skipped", stateRows, n)
	}
	op = NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
	out, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	aggDecCheck(t, out, false, aggDecWant(vt, rows))
}
