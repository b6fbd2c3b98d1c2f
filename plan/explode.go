package plan

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Explode replaces the list column Column by its elements: an input row becomes one
// output row per element of its list, the other columns repeated. A row whose list is
// NULL or empty yields no row; NULL elements are kept. The column keeps its name and its
// position and takes the element type. Group-wise top-k is an aggregate that collects a
// list per group followed by an Explode.
//
// Pos makes it Spark's posexplode: an int32 column named PosColumn ("pos") holding each
// element's 0-based position in its list is inserted just before Column. Outer makes it
// Spark's explode_outer (posexplode_outer): a row whose list is NULL or empty yields one
// row whose element (and position) is NULL instead of no row.
type Explode struct {
	Meta
	Input  Node
	Column string
	Pos    bool
	Outer  bool
}

// PosColumn is the name of the position column of a posexplode (Explode with Pos set),
// as Spark names it.
const PosColumn = "pos"

// describeExplode names an explode by its flags, as Spark's generator names.
func describeExplode(column string, pos, outer bool) string {
	name := "Explode"
	if pos {
		name = "PosExplode"
	}
	if outer {
		name += "Outer"
	}
	return name + " " + column
}

// Children returns the input.
func (n *Explode) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy with the input replaced.
func (n *Explode) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node on one line.
func (n *Explode) Describe() string { return describeExplode(n.Column, n.Pos, n.Outer) }

// PExplode is the physical Explode: it works on each partition on its own.
type PExplode struct {
	Input     PhysNode
	Column    string
	Pos       bool // a PosColumn precedes Column (posexplode)
	Outer     bool // NULL and empty lists yield one row of NULLs (explode_outer)
	OutSchema *arrow.Schema
}

// Children returns the input.
func (n *PExplode) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema is the output schema: the input's with Column's list type replaced by its
// element type.
func (n *PExplode) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions is the input's.
func (n *PExplode) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node on one line.
func (n *PExplode) Describe() string { return describeExplode(n.Column, n.Pos, n.Outer) }

// analyzeExplode checks that the column is a list and derives the output schema.
func analyzeExplode(n *Explode, site string) (Node, error) {
	in := n.Input.Schema()
	idx := in.FieldIndices(n.Column)
	if len(idx) == 0 {
		return nil, atSite(unknownColumn(n.Column, schemaNames(in)), site)
	}
	lt, ok := in.Field(idx[0]).Type.(*arrow.ListType)
	if !ok {
		return nil, &AnalysisError{Site: site, Kind: ErrType,
			Msg: fmt.Sprintf("cannot explode %q of type %s: not a list", n.Column, typeName(in.Field(idx[0]).Type))}
	}
	var fields []arrow.Field
	for i, f := range in.Fields() {
		if i != idx[0] {
			fields = append(fields, f)
			continue
		}
		if n.Pos {
			if len(in.FieldIndices(PosColumn)) > 0 {
				return nil, &AnalysisError{Site: site, Kind: ErrDuplicateColumn,
					Msg: fmt.Sprintf("cannot posexplode %q: the input already has a column %q", n.Column, PosColumn)}
			}
			fields = append(fields, arrow.Field{Name: PosColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: n.Outer})
		}
		fields = append(fields, arrow.Field{Name: n.Column, Type: lt.Elem(), Nullable: true})
	}
	m := *n
	m.OutSchema = arrow.NewSchema(fields, nil)
	return &m, nil
}

// explodePartitioning is the partitioning of an Explode's output: rows stay in their
// partition and the other columns keep their values, so a hash partitioning holds
// unless it is on the exploded column.
func explodePartitioning(n *PExplode) Partitioning {
	in := OutputPartitioning(n.Input)
	if in.Kind == HashPartitioning {
		for _, k := range in.Keys {
			if k == n.Column || n.Pos && k == PosColumn {
				return Partitioning{Kind: UnknownPartitioning, N: n.NumPartitions()}
			}
		}
	}
	return in
}
