package plan

// The plans of the golden files under testdata, by the name their cases use. Each builds
// a fresh tree, so that no case sees another's nodes.

func at(site string) Meta { return Meta{CallSite: site} }

func sum(arg Expr, name string) AggExpr { return AggExpr{Func: AggSum, Arg: arg, Name: name} }

func countAll(name string) AggExpr { return AggExpr{Func: AggCountAll, Name: name} }

func groupBy(in Node, keys []string, aggs ...AggExpr) *Aggregate {
	return &Aggregate{Meta: at("group_by@etl.go:30"), Input: in, Keys: keys, Aggs: aggs}
}

func where(in Node, cond Expr) *Filter {
	return &Filter{Meta: at("filter@etl.go:15"), Input: in, Cond: cond}
}

func sel(in Node, exprs ...Expr) *Project {
	return &Project{Meta: at("select@etl.go:20"), Input: in, Exprs: exprs}
}

func i64(v int64) Expr { return lit(v) }

// bigOrders is ordersScan, 4 partitions of 100 MiB: too big to broadcast by default.
func bigOrders() *Scan { return ordersScan() }

var goldenPlans = map[string]func() Node{
	// Analysis errors.
	"unknown-column-close-name": func() Node {
		return where(salesScan(2), bin(OpGt, col("amout"), i64(0)))
	},
	"unknown-column-in-select": func() Node {
		return sel(salesScan(2), col("region"), col("customer"))
	},
	"arithmetic-on-string": func() Node {
		return sel(salesScan(2), as(bin(OpAdd, col("region"), i64(1)), "r1"))
	},
	"compare-date-with-bool": func() Node {
		return where(salesScan(2), bin(OpEq, col("day"), col("ok")))
	},
	"filter-not-boolean": func() Node {
		return where(salesScan(2), col("amount"))
	},
	"sum-of-string": func() Node {
		return groupBy(salesScan(2), []string{"day"}, sum(col("region"), "total"))
	},
	"aggregate-filter-not-boolean": func() Node {
		cond := &Call{Func: "case_when", Args: []Expr{col("qty"), col("price"), lit(nil)}}
		return groupBy(salesScan(2), []string{"day"}, sum(cond, "total"))
	},
	"median-of-bool": func() Node {
		return groupBy(salesScan(2), []string{"region"}, AggExpr{Func: AggMedian, Arg: col("ok"), Name: "m"})
	},
	"top-k-zero": func() Node {
		return groupBy(salesScan(2), []string{"region"}, AggExpr{Func: AggTopK, Arg: col("amount"), K: 0, Name: "best"})
	},
	"corr-one-argument": func() Node {
		return groupBy(salesScan(2), nil, AggExpr{Func: AggCorr, Arg: col("price"), Name: "c"})
	},
	"aggregate-name-clashes-with-key": func() Node {
		return groupBy(salesScan(2), []string{"region"}, countAll("region"))
	},
	"join-key-types-incompatible": func() Node {
		return join(ordersScan(), customersScan(), InnerJoin, on("name"), on("cust"))
	},
	"join-key-unknown": func() Node {
		return join(ordersScan(), customersScan(), InnerJoin, on("customer"), on("cust"))
	},
	"join-key-count-mismatch": func() Node {
		return join(ordersScan(), customersScan(), InnerJoin, on("cust", "name"), on("cust"))
	},
	"union-columns-differ": func() Node {
		return &Union{Meta: at("union@etl.go:40"), Inputs: []Node{ordersScan(), customersScan()}}
	},
	"duplicate-output-column": func() Node {
		return sel(salesScan(2), col("amount"), as(col("price"), "amount"))
	},
	"drop-unknown-column": func() Node {
		return &Drop{Meta: at("drop@etl.go:25"), Input: salesScan(2), Columns: []string{"region", "zone"}}
	},
	"unknown-function": func() Node {
		return sel(salesScan(2), &Call{Func: "no_such_function", Args: []Expr{col("region")}})
	},
	"negative-limit": func() Node {
		return &Limit{Meta: at("limit@etl.go:50"), Input: salesScan(2), N: -1}
	},
	"sort-by-unknown-column": func() Node {
		return &Sort{Meta: at("sort@etl.go:45"), Input: salesScan(2), Keys: []SortKey{{Column: "Amount"}}}
	},
	"analysis-ok-with-columns-and-casts": func() Node {
		wc := &WithColumns{Meta: at("with_column@etl.go:22"), Input: salesScan(2),
			Exprs: []Expr{as(bin(OpMul, col("price"), col("qty")), "revenue"), as(bin(OpAdd, col("amount"), lit(1.5)), "amount")}}
		return where(wc, bin(OpGt, col("qty"), i64(2)))
	},

	// Optimizer rules.
	"fold-constants-in-filter": func() Node {
		return where(salesScan(2), bin(OpAnd, bin(OpGt, col("price"), bin(OpMul, i64(2), i64(3))), lit(true)))
	},
	"fold-away-true-filter": func() Node {
		return sel(where(salesScan(2), bin(OpLt, i64(1), i64(2))), col("region"), col("amount"))
	},
	"push-filter-through-alias": func() Node {
		p := sel(salesScan(2), col("region"), as(bin(OpMul, col("price"), col("qty")), "revenue"))
		return where(p, bin(OpGt, col("revenue"), i64(100)))
	},
	"push-filter-into-pruning-scan": func() Node {
		return sel(where(pruningScan(4), bin(OpAnd, bin(OpEq, col("region"), lit("EU")), bin(OpGt, col("amount"), i64(10)))), col("amount"))
	},
	"merge-adjacent-filters": func() Node {
		return where(where(salesScan(2), bin(OpGt, col("amount"), i64(0))), bin(OpLt, col("price"), lit(9.5)))
	},
	"push-key-conjunct-below-aggregate": func() Node {
		agg := groupBy(salesScan(2), []string{"region"}, sum(col("amount"), "total"))
		return where(agg, bin(OpAnd, bin(OpEq, col("region"), lit("EU")), bin(OpGt, col("total"), i64(1000))))
	},
	"push-filter-into-join-sides": func() Node {
		j := join(ordersScan(), customersScan(), InnerJoin, on("cust"), on("cust"))
		return where(j, bin(OpAnd, bin(OpGt, col("amount"), lit(10.0)), bin(OpGt, col("score"), lit(0.5))))
	},
	"keep-filter-above-left-join-nullable-side": func() Node {
		j := join(ordersScan(), customersScan(), LeftJoin, on("cust"), on("cust"))
		return where(j, bin(OpAnd, bin(OpGt, col("amount"), lit(10.0)), bin(OpGt, col("score"), lit(0.5))))
	},
	"push-filter-into-union-inputs": func() Node {
		u := &Union{Meta: at("union@etl.go:40"), Inputs: []Node{salesScan(2), salesScan(3)}}
		return where(u, bin(OpGt, col("amount"), i64(5)))
	},
	"no-push-below-limit": func() Node {
		l := &Limit{Meta: at("limit@etl.go:50"), Input: salesScan(2), N: 10}
		return where(l, bin(OpGt, col("amount"), i64(5)))
	},
	"prune-scan-columns": func() Node {
		return groupBy(salesScan(2), []string{"region"}, sum(col("amount"), "total"))
	},
	"prune-unused-projection-and-identity": func() Node {
		p := sel(salesScan(2), col("region"), col("amount"), as(bin(OpMul, col("price"), col("qty")), "revenue"))
		return sel(p, col("region"), col("amount"))
	},
	"cache-prunes-its-read-not-its-input": func() Node {
		c := &Cache{Meta: at("persist@etl.go:60"), Input: salesScan(2), DatasetID: 4}
		return sel(where(c, bin(OpGt, col("amount"), i64(5))), col("region"))
	},

	// Physical plans.
	"two-phase-aggregate": func() Node {
		return groupBy(salesScan(4), []string{"region", "day"}, sum(col("amount"), "total"), countAll("n"))
	},
	"aggregate-over-repartition-on-key": func() Node {
		r := &Repartition{Meta: at("repartition@etl.go:12"), Input: salesScan(4), N: 6, Keys: []string{"region"}}
		return groupBy(r, []string{"region", "day"}, sum(col("amount"), "total"))
	},
	"global-aggregate": func() Node {
		return groupBy(salesScan(4), nil, AggExpr{Func: AggMean, Arg: col("price"), Name: "avg_price"}, countAll("n"))
	},
	"aggregate-of-expression": func() Node {
		return groupBy(salesScan(4), []string{"region"}, sum(bin(OpMul, col("price"), col("qty")), "revenue"))
	},
	"aggregate-with-filter": func() Node {
		// sum(price) FILTER (WHERE qty > 1) and count(*) FILTER (WHERE qty > 1), as the
		// dataset API builds them: the argument under case_when(cond, arg, NULL).
		big := bin(OpGt, col("qty"), i64(1))
		onlyBig := func(e Expr) Expr { return &Call{Func: "case_when", Args: []Expr{big, e, lit(nil)}} }
		return groupBy(salesScan(4), []string{"region"}, sum(onlyBig(col("price")), "bulk"),
			AggExpr{Func: AggCount, Arg: onlyBig(i64(1)), Name: "bulk_n"})
	},
	"global-limit": func() Node {
		return &Limit{Meta: at("limit@etl.go:50"), Input: salesScan(4), N: 10}
	},
	"broadcast-small-side": func() Node {
		return join(bigOrders(), customersScan(), InnerJoin, on("cust"), on("cust"))
	},
	"broadcast-hint-on-large-side": func() Node {
		hinted := &Broadcast{Meta: at("broadcast@etl.go:18"), Input: bigOrders()}
		return join(scanOf("events", ordersSchema, 6, 0), hinted, InnerJoin, on("id"), on("id"))
	},
	"shuffled-hash-join": func() Node {
		return join(bigOrders(), scanOf("returns", ordersSchema, 3, 0), LeftJoin, on("id"), on("id"))
	},
	"full-join-never-broadcasts": func() Node {
		return join(scanOf("tiny", ordersSchema, 1, 10), customersScan(), FullJoin, on("cust"), on("cust"))
	},
	"union-reorders-columns": func() Node {
		other := sel(salesScan(2), col("amount"), col("region"))
		return &Union{Meta: at("union@etl.go:40"), Inputs: []Node{sel(salesScan(3), col("region"), col("amount")), other}}
	},
	"explode-and-coalesce": func() Node {
		agg := groupBy(salesScan(4), []string{"region"}, AggExpr{Func: AggTopK, Arg: col("amount"), K: 3, Name: "best"})
		ex := &Explode{Meta: at("explode@etl.go:33"), Input: agg, Column: "best"}
		return &Coalesce{Meta: at("coalesce@etl.go:35"), Input: ex, N: 2}
	},
	// Latest row per region: a filter on row_number puts a partial per-key limit below
	// the window's shuffle; a running sum beside it reads every row, so no limit there.
	"window-group-limit": func() Node {
		w := winSpec([]string{"region"}, SortKey{Column: "day", Descending: true})
		p := sel(salesScan(4), col("region"), col("day"), col("amount"), as(winFn(WinRowNumber, w), "rn"))
		return where(p, bin(OpEq, col("rn"), i64(1)))
	},
	"window-group-limit-not-with-sum": func() Node {
		w := winSpec([]string{"region"}, SortKey{Column: "day", Descending: true})
		p := sel(salesScan(4), col("region"), col("day"), as(winFn(WinRank, w), "r"), as(winAgg(AggSum, col("amount"), w), "s"))
		return where(p, bin(OpLtEq, col("r"), i64(3)))
	},

	// Stage cuts.
	"narrow-chain": func() Node {
		p := sel(where(salesScan(4), bin(OpGt, col("amount"), i64(0))), col("region"), col("amount"))
		return &MapBatches{Meta: at("map_batches@etl.go:38"), Input: p, Fn: identityBatch, Name: "identity"}
	},
	"group-by": func() Node {
		return groupBy(salesScan(4), []string{"region"}, sum(col("amount"), "total"))
	},
	"group-by-then-group-by-subset": func() Node {
		inner := groupBy(salesScan(4), []string{"region", "day"}, sum(col("amount"), "total"))
		return groupBy(inner, []string{"region"}, AggExpr{Func: AggMax, Arg: col("total"), Name: "best_day"})
	},
	"shuffled-join": func() Node {
		return join(bigOrders(), scanOf("returns", ordersSchema, 3, 0), InnerJoin, on("id"), on("id"))
	},
	"self-join-reuses-its-exchange": func() Node {
		s := scanOf("orders", ordersSchema, 4, 0)
		return join(s, s, InnerJoin, on("id"), on("id"))
	},
	"broadcast-join-then-group-by": func() Node {
		j := join(bigOrders(), customersScan(), InnerJoin, on("cust"), on("cust"))
		return groupBy(j, []string{"region"}, sum(col("amount"), "total"))
	},
	"global-sort": func() Node {
		return &Sort{Meta: at("sort@etl.go:45"), Input: salesScan(4), Keys: []SortKey{{Column: "amount", Descending: true}, {Column: "region", NullsFirst: true}}}
	},
	"top-n": func() Node {
		s := &Sort{Meta: at("sort@etl.go:45"), Input: salesScan(4), Keys: []SortKey{{Column: "price", Descending: true}}}
		return &Limit{Meta: at("limit@etl.go:50"), Input: sel(s, col("region"), col("price")), N: 5}
	},
	"union-of-aggregates": func() Node {
		a := groupBy(salesScan(2), []string{"region"}, sum(col("amount"), "total"))
		b := groupBy(salesScan(3), []string{"region"}, sum(col("qty"), "total"))
		return &Union{Meta: at("union@etl.go:40"), Inputs: []Node{a, b}}
	},
}

// goldenPhysPlans are physical plans the planner does not build from a logical plan
// today but Split must handle.
var goldenPhysPlans = map[string]func() PhysNode{
	// A join whose sides are one exchange node (the plan of a self-join over a shared,
	// already shuffled input): the exchange becomes one stage that both sides read.
	"shared-exchange-is-one-stage": func() PhysNode {
		s := &fakeSource{name: "customers", schema: customersSchema}
		scan := &PScan{Source: s, Parts: []ScanPartition{fakePart(0), fakePart(1)}, OutSchema: customersSchema}
		ex := &PExchange{Input: scan, Partitioning: Partitioning{Kind: HashPartitioning, Keys: []string{"cust"}, N: 3}}
		return &PHashJoin{Left: ex, Right: ex, LeftKeys: on("cust"), RightKeys: on("cust"), Kind: InnerJoin, OutSchema: customersSchema}
	},
}
