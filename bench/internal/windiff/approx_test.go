package windiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
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

// TestApproxPercentileWithinRankError checks, over 20 seeds, that every
// ApproxPercentile estimate is a value of its group whose rank among the group's n
// values is within n/accuracy of fraction*n. The ranks (how many values are below the
// estimate and how many at or below it) are counted by DuckDB; with accuracy 50 and
// 500 the larger groups overflow the sketch's first level, so it compacts.
func TestApproxPercentileWithinRankError(t *testing.T) {
	e := newEnv(t)
	rec := approxData(memory.NewGoAllocator())
	defer rec.Release()
	ds := e.load(t, "a", rec, 4)
	fractions := []float64{0, 0.01, 0.25, 0.5, 0.9, 0.999, 1}
	sortLists = false
	defer func() { sortLists = true }()
	for _, acc := range []int{50, 500} {
		for _, col := range []string{"x", "y"} {
			got, err := kindlingRows(t.Context(), ds.GroupBy("seed", "g").Agg(ApproxPercentiles(col, fractions, acc).As("q")).
				Select(Col("seed"), Col("g"), Col("q")))
			if err != nil {
				t.Fatalf("kindling: %v", err)
			}
			var vals []string
			for _, row := range got {
				if row[2] == nil {
					if approxGroups[row[1].(int64)].nulls {
						continue
					}
					t.Errorf("accuracy %d, %s, seed %d group %d: NULL", acc, col, row[0], row[1])
					continue
				}
				for k, v := range strings.Fields(strings.Trim(row[2].(string), "[]")) {
					vals = append(vals, fmt.Sprintf("(%d, %d, %d, CAST('%s' AS DOUBLE))", row[0], row[1], k, v))
				}
			}
			q := "WITH est(seed, g, k, v) AS (VALUES " + strings.Join(vals, ", ") + ") " +
				"SELECT est.seed, est.g, est.k, est.v, count(a." + col + "), count(*) FILTER (WHERE a." + col + " < est.v), count(*) FILTER (WHERE a." + col + " <= est.v), count(*) FILTER (WHERE a." + col + " = est.v) " +
				"FROM est JOIN a ON a.seed = est.seed AND a.g = est.g GROUP BY ALL"
			ranks, err := duckRows(t.Context(), e.conn, q)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for _, r := range ranks {
				n, lo, hi, eq := r[4].(int64), r[5].(int64), r[6].(int64), r[7].(int64)
				frac := fractions[r[2].(int64)]
				target := frac * float64(n)
				dist := math.Max(0, math.Max(float64(lo)-target, target-float64(hi)))
				worst = math.Max(worst, dist/(float64(n)/float64(acc)))
				if eq == 0 {
					t.Errorf("accuracy %d, %s, seed %d group %d, fraction %v: %v is not a value of the group", acc, col, r[0], r[1], frac, r[3])
				}
				if dist > float64(n)/float64(acc) {
					t.Errorf("accuracy %d, %s, seed %d group %d, fraction %v: %v has ranks %d..%d of %d, %.0f from %.1f (bound %.1f)", acc, col, r[0], r[1], frac, r[3], lo+1, hi, n, dist, target, float64(n)/float64(acc))
				}
			}
			if len(ranks) == 0 {
				t.Fatal("no estimates checked")
			}
			t.Logf("accuracy %d, %s: %d estimates; the worst is %.2f of the bound n/accuracy from its rank", acc, col, len(ranks), worst)
		}
	}
}
