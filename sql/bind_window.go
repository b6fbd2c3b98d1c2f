package sql

import (
	"strconv"

	"github.com/kindling-data/kindling/plan"
)

// windowPre collects the window keys that are expressions, not columns: they are
// computed first, in hidden columns (as Spark projects them below its Window node).
type windowPre struct {
	exprs []plan.Expr // aliased to their hidden names
	names map[string]string
}

// column returns the column holding e: e's own name when e is a column, else a hidden
// column computing it (the same expression once).
func (w *windowPre) column(e plan.Expr) string {
	if c, ok := e.(*plan.ColumnRef); ok {
		return c.Name
	}
	if name, ok := w.names[e.String()]; ok {
		return name
	}
	if w.names == nil {
		w.names = map[string]string{}
	}
	name := "__window_key_" + strconv.Itoa(len(w.exprs))
	w.names[e.String()] = name
	w.exprs = append(w.exprs, &plan.Alias{Child: e, Name: name})
	return name
}

// withWindows wraps a clause binder so that the window functions of its result become
// the plan's WindowFunc, the node dataset's Over builds; the analyzer then moves them
// into Window nodes. pre is where window keys that are expressions go.
func (b *binder) withWindows(post func(plan.Expr, string) (plan.Expr, error), pre *windowPre) func(plan.Expr, string) (plan.Expr, error) {
	return func(e plan.Expr, clause string) (plan.Expr, error) {
		x, err := post(e, clause)
		if err != nil {
			return nil, err
		}
		return rewrite(x, func(x plan.Expr) (plan.Expr, error) {
			if w, ok := x.(*winCall); ok {
				return b.lowerWindow(w, pre)
			}
			return x, nil
		})
	}
}

// lowerWindow turns a bound window call into a plan.WindowFunc; its PARTITION BY and
// ORDER BY entries that are not columns are computed in pre's hidden columns.
func (b *binder) lowerWindow(w *winCall, pre *windowPre) (plan.Expr, error) {
	f := &plan.WindowFunc{Func: w.kind, IgnoreNulls: w.ignoreNulls, Site: b.site}
	for _, e := range w.partition {
		if hasWindow(e) {
			return nil, errAt(w.p, "%s: a window's PARTITION BY cannot hold a window function", w.name)
		}
		f.Spec.PartitionBy = append(f.Spec.PartitionBy, pre.column(e))
	}
	for _, o := range w.order {
		if hasWindow(o.expr) {
			return nil, errAt(o.p, "%s: a window's ORDER BY cannot hold a window function", w.name)
		}
		if l, ok := o.expr.(*plan.Literal); ok {
			return nil, errAt(o.p, "ORDER BY %s in %s's window: a constant orders nothing", l, w.name)
		}
		nullsFirst := !o.desc
		if o.nullsFirst != nil {
			nullsFirst = *o.nullsFirst
		}
		f.Spec.OrderBy = append(f.Spec.OrderBy, plan.SortKey{Column: pre.column(o.expr), Descending: o.desc, NullsFirst: nullsFirst})
	}
	f.Spec.Frame = w.frame
	if err := w.lowerArgs(f); err != nil {
		return nil, err
	}
	return f, nil
}

func hasWindow(e plan.Expr) bool {
	switch e.(type) {
	case *winCall, *plan.WindowFunc:
		return true
	}
	for _, c := range e.Children() {
		if hasWindow(c) {
			return true
		}
	}
	return false
}

// lowerArgs checks a window function's arguments and sets them on f.
func (w *winCall) lowerArgs(f *plan.WindowFunc) error {
	a := w.args
	switch w.kind {
	case plan.WinRowNumber, plan.WinRank, plan.WinDenseRank, plan.WinPercentRank, plan.WinCumeDist:
		if len(a) != 0 {
			return errAt(w.p, "%s takes no arguments, got %d", w.name, len(a))
		}
	case plan.WinNTile:
		if len(a) != 1 {
			return errAt(w.p, "ntile takes 1 argument (the number of buckets), got %d", len(a))
		}
		n, ok := intLit(a[0])
		if !ok || n < 1 {
			return errAt(w.p, "ntile(%s): the number of buckets must be a positive integer literal", a[0])
		}
		f.Offset = n
	case plan.WinLag, plan.WinLead:
		if len(a) < 1 || len(a) > 3 {
			return errAt(w.p, "%s takes 1 to 3 arguments (value, offset, default), got %d", w.name, len(a))
		}
		f.Args, f.Offset = []plan.Expr{a[0]}, 1
		if len(a) > 1 {
			n, ok := intLit(a[1])
			if !ok {
				return errAt(w.p, "%s(%s, %s): the offset must be an integer literal", w.name, a[0], a[1])
			}
			f.Offset = n
		}
		if len(a) > 2 {
			f.Args = append(f.Args, a[2])
		}
	case plan.WinFirstValue, plan.WinLastValue, plan.WinNthValue:
		return w.lowerValueArgs(f)
	case plan.WinAgg:
		return w.lowerAgg(f)
	}
	return nil
}

// lowerValueArgs: first_value(x [, ignoreNulls]), last_value(x [, ignoreNulls]),
// nth_value(x, n [, ignoreNulls]).
func (w *winCall) lowerValueArgs(f *plan.WindowFunc) error {
	a := w.args
	need := 1
	if w.kind == plan.WinNthValue {
		need = 2
	}
	if len(a) < need || len(a) > need+1 {
		return errAt(w.p, "%s takes %d or %d arguments, got %d", w.name, need, need+1, len(a))
	}
	f.Args = []plan.Expr{a[0]}
	if need == 2 {
		n, ok := intLit(a[1])
		if !ok || n < 1 {
			return errAt(w.p, "nth_value(%s, %s): n must be a positive integer literal", a[0], a[1])
		}
		f.Offset = n
	}
	if len(a) > need {
		l, ok := a[need].(*plan.Literal)
		var v, isBool bool
		if ok {
			v, isBool = l.Value.(bool)
		}
		if !isBool {
			return errAt(w.p, "%s: its last argument (ignoreNulls) must be true or false", w.name)
		}
		f.IgnoreNulls = f.IgnoreNulls || v
	}
	return nil
}

// lowerAgg makes an aggregate over a window.
func (w *winCall) lowerAgg(f *plan.WindowFunc) error {
	if w.star {
		f.Agg = plan.AggExpr{Func: plan.AggCountAll}
		return nil
	}
	want := 1
	if w.agg == plan.AggCorr {
		want = 2
	}
	if len(w.args) != want {
		return errAt(w.p, "%s takes %d argument(s), got %d", w.name, want, len(w.args))
	}
	f.Agg = plan.AggExpr{Func: w.agg, Arg: w.args[0]}
	if want == 2 {
		f.Agg.Arg2 = w.args[1]
	}
	return nil
}

func intLit(e plan.Expr) (int64, bool) {
	l, ok := e.(*plan.Literal)
	if !ok {
		return 0, false
	}
	n, ok := l.Value.(int64)
	return n, ok
}
