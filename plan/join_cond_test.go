package plan

import (
	"strings"
	"testing"
	"time"
)

// TestJoinCondPlans checks how joins with conditions are planned: equalities become
// keys (both columns kept), the rest a residual; without keys, a broadcast nested-loop
// join of a side the kind allows, else one partition for both sides.
func TestJoinCondPlans(t *testing.T) {
	cond := func(e Expr) *Join {
		return &Join{Meta: Meta{CallSite: "join@etl.go:20"}, Left: ordersScan(), Right: customersScan(), Cond: e}
	}
	lt := bin(OpLt, &JoinSideRef{Name: "amount"}, col("score"))
	eq := bin(OpEq, &JoinSideRef{Right: true, Name: "cust"}, &JoinSideRef{Name: "cust"})
	cases := []struct {
		name      string
		j         *Join
		kind      JoinKind
		threshold int64
		want      []string
		stages    int
	}{
		{"keys and residual", cond(bin(OpAnd, eq, lt)), LeftJoin, 0,
			[]string{"BroadcastHashJoin left on [cust] = [cust] build=right residual=(amount < score)"}, 2},
		{"broadcast nested loop", cond(lt), LeftAntiJoin, 0,
			[]string{"BroadcastNestedLoopJoin left_anti build=right cond=(amount < score)"}, 2},
		{"right kind broadcasts the left", cond(lt), RightJoin, 1 << 40,
			[]string{"BroadcastNestedLoopJoin right build=left"}, 2},
		{"full outer in one partition", cond(lt), FullJoin, 0,
			[]string{"NestedLoopJoin (single partition) full build=right", "Exchange single"}, 3},
		{"cross join", &Join{Left: ordersScan(), Right: customersScan(), Cross: true}, InnerJoin, -1,
			[]string{"CartesianProduct inner build=right"}, 1},
		{"inner nested loop, no side small", cond(lt), InnerJoin, -1,
			[]string{"CartesianProduct inner build=right cond=(amount < score)"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.j.Kind = c.kind
			p, stages := planJoin(t, c.j, PhysicalConfig{ShufflePartitions: 4, BroadcastThreshold: c.threshold})
			text := FormatPhysical(p)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("plan lacks %q:\n%s", w, text)
				}
			}
			if len(stages) != c.stages {
				t.Errorf("%d stages, want %d:\n%s", len(stages), c.stages, text)
			}
		})
	}
	// A conjunct of one side filters that side when the kind drops its unmatched rows,
	// else it stays in the join.
	oneSide := bin(OpAnd, eq, bin(OpGt, &JoinSideRef{Right: true, Name: "score"}, lit(1.0)))
	for kind, pushed := range map[JoinKind]bool{LeftJoin: true, LeftAntiJoin: true, RightJoin: false, FullJoin: false} {
		j := cond(oneSide)
		j.Kind = kind
		p, _ := planJoin(t, j, PhysicalConfig{ShufflePartitions: 4, BroadcastThreshold: -1})
		text := FormatPhysical(p)
		if strings.Contains(text, "residual=") == pushed || strings.Contains(text, "Filter (score > 1") != pushed {
			t.Errorf("%s: pushed %v expected:\n%s", kind, pushed, text)
		}
	}
	// Keys from the condition are not using keys: both cust columns stay.
	a := mustAnalyze(t, cond(bin(OpAnd, eq, lt)))
	if got := nullability(a.Schema()); got != "id cust? amount? name cust_right name_right region score" {
		t.Errorf("schema %s", got)
	}
}

func TestJoinCondErrors(t *testing.T) {
	for _, c := range []struct {
		cond Expr
		want string
	}{
		{bin(OpLt, col("name"), lit("x")), `column "name" of the join condition is on both sides: write LeftCol("name") or RightCol("name")`},
		{bin(OpLt, col("amout"), lit(1.0)), `unknown column "amout" in the join condition`},
		{bin(OpLt, &JoinSideRef{Right: true, Name: "amount"}, lit(1.0)), `unknown right column "amount" in the join condition`},
		{bin(OpAdd, col("amount"), col("score")), "join condition (left.amount + right.score) is float64, not boolean"},
	} {
		_, err := Analyze(&Join{Meta: Meta{CallSite: "join@etl.go:20"}, Left: ordersScan(), Right: customersScan(), Cond: c.cond})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "join@etl.go:20") {
			t.Errorf("%s: error %v, want %q at the call site", c.cond, err, c.want)
		}
	}
	// A side reference outside a join condition.
	_, err := Analyze(&Filter{Input: ordersScan(), Cond: bin(OpGt, &JoinSideRef{Name: "amount"}, lit(1.0))})
	if err == nil || !strings.Contains(err.Error(), `left.amount names a side of a join`) {
		t.Errorf("error %v", err)
	}
}

func TestAsOfJoinPlan(t *testing.T) {
	j := &AsOfJoin{Meta: Meta{CallSite: "joinAsOf@etl.go:9"}, Left: ordersScan(), Right: customersScan(), On: "cust", By: []string{"name"}}
	p, stages := planJoin(t, j, PhysicalConfig{ShufflePartitions: 4})
	text := FormatPhysical(p)
	for _, w := range []string{"AsOfMergeJoin on cust by [name] backward", "Sort [name ASC NULLS FIRST, cust ASC NULLS FIRST]", "hash[name] x 4"} {
		if !strings.Contains(text, w) {
			t.Errorf("plan lacks %q:\n%s", w, text)
		}
	}
	if len(stages) != 3 {
		t.Errorf("%d stages:\n%s", len(stages), text)
	}
	// The output: left columns, then the right's but on and by, suffixed when taken.
	if got := nullability(mustAnalyze(t, j).Schema()); got != "id cust? amount? name region? score?" {
		t.Errorf("schema %s", got)
	}
	bad := *j
	bad.Tolerance = time.Second
	if _, err := Analyze(&bad); err == nil || !strings.Contains(err.Error(), "as-of tolerance: a duration (1s) for a int64 time column") {
		t.Errorf("error %v", err)
	}
}
