package dataset

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// decAggRow is one row of the decimal aggregate test data: a group key and an amount in
// cents (nil: NULL).
type decAggRow struct {
	k      int64
	amount *int64
}

var decAggSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
}, nil)

// writeDecAggParquet writes rows to a Parquet file through arrow's pqarrow writer, in
// row groups of 10000 rows, and returns its path.
func writeDecAggParquet(t *testing.T, rows []decAggRow) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "amounts.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(decAggSchema, f, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	for lo := 0; lo < len(rows); lo += 10000 {
		b := array.NewRecordBuilder(mem, decAggSchema)
		for _, r := range rows[lo:min(lo+10000, len(rows))] {
			b.Field(0).(*array.Int64Builder).Append(r.k)
			if r.amount == nil {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(*r.amount))
			}
		}
		rec := b.NewRecordBatch()
		b.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// decAggRows makes n rows over groups keys with amounts of up to ±10^10 cents; about a
// tenth are NULL, and group 0 holds only NULLs.
func decAggRows(n, groups int) []decAggRow {
	r := rand.New(rand.NewPCG(12, 2))
	rows := make([]decAggRow, n)
	for i := range rows {
		rows[i].k = int64(r.IntN(groups))
		if rows[i].k != 0 && r.IntN(10) != 0 {
			v := r.Int64N(2e10) - 1e10
			rows[i].amount = &v
		}
	}
	return rows
}

// decAggWant computes per group, with math/big: sum (decimal(22,2)), avg (decimal(16,6):
// the exact mean rounded half up at the scale of Spark's division, 18, then at 6), min,
// max (decimal(12,2)) and the count of non-NULL amounts, as strings ("NULL": NULL).
func decAggWant(rows []decAggRow) map[int64][5]string {
	type acc struct {
		sum      big.Int
		n        int64
		min, max int64
	}
	groups := map[int64]*acc{}
	for _, r := range rows {
		g := groups[r.k]
		if g == nil {
			g = &acc{}
			groups[r.k] = g
		}
		if r.amount == nil {
			continue
		}
		v := *r.amount
		if g.n == 0 || v < g.min {
			g.min = v
		}
		if g.n == 0 || v > g.max {
			g.max = v
		}
		g.n++
		g.sum.Add(&g.sum, big.NewInt(v))
	}
	dec := func(unscaled *big.Int, scale int) string {
		return new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
	}
	roundHalfUp := func(num, den *big.Int) *big.Int {
		q, rem := new(big.Int).QuoRem(new(big.Int).Abs(num), den, new(big.Int))
		if rem.Lsh(rem, 1).Cmp(den) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		if num.Sign() < 0 {
			q.Neg(q)
		}
		return q
	}
	pow := func(n int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil) }
	out := map[int64][5]string{}
	for k, g := range groups {
		if g.n == 0 {
			out[k] = [5]string{"NULL", "NULL", "NULL", "NULL", "0"}
			continue
		}
		// sum (scale 2) / count at scale 18, then at scale 6.
		q18 := roundHalfUp(new(big.Int).Mul(&g.sum, pow(16)), big.NewInt(g.n))
		q6 := roundHalfUp(q18, pow(12))
		out[k] = [5]string{dec(&g.sum, 2), dec(q6, 6), dec(big.NewInt(g.min), 2), dec(big.NewInt(g.max), 2), fmt.Sprint(g.n)}
	}
	return out
}

// decAggCell renders a result cell as decAggWant does.
func decAggCell(t *testing.T, col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "NULL"
	}
	switch c := col.(type) {
	case *array.Decimal128:
		dt := c.DataType().(*arrow.Decimal128Type)
		return new(big.Rat).SetFrac(c.Value(i).BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.Scale)), nil)).FloatString(int(dt.Scale))
	case *array.Int64:
		return fmt.Sprint(c.Value(i))
	}
	t.Fatalf("unexpected result column %s", col.DataType())
	return ""
}

// TestDecimalAggregateParquet reads a decimal(12,2) column from a Parquet file written by
// pqarrow, groups it by a key and checks sum, mean, min, max and count against math/big
// (Spark's types: sum decimal(22,2), avg decimal(16,6)); once with ample memory and once
// under a memory limit that makes the aggregate spill. It also checks the global
// aggregate and an OrderBy on the decimal column.
func TestDecimalAggregateParquet(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	n, groups := 200000, 40000
	if statRace {
		n, groups = 40000, 8000
	}
	rows := decAggRows(n, groups)
	path := writeDecAggParquet(t, rows)
	want := decAggWant(rows)
	for _, tc := range []struct {
		name  string
		cfg   Config
		spill bool
	}{
		{"default", Config{}, false},
		{"spilling", Config{MemoryLimit: 1 << 20, BatchRows: 1024, ShufflePartitions: 4, BroadcastThreshold: -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFixtureSession(t, tc.cfg)
			d := fs.s.ReadParquet(path).GroupBy("k").Agg(
				Sum("amount").As("sum"), Mean("amount").As("avg"),
				Min("amount").As("min"), Max("amount").As("max"), CountOf("amount").As("n"))
			sch, err := d.Schema()
			if err != nil {
				t.Fatal(err)
			}
			for i, wt := range []string{"int64", "decimal(22, 2)", "decimal(16, 6)", "decimal(12, 2)", "decimal(12, 2)", "int64"} {
				if got := sch.Field(i).Type.String(); got != wt {
					t.Errorf("column %s is %s, want %s", sch.Field(i).Name, got, wt)
				}
			}
			recs, err := d.Collect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, rec := range recs {
				keys := rec.Column(0).(*array.Int64)
				for i := 0; i < int(rec.NumRows()); i++ {
					w, ok := want[keys.Value(i)]
					if !ok {
						t.Fatalf("unexpected group %d", keys.Value(i))
					}
					seen++
					for c := range w {
						if got := decAggCell(t, rec.Column(1+c), i); got != w[c] {
							t.Fatalf("group %d: %s = %s, want %s", keys.Value(i), sch.Field(1+c).Name, got, w[c])
						}
					}
				}
			}
			releaseAll(recs)
			if seen != len(want) {
				t.Fatalf("%d groups, want %d", seen, len(want))
			}
			if tc.spill {
				job := fs.s.LastJob()
				if totals := job.Totals(); totals.SpillCount == 0 || totals.SpilledBytes == 0 {
					t.Fatalf("nothing spilled under a 1 MiB budget:\n%s", job)
				}
			}

			// The global aggregate: one row over every amount.
			var all big.Int
			var cnt int64
			minV, maxV := int64(1<<62), int64(-1<<62)
			for _, r := range rows {
				if r.amount != nil {
					all.Add(&all, big.NewInt(*r.amount))
					cnt++
					minV, maxV = min(minV, *r.amount), max(maxV, *r.amount)
				}
			}
			grecs, err := fs.s.ReadParquet(path).GroupBy().Agg(Sum("amount").As("sum"), Min("amount").As("min"), Max("amount").As("max"), CountOf("amount")).Collect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var g []string
			for _, rec := range grecs {
				for i := 0; i < int(rec.NumRows()); i++ {
					for c := 0; c < int(rec.NumCols()); c++ {
						g = append(g, decAggCell(t, rec.Column(c), i))
					}
				}
			}
			releaseAll(grecs)
			wantG := []string{new(big.Rat).SetFrac(&all, big.NewInt(100)).FloatString(2),
				new(big.Rat).SetFrac64(minV, 100).FloatString(2), new(big.Rat).SetFrac64(maxV, 100).FloatString(2), fmt.Sprint(cnt)}
			if !slices.Equal(g, wantG) {
				t.Errorf("global aggregate = %v, want %v", g, wantG)
			}

			// OrderBy the decimal column: NULLs first (ascending), then the amounts in order.
			sorted := fs.s.ReadParquet(path).OrderBy(Asc("amount")).SelectColumns("amount")
			srecs, err := sorted.Collect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rec := range srecs {
				for i := 0; i < int(rec.NumRows()); i++ {
					got = append(got, decAggCell(t, rec.Column(0), i))
				}
			}
			releaseAll(srecs)
			var wantS []int64
			nulls := 0
			for _, r := range rows {
				if r.amount == nil {
					nulls++
				} else {
					wantS = append(wantS, *r.amount)
				}
			}
			slices.Sort(wantS)
			if len(got) != len(rows) {
				t.Fatalf("sorted: %d rows, want %d", len(got), len(rows))
			}
			for i, g := range got {
				w := "NULL"
				if i >= nulls {
					w = new(big.Rat).SetFrac64(wantS[i-nulls], 100).FloatString(2)
				}
				if g != w {
					t.Fatalf("sorted row %d = %s, want %s", i, g, w)
				}
			}
		})
	}
}

// TestDecimalJoinKey joins two datasets on a decimal(12,2) column, broadcast and
// shuffled: equal decimals match, NULLs match nothing, and a decimal key groups the
// joined rows.
func TestDecimalJoinKey(t *testing.T) {
	mem := memory.NewGoAllocator()
	build := func(name string, vals []int64, valid []bool) arrow.RecordBatch {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "d", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
			{Name: name, Type: arrow.PrimitiveTypes.Int64},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for i, v := range vals {
			if valid[i] {
				b.Field(0).(*array.Decimal128Builder).Append(decimal128.FromI64(v))
			} else {
				b.Field(0).AppendNull()
			}
			b.Field(1).(*array.Int64Builder).Append(int64(i))
		}
		return b.NewRecordBatch()
	}
	lv := []int64{100, -250, 100, 0, 99999999, 7, 0}
	lok := []bool{true, true, true, true, true, false, true}
	rv := []int64{100, 0, -250, 5, 7, 100}
	rok := []bool{true, true, true, true, false, true}
	// The pairs, counted per left value, computed directly.
	want := map[int64]int64{}
	for i, a := range lv {
		for j, b := range rv {
			if lok[i] && rok[j] && a == b {
				want[a]++
			}
		}
	}
	for _, bt := range []int64{0, -1} {
		t.Run(fmt.Sprintf("broadcast=%d", bt), func(t *testing.T) {
			fs := newFixtureSession(t, Config{BroadcastThreshold: bt, ShufflePartitions: 3})
			l, r := build("li", lv, lok), build("ri", rv, rok)
			defer l.Release()
			defer r.Release()
			j := fs.s.FromRecords(l).Join(fs.s.FromRecords(r), On("d"), Inner).GroupBy("d").Agg(Count().As("pairs"))
			recs, err := j.Collect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]int64{}
			for _, rec := range recs {
				d, n := rec.Column(0).(*array.Decimal128), rec.Column(1).(*array.Int64)
				for i := 0; i < int(rec.NumRows()); i++ {
					if d.IsNull(i) {
						t.Fatalf("a NULL key joined")
					}
					got[d.Value(i).BigInt().Int64()] = n.Value(i)
				}
			}
			releaseAll(recs)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("pairs per key %v, want %v", got, want)
			}
		})
	}
}
