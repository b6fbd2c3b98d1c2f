package plan

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// The session time zone and the current time. Timestamps are instants (microseconds
// since the epoch, UTC); a function that reads or writes a wall clock (a date part, a
// date format, parsing zone-less text, date_trunc, a cast between timestamps and dates
// or strings) uses the session time zone, as Spark's spark.sql.session.timeZone. As in
// Spark's analyzer rule ResolveTimeZone, the zone is stamped onto those expressions at
// job start (ApplySession), so that the evaluator's kernels stay functions of their
// inputs and the plan shows it:
//
//   - a zone-aware call gets the zone as an extra trailing string literal argument,
//     date_format(ts, "HH:mm", "Europe/Berlin");
//   - a cast between a zone-less timestamp and a date or a string goes through a
//     timestamp of the session zone, CAST(CAST(ts AS timestamp[us, tz=Europe/Berlin]) AS
//     date32), which is the same instant read in that zone.
//
// With the session zone UTC nothing is stamped: the plan, and the kernels' UTC fast
// paths, are those of a plan without a zone. As Spark's ComputeCurrentTime rule,
// current_date() and current_timestamp() become literals at job start, so that every
// row, task and reference of one job sees the same value.

// SessionSettings are the session's settings ApplySession stamps onto an analyzed plan.
type SessionSettings struct {
	// TimeZone is the session time zone, an IANA name ("" means UTC).
	TimeZone string
	// Now is the job's start time: the value of current_timestamp().
	Now time.Time
}

// zoneAwareArity lists the functions whose result depends on the session time zone,
// with their arity without the zone argument.
var zoneAwareArity = map[string]int{
	"year": 1, "quarter": 1, "month": 1, "dayofmonth": 1, "dayofweek": 1, "dayofyear": 1,
	"weekofyear": 1, "hour": 1, "minute": 1, "second": 1,
	"months_between": 2,
	"to_timestamp":   2, "unix_timestamp": 2, "date_format": 2, "from_unixtime": 2,
	"date_trunc": 2, "timestamp_add_interval": 2,
}

// LoadTimeZone loads a session time zone: an IANA name such as "Europe/Berlin", or
// "UTC" ("" too). "Local" is refused: a plan must mean the same on every machine.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (want an IANA name such as \"Europe/Berlin\")", name)
	}
	return loc, nil
}

// splitZoneArg returns the arguments of a zone-aware call without its stamped zone
// argument, and that argument (nil when the call has none).
func splitZoneArg(e *Call) ([]Expr, Expr) {
	n, ok := zoneAwareArity[strings.ToLower(e.Func)]
	if !ok || len(e.Args) != n+1 {
		return e.Args, nil
	}
	l, ok := e.Args[n].(*Literal)
	if !ok {
		return e.Args, nil
	}
	s, ok := l.Value.(string)
	if !ok {
		return e.Args, nil
	}
	if _, err := LoadTimeZone(s); err != nil {
		return e.Args, nil
	}
	return e.Args[:n], &Literal{Value: s, Type: typString}
}

// withZoneArg appends a stamped zone argument to a resolved call.
func withZoneArg(e Expr, zone Expr) Expr {
	c, ok := e.(*Call)
	if !ok || zone == nil {
		return e
	}
	return &Call{Func: c.Func, Args: append(append([]Expr(nil), c.Args...), zone)}
}

// ApplySession stamps the session's time zone and current time onto an analyzed plan:
// zone-aware calls and casts get the zone (unless it is UTC), current_date() and
// current_timestamp() become literals of s.Now (the date in the session zone). Output
// names do not change. Call it once per job, after Analyze and before Optimize.
func ApplySession(root Node, s SessionSettings) (Node, error) {
	loc, err := LoadTimeZone(s.TimeZone)
	if err != nil {
		return nil, errAt(ErrInvalidPlan, err.Error())
	}
	zone := ""
	if loc != time.UTC {
		zone = s.TimeZone
	}
	r := &sessionRewriter{zone: zone, now: s.Now, loc: loc}
	return r.node(root)
}

type sessionRewriter struct {
	zone string // "" for UTC: nothing to stamp
	now  time.Time
	loc  *time.Location
}

func (r *sessionRewriter) node(n Node) (Node, error) {
	ch := n.Children()
	changed := false
	if len(ch) > 0 {
		nc := make([]Node, len(ch))
		for i, c := range ch {
			var err error
			if nc[i], err = r.node(c); err != nil {
				return nil, err
			}
			changed = changed || nc[i] != c
		}
		if changed {
			n = n.WithChildren(nc)
		}
	}
	exprChanged := false
	expr := func(e Expr, in *arrow.Schema) (Expr, error) {
		out, err := r.expr(e, in)
		exprChanged = exprChanged || out != e
		return out, err
	}
	var err error
	switch m := n.(type) {
	case *Project:
		p := *m
		p.Exprs = make([]Expr, len(m.Exprs))
		for i, e := range m.Exprs {
			if p.Exprs[i], err = expr(e, m.Input.Schema()); err != nil {
				return nil, err
			}
			if name := OutputName(e); OutputName(p.Exprs[i]) != name {
				p.Exprs[i] = &Alias{Child: p.Exprs[i], Name: name}
			}
		}
		n = &p
	case *Filter:
		f := *m
		if f.Cond, err = expr(m.Cond, m.Input.Schema()); err != nil {
			return nil, err
		}
		n = &f
	case *Aggregate:
		a := *m
		a.Aggs = append([]AggExpr(nil), m.Aggs...)
		for i := range a.Aggs {
			if a.Aggs[i].Arg != nil {
				if a.Aggs[i].Arg, err = expr(a.Aggs[i].Arg, m.Input.Schema()); err != nil {
					return nil, err
				}
			}
			if a.Aggs[i].Arg2 != nil {
				if a.Aggs[i].Arg2, err = expr(a.Aggs[i].Arg2, m.Input.Schema()); err != nil {
					return nil, err
				}
			}
		}
		n = &a
	case *Join:
		if m.Cond != nil {
			j := *m
			if j.Cond, err = joinCondRewrite(m, expr); err != nil {
				return nil, err
			}
			n = &j
		}
	}
	if !changed && !exprChanged {
		return n, nil
	}
	if _, ok := n.(*Scan); ok {
		return n, nil
	}
	return analyzeNode(n)
}

// expr rewrites e bottom-up.
func (r *sessionRewriter) expr(e Expr, in *arrow.Schema) (Expr, error) {
	ch := e.Children()
	if len(ch) > 0 {
		nc := make([]Expr, len(ch))
		changed := false
		for i, c := range ch {
			var err error
			if nc[i], err = r.expr(c, in); err != nil {
				return nil, err
			}
			changed = changed || nc[i] != c
		}
		if changed {
			e = e.WithChildren(nc)
		}
	}
	switch e := e.(type) {
	case *Call:
		name := strings.ToLower(e.Func)
		switch {
		case name == "current_date" && len(e.Args) == 0:
			y, m, d := r.now.In(r.loc).Date()
			days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			return &Literal{Value: arrow.Date32(days), Type: dateTypDate}, nil
		case name == "current_timestamp" && len(e.Args) == 0:
			return &Literal{Value: arrow.Timestamp(r.now.UnixMicro()), Type: dateTypTimestamp}, nil
		}
		if n, ok := zoneAwareArity[name]; ok && r.zone != "" && len(e.Args) == n {
			return withZoneArg(e, &Literal{Value: r.zone, Type: typString}), nil
		}
	case *Cast:
		if r.zone == "" {
			return e, nil
		}
		from, err := TypeOf(e.Child, in)
		if err != nil {
			return nil, err
		}
		zoned := func(t arrow.DataType) Expr {
			return &Cast{Child: &Cast{Child: e.Child, To: &arrow.TimestampType{Unit: t.(*arrow.TimestampType).Unit, TimeZone: r.zone}}, To: e.To}
		}
		ft, fromTS := from.(*arrow.TimestampType)
		tt, toTS := e.To.(*arrow.TimestampType)
		switch {
		case fromTS && isInstant(ft) && (e.To.ID() == arrow.DATE32 || isStringLike(e.To)):
			return zoned(ft), nil
		case toTS && isInstant(tt) && (from.ID() == arrow.DATE32 || isStringLike(from)):
			return zoned(tt), nil
		}
	}
	return e, nil
}

func init() {
	register(map[string]funcSpec{
		"current_date":      {resolve: resolveCurrentTime(dateTypDate)},
		"current_timestamp": {resolve: resolveCurrentTime(dateTypTimestamp)},
	})
}

// resolveCurrentTime types current_date() → date and current_timestamp() → timestamp:
// no arguments. ApplySession replaces them with literals at job start.
func resolveCurrentTime(t arrow.DataType) func(c *callSite) (Expr, arrow.DataType, error) {
	return func(c *callSite) (Expr, arrow.DataType, error) {
		if len(c.args) != 0 {
			return nil, nil, c.bad("no arguments")
		}
		return c.done(t)
	}
}

// isInstant reports whether a timestamp type is read in the session time zone: zone-less
// or UTC (as a Lit(time.Time) is typed).
func isInstant(t *arrow.TimestampType) bool { return t.TimeZone == "" || t.TimeZone == "UTC" }
