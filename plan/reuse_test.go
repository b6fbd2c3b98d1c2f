package plan

import (
	"strings"
	"testing"
)

// reuseCase plans a join of two sides and returns its physical plan and stages.
func reuseCase(t *testing.T, l, r Node, cfg PhysicalConfig) (PhysNode, []*Stage) {
	t.Helper()
	return planJoin(t, join(l, r, InnerJoin, on("id"), on("id")), cfg)
}

func TestReuseExchanges(t *testing.T) {
	src := &fakeSource{name: "orders", schema: ordersSchema, parts: 4, partBytes: 100 * mib}
	filtered := func(s *fakeSource, min float64) Node {
		return &Filter{Input: &Scan{Source: s}, Cond: bin(OpGt, col("amount"), lit(min))}
	}
	cfg := PhysicalConfig{ShufflePartitions: 8, BroadcastThreshold: -1}

	// Two copies of one subtree (distinct nodes, same source) are one map stage read twice.
	p, stages := reuseCase(t, filtered(src, 1), filtered(src, 1), cfg)
	if len(stages) != 2 || len(stages[1].Parents) != 1 {
		t.Fatalf("want one map stage read twice:\n%s", FormatStages(stages))
	}
	hj := hashJoinOf(t, p)
	if hj.Left != hj.Right {
		t.Errorf("the sides' exchanges are not shared:\n%s", FormatPhysical(p))
	}
	if got := FormatPhysical(p); !strings.Contains(got, "ReusedExchange hash[id] x 8 (reused)") || strings.Count(got, "Scan fake[orders]") != 1 {
		t.Errorf("explain:\n%s", got)
	}
	if got := FormatStages(stages); !strings.Contains(got, "ShuffleRead shuffle=1 hash[id] x 8 (reused)") {
		t.Errorf("stages:\n%s", got)
	}

	// Anything that differs keeps both stages: a filter's literal, the source (another
	// object describing the same table), the partition count of the exchange.
	other := &fakeSource{name: "orders", schema: ordersSchema, parts: 4, partBytes: 100 * mib}
	for name, sides := range map[string][2]Node{
		"literal":  {filtered(src, 1), filtered(src, 2)},
		"source":   {filtered(src, 1), filtered(other, 1)},
		"coalesce": {filtered(src, 1), &Coalesce{Input: filtered(src, 1), N: 2}},
	} {
		_, stages := reuseCase(t, sides[0], sides[1], cfg)
		if len(stages) != 3 {
			t.Errorf("%s: want two map stages:\n%s", name, FormatStages(stages))
		}
		if strings.Contains(FormatStages(stages), "reused") {
			t.Errorf("%s: reused:\n%s", name, FormatStages(stages))
		}
	}

	// A broadcast side repeated under two joins is written once.
	cust := customersScan().Source
	dim := func() Node { return &Scan{Source: cust} }
	a := join(&Scan{Source: src}, dim(), InnerJoin, on("cust"), on("cust"))
	b := join(&Scan{Source: src}, dim(), InnerJoin, on("cust"), on("cust"))
	p = mustPhysical(t, optimize(t, &Union{Inputs: []Node{a, b}}), PhysicalConfig{ShufflePartitions: 8})
	stages = Split(p)
	broadcasts := 0
	for _, s := range stages {
		if s.Output != nil && s.Output.Kind == BroadcastPartitioning {
			broadcasts++
		}
	}
	if broadcasts != 1 {
		t.Errorf("want one broadcast stage:\n%s", FormatStages(stages))
	}

	// A plan without repeats is returned as it is.
	p = mustPhysical(t, optimize(t, filtered(src, 1)), cfg)
	if ReuseExchanges(p) != p || ReuseExchanges(nil) != nil {
		t.Errorf("plan without repeats rewritten")
	}
}
