package plan

import (
	"testing"
)

// exchanges lists the exchanges of a physical plan, top down.
func exchanges(p PhysNode) []*PExchange {
	var out []*PExchange
	stack := []PhysNode{p}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if ex, ok := n.(*PExchange); ok {
			out = append(out, ex)
		}
		ch := n.Children()
		for i := len(ch) - 1; i >= 0; i-- {
			stack = append(stack, ch[i])
		}
	}
	return out
}

// hashJoinOf finds the hash join at the top of a join's physical plan (under the
// using-key projection if there is one).
func hashJoinOf(t *testing.T, p PhysNode) *PHashJoin {
	t.Helper()
	if pp, ok := p.(*PProject); ok {
		p = pp.Input
	}
	hj, ok := p.(*PHashJoin)
	if !ok {
		t.Fatalf("no hash join at the top:\n%s", FormatPhysical(p))
	}
	return hj
}

func planJoin(t *testing.T, n Node, cfg PhysicalConfig) (PhysNode, []*Stage) {
	t.Helper()
	p := mustPhysical(t, optimize(t, n), cfg)
	return p, Split(p)
}

func TestEstimateBytes(t *testing.T) {
	p := mustPhysical(t, mustAnalyze(t, &Filter{Input: ordersScan(), Cond: bin(OpGt, col("amount"), lit(int64(0)))}), PhysicalConfig{})
	if got := EstimateBytes(p); got != 400*mib {
		t.Errorf("orders: %d", got)
	}
	p = mustPhysical(t, mustAnalyze(t, &Union{Inputs: []Node{customersScan(), customersScan()}}), PhysicalConfig{})
	if got := EstimateBytes(p); got != 4096 {
		t.Errorf("union: %d", got)
	}
	p = mustPhysical(t, mustAnalyze(t, salesScan(3)), PhysicalConfig{})
	if got := EstimateBytes(p); got != -1 {
		t.Errorf("unknown partitions: %d", got)
	}
	// An aggregate is estimated as its input; a shuffle read is unknown.
	p = mustPhysical(t, mustAnalyze(t, &Aggregate{Input: customersScan(), Keys: []string{"cust"}}), PhysicalConfig{ShufflePartitions: 2})
	if got := EstimateBytes(p); got != 2048 {
		t.Errorf("aggregate: %d", got)
	}
	if got := EstimateBytes(Split(p)[1].Root); got != -1 {
		t.Errorf("shuffle read: %d", got)
	}
}

func TestBroadcastJoinOfSmallRightSide(t *testing.T) {
	j := join(ordersScan(), customersScan(), InnerJoin, on("id"), on("cust"))
	p, stages := planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
BroadcastHashJoin inner on [id] = [cust] build=right
:- Scan fake[orders] partitions=4
+- Exchange broadcast
   +- Scan fake[customers] partitions=2
`)
	hj := hashJoinOf(t, p)
	if !hj.Broadcast || hj.Build != BuildRight || hj.NumPartitions() != 4 {
		t.Errorf("join %+v", hj)
	}
	if ex := exchanges(p); len(ex) != 1 || ex[0].Partitioning.Kind != BroadcastPartitioning {
		t.Errorf("want exactly one broadcast exchange:\n%s", FormatPhysical(p))
	}
	if _, ok := hj.Left.(*PScan); !ok {
		t.Errorf("the big side is exchanged:\n%s", FormatPhysical(p))
	}
	// Two stages: the build side writes the broadcast; the stream side reads it in each
	// of its own 4 tasks.
	if len(stages) != 2 || stages[0].Output.Kind != BroadcastPartitioning || stages[0].NumPartitions() != 2 ||
		stages[1].NumPartitions() != 4 || len(stages[1].Parents) != 1 || stages[1].Parents[0] != 1 {
		t.Fatalf("stages:\n%s", FormatStages(stages))
	}
	rj := stages[1].Root.(*PHashJoin)
	if read, ok := rj.Right.(*PShuffleRead); !ok || read.Partitioning.Kind != BroadcastPartitioning || read.ShuffleID != 1 {
		t.Errorf("result stage:\n%s", FormatStages(stages))
	}
	if OutputPartitioning(p).Kind != UnknownPartitioning {
		t.Errorf("partitioning %s", OutputPartitioning(p))
	}

	// The small side is the build side on either side of an inner join, and of a right
	// join when it is the left one.
	for _, kind := range []JoinKind{InnerJoin, RightJoin} {
		p, _ = planJoin(t, join(customersScan(), ordersScan(), kind, on("cust"), on("id")), PhysicalConfig{ShufflePartitions: 8})
		hj = hashJoinOf(t, p)
		if !hj.Broadcast || hj.Build != BuildLeft || hj.NumPartitions() != 4 {
			t.Errorf("%s:\n%s", kind, FormatPhysical(p))
		}
		if _, ok := hj.Right.(*PScan); !ok {
			t.Errorf("%s: the big side is exchanged:\n%s", kind, FormatPhysical(p))
		}
	}
	// Left, semi and anti joins can broadcast the right side only.
	for _, kind := range []JoinKind{LeftJoin, LeftSemiJoin, LeftAntiJoin} {
		p, _ = planJoin(t, join(ordersScan(), customersScan(), kind, on("id"), on("cust")), PhysicalConfig{ShufflePartitions: 8})
		if hj = hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildRight {
			t.Errorf("%s:\n%s", kind, FormatPhysical(p))
		}
		p, _ = planJoin(t, join(customersScan(), ordersScan(), kind, on("cust"), on("id")), PhysicalConfig{ShufflePartitions: 8})
		if hj = hashJoinOf(t, p); hj.Broadcast {
			t.Errorf("%s broadcasts its left side:\n%s", kind, FormatPhysical(p))
		}
	}
	// Both sides small: the smaller one is built.
	tiny := scanOf("tiny", customersSchema, 1, 10)
	p, _ = planJoin(t, join(tiny, customersScan(), InnerJoin, on("cust"), on("cust")), PhysicalConfig{})
	if hj = hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildLeft {
		t.Errorf("smaller side not built:\n%s", FormatPhysical(p))
	}
	// Both small, the larger in one partition: it is built, so that the join streams
	// the other side's partitions in parallel, not one partition in one task. Sides of
	// equal partition counts, or one of them hinted, keep the rules above.
	one := scanOf("one", customersSchema, 1, 4096)
	p, _ = planJoin(t, join(one, customersScan(), InnerJoin, on("cust"), on("cust")), PhysicalConfig{})
	if hj = hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildLeft || hj.NumPartitions() != 2 {
		t.Errorf("one-partition side not built:\n%s", FormatPhysical(p))
	}
	p, _ = planJoin(t, join(customersScan(), one, InnerJoin, on("cust"), on("cust")), PhysicalConfig{})
	if hj = hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildRight || hj.NumPartitions() != 2 {
		t.Errorf("one-partition side not built (right):\n%s", FormatPhysical(p))
	}
	p, _ = planJoin(t, join(scanOf("two", customersSchema, 2, 4096), customersScan(), InnerJoin, on("cust"), on("cust")), PhysicalConfig{})
	if hj = hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildRight {
		t.Errorf("equal partition counts: the smaller side must be built:\n%s", FormatPhysical(p))
	}
}

func TestBroadcastHintAndThreshold(t *testing.T) {
	big := func() *Scan { return scanOf("big", customersSchema, 3, 50*mib) }
	// The hint wins over the size, and over a disabled threshold.
	for _, thr := range []int64{0, -1} {
		j := join(ordersScan(), &Broadcast{Input: big()}, InnerJoin, on("id"), on("cust"))
		p, stages := planJoin(t, &Filter{Input: j, Cond: bin(OpGt, col("score"), lit(1.0))}, PhysicalConfig{ShufflePartitions: 8, BroadcastThreshold: thr})
		wantPhys(t, p, `
BroadcastHashJoin inner on [id] = [cust] build=right
:- Scan fake[orders] partitions=4
+- Exchange broadcast
   +- Filter (score > 1)
      +- Scan fake[big] partitions=3
`)
		if len(stages) != 2 {
			t.Errorf("stages:\n%s", FormatStages(stages))
		}
	}
	// A hint on both sides of an inner join: the smaller is built.
	j := join(&Broadcast{Input: ordersScan()}, &Broadcast{Input: big()}, InnerJoin, on("id"), on("cust"))
	p, _ := planJoin(t, j, PhysicalConfig{})
	if hj := hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildRight {
		t.Errorf("both hinted:\n%s", FormatPhysical(p))
	}
	// A negative threshold turns size-based broadcasting off; a larger one turns it on.
	j = join(ordersScan(), customersScan(), InnerJoin, on("id"), on("cust"))
	p, _ = planJoin(t, j, PhysicalConfig{BroadcastThreshold: -1})
	if hashJoinOf(t, p).Broadcast {
		t.Errorf("broadcast with a negative threshold:\n%s", FormatPhysical(p))
	}
	p, _ = planJoin(t, join(ordersScan(), big(), InnerJoin, on("id"), on("cust")), PhysicalConfig{BroadcastThreshold: 200 * mib})
	if hj := hashJoinOf(t, p); !hj.Broadcast || hj.Build != BuildRight {
		t.Errorf("150 MiB side not broadcast under a 200 MiB threshold:\n%s", FormatPhysical(p))
	}
	// Unknown sizes count as large.
	p, _ = planJoin(t, join(ordersScan(), scanOf("unknown", customersSchema, 1, 0), InnerJoin, on("id"), on("cust")), PhysicalConfig{})
	if hashJoinOf(t, p).Broadcast {
		t.Errorf("unknown size broadcast:\n%s", FormatPhysical(p))
	}
	// A full join never broadcasts, hint or not.
	j = join(&Broadcast{Input: customersScan()}, customersScan(), FullJoin, on("cust"), on("cust"))
	p, stages := planJoin(t, j, PhysicalConfig{ShufflePartitions: 4})
	hj := hashJoinOf(t, p)
	if hj.Broadcast || len(exchanges(p)) != 2 || len(stages) != 3 {
		t.Errorf("full join:\n%s", FormatPhysical(p))
	}
}

func TestShuffledHashJoin(t *testing.T) {
	big := scanOf("big", customersSchema, 3, 50*mib)
	j := join(ordersScan(), big, InnerJoin, on("id", "name"), on("cust", "name"))
	p, stages := planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
Project [id, cust, amount, name, cust_right, region, score]
+- ShuffledHashJoin inner on [id, name] = [cust, name] build=right
   :- Exchange hash[id, name] x 8
   :  +- Scan fake[orders] partitions=4
   +- Exchange hash[cust, name] x 8
      +- Scan fake[big] partitions=3
`)
	if len(stages) != 3 || stages[2].NumPartitions() != 8 || len(stages[2].Parents) != 2 ||
		stages[0].NumPartitions() != 4 || stages[1].NumPartitions() != 3 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}
	rj := stages[2].Root.(*PProject).Input.(*PHashJoin)
	l, lok := rj.Left.(*PShuffleRead)
	r, rok := rj.Right.(*PShuffleRead)
	if !lok || !rok || l.ShuffleID != 1 || r.ShuffleID != 2 {
		t.Errorf("join stage reads:\n%s", FormatStages(stages))
	}
	// The output is hash-partitioned on the left keys, so grouping by them needs no
	// further shuffle.
	if got := OutputPartitioning(p).String(); got != "hash[id, name] x 8" {
		t.Errorf("partitioning %s", got)
	}
	agg := &Aggregate{Input: j, Keys: []string{"id", "name"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("score"), Name: "s"}}}
	p, stages = planJoin(t, agg, PhysicalConfig{ShufflePartitions: 8})
	if p.(*PHashAggregate).Mode != AggComplete || len(stages) != 3 {
		t.Errorf("aggregate after join:\n%s", FormatPhysical(p))
	}
	// A right join builds the left side and knows nothing of its output partitioning.
	p, _ = planJoin(t, join(ordersScan(), big, RightJoin, on("id"), on("cust")), PhysicalConfig{ShufflePartitions: 8})
	if hj := hashJoinOf(t, p); hj.Build != BuildLeft || hj.Broadcast || OutputPartitioning(p).Kind != UnknownPartitioning {
		t.Errorf("right join:\n%s", FormatPhysical(p))
	}
}

func TestCoPartitionedJoin(t *testing.T) {
	big := scanOf("big", customersSchema, 3, 50*mib)
	j := join(&Repartition{Input: ordersScan(), N: 6, Keys: []string{"id"}}, &Repartition{Input: big, N: 6, Keys: []string{"cust"}},
		InnerJoin, on("id"), on("cust"))
	p, stages := planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
ShuffledHashJoin inner on [id] = [cust] build=right
:- Exchange hash[id] x 6
:  +- Scan fake[orders] partitions=4
+- Exchange hash[cust] x 6
   +- Scan fake[big] partitions=3
`)
	if len(stages) != 3 || stages[2].NumPartitions() != 6 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}
	// One side partitioned: only the other is exchanged, to the same number of partitions.
	j = join(&Repartition{Input: ordersScan(), N: 6, Keys: []string{"id"}}, big, InnerJoin, on("id"), on("cust"))
	p, _ = planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
ShuffledHashJoin inner on [id] = [cust] build=right
:- Exchange hash[id] x 6
:  +- Scan fake[orders] partitions=4
+- Exchange hash[cust] x 6
   +- Scan fake[big] partitions=3
`)
	if ex := exchanges(p); len(ex) != 2 {
		t.Errorf("exchanges:\n%s", FormatPhysical(p))
	}
	j = join(ordersScan(), &Repartition{Input: big, N: 5, Keys: []string{"cust"}}, InnerJoin, on("id"), on("cust"))
	p, _ = planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	if hj := hashJoinOf(t, p); hj.NumPartitions() != 5 || hj.Left.(*PExchange).Partitioning.String() != "hash[id] x 5" {
		t.Errorf("right side partitioned:\n%s", FormatPhysical(p))
	}
	// Different numbers of partitions: the right side is reshuffled to the left's.
	j = join(&Repartition{Input: ordersScan(), N: 6, Keys: []string{"id"}}, &Repartition{Input: big, N: 5, Keys: []string{"cust"}},
		InnerJoin, on("id"), on("cust"))
	p, stages = planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	if hj := hashJoinOf(t, p); hj.NumPartitions() != 6 || len(exchanges(p)) != 3 || len(stages) != 4 {
		t.Errorf("mismatched partitions:\n%s", FormatPhysical(p))
	}
	// Partitioned on a different key, or keys in another order: exchanged again.
	j = join(&Repartition{Input: ordersScan(), N: 6, Keys: []string{"name", "id"}}, big, InnerJoin, on("id", "name"), on("cust", "name"))
	p, _ = planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	if hj := hashJoinOf(t, p); hj.NumPartitions() != 8 || len(exchanges(p)) != 3 {
		t.Errorf("key order:\n%s", FormatPhysical(p))
	}
	// A key cast under the join loses the partitioning of the uncast column.
	j = join(&Repartition{Input: ordersScan(), N: 6, Keys: []string{"cust"}}, &Repartition{Input: big, N: 6, Keys: []string{"cust"}},
		InnerJoin, on("cust"), on("cust"))
	p, _ = planJoin(t, j, PhysicalConfig{ShufflePartitions: 8})
	if hj := hashJoinOf(t, p); hj.NumPartitions() != 6 || len(exchanges(p)) != 3 {
		t.Errorf("cast key:\n%s", FormatPhysical(p))
	}
}

func TestSortAndTopN(t *testing.T) {
	keys := []SortKey{{Column: "amount", Descending: true}, {Column: "region", NullsFirst: true}}
	p, stages := planJoin(t, &Sort{Input: salesScan(4), Keys: keys}, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
Sort [amount DESC NULLS LAST, region ASC NULLS FIRST]
+- Exchange range[amount DESC NULLS LAST, region ASC NULLS FIRST] x 8
   +- Scan fake[sales] partitions=4
`)
	if len(stages) != 2 || stages[0].Output.Kind != RangePartitioning || len(stages[0].Output.SortKeys) != 2 || stages[1].NumPartitions() != 8 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}
	// One partition sorts in place.
	p, stages = planJoin(t, &Sort{Input: salesScan(1), Keys: keys}, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
Sort [amount DESC NULLS LAST, region ASC NULLS FIRST]
+- Scan fake[sales] partitions=1
`)
	if len(stages) != 1 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}
	// Limit over Sort: a top-N per partition, gathered, and a final top-N.
	p, stages = planJoin(t, &Limit{Input: &Sort{Input: salesScan(4), Keys: keys}, N: 10}, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
TopN 10 [amount DESC NULLS LAST, region ASC NULLS FIRST]
+- Exchange single
   +- TopN 10 [amount DESC NULLS LAST, region ASC NULLS FIRST]
      +- Scan fake[sales] partitions=4
`)
	if len(stages) != 2 || stages[0].Output.Kind != SinglePartition || stages[1].NumPartitions() != 1 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}
	// With a projection that selects columns in between, and pruning below the sort.
	top := &Limit{N: 3, Input: &Project{Input: &Sort{Input: salesScan(4), Keys: keys}, Exprs: []Expr{col("day"), as(col("amount"), "amt")}}}
	p, _ = planJoin(t, top, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
Project [day, amount AS amt]
+- TopN 3 [amount DESC NULLS LAST, region ASC NULLS FIRST]
   +- Exchange single
      +- TopN 3 [amount DESC NULLS LAST, region ASC NULLS FIRST]
         +- Scan fake[sales] partitions=4 columns=[region, day, amount]
`)
	// One partition: the top-N needs no exchange at all.
	p, _ = planJoin(t, &Limit{Input: &Sort{Input: salesScan(1), Keys: keys}, N: 10}, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
TopN 10 [amount DESC NULLS LAST, region ASC NULLS FIRST]
+- Scan fake[sales] partitions=1
`)
	// A computed projection in between is not a top-N: the sort is global.
	top = &Limit{N: 3, Input: &Project{Input: &Sort{Input: salesScan(4), Keys: keys}, Exprs: []Expr{as(bin(OpAdd, col("amount"), lit(int64(1))), "a1")}}}
	p, _ = planJoin(t, top, PhysicalConfig{ShufflePartitions: 8})
	if ex := exchanges(p); len(ex) != 2 || ex[1].Partitioning.Kind != RangePartitioning {
		t.Errorf("computed projection:\n%s", FormatPhysical(p))
	}
	// Broadcast alone is a no-op.
	p, _ = planJoin(t, &Broadcast{Input: salesScan(2)}, PhysicalConfig{})
	if _, ok := p.(*PScan); !ok {
		t.Errorf("broadcast hint alone:\n%s", FormatPhysical(p))
	}
}

func TestSplitSharedJoinInput(t *testing.T) {
	// A self-join whose sides share one exchange node: one stage writes it, the join's
	// stage reads it for both sides.
	scan := mustPhysical(t, mustAnalyze(t, customersScan()), PhysicalConfig{})
	ex := &PExchange{Input: scan, Partitioning: Partitioning{Kind: HashPartitioning, Keys: []string{"cust"}, N: 3}}
	a := mustAnalyze(t, join(customersScan(), customersScan(), InnerJoin, on("cust"), on("cust")))
	shape, err := shapeJoin(a.(*Join))
	if err != nil {
		t.Fatal(err)
	}
	hj := &PHashJoin{Left: ex, Right: ex, LeftKeys: on("cust"), RightKeys: on("cust"), OutSchema: shape.raw}
	stages := Split(hj)
	if len(stages) != 2 || len(stages[1].Parents) != 1 || stages[1].NumPartitions() != 3 {
		t.Fatalf("stages:\n%s", FormatStages(stages))
	}
	root := stages[1].Root.(*PHashJoin)
	l, r := root.Left.(*PShuffleRead), root.Right.(*PShuffleRead)
	if l.ShuffleID != 1 || r.ShuffleID != 1 || l.Reused || !r.Reused {
		t.Errorf("shared read:\n%s", FormatStages(stages))
	}
	if hj.Left != ex {
		t.Errorf("Split modified the plan")
	}
}

func TestExplainJoin(t *testing.T) {
	j := join(ordersScan(), customersScan(), LeftJoin, on("cust"), on("cust"))
	top := &Limit{N: 5, Input: &Sort{Input: &Project{Input: j, Exprs: []Expr{col("id"), col("region")}}, Keys: []SortKey{{Column: "id"}}}}
	a := mustAnalyze(t, top)
	o := Optimize(a)
	p := mustPhysical(t, o, PhysicalConfig{ShufflePartitions: 4})
	got := Explain(nil, nil, p, Split(p))
	want := `== Physical Plan ==
TopN 5 [id ASC NULLS LAST]
+- Exchange single
   +- TopN 5 [id ASC NULLS LAST]
      +- Project [id, region]
         +- BroadcastHashJoin left on [cust] = [cust] build=right
            :- Project [id, CAST(cust AS int64) AS cust]
            :  +- Scan fake[orders] partitions=4 columns=[id, cust]
            +- Exchange broadcast
               +- Scan fake[customers] partitions=2 columns=[cust, region]
== Stages ==
Stage 1 (2 tasks) → shuffle broadcast
  Scan fake[customers] partitions=2 columns=[cust, region]
Stage 2 (4 tasks) → shuffle single (reads stage 1)
  TopN 5 [id ASC NULLS LAST]
  +- Project [id, region]
     +- BroadcastHashJoin left on [cust] = [cust] build=right
        :- Project [id, CAST(cust AS int64) AS cust]
        :  +- Scan fake[orders] partitions=4 columns=[id, cust]
        +- ShuffleRead shuffle=1 broadcast
Stage 3 (1 task) → result (reads stage 2)
  TopN 5 [id ASC NULLS LAST]
  +- ShuffleRead shuffle=2 single
`
	if got != want {
		t.Errorf("explain\n%s\nwant\n%s", got, want)
	}
}
