package plan

import (
	"errors"
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
	case *Filter:
		if hasInSubquery(n.Cond) { // Spark's RewritePredicateSubquery: see InSubquery
			return rewriteInSubqueries(n, newChildren[0])
		}
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
	switch n := n.(type) {
	case *Scan:
		return analyzeScan(n)
	case *Project:
		if anyWindowFunc(n.Exprs) {
			return analyzeWindowProject(n, site)
		}
		return analyzeProject(n, site)
	case *Window:
		return analyzeWindow(n, site)
	case *Filter:
		return analyzeFilter(n, site)
	case *Aggregate:
		return analyzeAggregate(n, site)
	case *Explode:
		return analyzeExplode(n, site)
	case *Expand:
		return analyzeExpand(n, site)
	case *Limit:
		if n.N < 0 {
			return nil, failAt(site, ErrInvalidPlan, "negative limit %d", n.N)
		}
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Union:
		return analyzeUnion(n, site)
	case *Repartition:
		return analyzeRepartition(n, site)
	case *Coalesce:
		if n.N <= 0 {
			return nil, failAt(site, ErrInvalidPlan, "coalesce into %d partitions", n.N)
		}
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Join:
		return analyzeJoin(n, site)
	case *AsOfJoin:
		return analyzeAsOfJoin(n, site)
	case *Broadcast:
		m := *n
		m.OutSchema = n.Input.Schema()
		return &m, nil
	case *Cache:
		m := *n
		if _, err := ColumnIndices(n.Input.Schema(), n.Columns); err != nil {
			return nil, failAt(site, ErrInvalidPlan, "%v", err)
		}
		m.OutSchema = cacheSchema(n.Input.Schema(), n.Columns)
		return &m, nil
	case *Sort:
		return analyzeSort(n, site)
	case *MapBatches:
		return analyzeMapBatches(n, site)
	case *Sample:
		return analyzeSample(n, site)
	case *MapPartitions:
		return analyzeMapPartitions(n, site)
	}
	return nil, failAt(site, ErrInvalidPlan, "unsupported node %T", n)
}

// failAt builds the analysis error of the node at site.
func failAt(site string, kind error, format string, args ...any) error {
	return &AnalysisError{Site: site, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func analyzeProject(n *Project, site string) (Node, error) {
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
}

func analyzeFilter(n *Filter, site string) (Node, error) {
	if n.Cond == nil {
		return nil, failAt(site, ErrInvalidPlan, "filter without a condition")
	}
	cond, t, err := resolveExpr(n.Cond, n.Input.Schema())
	if err != nil {
		return nil, atSite(err, site)
	}
	if !isBool(t) && !isNullType(t) {
		return nil, failAt(site, ErrType, "filter condition %s is %s, not boolean", n.Cond, typeName(t))
	}
	if isNullType(t) {
		cond = &Literal{Type: typBool}
	}
	m := *n
	m.Cond = cond
	m.OutSchema = n.Input.Schema()
	return &m, nil
}

func analyzeRepartition(n *Repartition, site string) (Node, error) {
	if n.N <= 0 {
		return nil, failAt(site, ErrInvalidPlan, "repartition into %d partitions", n.N)
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
}

func analyzeMapBatches(n *MapBatches, site string) (Node, error) {
	if n.Fn == nil {
		return nil, failAt(site, ErrInvalidPlan, "map_batches %q without a function", n.Name)
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

func analyzeAggregate(n *Aggregate, site string) (Node, error) {
	in := n.Input.Schema()
	fields, err := groupKeyFields(n.Keys, in, site)
	if err != nil {
		return nil, err
	}
	m := *n
	m.Keys = append([]string(nil), n.Keys...)
	m.Aggs = make([]AggExpr, len(n.Aggs))
	for i, a := range n.Aggs {
		ra, f, err := analyzeAggExpr(a, in, site)
		if err != nil {
			return nil, err
		}
		m.Aggs[i] = ra
		fields = append(fields, f)
	}
	if err := checkUnique(fieldNames(fields)); err != nil {
		return nil, atSite(err, site)
	}
	m.OutSchema = arrow.NewSchema(fields, nil)
	return &m, nil
}

// groupKeyFields returns the input fields of the grouping keys, which must exist and be
// comparable.
func groupKeyFields(keys []string, in *arrow.Schema, site string) ([]arrow.Field, error) {
	fields := make([]arrow.Field, 0, len(keys))
	for _, k := range keys {
		idx := in.FieldIndices(k)
		if len(idx) == 0 {
			return nil, atSite(unknownColumn(k, schemaNames(in)), site)
		}
		f := in.Field(idx[0])
		if !isComparable(f.Type) {
			return nil, failAt(site, ErrType, "cannot group by %q of type %s", k, typeName(f.Type))
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// analyzeAggExpr names an aggregate, resolves its arguments against in and checks their
// types; it returns the resolved aggregate and its output field.
func analyzeAggExpr(a AggExpr, in *arrow.Schema, site string) (AggExpr, arrow.Field, error) {
	ra := a
	if ra.Name == "" {
		ra.Name = AggExpr{Func: a.Func, Arg: a.Arg, Arg2: a.Arg2, K: a.K, Stat: a.Stat, IgnoreNulls: a.IgnoreNulls}.String()
	}
	if a.Arg2 != nil && a.Func != AggCorr {
		return ra, arrow.Field{}, failAt(site, ErrInvalidPlan, "%s takes one argument", ra)
	}
	var argType arrow.DataType
	if a.Func == AggCountAll {
		ra.Arg = nil
	} else {
		if a.Arg == nil {
			return ra, arrow.Field{}, failAt(site, ErrInvalidPlan, "%s needs an argument", a.Func)
		}
		arg, t, err := resolveAggArg(a.Arg, in, site)
		if err != nil {
			return ra, arrow.Field{}, inAggregate(err, ra.Name)
		}
		if ra.Arg, argType, err = checkAggArg(&ra, arg, t, in, site); err != nil {
			return ra, arrow.Field{}, err
		}
	}
	return ra, AggOutputField(ra, argType), nil
}

// inAggregate prefixes the message of an analysis error in an aggregate's argument with
// the aggregate's name, so that an error inside a generated expression (a FILTER's
// case_when) still names the aggregate the user wrote.
func inAggregate(err error, name string) error {
	var ae *AnalysisError
	if !errors.As(err, &ae) || strings.HasPrefix(ae.Msg, "unknown column") {
		return err
	}
	c := *ae
	c.Msg = "in " + name + ": " + c.Msg
	return &c
}

// resolveAggArg resolves an aggregate's argument. A NULL literal becomes an int64 one, so
// that the aggregate has a type to work in.
func resolveAggArg(e Expr, in *arrow.Schema, site string) (Expr, arrow.DataType, error) {
	arg, t, err := resolveExpr(e, in)
	if err != nil {
		return nil, nil, atSite(err, site)
	}
	if al, ok := arg.(*Alias); ok { // the aggregate names the output, not the argument
		arg = al.Child
	}
	if isNullType(t) {
		arg, t = &Literal{Type: typInt64}, typInt64
	}
	return arg, t, nil
}

// checkAggArg checks the resolved argument arg of type t against what ra's function
// accepts, resolving corr's second argument into ra.Arg2. It returns the argument the
// aggregate reads and its type (a dictionary becomes a string where states hold values).
func checkAggArg(ra *AggExpr, arg Expr, t arrow.DataType, in *arrow.Schema, site string) (Expr, arrow.DataType, error) {
	switch ra.Func {
	case AggSum, AggMean:
		if !IsNumeric(t) && !isAggDecimal(t) {
			return nil, nil, failAt(site, ErrType, "%s needs a numeric argument, got %s", *ra, typeName(t))
		}
	case AggCount:
	case AggMedian, AggStddev, AggVariance, AggTopK:
		if !IsIntOrFloat(t) {
			return nil, nil, failAt(site, ErrType, "%s needs an integer or floating-point argument, got %s", *ra, typeName(t))
		}
		if ra.Func == AggTopK && ra.K < 1 {
			return nil, nil, failAt(site, ErrInvalidPlan, "%s needs k >= 1, got %d", *ra, ra.K)
		}
	case AggApproxCountDistinct, AggApproxPercentile, AggPercentile, AggStatMode:
		return checkStatAggArg(ra, arg, t, site)
	case AggCorr:
		if err := checkCorrArgs(ra, t, in, site); err != nil {
			return nil, nil, err
		}
	case AggCollectList, AggCollectSet, AggLast, AggAnyValue, AggBoolAnd, AggBoolOr, AggSumDistinct, AggSumCounts:
		return checkCollectArg(ra, arg, t, site)
	case AggCountDistinct, AggMin, AggMax, AggFirst:
		if !isComparable(t) {
			return nil, nil, failAt(site, ErrType, "%s needs a comparable argument, got %s", *ra, typeName(t))
		}
		if t.ID() == arrow.DICTIONARY {
			// min, max, first and distinct sets hold plain strings.
			return &Cast{Child: arg, To: typString}, typString, nil
		}
	default:
		return nil, nil, failAt(site, ErrInvalidPlan, "unknown aggregate function %d", ra.Func)
	}
	return arg, t, nil
}

// checkCorrArgs checks both arguments of corr, the first of type t, and resolves the
// second into ra.Arg2.
func checkCorrArgs(ra *AggExpr, t arrow.DataType, in *arrow.Schema, site string) error {
	if !IsIntOrFloat(t) {
		return failAt(site, ErrType, "%s needs integer or floating-point arguments, got %s", *ra, typeName(t))
	}
	if ra.Arg2 == nil {
		return failAt(site, ErrInvalidPlan, "%s needs a second argument", *ra)
	}
	arg2, t2, err := resolveAggArg(ra.Arg2, in, site)
	if err != nil {
		return err
	}
	if !IsIntOrFloat(t2) {
		return failAt(site, ErrType, "%s needs integer or floating-point arguments, got %s", *ra, typeName(t2))
	}
	ra.Arg2 = arg2
	return nil
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
