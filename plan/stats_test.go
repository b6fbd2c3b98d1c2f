package plan

import (
	"errors"
	"testing"
)

func TestStatAggregatesAnalyze(t *testing.T) {
	agg := &Aggregate{Input: salesScan(2), Keys: []string{"region"}, Aggs: []AggExpr{
		{Func: AggMedian, Arg: col("qty")},
		{Func: AggStddev, Arg: col("price"), Name: "sd"},
		{Func: AggVariance, Arg: col("amount"), Name: "var"},
		{Func: AggCorr, Arg: col("price"), Arg2: col("qty")},
		{Func: AggTopK, Arg: col("qty"), K: 3, Name: "top"},
	}}
	n, err := Analyze(agg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fieldList(n.Schema()), "region:utf8 median(qty):float64 sd:float64 var:float64 corr(price, qty):float64 top:list<item: int32, nullable>"; got != want {
		t.Errorf("schema %s\nwant   %s", got, want)
	}
	for _, f := range []AggFunc{AggMedian, AggStddev, AggVariance, AggCorr, AggTopK} {
		if f <= AggFirst {
			t.Errorf("%s = %d: new aggregate functions go after the existing ones", f, f)
		}
	}

	bad := []struct {
		a    AggExpr
		kind error
	}{
		{AggExpr{Func: AggMedian, Arg: col("region")}, ErrType},
		{AggExpr{Func: AggStddev, Arg: col("ok")}, ErrType},
		{AggExpr{Func: AggTopK, Arg: col("day"), K: 2}, ErrType},
		{AggExpr{Func: AggTopK, Arg: col("qty"), K: 0}, ErrInvalidPlan},
		{AggExpr{Func: AggCorr, Arg: col("price")}, ErrInvalidPlan},
		{AggExpr{Func: AggCorr, Arg: col("price"), Arg2: col("region")}, ErrType},
		{AggExpr{Func: AggCorr, Arg: col("price"), Arg2: col("nope")}, ErrUnknownColumn},
		{AggExpr{Func: AggSum, Arg: col("price"), Arg2: col("qty")}, ErrInvalidPlan},
	}
	for _, b := range bad {
		_, err := Analyze(&Aggregate{Input: salesScan(2), Aggs: []AggExpr{b.a}})
		if !errors.Is(err, b.kind) {
			t.Errorf("%s: error %v, want %v", b.a, err, b.kind)
		}
	}
}

func TestStatAggregatesPhysical(t *testing.T) {
	// Both corr arguments are projected when one is an expression; the state columns
	// follow AggStateFields.
	agg := &Aggregate{Input: salesScan(4), Keys: []string{"region"}, Aggs: []AggExpr{
		{Func: AggCorr, Arg: col("price"), Arg2: bin(OpMul, col("qty"), col("qty")), Name: "r"},
		{Func: AggStddev, Arg: col("amount"), Name: "sd"},
		{Func: AggMedian, Arg: col("price"), Name: "med"},
	}}
	p := mustPhysical(t, optimize(t, agg), PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
HashAggregate(final) keys=[region] aggs=[corr(price, $arg0y) AS r, stddev(amount) AS sd, median(price) AS med]
+- Exchange hash[region] x 8
   +- HashAggregate(partial) keys=[region] aggs=[corr(price, $arg0y) AS r, stddev(amount) AS sd, median(price) AS med]
      +- Project [region, price, (CAST(qty AS int64) * CAST(qty AS int64)) AS $arg0y, amount]
         +- Scan fake[sales] partitions=4 columns=[region, amount, price, qty]
`)
	partial := p.(*PHashAggregate).Input.(*PExchange).Input.(*PHashAggregate)
	want := "region:utf8 r$count:int64 r$mean_x:float64 r$mean_y:float64 r$m2_x:float64 r$m2_y:float64 r$c_xy:float64 " +
		"sd$count:int64 sd$mean:float64 sd$m2:float64 med:list<item: float64, nullable>"
	if got := fieldList(partial.Schema()); got != want {
		t.Errorf("partial schema %s\nwant           %s", got, want)
	}
}

func TestExplode(t *testing.T) {
	top := &Aggregate{Input: salesScan(4), Keys: []string{"region"}, Aggs: []AggExpr{{Func: AggTopK, Arg: col("price"), K: 2, Name: "price"}}}
	ex := &Explode{Input: top, Column: "price"}
	n := optimize(t, ex)
	if got, want := fieldList(n.Schema()), "region:utf8 price:float64"; got != want {
		t.Errorf("schema %s, want %s", got, want)
	}
	p := mustPhysical(t, n, PhysicalConfig{ShufflePartitions: 8})
	wantPhys(t, p, `
Explode price
+- HashAggregate(final) keys=[region] aggs=[top_k(price, 2) AS price]
   +- Exchange hash[region] x 8
      +- HashAggregate(partial) keys=[region] aggs=[top_k(price, 2) AS price]
         +- Scan fake[sales] partitions=4 columns=[region, price]
`)
	if part := OutputPartitioning(p); part.Kind != HashPartitioning || part.Keys[0] != "region" {
		t.Errorf("explode output partitioning %+v, want hash[region]", part)
	}
	stages := Split(p)
	if len(stages) != 2 {
		t.Fatalf("%d stages, want 2", len(stages))
	}
	if _, ok := stages[1].Root.(*PExplode); !ok {
		t.Errorf("result stage root %T, want *PExplode", stages[1].Root)
	}
	if _, err := Analyze(&Explode{Input: salesScan(1), Column: "price"}); !errors.Is(err, ErrType) {
		t.Errorf("explode of a float column: %v, want ErrType", err)
	}
	if _, err := Analyze(&Explode{Input: salesScan(1), Column: "nope"}); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("explode of a missing column: %v, want ErrUnknownColumn", err)
	}
}
