package plan

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Expand turns every input row into one output row per projection (Spark's Expand):
// projection i computes the row's i-th copy, one expression per output column named by
// Names. All projections have the same column types (a NULL literal of the column's
// type stands for a value a projection leaves out). The rewrite of several distinct
// aggregates (optimize_distinct.go) uses it to copy each row once per distinct argument,
// a group id telling the copies apart.
type Expand struct {
	Meta
	Input       Node
	Projections [][]Expr
	Names       []string
}

// Children returns the input.
func (n *Expand) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy expanding c[0] by the same projections.
func (n *Expand) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node on one line: the output columns, then each projection.
func (n *Expand) Describe() string { return describeExpand(n.Names, n.Projections) }

func describeExpand(names []string, projections [][]Expr) string {
	ps := make([]string, len(projections))
	for i, p := range projections {
		ps[i] = "[" + exprList(p) + "]"
	}
	return "Expand [" + strings.Join(names, ", ") + "] projections=[" + strings.Join(ps, ", ") + "]"
}

// analyzeExpand types every projection and checks that they agree column by column. A
// column is nullable unless no projection can make it NULL (non-NULL literals and
// non-nullable columns).
func analyzeExpand(n *Expand, site string) (Node, error) {
	if len(n.Projections) == 0 {
		return nil, failAt(site, ErrInvalidPlan, "expand without projections")
	}
	in := n.Input.Schema()
	fields := make([]arrow.Field, len(n.Names))
	for i, name := range n.Names {
		fields[i] = arrow.Field{Name: name}
	}
	for p, proj := range n.Projections {
		if len(proj) != len(n.Names) {
			return nil, failAt(site, ErrInvalidPlan, "expand projection %d has %d expressions for %d columns", p, len(proj), len(n.Names))
		}
		for i, e := range proj {
			t, err := TypeOf(e, in)
			if err != nil {
				return nil, atSite(err, site)
			}
			if p == 0 {
				fields[i].Type = t
			} else if !arrow.TypeEqual(t, fields[i].Type) {
				return nil, failAt(site, ErrType, "expand column %q is %s in projection 0 but %s in projection %d",
					n.Names[i], typeName(fields[i].Type), typeName(t), p)
			}
			fields[i].Nullable = fields[i].Nullable || exprNullable(e, in)
		}
	}
	if err := checkUnique(n.Names); err != nil {
		return nil, atSite(err, site)
	}
	m := *n
	m.OutSchema = arrow.NewSchema(fields, nil)
	return &m, nil
}

// exprNullable reports whether e may be NULL: not for a non-NULL literal nor a reference
// to a non-nullable column.
func exprNullable(e Expr, in *arrow.Schema) bool {
	switch e := e.(type) {
	case *Literal:
		return e.Value == nil
	case *ColumnRef:
		idx := in.FieldIndices(e.Name)
		return len(idx) != 1 || in.Field(idx[0]).Nullable
	}
	return true
}

// expandInputs returns the input columns the projections read.
func expandInputs(n *Expand) map[string]bool {
	need := map[string]bool{}
	for _, p := range n.Projections {
		for _, e := range p {
			addColumns(e, need)
		}
	}
	return need
}

// PExpand is the physical Expand: it works on each partition on its own.
type PExpand struct {
	Input       PhysNode
	Projections [][]Expr
	OutSchema   *arrow.Schema
}

// Children returns the input.
func (n *PExpand) Children() []PhysNode { return []PhysNode{n.Input} }

// WithChildren returns a copy reading children[0].
func (n *PExpand) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// Schema is the output schema, the same for every projection.
func (n *PExpand) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions is the input's.
func (n *PExpand) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node on one line.
func (n *PExpand) Describe() string { return describeExpand(schemaNames(n.OutSchema), n.Projections) }
