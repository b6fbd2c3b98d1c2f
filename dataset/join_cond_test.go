package dataset

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/apache/arrow-go/v18/arrow/util"
)

// bothSides is a join output row of every left then every right column (no using key).
func bothSides(l *testRow, r *rightRow) []any {
	row := make([]any, 8)
	if l != nil {
		copy(row, leftValues(*l))
	}
	if r != nil {
		row[5], row[6], row[7] = val(r.g), val(r.k), val(r.w)
	}
	return row
}

func xBelowW(l testRow, r rightRow) bool { return l.x != nil && r.w != nil && float64(*l.x) < *r.w }

var joinStrategies = map[string]int64{"shuffled": -1, "broadcast": 1 << 30}

// TestJoinOnKeyAndResidual checks equal keys plus a residual predicate, for every kind,
// against nested loops: the residual decides matching (an outer join NULL-fills, an anti
// join keeps, the rows it rejects).
func TestJoinOnKeyAndResidual(t *testing.T) {
	residuals := map[string]struct {
		cond  Expr
		match func(testRow, rightRow) bool
	}{
		"some": {Col("x").Lt(Col("w")), xBelowW},
		"none": {Lit(false), func(testRow, rightRow) bool { return false }},
		// One side only: filters that side under the join where the kind allows.
		"right-only": {Col("w").Gt(Lit(10.0)), func(_ testRow, r rightRow) bool { return r.w != nil && *r.w > 10 }},
		"left-only":  {Col("x").Gt(Lit(int64(20))), func(l testRow, _ rightRow) bool { return l.x != nil && *l.x > 20 }},
		// A disjunction over both sides: each side is pre-filtered by what it implies.
		"pairs": {Col("x").Gt(Lit(int64(20))).And(Col("w").Lt(Lit(10.0))).Or(Col("x").Lt(Lit(int64(5))).And(Col("w").Gt(Lit(30.0)))),
			func(l testRow, r rightRow) bool {
				return l.x != nil && r.w != nil && (*l.x > 20 && *r.w < 10 || *l.x < 5 && *r.w > 30)
			}},
	}
	for strat, threshold := range joinStrategies {
		for rname, res := range residuals {
			for _, kind := range allJoinKinds {
				t.Run(strat+"/"+rname+"/"+kind.String(), func(t *testing.T) {
					f := newFixture(t, partitionSizes["mixed"], Config{BroadcastThreshold: threshold, ShufflePartitions: 3})
					right, rds := f.rightSide(t, []int{0, 40, 1, 25})
					d := f.ds.Join(rds, On("g").And(res.cond), kind)
					want := joinOracle(kind, f.rows, right,
						func(l testRow, r rightRow) bool {
							return l.g != nil && r.g != nil && *l.g == *r.g && res.match(l, r)
						},
						func(l *testRow, r *rightRow) []any {
							row := []any{nil, nil, nil, nil, nil, nil, nil}
							if l != nil {
								copy(row, leftValues(*l))
							}
							if r != nil {
								if l == nil {
									row[1] = val(r.g)
								}
								row[5], row[6] = val(r.k), val(r.w)
							}
							return row
						})
					assertSameRows(t, collectRows(t, d), want)
					ex := d.Explain()
					pushed := (rname == "right-only" && kind != RightOuter && kind != FullOuter) ||
						(rname == "left-only" && (kind == Inner || kind == RightOuter))
					if strings.Contains(ex, "residual=") == pushed {
						t.Fatalf("residual in the plan: %v, want %v:\n%s", !pushed, !pushed, ex)
					}
				})
			}
		}
	}
}

// TestJoinOnConditionKeys checks that equalities of the condition become hash keys (both
// columns kept) and the rest a residual, with LeftCol/RightCol telling same names apart.
func TestJoinOnConditionKeys(t *testing.T) {
	for strat, threshold := range joinStrategies {
		for _, kind := range allJoinKinds {
			t.Run(strat+"/"+kind.String(), func(t *testing.T) {
				f := newFixture(t, []int{0, 13, 1, 200}, Config{BroadcastThreshold: threshold})
				right, rds := f.rightSide(t, []int{30, 0, 30})
				cond := RightCol("k").Eq(LeftCol("k")).And(LeftCol("g").Eq(RightCol("g"))).And(Col("x").Lt(Col("w")).Or(Col("s").IsNull()))
				d := f.ds.JoinWhere(rds, cond, kind)
				want := joinOracle(kind, f.rows, right, func(l testRow, r rightRow) bool {
					return l.g != nil && r.g != nil && *l.g == *r.g && l.k != nil && r.k != nil && *l.k == *r.k &&
						(xBelowW(l, r) || l.s == nil)
				}, bothSides)
				assertSameRows(t, collectRows(t, d), want)
				ex := d.Explain()
				if !strings.Contains(ex, "on [k, g] = [k, g]") || !strings.Contains(ex, "residual=") {
					t.Fatalf("the equalities are not the keys:\n%s", ex)
				}
			})
		}
	}
}

// TestRangeJoin checks joins without equal keys (nested loops) for every kind, broadcast
// where the kind allows and in a single task otherwise, with empty sides.
func TestRangeJoin(t *testing.T) {
	cond := Col("x").Between(Col("w").Sub(Lit(5.0)), Col("w").Add(Lit(5.0)))
	match := func(l testRow, r rightRow) bool {
		return l.x != nil && r.w != nil && float64(*l.x) >= *r.w-5 && float64(*l.x) <= *r.w+5
	}
	for strat, threshold := range joinStrategies {
		for _, sides := range []struct {
			name        string
			left, right []int
		}{{"both", []int{0, 40, 1, 90}, []int{30, 0, 12}}, {"empty-left", []int{0, 0}, []int{5}}, {"empty-right", []int{7, 3}, []int{0}}} {
			for _, kind := range allJoinKinds {
				t.Run(strat+"/"+sides.name+"/"+kind.String(), func(t *testing.T) {
					f := newFixture(t, sides.left, Config{BroadcastThreshold: threshold, ShufflePartitions: 3})
					right, rds := f.rightSide(t, sides.right)
					d := f.ds.JoinWhere(rds, cond, kind)
					want := joinOracle(kind, f.rows, right, match, bothSides)
					assertSameRows(t, collectRows(t, d), want)
					ex := d.Explain()
					strategy := "NestedLoopJoin (single partition)"
					switch {
					case threshold > 0 && kind != FullOuter:
						strategy = "BroadcastNestedLoopJoin"
					case kind == Inner:
						strategy = "CartesianProduct" // every pair of partitions, one task each
					}
					if !strings.Contains(ex, strategy) {
						t.Fatalf("strategy is not %s:\n%s", strategy, ex)
					}
				})
			}
		}
	}
}

func TestCrossJoin(t *testing.T) {
	for strat, threshold := range joinStrategies {
		t.Run(strat, func(t *testing.T) {
			f := newFixture(t, []int{3, 0, 20}, Config{BroadcastThreshold: threshold})
			right, rds := f.rightSide(t, []int{4, 5})
			d := f.ds.CrossJoin(rds)
			want := joinOracle(Inner, f.rows, right, func(testRow, rightRow) bool { return true }, bothSides)
			assertSameRows(t, collectRows(t, d), want)
			schema, err := d.Schema()
			if err != nil {
				t.Fatal(err)
			}
			if got := schemaNames(schema); got != "k,g,x,y,s,g_right,k_right,w" {
				t.Fatalf("columns %s", got)
			}
			ex := d.Explain()
			strategy := map[bool]string{true: "BroadcastNestedLoopJoin", false: "CartesianProduct"}[threshold > 0]
			if !strings.Contains(ex, "CrossJoin inner") || !strings.Contains(ex, strategy) {
				t.Fatalf("plan:\n%s", ex)
			}
		})
	}
}

func TestJoinConditionErrors(t *testing.T) {
	f := newFixture(t, []int{3}, Config{})
	_, rds := f.rightSide(t, []int{4})
	cases := map[string]struct {
		d    *Dataset
		want string
	}{
		"ambiguous": {f.ds.JoinWhere(rds, Col("g").Lt(Col("w")), Inner), `column "g" of the join condition is on both sides: write LeftCol("g") or RightCol("g")`},
		"unknown":   {f.ds.JoinWhere(rds, Col("ww").Lt(Col("x")), Inner), `unknown column "ww" in the join condition`},
		"side":      {f.ds.Join(rds, On("g").And(RightCol("x").Gt(Lit(1))), Inner), `unknown right column "x"`},
		"type":      {f.ds.JoinWhere(rds, Col("x").Add(Col("w")), LeftOuter), "is float64, not boolean"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.d.Collect(t.Context())
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "join_cond_test.go") {
				t.Fatalf("error %v, want one naming %q at the call site", err, c.want)
			}
		})
	}
}

// TestJoinResidualSpills runs an equi-join with a residual under a budget that makes the
// hash join spill (grace), and compares with an ample run.
func TestJoinResidualSpills(t *testing.T) {
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	job := func(d *Dataset) *Dataset {
		other := d.Select(Col("k"), Col("v").Mul(Lit(2)).As("v2"))
		return d.Join(other, On("k").And(Col("v2").Gt(Col("v").Add(Lit(60.0)))), LeftOuter).GroupBy("k").Agg(Count().As("pairs"), Sum("v2").As("s2"))
	}
	probe := newFixtureSession(t, Config{})
	var dataBytes int64
	recs, err := bigData(probe.s, probe.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		dataBytes += int64(util.TotalRecordSize(r))
	}
	releaseAll(recs)
	budget := max(dataBytes/10, outOfCoreMinBudget)
	ample := newFixtureSession(t, Config{BroadcastThreshold: -1, BatchRows: 2048})
	want := collectRows(t, job(bigData(ample.s, ample.mem)))
	tight := newFixtureSession(t, Config{MemoryLimit: budget, BroadcastThreshold: -1, BatchRows: 1024, ShufflePartitions: 4})
	got := collectRows(t, job(bigData(tight.s, tight.mem)))
	assertSameRows(t, got, want)
	if totals := tight.s.LastJob().Totals(); totals.SpillCount == 0 {
		t.Fatalf("the join did not spill under a %d-byte budget:\n%s", budget, tight.s.LastJob())
	}
}

func TestJoinSuffix(t *testing.T) {
	f := newFixture(t, []int{3, 8}, Config{})
	right, rds := f.rightSide(t, []int{6})
	d := f.ds.Join(rds, On("g"), LeftOuter, WithSuffix("_r"))
	schema, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if got := schemaNames(schema); got != "k,g,x,y,s,k_r,w" {
		t.Fatalf("columns %s", got)
	}
	want := joinOracle(LeftOuter, f.rows, right,
		func(l testRow, r rightRow) bool { return l.g != nil && r.g != nil && *l.g == *r.g },
		func(l *testRow, r *rightRow) []any {
			row := make([]any, 7)
			copy(row, leftValues(*l))
			if r != nil {
				row[5], row[6] = val(r.k), val(r.w)
			}
			return row
		})
	assertSameRows(t, collectRows(t, d.Select(Col("k"), Col("g"), Col("x"), Col("y"), Col("s"), Col("k_r"), Col("w"))), want)
	// A cross join renames every clashing column, a condition join too.
	if s, err := f.ds.CrossJoin(rds, WithSuffix("_2")).Schema(); err != nil || schemaNames(s) != "k,g,x,y,s,g_2,k_2,w" {
		t.Fatalf("cross join columns %v, %v", s, err)
	}
	// A suffixed name that is still taken is an error naming it.
	clash := f.ds.WithColumn("k_r", Lit(1)).Join(rds, On("g"), Inner, WithSuffix("_r"))
	_, err = clash.Collect(t.Context())
	if err == nil || !strings.Contains(err.Error(), `the right column "k", renamed with the suffix "_r", clashes with the column "k_r" too`) {
		t.Fatalf("error %v", err)
	}
}

// TestCartesianOverShuffles runs a cartesian product whose sides are both shuffle
// outputs: each of the L x R tasks reads one reduce partition of each side.
func TestCartesianOverShuffles(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{BroadcastThreshold: -1, ShufflePartitions: 3})
	right, rds := f.rightSide(t, []int{20, 0, 30})
	l := f.ds.GroupBy("k").Agg(Count().As("n"))
	r := rds.GroupBy("g").Agg(Count().As("m"))
	d := l.JoinWhere(r, Col("n").Gt(Col("m").Mul(Lit(int64(5)))), Inner)
	if ex := d.Explain(); !strings.Contains(ex, "CartesianProduct inner") {
		t.Fatalf("plan:\n%s", ex)
	}
	ln := map[any]int64{}
	for _, row := range f.rows {
		ln[val(row.k)]++
	}
	rm := map[any]int64{}
	for _, row := range right {
		rm[val(row.g)]++
	}
	var want [][]any
	for k, n := range ln {
		for g, m := range rm {
			if n > 5*m {
				want = append(want, []any{k, n, g, m})
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the test data give no pair")
	}
	assertSameRows(t, collectRows(t, d), want)
	if got := len(f.s.LastJob().Stages[len(f.s.LastJob().Stages)-1].Tasks); got != 9 {
		t.Fatalf("%d tasks in the product stage, want 3 x 3", got)
	}
}

// TestJoinConditionSessionZone checks that a join condition sees the session time zone
// as a filter does: a timestamp cast to a date is the session's wall-clock date.
func TestJoinConditionSessionZone(t *testing.T) {
	f := newFixture(t, []int{5}, Config{TimeZone: "America/New_York"})
	ts := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC) // Feb 29, 21:00 in New York
	events := f.ds.Limit(1).Select(Lit(ts).As("ts"))
	day := func(d int) *Dataset {
		return f.ds.Limit(1).Select(Lit(time.Date(2024, 2, d, 12, 0, 0, 0, time.UTC)).Cast(arrow.FixedWidthTypes.Date32).As("day"))
	}
	days := day(28).Union(day(29)).Union(day(30)) // the 30th is March 1
	cond := Col("ts").Cast(arrow.FixedWidthTypes.Date32).Eq(Col("day"))
	got := collectRows(t, events.JoinWhere(days, cond, Inner).Select(Col("day").Cast(arrow.BinaryTypes.String)))
	want := collectRows(t, events.CrossJoin(days).Filter(cond).Select(Col("day").Cast(arrow.BinaryTypes.String)))
	if len(got) != 1 || !sameRow(got[0], []any{"2024-02-29"}) || !sameRow(want[0], got[0]) {
		t.Fatalf("join condition gave %v, a filter %v; want [2024-02-29]", got, want)
	}
}
