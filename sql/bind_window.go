package sql

import (
	"github.com/kindling-data/kindling/plan"
)

// withWindows wraps a clause binder so that the window functions of its result become
// the plan's WindowFunc, the node dataset's Over builds; the analyzer then moves them
// into Window nodes.
func (b *binder) withWindows(post func(plan.Expr, string) (plan.Expr, error)) func(plan.Expr, string) (plan.Expr, error) {
	return func(e plan.Expr, clause string) (plan.Expr, error) {
		x, err := post(e, clause)
		if err != nil {
			return nil, err
		}
		return rewrite(x, func(x plan.Expr) (plan.Expr, error) {
			if w, ok := x.(*winCall); ok {
				return b.lowerWindow(w)
			}
			return x, nil
		})
	}
}

// lowerWindow turns a bound window call into a plan.WindowFunc. The window's PARTITION BY
// and ORDER BY entries must be columns (of the FROM relations, or of the aggregation:
// group keys and aggregates).
func (b *binder) lowerWindow(w *winCall) (plan.Expr, error) {
	f := &plan.WindowFunc{Func: w.kind, IgnoreNulls: w.ignoreNulls, Site: b.site}
	for _, e := range w.partition {
		c, ok := e.(*plan.ColumnRef)
		if !ok {
			return nil, errAt(w.p, "PARTITION BY %s in %s's window: only columns are supported yet (compute it in a subquery)", e, w.name)
		}
		f.Spec.PartitionBy = append(f.Spec.PartitionBy, c.Name)
	}
	for _, o := range w.order {
		c, ok := o.expr.(*plan.ColumnRef)
		if !ok {
			return nil, errAt(o.p, "ORDER BY %s in %s's window: only columns are supported yet (compute it in a subquery)", o.expr, w.name)
		}
		nullsFirst := !o.desc
		if o.nullsFirst != nil {
			nullsFirst = *o.nullsFirst
		}
		f.Spec.OrderBy = append(f.Spec.OrderBy, plan.SortKey{Column: c.Name, Descending: o.desc, NullsFirst: nullsFirst})
	}
	f.Spec.Frame = w.frame
	if err := w.lowerArgs(f); err != nil {
		return nil, err
	}
	return f, nil
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
