package plan

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// hasWindowFunc reports whether e holds a window function.
func hasWindowFunc(e Expr) bool {
	if _, ok := e.(*WindowFunc); ok {
		return true
	}
	for _, c := range e.Children() {
		if hasWindowFunc(c) {
			return true
		}
	}
	return false
}

func anyWindowFunc(es []Expr) bool {
	for _, e := range es {
		if hasWindowFunc(e) {
			return true
		}
	}
	return false
}

// windowExtraction collects the window functions of a projection into Window nodes, one
// per (PARTITION BY, ORDER BY), in order of first use.
type windowExtraction struct {
	in     *arrow.Schema
	groups []*Window
	names  map[string]string // a function's text -> its column
	taken  map[string]bool
	site   string
}

// analyzeWindowProject rewrites a projection holding window functions into a projection
// over Window nodes (Spark's ExtractWindowExpressions) and analyzes them.
func analyzeWindowProject(n *Project, site string) (Node, error) {
	x := &windowExtraction{in: n.Input.Schema(), names: map[string]string{}, taken: map[string]bool{}, site: site}
	for _, f := range x.in.Fields() {
		x.taken[f.Name] = true
	}
	exprs := make([]Expr, len(n.Exprs))
	for i, e := range n.Exprs {
		name := OutputName(e)
		top := e
		if a, ok := e.(*Alias); ok {
			top = a.Child
		}
		if w, ok := top.(*WindowFunc); ok && !x.taken[name] {
			col, err := x.add(w, name)
			if err != nil {
				return nil, err
			}
			exprs[i] = &Alias{Child: &ColumnRef{Name: col}, Name: name}
			if col == name {
				exprs[i] = &ColumnRef{Name: col}
			}
			continue
		}
		r, err := x.replace(e)
		if err != nil {
			return nil, err
		}
		if OutputName(r) != name {
			r = &Alias{Child: r, Name: name}
		}
		exprs[i] = r
	}
	var input Node = n.Input
	for _, w := range x.groups {
		w.Input = input
		aw, err := analyzeWindow(w, w.Site())
		if err != nil {
			return nil, err
		}
		input = aw
	}
	m := *n
	m.Input, m.Exprs = input, exprs
	return analyzeProject(&m, site)
}

// replace returns e with each window function replaced by a reference to its column.
func (x *windowExtraction) replace(e Expr) (Expr, error) {
	if w, ok := e.(*WindowFunc); ok {
		col, err := x.add(w, "")
		if err != nil {
			return nil, err
		}
		return &ColumnRef{Name: col}, nil
	}
	ch := e.Children()
	if len(ch) == 0 {
		return e, nil
	}
	nc := make([]Expr, len(ch))
	for i, c := range ch {
		r, err := x.replace(c)
		if err != nil {
			return nil, err
		}
		nc[i] = r
	}
	return e.WithChildren(nc), nil
}

// add puts w into the Window node of its keys and returns its column: name when given
// and free, else _we<i>. The same function text twice is computed once.
func (x *windowExtraction) add(w *WindowFunc, name string) (string, error) {
	for _, c := range w.Children() {
		if hasWindowFunc(c) {
			return "", failAt(x.siteOf(w), ErrInvalidPlan, "%s: a window function cannot take another window function as argument", w)
		}
	}
	key := w.String()
	if col, ok := x.names[key]; ok {
		return col, nil
	}
	if name == "" || x.taken[name] {
		for i := 0; ; i++ {
			name = "_we" + strconv.Itoa(i)
			if !x.taken[name] {
				break
			}
		}
	}
	x.taken[name] = true
	x.names[key] = name
	for _, g := range x.groups {
		if (WindowSpec{PartitionBy: g.PartitionBy, OrderBy: g.OrderBy}).sameKeys(w.Spec) {
			g.Exprs = append(g.Exprs, WindowExpr{Fn: w, Name: name})
			return name, nil
		}
	}
	x.groups = append(x.groups, &Window{Meta: Meta{CallSite: x.site}, PartitionBy: w.Spec.PartitionBy,
		OrderBy: w.Spec.OrderBy, Exprs: []WindowExpr{{Fn: w, Name: name}}})
	return name, nil
}

func (x *windowExtraction) siteOf(w *WindowFunc) string {
	if w.Site != "" {
		return w.Site
	}
	return x.site
}

// analyzeWindow resolves a Window node's keys and functions and sets its schema.
func analyzeWindow(n *Window, site string) (Node, error) {
	in := n.Input.Schema()
	if _, err := groupKeyFields(n.PartitionBy, in, site); err != nil {
		return nil, err
	}
	for _, k := range n.OrderBy {
		idx := in.FieldIndices(k.Column)
		if len(idx) == 0 {
			return nil, atSite(unknownColumn(k.Column, schemaNames(in)), site)
		}
		if t := in.Field(idx[0]).Type; !isSortable(t) {
			return nil, failAt(site, ErrType, "cannot order a window by %q of type %s", k.Column, typeName(t))
		}
	}
	m := *n
	m.Exprs = make([]WindowExpr, len(n.Exprs))
	fields := append([]arrow.Field(nil), in.Fields()...)
	for i, e := range n.Exprs {
		s := site
		if e.Fn.Site != "" {
			s = e.Fn.Site
		}
		re, err := analyzeWindowExpr(e, in, s)
		if err != nil {
			return nil, err
		}
		m.Exprs[i] = re
		fields = append(fields, arrow.Field{Name: re.Name, Type: re.Type, Nullable: true})
	}
	if err := checkUnique(fieldNames(fields)); err != nil {
		return nil, atSite(err, site)
	}
	m.OutSchema = arrow.NewSchema(fields, nil)
	return &m, nil
}

// analyzeWindowExpr checks one window function: its arguments, its frame and the order
// it needs, and types its output as Spark does.
func analyzeWindowExpr(e WindowExpr, in *arrow.Schema, site string) (WindowExpr, error) {
	w := *e.Fn
	spec := w.Spec
	if w.Func.IsRanking() {
		if len(spec.OrderBy) == 0 {
			return e, failAt(site, ErrInvalidPlan, "%s: %s needs a window with ORDER BY", &w, w.Func)
		}
		if spec.Frame != nil {
			return e, failAt(site, ErrInvalidPlan, "%s: %s takes no frame (%s); it ignores frames", &w, w.Func, spec.Frame)
		}
	}
	e.Frame = spec.DefaultFrame()
	if spec.Frame != nil {
		e.Frame = *spec.Frame
		if err := checkFrame(&w, e.Frame, in, site); err != nil {
			return e, err
		}
	}
	var err error
	switch w.Func {
	case WinRowNumber, WinRank, WinDenseRank:
		e.Type = arrow.PrimitiveTypes.Int32
	case WinPercentRank, WinCumeDist:
		e.Type = arrow.PrimitiveTypes.Float64
	case WinNTile:
		if w.Offset < 1 || w.Offset > math32 {
			return e, failAt(site, ErrInvalidPlan, "%s: ntile needs 1 <= n <= %d buckets, got %d", &w, math32, w.Offset)
		}
		e.Type = arrow.PrimitiveTypes.Int32
	case WinLag, WinLead, WinFirstValue, WinLastValue, WinNthValue:
		err = resolveWindowValue(&w, &e, in, site)
	case WinAgg:
		err = resolveWindowAgg(&w, &e, in, site)
	default:
		return e, failAt(site, ErrInvalidPlan, "unknown window function %d", w.Func)
	}
	if err != nil {
		return e, err
	}
	e.Fn = &w
	return e, nil
}

const math32 = 1<<31 - 1

// checkFrame checks a frame given explicitly: ordered bounds, and for RANGE offsets one
// numeric or date order key.
func checkFrame(w *WindowFunc, f WindowFrame, in *arrow.Schema, site string) error {
	if f.Start == UnboundedFollowing || f.End == UnboundedPreceding {
		return failAt(site, ErrInvalidPlan, "%s: frame %s cannot start at UNBOUNDED FOLLOWING or end at UNBOUNDED PRECEDING", w, f)
	}
	if f.Start > f.End {
		return failAt(site, ErrInvalidPlan, "%s: frame %s starts after its end", w, f)
	}
	offsets := (f.Start != UnboundedPreceding && f.Start != 0) || (f.End != UnboundedFollowing && f.End != 0)
	if f.Kind != FrameRange || !offsets {
		return nil
	}
	if len(w.Spec.OrderBy) != 1 {
		return failAt(site, ErrInvalidPlan, "%s: a RANGE frame with offsets needs exactly one ORDER BY key, got %d", w, len(w.Spec.OrderBy))
	}
	k := w.Spec.OrderBy[0].Column
	if idx := in.FieldIndices(k); len(idx) == 1 {
		if t := in.Field(idx[0]).Type; !IsNumeric(t) && t.ID() != arrow.DATE32 {
			return failAt(site, ErrType, "%s: a RANGE frame with offsets needs a numeric or date ORDER BY key, %q is %s", w, k, typeName(t))
		}
	}
	return nil
}

// resolveWindowValue resolves the value argument of lag, lead, first_value, last_value
// and nth_value (and lag/lead's default, cast to the value's type).
func resolveWindowValue(w *WindowFunc, e *WindowExpr, in *arrow.Schema, site string) error {
	if len(w.Args) == 0 || w.Args[0] == nil {
		return failAt(site, ErrInvalidPlan, "%s needs a value argument", w.Func)
	}
	if w.Func == WinNthValue && w.Offset < 1 {
		return failAt(site, ErrInvalidPlan, "%s: nth_value needs n >= 1, got %d", w, w.Offset)
	}
	arg, t, err := resolveAggArg(w.Args[0], in, site)
	if err != nil {
		return err
	}
	args := []Expr{arg}
	if (w.Func == WinLag || w.Func == WinLead) && len(w.Args) > 1 && w.Args[1] != nil {
		def, dt, err := resolveExpr(w.Args[1], in)
		if err != nil {
			return atSite(err, site)
		}
		if al, ok := def.(*Alias); ok {
			def = al.Child
		}
		if t.ID() == arrow.DICTIONARY && !isNullType(dt) {
			// A default joins the values: the result is a plain string column.
			arg, t = &Cast{Child: arg, To: typString}, typString
			args[0] = arg
		}
		if !arrow.TypeEqual(dt, t) {
			if !isNullType(dt) && !CanCast(dt, t) {
				return failAt(site, ErrType, "%s: the default %s cannot become %s", w, w.Args[1], typeName(t))
			}
			if def, err = coerce(def, dt, t); err != nil {
				return atSite(err, site)
			}
		}
		args = append(args, def)
	}
	w.Args = args
	e.ArgType, e.Type = t, t
	return nil
}

// resolveWindowAgg resolves an aggregate over a window. Sum, count, mean, min, max and
// first are supported; the others are refused by name.
func resolveWindowAgg(w *WindowFunc, e *WindowExpr, in *arrow.Schema, site string) error {
	a := w.Agg
	switch a.Func {
	case AggSum, AggMean, AggCount, AggCountAll, AggMin, AggMax, AggFirst:
	default:
		return failAt(site, ErrInvalidPlan, "%s: %s is not supported over a window (sum, count, mean, min, max and first are)", w, a.Func)
	}
	if a.Func == AggCountAll {
		w.Agg.Arg = nil
		e.Type = arrow.PrimitiveTypes.Int64
		return nil
	}
	if a.Arg == nil {
		return failAt(site, ErrInvalidPlan, "%s needs an argument", w)
	}
	arg, t, err := resolveAggArg(a.Arg, in, site)
	if err != nil {
		return err
	}
	switch a.Func {
	case AggSum, AggMean:
		if !IsNumeric(t) {
			return failAt(site, ErrType, "%s needs an integer or floating-point argument over a window, got %s", w, typeName(t))
		}
	case AggMin, AggMax, AggFirst:
		if !isSortable(t) {
			return failAt(site, ErrType, "%s needs a comparable argument, got %s", w, typeName(t))
		}
	}
	w.Agg.Arg = arg
	e.ArgType = t
	e.Type = AggResultType(a.Func, t)
	return nil
}

// misplacedWindow is the error for a window function outside a projection.
func misplacedWindow(w *WindowFunc) error {
	return errAt(ErrInvalidPlan, fmt.Sprintf("%s: window functions are allowed only in Select and WithColumn", w))
}
