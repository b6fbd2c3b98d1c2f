package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Analyze resolves a logical plan before anything runs: it checks every column name and
// operand type, rewrites expressions so exec sees one type per operator (casts inserted,
// literals retyped), names unnamed aggregates and sets every node's output schema. It
// returns a new tree; root is not modified. Analyzing an analyzed tree is a no-op.
//
// Errors are *AnalysisError values naming the node's call site.
func Analyze(root Node) (Node, error) {
	if root == nil {
		return nil, errAt(ErrInvalidPlan, "nil plan")
	}
	children := root.Children()
	var newChildren []Node
	if len(children) > 0 {
		newChildren = make([]Node, len(children))
		for i, c := range children {
			if c == nil {
				return nil, &AnalysisError{Site: nodeSite(root), Kind: ErrInvalidPlan, Msg: "missing input"}
			}
			ac, err := Analyze(c)
			if err != nil {
				return nil, err
			}
			newChildren[i] = ac
		}
	}
	switch n := root.(type) {
	case *Scan:
		return analyzeScan(n)
	case *WithColumns, *Drop, *Rename, *Distinct:
		// Sugar nodes need their input's schema to become a Project or an Aggregate.
		expanded, err := expandSugar(n, newChildren[0])
		if err != nil {
			return nil, err
		}
		return analyzeNode(expanded)
	}
	return analyzeNode(root.WithChildren(newChildren))
}

func analyzeScan(n *Scan) (Node, error) {
	site := nodeSite(n)
	if n.Source == nil {
		return nil, &AnalysisError{Site: site, Kind: ErrInvalidPlan, Msg: "scan without a source"}
	}
	full, err := n.Source.Schema()
	if err != nil {
		return nil, fmt.Errorf("plan: %s: schema of %s: %w", site, n.Source, err)
	}
	m := *n
	m.OutSchema = full
	if n.Columns != nil {
		fields := make([]arrow.Field, len(n.Columns))
		for i, c := range n.Columns {
			idx := full.FieldIndices(c)
			if len(idx) == 0 {
				return nil, atSite(unknownColumn(c, schemaNames(full)), site)
			}
			fields[i] = full.Field(idx[0])
		}
		md := full.Metadata()
		m.OutSchema = arrow.NewSchema(fields, &md)
		m.Columns = append([]string(nil), n.Columns...)
	}
	if n.Filters != nil {
		m.Filters = make([]Expr, len(n.Filters))
		for i, f := range n.Filters {
			rf, t, err := resolveExpr(f, full)
			if err != nil {
				return nil, atSite(err, site)
			}
			if !isBool(t) && !isNullType(t) {
				return nil, &AnalysisError{Site: site, Kind: ErrType, Msg: fmt.Sprintf("pushed filter %s is %s, not boolean", f, typeName(t))}
			}
			m.Filters[i] = rf
		}
	}
	if err := checkUnique(schemaNames(m.OutSchema)); err != nil {
		return nil, atSite(err, site)
	}
	return &m, nil
}

// analyzeNode resolves one node whose inputs are analyzed and sets its output schema.
// It is idempotent, so the optimizer uses it to recompute the schema of nodes it rebuilds.
func analyzeNode(n Node) (Node, error) {
	site := nodeSite(n)
	fail := func(kind error, format string, args ...any) error {
		return &AnalysisError{Site: site, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	}
	switch n := n.(type) {
	case *Scan:
		return analyzeScan(n)
	case *Project:
		in := n.Input.Schema()
		m := *n
		m.Exprs = make([]Expr, len(n.Exprs))
		fields := make([]arrow.Field, len(n.Exprs))
		for i, e := range n.Exprs {
			re, t, err := resolveExpr(e, in)
			if err != nil {
				return nil, atSite(err, site)
			}
			name := OutputName(e)
			if OutputName(re) != name {
				re = &Alias{Child: re, Name: name}
			}
			m.Exprs[i] = re
			fields[i] = arrow.Field{Name: name, Type: t, Nullable: true}
			if c, ok := re.(*ColumnRef); ok {
				fields[i] = in.Field(in.FieldIndices(c.Name)[0])
			}
		}
		if err := checkUnique(fieldNames(fields)); err != nil {
			return nil, atSite(err, site)
		}
		m.OutSchema = arrow.NewSchema(fields, nil)
		return &m, nil
	case *Filter:
		if n.Cond == nil {
			return nil, fail(ErrInvalidPlan, "filter without a condition")
		}
		cond, t, err := resolveExpr(n.Cond, n.Input.Schema())
		if err != nil {
			return nil, atSite(err, site)
		}
		if !isBool(t) && !isNullType(t) {
			return nil, fail(ErrType, "filter condition %s is %s, not boolean", n.Cond, typeName(t))
		}
		if isNullType(t) {
			cond = &Literal{Type: typBool}
		}
		m := *n
		m.Cond = cond
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Aggregate:
		return analyzeAggregate(n, site)
	case *Explode:
		return analyzeExplode(n, site)
	case *Limit:
		if n.N < 0 {
			return nil, fail(ErrInvalidPlan, "negative limit %d", n.N)
		}
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Union:
		return analyzeUnion(n, site)
	case *Repartition:
		if n.N <= 0 {
			return nil, fail(ErrInvalidPlan, "repartition into %d partitions", n.N)
		}
		in := n.Input.Schema()
		for _, k := range n.Keys {
			if len(in.FieldIndices(k)) == 0 {
				return nil, atSite(unknownColumn(k, schemaNames(in)), site)
			}
		}
		m := *n
		m.OutSchema = in
		return &m, nil
	case *Coalesce:
		if n.N <= 0 {
			return nil, fail(ErrInvalidPlan, "coalesce into %d partitions", n.N)
		}
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Join:
		return analyzeJoin(n, site)
	case *Broadcast:
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Cache:
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Sort:
		return analyzeSort(n, site)
	case *MapBatches:
		if n.Fn == nil {
			return nil, fail(ErrInvalidPlan, "map_batches %q without a function", n.Name)
		}
		m := *n
		m.OutSchema = n.Input.Schema()
		if n.OutputSchema != nil {
			if err := checkUnique(schemaNames(n.OutputSchema)); err != nil {
				return nil, atSite(err, site)
			}
			m.OutSchema = n.OutputSchema
		}
		return &m, nil
	}
	return nil, fail(ErrInvalidPlan, "unsupported node %T", n)
}

func analyzeAggregate(n *Aggregate, site string) (Node, error) {
	in := n.Input.Schema()
	fail := func(kind error, format string, args ...any) error {
		return &AnalysisError{Site: site, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	}
	fields := make([]arrow.Field, 0, len(n.Keys)+len(n.Aggs))
	for _, k := range n.Keys {
		idx := in.FieldIndices(k)
		if len(idx) == 0 {
			return nil, atSite(unknownColumn(k, schemaNames(in)), site)
		}
		f := in.Field(idx[0])
		if !isComparable(f.Type) {
			return nil, fail(ErrType, "cannot group by %q of type %s", k, typeName(f.Type))
		}
		fields = append(fields, f)
	}
	m := *n
	m.Keys = append([]string(nil), n.Keys...)
	m.Aggs = make([]AggExpr, len(n.Aggs))
	for i, a := range n.Aggs {
		ra := a
		if ra.Name == "" {
			ra.Name = AggExpr{Func: a.Func, Arg: a.Arg, Arg2: a.Arg2, K: a.K}.String()
		}
		if a.Arg2 != nil && a.Func != AggCorr {
			return nil, fail(ErrInvalidPlan, "%s takes one argument", ra)
		}
		var argType arrow.DataType
		if a.Func == AggCountAll {
			ra.Arg = nil
		} else {
			if a.Arg == nil {
				return nil, fail(ErrInvalidPlan, "%s needs an argument", a.Func)
			}
			arg, t, err := resolveExpr(a.Arg, in)
			if err != nil {
				return nil, atSite(err, site)
			}
			if al, ok := arg.(*Alias); ok { // the aggregate names the output, not the argument
				arg = al.Child
			}
			if isNullType(t) {
				arg, t = &Literal{Type: typInt64}, typInt64
			}
			switch a.Func {
			case AggSum, AggMean:
				if !IsNumeric(t) {
					return nil, fail(ErrType, "%s needs a numeric argument, got %s", ra, typeName(t))
				}
			case AggCount:
			case AggMedian, AggStddev, AggVariance, AggTopK:
				if !IsIntOrFloat(t) {
					return nil, fail(ErrType, "%s needs an integer or floating-point argument, got %s", ra, typeName(t))
				}
				if a.Func == AggTopK && a.K < 1 {
					return nil, fail(ErrInvalidPlan, "%s needs k >= 1, got %d", ra, a.K)
				}
			case AggCorr:
				if !IsIntOrFloat(t) {
					return nil, fail(ErrType, "%s needs integer or floating-point arguments, got %s", ra, typeName(t))
				}
				if a.Arg2 == nil {
					return nil, fail(ErrInvalidPlan, "%s needs a second argument", ra)
				}
				arg2, t2, err := resolveExpr(a.Arg2, in)
				if err != nil {
					return nil, atSite(err, site)
				}
				if al, ok := arg2.(*Alias); ok {
					arg2 = al.Child
				}
				if isNullType(t2) {
					arg2, t2 = &Literal{Type: typInt64}, typInt64
				}
				if !IsIntOrFloat(t2) {
					return nil, fail(ErrType, "%s needs integer or floating-point arguments, got %s", ra, typeName(t2))
				}
				ra.Arg2 = arg2
			case AggCountDistinct, AggMin, AggMax, AggFirst:
				if !isComparable(t) {
					return nil, fail(ErrType, "%s needs a comparable argument, got %s", ra, typeName(t))
				}
				if t.ID() == arrow.DICTIONARY {
					// min, max, first and distinct sets hold plain strings.
					arg, t = &Cast{Child: arg, To: typString}, typString
				}
			default:
				return nil, fail(ErrInvalidPlan, "unknown aggregate function %d", a.Func)
			}
			ra.Arg = arg
			argType = t
		}
		m.Aggs[i] = ra
		f := arrow.Field{Name: ra.Name, Type: AggResultType(a.Func, argType), Nullable: true}
		if a.Func == AggCount || a.Func == AggCountAll || a.Func == AggCountDistinct {
			f.Nullable = false
		}
		fields = append(fields, f)
	}
	if err := checkUnique(fieldNames(fields)); err != nil {
		return nil, atSite(err, site)
	}
	m.OutSchema = arrow.NewSchema(fields, nil)
	return &m, nil
}

func analyzeUnion(n *Union, site string) (Node, error) {
	if len(n.Inputs) == 0 {
		return nil, &AnalysisError{Site: site, Kind: ErrInvalidPlan, Msg: "union of no inputs"}
	}
	first := n.Inputs[0].Schema()
	var diffs []string
	for i := 1; i < len(n.Inputs); i++ {
		s := n.Inputs[i].Schema()
		for _, f := range first.Fields() {
			idx := s.FieldIndices(f.Name)
			if len(idx) == 0 {
				diffs = append(diffs, fmt.Sprintf("input %d lacks column %q (%s) of input 0", i, f.Name, typeName(f.Type)))
				continue
			}
			if t := s.Field(idx[0]).Type; !arrow.TypeEqual(t, f.Type) {
				diffs = append(diffs, fmt.Sprintf("column %q is %s in input 0 but %s in input %d", f.Name, typeName(f.Type), typeName(t), i))
			}
		}
		for _, f := range s.Fields() {
			if len(first.FieldIndices(f.Name)) == 0 {
				diffs = append(diffs, fmt.Sprintf("input 0 lacks column %q (%s) of input %d", f.Name, typeName(f.Type), i))
			}
		}
	}
	if len(diffs) > 0 {
		return nil, &AnalysisError{Site: site, Kind: ErrUnionMismatch,
			Msg: "union inputs differ: " + strings.Join(diffs, "; ")}
	}
	m := *n
	m.Inputs = append([]Node(nil), n.Inputs...)
	m.OutSchema = first
	return &m, nil
}

func fieldNames(fs []arrow.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// checkUnique reports the column names that occur more than once.
func checkUnique(names []string) error {
	seen := make(map[string]int, len(names))
	var dups []string
	for _, n := range names {
		seen[n]++
		if seen[n] == 2 {
			dups = append(dups, fmt.Sprintf("%q", n))
		}
	}
	if len(dups) == 0 {
		return nil
	}
	sort.Strings(dups)
	return errAt(ErrDuplicateColumn, "duplicate output column "+strings.Join(dups, ", ")+
		" (columns: "+strings.Join(names, ", ")+")")
}
