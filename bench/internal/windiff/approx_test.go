package windiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	. "github.com/kindling-data/kindling/dataset"
)

const approxSeeds = 20

// approxGroups are the groups each seed generates: rows, the range values are drawn
// from (few distinct values, or nearly all distinct) and whether every value is NULL.
var approxGroups = []struct {
	rows  int
	span  int64
	nulls bool
}{
	{10, 1e9, false},
	{2_000, 500, false},
	{15_000, 1e9, false},
	{12_000, 40_000, false},
	{5, 1, true},
}

// approxData builds, for every seed, every group of approxGroups: seed and g keys, x an
// int64 (a tenth NULL), y a float64 with a long tail, s x as text.
func approxData(mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "seed", Type: arrow.PrimitiveTypes.Int64},
		{Name: "g", Type: arrow.PrimitiveTypes.Int64},
		{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for seed := range approxSeeds {
		r := rand.New(rand.NewPCG(uint64(seed), 77))
		for g, grp := range approxGroups {
			for range grp.rows {
				b.Field(0).(*array.Int64Builder).Append(int64(seed))
				b.Field(1).(*array.Int64Builder).Append(int64(g))
				if grp.nulls || r.IntN(10) == 0 {
					b.Field(2).AppendNull()
					b.Field(3).AppendNull()
					b.Field(4).AppendNull()
					continue
				}
				x := r.Int64N(grp.span)
				b.Field(2).(*array.Int64Builder).Append(x)
				b.Field(3).(*array.Float64Builder).Append(math.Round(r.ExpFloat64()*1e4) / 100)
				b.Field(4).(*array.StringBuilder).Append(fmt.Sprint(x))
			}
		}
	}
	return b.NewRecordBatch()
}

// hllError is the standard error of kindling's HyperLogLog for rsd: 1.04/sqrt(2^p),
// p = ceil(2*log2(1.106/rsd)), as ApproxCountDistinct documents.
func hllError(rsd float64) float64 {
	p := math.Ceil(2 * math.Log2(1.106/rsd))
	return 1.04 / math.Sqrt(math.Exp2(p))
}

// TestApproxCountDistinctWithinError checks, over 20 seeds and groups of 10 to 15,000
// distinct values, that every estimate is within 4 standard errors of DuckDB's exact
// count(DISTINCT), for integers and strings and two values of rsd.
func TestApproxCountDistinctWithinError(t *testing.T) {
	e := newEnv(t)
	rec := approxData(memory.NewGoAllocator())
	defer rec.Release()
	ds := e.load(t, "a", rec, 4)
	want, err := duckRows(t.Context(), e.conn, "SELECT seed * 100 + g, count(DISTINCT x) FROM a GROUP BY seed, g")
	if err != nil {
		t.Fatal(err)
	}
	exact := byKey(t, "DuckDB", want)
	for _, rsd := range []float64{0.05, 0.01} {
		got, err := kindlingRows(t.Context(), ds.GroupBy("seed", "g").Agg(
			ApproxCountDistinct("x", rsd).As("ex"), ApproxCountDistinct("s", rsd).As("es")).
			Select(Col("seed").Mul(Lit(int64(100))).Add(Col("g")), Col("ex"), Col("es")))
		if err != nil {
			t.Fatalf("kindling: %v", err)
		}
		se := hllError(rsd)
		worst := 0.0
		bias := make([]float64, len(approxGroups)) // mean signed error per group, in standard errors
		for k, row := range byKey(t, "kindling", got) {
			n := exact[k][0].(int64)
			var key int64
			fmt.Sscan(k, &key)
			for c, est := range row {
				dev := math.Abs(float64(est.(int64) - n))
				if n > 0 {
					worst = math.Max(worst, dev/float64(n)/se)
					bias[key%100] += float64(est.(int64)-n) / float64(n) / se / float64(2*approxSeeds)
				}
				if dev > 4*se*float64(n) {
					t.Errorf("rsd %v, group %s, column %d: estimate %d, exact %d: off by %.1f standard errors", rsd, k, c, est, n, dev/float64(n)/se)
				}
			}
		}
		t.Logf("rsd %v: standard error %.4f; the worst estimate is %.2f standard errors off; mean signed error by group (standard errors) %.2f", rsd, se, worst, bias)
	}
}
