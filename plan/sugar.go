package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// WithColumns adds or replaces columns: a column whose name exists keeps its position,
// a new one is appended. The analyzer rewrites it into a Project once the input schema
// is known (datasets are lazy, so the schema is not known when the node is built).
type WithColumns struct {
	Meta
	Input Node
	Exprs []Expr // each named by OutputName
}

// Drop removes columns by name. Naming a column that does not exist is an error.
type Drop struct {
	Meta
	Input   Node
	Columns []string
}

// Rename renames column From to To.
type Rename struct {
	Meta
	Input    Node
	From, To string
}

// Distinct keeps one copy of each distinct row; the analyzer rewrites it into an
// Aggregate keyed by every column.
type Distinct struct {
	Meta
	Input Node
}

// Children returns the input whose duplicate rows are dropped.
func (n *Distinct) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy deduplicating c[0].
func (n *Distinct) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node as Distinct, with no columns: they are known only once
// analysis has resolved the input.
func (n *Distinct) Describe() string { return "Distinct" }

// Children returns the input the columns are added to.
func (n *WithColumns) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy adding the same columns to c[0].
func (n *WithColumns) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node with the expressions it adds or replaces.
func (n *WithColumns) Describe() string { return "WithColumns [" + exprList(n.Exprs) + "]" }

// Children returns the input the columns are dropped from.
func (n *Drop) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy dropping the same columns from c[0].
func (n *Drop) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node with the dropped column names.
func (n *Drop) Describe() string { return "Drop [" + strings.Join(n.Columns, ", ") + "]" }

// Children returns the input whose column is renamed.
func (n *Rename) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy renaming the same column of c[0].
func (n *Rename) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node as Rename from -> to.
func (n *Rename) Describe() string { return fmt.Sprintf("Rename %s -> %s", n.From, n.To) }

// expandSugar rewrites WithColumns, Drop and Rename into a Project, and Distinct into an Aggregate, over input, whose
// schema is known (analyzed). Other nodes are returned unchanged.
func expandSugar(n Node, input Node) (Node, error) {
	in := input.Schema()
	site := n.Site()
	switch n := n.(type) {
	case *WithColumns:
		exprs := make([]Expr, 0, in.NumFields()+len(n.Exprs))
		replaced := make(map[string]Expr, len(n.Exprs))
		for _, e := range n.Exprs {
			replaced[OutputName(e)] = e
		}
		for _, f := range in.Fields() {
			if e, ok := replaced[f.Name]; ok {
				exprs = append(exprs, e)
				delete(replaced, f.Name)
				continue
			}
			exprs = append(exprs, &ColumnRef{Name: f.Name})
		}
		for _, e := range n.Exprs {
			if _, ok := replaced[OutputName(e)]; ok {
				exprs = append(exprs, e)
			}
		}
		return &Project{Meta: Meta{CallSite: site}, Input: input, Exprs: exprs}, nil
	case *Distinct:
		keys := make([]string, in.NumFields())
		for i, f := range in.Fields() {
			keys[i] = f.Name
		}
		return &Aggregate{Meta: Meta{CallSite: site}, Input: input, Keys: keys}, nil
	case *Drop:
		drop := make(map[string]bool, len(n.Columns))
		for _, c := range n.Columns {
			if len(in.FieldIndices(c)) == 0 {
				return nil, &AnalysisError{Site: site, Kind: ErrUnknownColumn, Msg: fmt.Sprintf("cannot drop unknown column %q (columns: %s)", c, sugarFieldNames(in))}
			}
			drop[c] = true
		}
		var exprs []Expr
		for _, f := range in.Fields() {
			if !drop[f.Name] {
				exprs = append(exprs, &ColumnRef{Name: f.Name})
			}
		}
		return &Project{Meta: Meta{CallSite: site}, Input: input, Exprs: exprs}, nil
	case *Rename:
		if len(in.FieldIndices(n.From)) == 0 {
			return nil, &AnalysisError{Site: site, Kind: ErrUnknownColumn, Msg: fmt.Sprintf("cannot rename unknown column %q (columns: %s)", n.From, sugarFieldNames(in))}
		}
		exprs := make([]Expr, 0, in.NumFields())
		for _, f := range in.Fields() {
			var e Expr = &ColumnRef{Name: f.Name}
			if f.Name == n.From {
				e = &Alias{Child: e, Name: n.To}
			}
			exprs = append(exprs, e)
		}
		return &Project{Meta: Meta{CallSite: site}, Input: input, Exprs: exprs}, nil
	}
	return n, nil
}

func sugarFieldNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
