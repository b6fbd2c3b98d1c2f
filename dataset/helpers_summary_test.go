package dataset

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestSummaryMatchesPlainGo runs Summary with Spark's defaults and its other statistics
// over an integer column, a float column with NaN, a string and a decimal column (NULLs
// in all),
// and checks every cell against a computation in plain Go following Spark's definitions:
// percentiles are sorted[ceil(f*n)-1] of the non-NULL values with NaN above every number
// (percentile_approx, exact at this size), NaN counts once among distinct values, stddev
// is the sample one (NULL under two values), and a string column's mean, stddev and
// percentiles are those of its values cast to double (none here is a number: NULL).
func TestSummaryMatchesPlainGo(t *testing.T) {
	stats := []string{"count", "mean", "stddev", "min", "25%", "50%", "75%", "max",
		"Count_Distinct", "approx_count_distinct", "0%", "99.5%", "100%"}
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			// The budget is pinned: Summary is one global group whose sketches cannot be
			// split by spilling, beyond the 256 KiB spilling draws (KINDLING_SEED=737396032).
			f := newFixture(t, sizes, Config{MemoryLimit: 8 << 20})
			// dx: x as a decimal, whose percentiles come back from float64 as decimals.
			d := f.ds.Select(Col("x"), Col("y"), Col("s"), Col("x").Cast(&arrow.Decimal128Type{Precision: 10, Scale: 2}).As("dx"))
			got := collectRows(t, d.Summary(stats...))
			def := collectRows(t, d.Summary())
			if len(got) != len(stats) || len(def) != 8 {
				t.Fatalf("%d and %d rows, want %d and 8", len(got), len(def), len(stats))
			}
			for i, st := range []string{"count", "mean", "stddev", "min", "25%", "50%", "75%", "max"} {
				if !sameRow(def[i], got[i]) || got[i][0] != st {
					t.Errorf("default statistic %d: %v; asked by name: %v", i, def[i], got[i])
				}
			}
			var xs, ys []float64
			var ss []string
			for _, r := range f.rows {
				if r.x != nil {
					xs = append(xs, float64(*r.x))
				}
				if r.y != nil {
					ys = append(ys, *r.y)
				}
				if r.s != nil {
					ss = append(ss, *r.s)
				}
			}
			for i, st := range stats {
				if got[i][0] != st {
					t.Errorf("row %d labelled %v, want %q", i, got[i][0], st)
				}
				checkSummaryCell(t, st, "x", got[i][1], numberStat(st, xs), true)
				checkSummaryCell(t, st, "y", got[i][2], numberStat(st, ys), false)
				checkSummaryCell(t, st, "s", got[i][3], stringStat(st, ss), false)
				checkSummaryCell(t, st, "dx", got[i][4], numberStat(st, xs), false)
			}
		})
	}
}

// summaryWant is a cell's expected value: NULL, an exact string, or a number (compared
// with a relative tolerance, tol; NaN equals NaN).
type summaryWant struct {
	null  bool
	str   string
	num   float64
	tol   float64
	isNum bool
}

func checkSummaryCell(t *testing.T, st, col string, got any, want summaryWant, integral bool) {
	t.Helper()
	if want.null {
		if got != nil {
			t.Errorf("%s of %s: %v, want NULL", st, col, got)
		}
		return
	}
	s, ok := got.(string)
	if !ok {
		t.Errorf("%s of %s: %v, want %v", st, col, got, want)
		return
	}
	if !want.isNum {
		if s != want.str {
			t.Errorf("%s of %s: %q, want %q", st, col, s, want.str)
		}
		return
	}
	if integral && want.tol == 0 {
		// An integer column's count, min, max and percentiles print as integers.
		if s != strconv.FormatFloat(want.num, 'f', -1, 64) {
			t.Errorf("%s of %s: %q, want %v", st, col, s, want.num)
		}
		return
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		t.Errorf("%s of %s: %q is not a number", st, col, s)
	case math.IsNaN(want.num) != math.IsNaN(v):
		t.Errorf("%s of %s: %v, want %v", st, col, v, want.num)
	case !math.IsNaN(v) && math.Abs(v-want.num) > want.tol*math.Abs(want.num)+1e-12:
		t.Errorf("%s of %s: %v, want %v (tolerance %g)", st, col, v, want.num, want.tol)
	}
}

func wantNum(v float64, tol float64) summaryWant { return summaryWant{num: v, tol: tol, isNum: true} }

// numberStat is statistic st of the non-NULL values vs in plain Go.
func numberStat(st string, vs []float64) summaryWant {
	n := float64(len(vs))
	sorted := slices.Clone(vs)
	slices.SortFunc(sorted, func(a, b float64) int { // NaN above every number, as Spark
		if math.IsNaN(a) || math.IsNaN(b) {
			return cmp.Compare(b2i(math.IsNaN(a)), b2i(math.IsNaN(b)))
		}
		return cmp.Compare(a, b)
	})
	switch st {
	case "count":
		return wantNum(n, 0)
	case "Count_Distinct", "approx_count_distinct":
		distinct := slices.CompactFunc(sorted, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })
		if st == "approx_count_distinct" {
			return wantNum(float64(len(distinct)), 0.15)
		}
		return wantNum(float64(len(distinct)), 0)
	}
	if len(vs) == 0 {
		return summaryWant{null: true}
	}
	switch st {
	case "mean", "stddev":
		var sum float64
		for _, v := range vs {
			sum += v
		}
		mean := sum / n
		if st == "mean" {
			return wantNum(mean, 1e-9)
		}
		if len(vs) < 2 {
			return summaryWant{null: true}
		}
		var ss float64
		for _, v := range vs {
			ss += (v - mean) * (v - mean)
		}
		return wantNum(math.Sqrt(ss/(n-1)), 1e-9)
	case "min":
		return wantNum(sorted[0], 0)
	case "max":
		return wantNum(sorted[len(sorted)-1], 0)
	}
	p, err := strconv.ParseFloat(st[:len(st)-1], 64)
	if err != nil {
		panic(st)
	}
	rank := max(1, int(math.Ceil(p/100*n)))
	return wantNum(sorted[rank-1], 0)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stringStat is statistic st of a string column's non-NULL values vs, none of which reads
// as a number.
func stringStat(st string, vs []string) summaryWant {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	switch st {
	case "count":
		return summaryWant{str: strconv.Itoa(len(vs))}
	case "Count_Distinct", "approx_count_distinct":
		d := float64(len(slices.Compact(sorted)))
		if st == "approx_count_distinct" {
			return wantNum(d, 0.15)
		}
		return summaryWant{str: strconv.Itoa(int(d))}
	case "min", "max":
		if len(vs) == 0 {
			return summaryWant{null: true}
		}
		if st == "min" {
			return summaryWant{str: sorted[0]}
		}
		return summaryWant{str: sorted[len(sorted)-1]}
	}
	return summaryWant{null: true}
}

// TestSummaryRejects names the statistic Summary cannot compute.
func TestSummaryRejects(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	for _, st := range []string{"median", "-1%", "100.5%", "x%", "%", "NaN%"} {
		if _, err := f.ds.Summary("count", st).Collect(t.Context()); err == nil {
			t.Errorf("Summary(%q) gave no error", st)
		} else if !strings.Contains(err.Error(), strconv.Quote(st)) {
			t.Errorf("Summary(%q): %v does not name it", st, err)
		}
	}
}
