package plan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/explain.golden (-update does too)")

func wantPhys(t *testing.T, p PhysNode, want string) {
	t.Helper()
	got := FormatPhysical(p)
	want = strings.TrimLeft(want, "\n")
	if got != want {
		t.Errorf("physical plan\n%s\nwant\n%s", got, want)
	}
}

func fieldList(s *arrow.Schema) string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name+":"+f.Type.String())
	}
	return strings.Join(out, " ")
}

func TestPhysicalAggregate(t *testing.T) {
	agg := &Aggregate{Input: salesScan(4), Keys: []string{"region"}, Aggs: []AggExpr{
		{Func: AggSum, Arg: col("qty"), Name: "units"},
		{Func: AggMean, Arg: col("price"), Name: "avg_price"},
		{Func: AggCountAll, Name: "n"},
	}}
	p := mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
HashAggregate(final) keys=[region] aggs=[sum(qty) AS units, mean(price) AS avg_price, count(*) AS n]
+- Exchange hash[region] x 8
   +- HashAggregate(partial) keys=[region] aggs=[sum(qty) AS units, mean(price) AS avg_price, count(*) AS n]
      +- Scan fake[sales] partitions=4 columns=[region, price, qty]
`)
	final := p.(*PHashAggregate)
	partial := final.Input.(*PExchange).Input.(*PHashAggregate)
	if got, want := fieldList(partial.Schema()), "region:utf8 units:int64 avg_price$sum:float64 avg_price$count:int64 n:int64"; got != want {
		t.Errorf("partial schema %s, want %s", got, want)
	}
	if got, want := fieldList(final.Schema()), "region:utf8 units:int64 avg_price:float64 n:int64"; got != want {
		t.Errorf("final schema %s, want %s", got, want)
	}
	if partial.ArgTypes[0].ID() != arrow.INT32 || partial.ArgTypes[1].ID() != arrow.FLOAT64 || partial.ArgTypes[2] != nil {
		t.Errorf("arg types %v", partial.ArgTypes)
	}
	if p.NumPartitions() != 8 || partial.NumPartitions() != 4 {
		t.Errorf("partitions %d/%d", p.NumPartitions(), partial.NumPartitions())
	}

	// Expression arguments are computed by a projection first.
	agg = &Aggregate{Input: salesScan(4), Keys: []string{"region"}, Aggs: []AggExpr{
		{Func: AggSum, Arg: bin(OpMul, col("price"), col("qty")), Name: "revenue"},
		{Func: AggMax, Arg: col("day"), Name: "last"},
	}}
	p = mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
HashAggregate(final) keys=[region] aggs=[sum($arg0) AS revenue, max(day) AS last]
+- Exchange hash[region] x 8
   +- HashAggregate(partial) keys=[region] aggs=[sum($arg0) AS revenue, max(day) AS last]
      +- Project [region, (price * CAST(qty AS float64)) AS $arg0, day]
         +- Scan fake[sales] partitions=4 columns=[region, day, price, qty]
`)
	if got, want := fieldList(p.Schema()), "region:utf8 revenue:float64 last:date32"; got != want {
		t.Errorf("schema %s, want %s", got, want)
	}

	// A global aggregate gathers into one partition.
	p = mustPhysical(t, optimize(t, &Aggregate{Input: salesScan(4), Aggs: []AggExpr{{Func: AggCountAll, Name: "n"}}}), PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
HashAggregate(final) keys=[] aggs=[count(*) AS n]
+- Exchange single
   +- HashAggregate(partial) keys=[] aggs=[count(*) AS n]
      +- Scan fake[sales] partitions=4 columns=[region]
`)
}

func TestPhysicalNoExchangeAfterRepartitionOnKeys(t *testing.T) {
	agg := &Aggregate{Input: &Repartition{Input: salesScan(4), N: 6, Keys: []string{"region"}},
		Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("amount"), Name: "total"}}}
	p := mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
HashAggregate(complete) keys=[region] aggs=[sum(amount) AS total]
+- Exchange hash[region] x 6
   +- Scan fake[sales] partitions=4 columns=[region, amount]
`)
	if OutputPartitioning(p).String() != "hash[region] x 6" {
		t.Errorf("output partitioning %s", OutputPartitioning(p))
	}
	// Repartitioning on another column does not help.
	agg.Input = &Repartition{Input: salesScan(4), N: 6, Keys: []string{"day"}}
	p = mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8})
	if p.(*PHashAggregate).Mode != AggFinal {
		t.Errorf("want a two-phase aggregate:\n%s", FormatPhysical(p))
	}
	// Grouping the grouped output again by the same key needs no second shuffle.
	two := &Aggregate{Input: &Aggregate{Input: salesScan(4), Keys: []string{"region", "day"}, Aggs: []AggExpr{{Func: AggCountAll, Name: "n"}}},
		Keys: []string{"region", "day"}, Aggs: []AggExpr{{Func: AggMax, Arg: col("n"), Name: "m"}}}
	p = mustPhysical(t, optimize(t, two), PhysicalConfig{ShufflePartitions: 8})
	if p.(*PHashAggregate).Mode != AggComplete || len(Split(p)) != 2 {
		t.Errorf("want one shuffle:\n%s", FormatPhysical(p))
	}
}

func TestPhysicalLimitUnionAndEmptySource(t *testing.T) {
	p := mustPhysical(t, optimize(t, &Limit{Input: salesScan(4), N: 10}), PhysicalConfig{})
	wantPhys(t, p, `
Limit 10
+- Exchange single
   +- Limit 10
      +- Scan fake[sales] partitions=4
`)
	p = mustPhysical(t, optimize(t, &Limit{Input: salesScan(1), N: 10}), PhysicalConfig{})
	wantPhys(t, p, `
Limit 10
+- Scan fake[sales] partitions=1
`)

	a := &Project{Input: salesScan(2), Exprs: []Expr{col("region"), col("amount")}}
	b := &Project{Input: salesScan(3), Exprs: []Expr{col("amount"), col("region")}}
	p = mustPhysical(t, mustAnalyze(t, &Union{Inputs: []Node{a, b}}), PhysicalConfig{})
	u := p.(*PUnion)
	if names(u.Schema()) != "[region amount]" || names(u.Inputs[1].Schema()) != "[region amount]" || u.NumPartitions() != 5 {
		t.Errorf("union:\n%s", FormatPhysical(p))
	}

	empty := &Scan{Source: &fakeSource{name: "none", schema: salesSchema, parts: 0}}
	p = mustPhysical(t, optimize(t, &Aggregate{Input: empty, Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggCountAll, Name: "n"}}}), PhysicalConfig{ShufflePartitions: 2})
	stages := Split(p)
	if len(stages) != 2 || stages[0].NumPartitions() != 0 || stages[1].NumPartitions() != 2 {
		t.Errorf("empty source:\n%s", FormatStages(stages))
	}
	if _, err := Physical(&Filter{Input: salesScan(1), Cond: lit(true)}, PhysicalConfig{}); err == nil {
		t.Errorf("an unanalyzed plan was planned")
	}
}

func TestSplitNarrowChainIsOneStage(t *testing.T) {
	n := &MapBatches{Input: &Project{Input: &Filter{Input: salesScan(4), Cond: bin(OpGt, col("amount"), lit(int64(0)))},
		Exprs: []Expr{col("region"), col("amount")}}, Fn: identityBatch, Name: "udf"}
	p := mustPhysical(t, optimize(t, &Coalesce{Input: n, N: 2}), PhysicalConfig{})
	stages := Split(p)
	if len(stages) != 1 || stages[0].Output != nil || stages[0].Root != p || stages[0].NumPartitions() != 2 || len(stages[0].Parents) != 0 {
		t.Fatalf("stages:\n%s", FormatStages(stages))
	}
}

func TestSplitGroupBys(t *testing.T) {
	agg := &Aggregate{Input: &Filter{Input: salesScan(4), Cond: bin(OpGt, col("amount"), lit(int64(0)))},
		Keys: []string{"region", "day"}, Aggs: []AggExpr{{Func: AggSum, Arg: col("amount"), Name: "total"}}}
	p := mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8})
	stages := Split(p)
	if len(stages) != 2 {
		t.Fatalf("want 2 stages:\n%s", FormatStages(stages))
	}
	m, r := stages[0], stages[1]
	if m.ID != 1 || m.ShuffleID != 1 || m.Output == nil || m.Output.String() != "hash[region, day] x 8" || m.NumPartitions() != 4 {
		t.Errorf("map stage %+v", m)
	}
	if _, ok := m.Root.(*PHashAggregate); !ok {
		t.Errorf("map stage root %s", m.Root.Describe())
	}
	read, ok := r.Root.Children()[0].(*PShuffleRead)
	if r.ID != 2 || r.Output != nil || !ok || read.ShuffleID != 1 || r.NumPartitions() != 8 || len(r.Parents) != 1 || r.Parents[0] != 1 {
		t.Errorf("result stage:\n%s", FormatStages(stages))
	}
	if ok && names(read.Schema()) != names(m.Root.Schema()) {
		t.Errorf("shuffle read schema %s", read.Schema())
	}
	// The input plan is not modified.
	if _, ok := p.Children()[0].(*PExchange); !ok {
		t.Errorf("Split modified the plan")
	}

	// Two group-bys on different keys: three stages, in dependency order.
	two := &Aggregate{Input: agg, Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggMax, Arg: col("total"), Name: "best"}}}
	stages = Split(mustPhysical(t, optimize(t, two), PhysicalConfig{ShufflePartitions: 8}))
	if len(stages) != 3 {
		t.Fatalf("want 3 stages:\n%s", FormatStages(stages))
	}
	for i, s := range stages {
		if s.ID != i+1 {
			t.Errorf("stage %d has ID %d", i, s.ID)
		}
		for _, parent := range s.Parents {
			if parent >= s.ID {
				t.Errorf("stage %d reads stage %d that comes later", s.ID, parent)
			}
		}
	}
	if len(stages[1].Parents) != 1 || stages[1].Parents[0] != 1 || stages[2].Parents[0] != 2 || stages[2].Output != nil {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}
}

func TestSplitUnionOfShufflesAndDeepLineage(t *testing.T) {
	left := &Repartition{Input: salesScan(2), N: 3}
	right := &Repartition{Input: salesScan(5), N: 4, Keys: []string{"region"}}
	p := mustPhysical(t, optimize(t, &Union{Inputs: []Node{left, right}}), PhysicalConfig{})
	stages := Split(p)
	if len(stages) != 3 || stages[2].NumPartitions() != 7 || len(stages[2].Parents) != 2 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}

	// A plan that ends in a shuffle has a result stage that reads it.
	stages = Split(mustPhysical(t, optimize(t, left), PhysicalConfig{}))
	if len(stages) != 2 || stages[1].NumPartitions() != 3 {
		t.Errorf("stages:\n%s", FormatStages(stages))
	}

	// Deep lineages are split without recursion.
	var n PhysNode = &PScan{Source: salesScan(1).Source, Parts: []ScanPartition{fakePart(0)}, OutSchema: salesSchema}
	for i := range 100000 {
		if i%1000 == 999 {
			n = &PExchange{Input: n, Partitioning: Partitioning{Kind: RoundRobinPartitioning, N: 2}}
			continue
		}
		n = &PFilter{Input: n, Cond: lit(true)}
	}
	stages = Split(n)
	if len(stages) != 101 {
		t.Errorf("deep lineage: %d stages", len(stages))
	}
}

func TestExplainGolden(t *testing.T) {
	scan := pruningScan(4)
	logical := &Limit{N: 20, Input: &Aggregate{
		Input: &Filter{Input: &Project{Input: scan, Exprs: []Expr{col("region"), col("day"), as(bin(OpMul, col("price"), col("qty")), "revenue")}},
			Cond: bin(OpAnd, bin(OpGt, col("revenue"), lit(int64(0))), bin(OpGtEq, col("day"), lit("2024-01-01")))},
		Keys: []string{"region", "day"},
		Aggs: []AggExpr{{Func: AggSum, Arg: col("revenue"), Name: "revenue"}, {Func: AggCountAll, Name: "orders"}},
	}}
	analyzed := mustAnalyze(t, logical)
	optimized := Optimize(analyzed)
	phys := mustPhysical(t, optimized, PhysicalConfig{ShufflePartitions: 8})
	got := Explain(analyzed, optimized, phys, Split(phys))
	path := filepath.Join("testdata", "explain.golden")
	if *rewrite || *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -rewrite to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Explain differs from %s (go test -rewrite updates it)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestAggregatePartitionsFollowTheBudget: a grouping shuffle whose input would give each
// reduce partition more than a quarter of a task's memory gets more partitions, by
// doublings, bounded by maxAggPartitionFactor and by partitions of at least
// minAggPartitionBytes; without a budget, an unknown size or a small input it keeps
// ShufflePartitions.
func TestAggregatePartitionsFollowTheBudget(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name       string
		partBytes  int64 // per source partition, 4 of them; 0: unknown
		taskMemory int64
		want       int
	}{
		{"no budget", 100 * mib, 0, 8},
		{"unknown size", 0, 16 * mib, 8},
		{"fits", 8 * mib, 64 * mib, 8},                 // 32 MiB / 8 = 4 MiB ≤ 16 MiB
		{"outgrows the share", 16 * mib, 16 * mib, 16}, // 64 MiB / 16 = 4 MiB ≤ 4 MiB
		{"bounded by the factor", 1 << 30, 1 * mib, 8 * maxAggPartitionFactor},
		{"bounded by the partition floor", 4 * mib, 64 << 10, 16}, // 16 MiB: 16 partitions of 1 MiB, not 32 of half that
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &fakeSource{name: "sales", schema: salesSchema, parts: 4, partBytes: c.partBytes}
			agg := &Aggregate{Input: &Scan{Source: src}, Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggCountAll, Name: "n"}}}
			p := mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8, TaskMemory: c.taskMemory})
			ex := p.(*PHashAggregate).Input.(*PExchange)
			if got := ex.Partitioning.N; got != c.want {
				t.Errorf("%d shuffle partitions, want %d", got, c.want)
			}
		})
	}
}
