package plan

import (
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// window plans a Window node: arguments that are not columns are projected into columns,
// then an exchange hash-partitioned by the PARTITION BY keys (one partition without
// them) unless the input is partitioned so already, then a sort within partitions by
// (partition keys, order keys) unless the input is sorted so already, then the operator,
// and a projection dropping the argument columns.
func (p *planner) window(n *Window, in PhysNode) (PhysNode, error) {
	exprs, in, projected, err := projectWindowArgs(n, in)
	if err != nil {
		return nil, err
	}
	if !satisfiesGrouping(OutputPartitioning(in), n.PartitionBy) {
		part := Partitioning{Kind: SinglePartition, N: 1}
		if len(n.PartitionBy) > 0 {
			part = Partitioning{Kind: HashPartitioning, Keys: append([]string(nil), n.PartitionBy...), N: p.cfg.ShufflePartitions}
		}
		in = &PExchange{Input: in, Partitioning: part}
	}
	keys := windowSortKeys(n.PartitionBy, n.OrderBy)
	if len(keys) > 0 && !sortedBy(in, keys) {
		in = &PSort{Input: in, Keys: keys}
	}
	fields := append([]arrow.Field(nil), in.Schema().Fields()...)
	for _, e := range exprs {
		fields = append(fields, arrow.Field{Name: e.Name, Type: e.Type, Nullable: true})
	}
	var out PhysNode = &PWindow{Input: in, PartitionBy: n.PartitionBy, OrderBy: n.OrderBy, Exprs: exprs,
		OutSchema: arrow.NewSchema(fields, nil)}
	if projected {
		cols := make([]Expr, n.OutSchema.NumFields())
		for i, f := range n.OutSchema.Fields() {
			cols[i] = &ColumnRef{Name: f.Name}
		}
		out = &PProject{Input: out, Exprs: cols, OutSchema: n.OutSchema}
	}
	return out, nil
}

// windowSortKeys is the order the operator reads: partition keys (ascending, NULLs
// first), then the window's order.
func windowSortKeys(part []string, order []SortKey) []SortKey {
	keys := make([]SortKey, 0, len(part)+len(order))
	for _, k := range part {
		keys = append(keys, SortKey{Column: k, NullsFirst: true})
	}
	return append(keys, order...)
}

// sortedBy reports whether in's partitions are known to be sorted by keys: a sort by keys
// (or by more keys starting with them), seen through windows and column-only projections
// that keep the key columns.
func sortedBy(in PhysNode, keys []SortKey) bool {
	for {
		switch n := in.(type) {
		case *PSort:
			return n.Limit == 0 && len(n.Keys) >= len(keys) && slices.Equal(n.Keys[:len(keys)], keys)
		case *PWindow:
			in = n.Input
		case *PProject:
			for _, k := range keys {
				if !slices.ContainsFunc(n.Exprs, func(e Expr) bool {
					c, ok := e.(*ColumnRef)
					return ok && c.Name == k.Column
				}) {
					return false
				}
			}
			in = n.Input
		default:
			return false
		}
	}
}

// projectWindowArgs computes the arguments of n's functions that are not columns into
// columns $wa<i> (and lag/lead defaults into $wd<i>), so that the operator reads columns
// only. projected says whether a projection was added.
func projectWindowArgs(n *Window, in PhysNode) ([]WindowExpr, PhysNode, bool, error) {
	exprs := make([]WindowExpr, len(n.Exprs))
	schema := in.Schema()
	var extra []Expr
	var fields []arrow.Field
	project := func(arg Expr, name string) (Expr, error) {
		if c, ok := arg.(*ColumnRef); ok {
			return c, nil
		}
		t, err := TypeOf(arg, schema)
		if err != nil {
			return nil, atSite(err, nodeSite(n))
		}
		extra = append(extra, &Alias{Child: arg, Name: name})
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: true})
		return &ColumnRef{Name: name}, nil
	}
	for i, e := range n.Exprs {
		w := *e.Fn
		w.Args = append([]Expr(nil), w.Args...)
		var err error
		for j, a := range w.Args {
			if a != nil {
				if w.Args[j], err = project(a, "$w"+strconv.Itoa(i)+"_"+strconv.Itoa(j)); err != nil {
					return nil, nil, false, err
				}
			}
		}
		if w.Agg.Arg != nil {
			if w.Agg.Arg, err = project(w.Agg.Arg, "$w"+strconv.Itoa(i)+"_agg"); err != nil {
				return nil, nil, false, err
			}
		}
		e.Fn = &w
		exprs[i] = e
	}
	if len(extra) == 0 {
		return exprs, in, false, nil
	}
	cols := make([]Expr, 0, schema.NumFields()+len(extra))
	for _, f := range schema.Fields() {
		cols = append(cols, &ColumnRef{Name: f.Name})
	}
	cols = append(cols, extra...)
	out := &PProject{Input: in, Exprs: cols, OutSchema: arrow.NewSchema(append(slices.Clone(schema.Fields()), fields...), nil)}
	return exprs, out, true, nil
}
