package plan

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// PhysicalConfig holds the knobs of physical planning.
type PhysicalConfig struct {
	// ShufflePartitions is the number of partitions a grouping shuffle produces
	// (GOMAXPROCS when not positive).
	ShufflePartitions int
	// MaxPartitionBytes, MinPartitions and BatchRows are passed to every source's
	// Partitions (see ScanRequest).
	MaxPartitionBytes int64
	MinPartitions     int
	BatchRows         int
	// BroadcastThreshold is the estimated input size (EstimateBytes) at or under which a
	// join side becomes the build side of a broadcast hash join: 0 means
	// DefaultBroadcastThreshold, negative means never unless the side has a Broadcast hint.
	BroadcastThreshold int64
	// NoWindowGroupLimit plans top-K-per-key windows without their partial limit below
	// the shuffle (PWindowGroupLimit), so that tests can compare the two plans.
	NoWindowGroupLimit bool
	// WholeReads plans cache reads of every stored column and filters that gather every
	// input column (no Cache.Columns, no PFilter.Keep), so that benchmarks can compare.
	WholeReads bool
	// TaskMemory, when positive, is the memory one task can count on (the budget over the
	// tasks that run at once). A grouping shuffle whose estimated input (EstimateBytes)
	// would give each reduce partition more than a quarter of it gets more partitions
	// (aggPartitions), so that each final aggregation's table fits a task's share.
	TaskMemory int64
	// MapTasks, when positive, is how many tasks a map stage over a source's given
	// partitions (GivenPartitions) runs when it has more partitions than that: runs of
	// consecutive partitions are read by one task each (see groupMapScans).
	MapTasks int
}

// Physical turns an analyzed (and usually optimized) logical plan into operators with
// exchanges where rows must move between partitions. It asks each source for its
// partitions, the only I/O planning does. Join strategy (broadcast or shuffled hash join)
// is chosen from the Broadcast hints and EstimateBytes of each side.
func Physical(root Node, cfg PhysicalConfig) (PhysNode, error) {
	if cfg.ShufflePartitions <= 0 {
		cfg.ShufflePartitions = runtime.GOMAXPROCS(0)
	}
	p := &planner{cfg: cfg}
	out, err := p.plan(root)
	if err != nil {
		return nil, err
	}
	out = ReuseExchanges(out)
	groupMapScans(out, cfg.MapTasks)
	return out, nil
}

type planner struct{ cfg PhysicalConfig }

func (p *planner) plan(n Node) (PhysNode, error) {
	if n == nil {
		return nil, errAt(ErrInvalidPlan, "nil plan")
	}
	if n.Schema() == nil {
		return nil, &AnalysisError{Site: nodeSite(n), Kind: ErrInvalidPlan, Msg: "physical planning needs an analyzed plan"}
	}
	if out, done, err := p.planWhole(n); done {
		return out, err
	}
	ch := n.Children()
	in := make([]PhysNode, len(ch))
	for i, c := range ch {
		var err error
		if in[i], err = p.plan(c); err != nil {
			return nil, err
		}
	}
	return p.operator(n, in)
}

// planWhole plans the nodes that are not planned from their planned inputs: scans,
// inactive or fully materialized caches, and limits over sorts (a top-N). done is false
// for every other node.
func (p *planner) planWhole(n Node) (out PhysNode, done bool, err error) {
	switch n := n.(type) {
	case *Scan:
		out, err = p.scan(n)
		return out, true, err
	case *Cache:
		if n.Status == nil {
			return nil, false, nil
		}
		if !n.Status.Active() {
			out, err = p.plan(n.Input)
			if err == nil && n.Columns != nil {
				out = &PProject{Input: out, Exprs: columnRefs(n.Columns), OutSchema: n.OutSchema}
			}
			return out, true, err
		}
		if parts, ok := n.Status.Materialized(); ok {
			// Every partition is stored: read them, and skip the stages that made them.
			r := &PCacheRead{DatasetID: n.DatasetID, Partitions: parts, Status: n.Status,
				Stored: n.Input.Schema(), Columns: n.Columns, OutSchema: n.OutSchema}
			if p.cfg.WholeReads {
				r.Columns, r.OutSchema = nil, r.Stored
			}
			return r, true, nil
		}
	case *Limit:
		if s, proj := topNShape(n); s != nil {
			out, err = p.topN(n, s, proj)
			return out, true, err
		}
	}
	return nil, false, nil
}

func (p *planner) scan(s *Scan) (PhysNode, error) {
	req := ScanRequest{
		Columns:           s.Columns,
		Filters:           s.Filters,
		MaxPartitionBytes: p.cfg.MaxPartitionBytes,
		MinPartitions:     p.cfg.MinPartitions,
		BatchRows:         p.cfg.BatchRows,
	}
	parts, err := s.Source.Partitions(req)
	if err != nil {
		return nil, fmt.Errorf("plan: %s: partitions of %s: %w", nodeSite(s), s.Source, err)
	}
	scan := &PScan{Source: s.Source, Parts: parts, Columns: s.Columns, Filters: s.Filters, OutSchema: s.OutSchema}
	var notes []string
	if sn, ok := s.Source.(ScanNoter); ok {
		notes = append(notes, sn.ScanNote(req))
	}
	if sn, ok := s.Source.(SplitNoter); ok && len(parts) < req.MinPartitions {
		notes = append(notes, sn.SplitNote(parts, req))
	}
	notes = slices.DeleteFunc(notes, func(n string) bool { return n == "" })
	scan.Note = strings.Join(notes, "; ")
	return scan, nil
}

// operator plans n over its planned inputs in.
func (p *planner) operator(n Node, in []PhysNode) (PhysNode, error) {
	switch n := n.(type) {
	case *Project:
		in[0] = p.narrowFilter(in[0], exprColumns(n.Exprs))
		if _, ok := in[0].(*PFilter); ok && isIdentity(n.Exprs, in[0].Schema()) {
			return in[0], nil // the filter already passes on just these columns
		}
		if below, ok := in[0].(*PProject); ok && onlyColumns(below.Exprs) {
			// Say, a join's projection that drops its using keys: one projection does both.
			return &PProject{Input: below.Input, Exprs: composeRenames(n.Exprs, below.Exprs), OutSchema: n.OutSchema}, nil
		}
		return &PProject{Input: in[0], Exprs: n.Exprs, OutSchema: n.OutSchema}, nil
	case *Filter:
		// A filter on a window's rank may cut rows before the window's shuffle.
		if p.cfg.NoWindowGroupLimit {
			return &PFilter{Input: in[0], Cond: n.Cond}, nil
		}
		return &PFilter{Input: windowGroupLimit(n.Cond, in[0]), Cond: n.Cond}, nil
	case *Limit:
		return globalLimit(in[0], n.N), nil
	case *Union:
		return union(n, in), nil
	case *Coalesce:
		return &PCoalesce{Input: in[0], N: n.N}, nil
	case *MapBatches:
		return &PMapBatches{Input: in[0], Fn: n.Fn, Name: n.Name, OutSchema: n.OutSchema}, nil
	case *Sample:
		return &PSample{Input: in[0], Lower: n.Lower, Upper: n.Upper, Seed: n.Seed}, nil
	case *MapPartitions:
		return &PMapPartitions{Input: in[0], Fn: n.Fn, Name: n.Name, OutSchema: n.OutSchema, RowWise: n.RowWise}, nil
	case *Repartition:
		return repartition(n, in[0]), nil
	case *Aggregate:
		return p.aggregate(n, in[0])
	case *Explode:
		return &PExplode{Input: in[0], Column: n.Column, Pos: n.Pos, Outer: n.Outer, OutSchema: n.OutSchema}, nil
	case *Expand:
		return &PExpand{Input: in[0], Projections: n.Projections, OutSchema: n.OutSchema}, nil
	case *Join:
		return p.join(n, in[0], in[1])
	case *AsOfJoin:
		return p.asOfJoin(n, in[0], in[1])
	case *Broadcast:
		// A hint for the join above; on its own it changes nothing.
		return in[0], nil
	case *Cache:
		c := &PCache{Input: in[0], DatasetID: n.DatasetID, Status: n.Status, Columns: n.Columns}
		if p.cfg.WholeReads {
			c.Columns = nil
		}
		return c, nil
	case *Sort:
		return p.sort(n, in[0]), nil
	case *Window:
		return p.window(n, in[0])
	}
	return nil, &AnalysisError{Site: nodeSite(n), Kind: ErrInvalidPlan, Msg: fmt.Sprintf("no physical operator for %T", n)}
}

// globalLimit keeps the first n rows of in: a limit per partition, then, over several
// partitions, the same limit again after gathering them into one.
func globalLimit(in PhysNode, n int64) PhysNode {
	local := &PLimit{Input: in, N: n}
	if local.NumPartitions() == 1 {
		return local
	}
	return &PLimit{Input: &PExchange{Input: local, Partitioning: Partitioning{Kind: SinglePartition, N: 1}}, N: n}
}

// union concatenates in, reordering the columns of an input that has them in another
// order than the union's output.
func union(n *Union, in []PhysNode) PhysNode {
	for i := 1; i < len(in); i++ {
		if !slices.Equal(schemaNames(in[i].Schema()), schemaNames(n.OutSchema)) {
			exprs := make([]Expr, n.OutSchema.NumFields())
			for j, f := range n.OutSchema.Fields() {
				exprs[j] = &ColumnRef{Name: f.Name}
			}
			in[i] = &PProject{Input: in[i], Exprs: exprs, OutSchema: n.OutSchema}
		}
	}
	return &PUnion{Inputs: in, OutSchema: n.OutSchema}
}

func repartition(n *Repartition, in PhysNode) PhysNode {
	part := Partitioning{Kind: RoundRobinPartitioning, N: n.N, Fixed: true}
	if len(n.Keys) > 0 {
		part = Partitioning{Kind: HashPartitioning, Keys: append([]string(nil), n.Keys...), N: n.N, Fixed: true}
	}
	return &PExchange{Input: in, Partitioning: part}
}

// aggregate plans a grouping: partial aggregation per input partition, a shuffle on the
// keys, and the final merge; or one complete aggregation when the input is already
// partitioned so that each group lives in one partition.
func (p *planner) aggregate(n *Aggregate, in PhysNode) (PhysNode, error) {
	in = p.narrowFilter(in, aggregateInputs(n))
	aggs := append([]AggExpr(nil), n.Aggs...)
	needProject := false
	for _, a := range aggs {
		if _, isCol := a.Arg.(*ColumnRef); a.Arg != nil && !isCol {
			needProject = true
		}
		if _, isCol := a.Arg2.(*ColumnRef); a.Arg2 != nil && !isCol {
			needProject = true
		}
	}
	if needProject {
		// Compute the arguments into columns so the aggregate sees only column refs.
		inSchema := in.Schema()
		var exprs []Expr
		var fields []arrow.Field
		have := map[string]bool{}
		add := func(e Expr, f arrow.Field) {
			if !have[f.Name] {
				have[f.Name] = true
				exprs = append(exprs, e)
				fields = append(fields, f)
			}
		}
		for _, k := range n.Keys {
			add(&ColumnRef{Name: k}, inSchema.Field(inSchema.FieldIndices(k)[0]))
		}
		// project computes one argument into a column and returns its reference.
		project := func(arg Expr, name string) (Expr, error) {
			t, err := TypeOf(arg, inSchema)
			if err != nil {
				return nil, atSite(err, nodeSite(n))
			}
			if c, ok := arg.(*ColumnRef); ok {
				add(c, inSchema.Field(inSchema.FieldIndices(c.Name)[0]))
				return c, nil
			}
			add(&Alias{Child: arg, Name: name}, arrow.Field{Name: name, Type: t, Nullable: true})
			return &ColumnRef{Name: name}, nil
		}
		for i := range aggs {
			if aggs[i].Arg == nil {
				continue
			}
			ref, err := project(aggs[i].Arg, "$arg"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			aggs[i].Arg = ref
			if aggs[i].Arg2 != nil {
				if ref, err = project(aggs[i].Arg2, "$arg"+strconv.Itoa(i)+"y"); err != nil {
					return nil, err
				}
				aggs[i].Arg2 = ref
			}
		}
		in = &PProject{Input: in, Exprs: exprs, OutSchema: arrow.NewSchema(fields, nil)}
	}
	inSchema := in.Schema()
	argTypes := make([]arrow.DataType, len(aggs))
	for i, a := range aggs {
		if a.Arg != nil {
			argTypes[i] = inSchema.Field(inSchema.FieldIndices(a.Arg.(*ColumnRef).Name)[0]).Type
		}
	}
	keys := append([]string(nil), n.Keys...)
	keyFields := make([]arrow.Field, len(keys))
	for i, k := range keys {
		keyFields[i] = inSchema.Field(inSchema.FieldIndices(k)[0])
	}
	final := func(mode AggMode, input PhysNode) *PHashAggregate {
		fields := append([]arrow.Field(nil), keyFields...)
		for i, a := range aggs {
			fields = append(fields, AggOutputField(a, argTypes[i]))
		}
		return &PHashAggregate{Input: input, Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: mode,
			OutSchema: arrow.NewSchema(fields, nil)}
	}
	if satisfiesGrouping(OutputPartitioning(in), keys) {
		return final(AggComplete, in), nil
	}
	partialFields := append([]arrow.Field(nil), keyFields...)
	for i, a := range aggs {
		partialFields = append(partialFields, AggStateFields(a, argTypes[i])...)
	}
	partial := &PHashAggregate{Input: in, Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: AggPartial,
		OutSchema: arrow.NewSchema(partialFields, nil)}
	part := Partitioning{Kind: SinglePartition, N: 1}
	if len(keys) > 0 {
		part = Partitioning{Kind: HashPartitioning, Keys: keys, N: p.aggPartitions(in)}
	}
	return final(AggFinal, &PExchange{Input: partial, Partitioning: part}), nil
}

// maxAggPartitionFactor bounds how far aggPartitions multiplies ShufflePartitions: each
// map task fills a buffer per reduce partition and column, so partitions are not free
// (db-benchmark's q3 at a tenth of its input as budget: 128 partitions made the map side
// twice as slow as 8; 16 or 32 ran best).
const maxAggPartitionFactor = 4

// minAggPartitionBytes is the least estimated input aggPartitions gives a partition: below
// it a partition's fixed costs (map-side buffers, a task) outweigh a smaller table, and a
// budget that small is a test's, met by spilling.
const minAggPartitionBytes = 1 << 20

// aggPartitions is the partition count of the shuffle under a final aggregation over in:
// ShufflePartitions, doubled while the input's estimated bytes per partition exceed a
// quarter of a task's memory. The final aggregation of one reduce partition holds a table
// of its groups; when the input outgrows the budget, partitioning finer is what lets
// each table fit its task's share, so that the reduce tasks run side by side in memory
// instead of one at a time or spilling their tables (db-benchmark's q3 with a tenth of
// its input as budget: eight reduce tasks each wanting the whole budget ran one at a
// time). Adaptive execution coalesces partitions that turn out small, no further than
// a task's share, so overshooting costs map-side buffers only. A quarter leaves room for
// the estimate: file sizes are encoded sizes, smaller than the rows in memory.
func (p *planner) aggPartitions(in PhysNode) int {
	n := p.cfg.ShufflePartitions
	if p.cfg.TaskMemory <= 0 {
		return n
	}
	est := EstimateBytes(in)
	for limit := n * maxAggPartitionFactor; n < limit && est/int64(2*n) >= minAggPartitionBytes && est/int64(n) > p.cfg.TaskMemory/4; {
		n *= 2
	}
	return n
}

// satisfiesGrouping reports whether rows partitioned by part have every group in one
// partition: one partition, or hashing on a non-empty subset of the grouping keys.
func satisfiesGrouping(part Partitioning, keys []string) bool {
	switch part.Kind {
	case SinglePartition:
		return true
	case HashPartitioning:
		if len(part.Keys) == 0 || len(keys) == 0 {
			return false
		}
		for _, k := range part.Keys {
			if !slices.Contains(keys, k) {
				return false
			}
		}
		return true
	}
	return false
}

// OutputPartitioning says how the rows of n's output partitions are distributed, as far
// as the plan knows: an exchange's partitioning carries through operators that keep rows
// in their partition and keep the key columns; anything with one partition is
// SinglePartition; otherwise UnknownPartitioning.
func OutputPartitioning(n PhysNode) Partitioning {
	part := outputPartitioning(n)
	if part.Kind != HashPartitioning && n.NumPartitions() == 1 {
		return Partitioning{Kind: SinglePartition, N: 1}
	}
	return part
}

func outputPartitioning(n PhysNode) Partitioning {
	unknown := Partitioning{Kind: UnknownPartitioning, N: n.NumPartitions()}
	switch n := n.(type) {
	case *PExchange:
		if n.Partitioning.Kind == SinglePartition {
			return Partitioning{Kind: SinglePartition, N: 1}
		}
		return n.Partitioning
	case *PShuffleRead:
		if n.Partitioning.Kind == SinglePartition {
			return Partitioning{Kind: SinglePartition, N: 1}
		}
		return n.Partitioning
	case *PFilter:
		return keptPartitioning(OutputPartitioning(n.Input), n.Keep, unknown)
	case *PLimit:
		return OutputPartitioning(n.Input)
	case *PSort:
		return OutputPartitioning(n.Input)
	case *PWindow:
		return OutputPartitioning(n.Input)
	case *PWindowGroupLimit:
		return OutputPartitioning(n.Input)
	case *PCache:
		return keptPartitioning(OutputPartitioning(n.Input), n.Columns, unknown)
	case *PHashJoin:
		return joinPartitioning(n)
	case *PProject:
		in := OutputPartitioning(n.Input)
		if in.Kind != HashPartitioning {
			return in
		}
		// The partitioning holds if every key is passed through, perhaps renamed.
		renamed := make([]string, len(in.Keys))
		for i, k := range in.Keys {
			for _, e := range n.Exprs {
				src := e
				if a, ok := e.(*Alias); ok {
					src = a.Child
				}
				if c, ok := src.(*ColumnRef); ok && c.Name == k {
					renamed[i] = OutputName(e)
					break
				}
			}
			if renamed[i] == "" {
				return unknown
			}
		}
		return Partitioning{Kind: HashPartitioning, Keys: renamed, N: in.N}
	case *PExplode:
		return explodePartitioning(n)
	case *PHashAggregate:
		in := OutputPartitioning(n.Input)
		if in.Kind == HashPartitioning && !satisfiesGrouping(in, n.Keys) {
			return unknown
		}
		return in
	}
	return unknown
}
