package dataset

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/util"
)

// expandJobs are aggregations the optimizer plans with an Expand: several distinct
// arguments, or a distinct one beside an aggregate that does not merge in its own type.
var expandJobs = map[string]func(d *Dataset) *Dataset{
	"two-counts": func(d *Dataset) *Dataset {
		return d.GroupBy("k").Agg(CountDistinct("x").As("nx"), CountDistinct("d").As("nd"))
	},
	"counts-and-sums-by-two-keys": func(d *Dataset) *Dataset {
		return d.GroupBy("k", "g").Agg(CountDistinct("x").As("nx"), SumDistinct("y").As("sy"), CountDistinct("y").As("ny"),
			SumDistinct("x").As("sx"))
	},
	"with-regulars": func(d *Dataset) *Dataset {
		return d.GroupBy("k").Agg(Count().As("n"), CountDistinct("x").As("dx"), CountDistinct("d").As("dd"), Mean("y").As("m"),
			Sum("x").As("s"), Min("d").As("mind"), Max("y").As("maxy"), CountOf("y").As("ny"), Stddev("x").As("sd"),
			Median("x").As("med"), BoolOr("b").As("ob"), ApproxCountDistinct("x", 0.05).As("ax"))
	},
	"mean-beside-one-distinct": func(d *Dataset) *Dataset {
		return d.GroupBy("g").Agg(CountDistinct("x").As("dx"), Mean("x").As("m"), Variance("y").As("v"))
	},
	"global": func(d *Dataset) *Dataset {
		return d.GroupBy().Agg(Count().As("n"), CountDistinct("x").As("dx"), SumDistinctExpr(Col("x").Mul(Lit(int64(2)))).As("s2"),
			CountDistinct("d").As("dd"), Mean("x").As("m"), ApproxCountDistinct("x", 0.05).As("ax"), Sum("y").As("sy"))
	},
	"global-distinct-only": func(d *Dataset) *Dataset {
		return d.GroupBy().Agg(CountDistinct("x").As("dx"), SumDistinct("y").As("sy"))
	},
	"decimal": func(d *Dataset) *Dataset {
		dec := Col("y").Cast(&arrow.Decimal128Type{Precision: 10, Scale: 2})
		return d.GroupBy("g").Agg(SumDistinctExpr(dec).As("sd"), CountDistinct("x").As("nx"), SumExpr(dec).As("s"), MeanExpr(dec).As("m"))
	},
	"filtered": func(d *Dataset) *Dataset {
		return d.GroupBy("k").Agg(Count().Filter(Col("b")).As("n"), CountDistinct("x").Filter(Col("b")).As("dx"),
			CountDistinct("d").As("dd"))
	},
	"of-a-key-and-expressions": func(d *Dataset) *Dataset {
		return d.GroupBy("k").Agg(CountDistinct("k").As("one"), CountDistinctExpr(Col("x").Div(Lit(int64(7)))).As("x7"),
			CountDistinctExpr(Col("x").Add(Col("g"))).As("xg"))
	},
}

// roundCells renders the floats of cells to 9 significant digits: the two plans merge
// float states (variance, mean) in different orders.
func roundCells(cells [][]string) [][]string {
	for _, row := range cells {
		for i, c := range row {
			if !strings.ContainsAny(c, ".e") {
				continue
			}
			if f, err := strconv.ParseFloat(c, 64); err == nil {
				row[i] = strconv.FormatFloat(f, 'g', 9, 64)
			}
		}
	}
	return cells
}

// TestDistinctExpandMatchesSetPath runs the aggregations planned with an Expand and,
// with the testing knob, with their set-based accumulators: the results are equal, over
// several partitions (empty ones too), NULLs, dictionaries, decimals, and over no rows.
func TestDistinctExpandMatchesSetPath(t *testing.T) {
	for _, sizes := range [][]int{{0, 300, 1, 0, 700}, {0, 0}} {
		for name, job := range expandJobs {
			t.Run(fmt.Sprintf("%s/%d", name, len(sizes)), func(t *testing.T) {
				split := newFixture(t, nil, Config{BatchRows: 64, MemoryLimit: 8 << 20})
				kept := newFixture(t, nil, Config{BatchRows: 64, MemoryLimit: 8 << 20, TestingKnobs: TestingKnobs{KeepDistinctAggregates: true}})
				ds, _ := moreData(split.s, split.mem, sizes, 40, 7)
				dk, _ := moreData(kept.s, kept.mem, sizes, 40, 7)
				plan := job(ds).Explain()
				if _, phys, _ := strings.Cut(plan, "== Physical Plan =="); distinctCall.MatchString(phys) || !strings.Contains(phys, "Expand [") {
					t.Errorf("not expanded:\n%s", plan)
				}
				got, want := roundCells(moreCells(t, job(ds))), roundCells(moreCells(t, job(dk)))
				if !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("expanded plan:\n%v\nset-based plan:\n%v", got, want)
				}
			})
		}
	}
}

// TestDistinctExpandMatchesGo checks several distinct aggregates with regular ones
// against a computation over the rows in Go.
func TestDistinctExpandMatchesGo(t *testing.T) {
	// The budget is pinned: one group's five key slabs exceed what the 256 KiB spilling
	// draws can repartition (TestDistinctExpandSpill spills with a budget of its own).
	f := newFixture(t, nil, Config{BatchRows: 64, MemoryLimit: 8 << 20})
	d, rows := moreData(f.s, f.mem, []int{0, 400, 3, 0, 900}, 30, 11)
	got := moreCells(t, d.GroupBy("k").Agg(Count().As("n"), CountDistinct("x").As("dx"), CountDistinct("d").As("dd"),
		SumDistinct("x").As("sx"), CountOf("y").As("ny"), Sum("x").As("s"), CountDistinct("y").As("dy")))
	groups := moreGroups(rows)
	if len(got) != len(groups) {
		t.Fatalf("%d groups, want %d", len(got), len(groups))
	}
	count := func(g [][]any, c int, distinct bool) string {
		l := moreList(g, c, distinct)
		if l == "[]" {
			return "0"
		}
		return strconv.Itoa(strings.Count(l, ",") + 1)
	}
	for _, row := range got {
		g := groups[row[0]]
		sum, any := int64(0), false
		for _, r := range g {
			if r[2] != nil {
				sum, any = sum+r[2].(int64), true
			}
		}
		s := "∅"
		if any {
			s = strconv.FormatInt(sum, 10)
		}
		want := []string{row[0], strconv.Itoa(len(g)), count(g, 2, true), count(g, 4, true), moreSumDistinct(g, 2), count(g, 3, false), s, count(g, 3, true)}
		if !slices.Equal(row, want) {
			t.Errorf("group %s:\n got %v\nwant %v", row[0], row, want)
		}
	}
}

// TestDistinctExpandSpill runs an expanded aggregation over data about ten times a small
// budget: it spills and gives what an ample budget gives.
func TestDistinctExpandSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	job := func(d *Dataset) *Dataset {
		return d.GroupBy("k").Agg(CountDistinct("v").As("cv"), CountDistinct("s").As("cs"), Mean("v").As("m"), Count().As("n"))
	}
	ample := newFixtureSession(t, Config{BatchRows: 2048})
	recs, err := bigData(ample.s, ample.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var dataBytes int64
	for _, r := range recs {
		dataBytes += int64(util.TotalRecordSize(r))
	}
	releaseAll(recs)
	budget := max(dataBytes/10, outOfCoreMinBudget)
	want := roundCells(moreCells(t, job(bigData(ample.s, ample.mem))))
	tight := newFixtureSession(t, Config{MemoryLimit: budget, BatchRows: 1024, ShufflePartitions: 4})
	d := job(bigData(tight.s, tight.mem))
	if !strings.Contains(d.Explain(), "Expand [") {
		t.Fatalf("not expanded:\n%s", d.Explain())
	}
	got := roundCells(moreCells(t, d))
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("%d groups under a budget, %d with ample memory; first: %v / %v", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
	totals := tight.s.LastJob().Totals()
	if totals.SpillCount == 0 {
		t.Fatalf("no operator spilled under a %d-byte budget", budget)
	}
	t.Logf("spilled %d bytes in %d spills", totals.SpilledBytes, totals.SpillCount)
}
