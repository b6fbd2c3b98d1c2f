package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCurrentTimeAndZoneTyping(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: ts}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	str := func(s string) Expr { return &Literal{Value: s, Type: arrow.BinaryTypes.String} }
	call := func(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }
	for _, c := range []struct {
		e    Expr
		want arrow.DataType // nil: an error naming the call
		rewr string
	}{
		{call("current_date"), arrow.FixedWidthTypes.Date32, "current_date()"},
		{call("CURRENT_TIMESTAMP"), ts, "current_timestamp()"},
		{call("current_date", col("ts")), nil, ""},
		{call("current_timestamp", str("UTC")), nil, ""},
		// A stamped zone argument survives analysis; an unknown zone is not one.
		{call("hour", col("ts"), str("Europe/Berlin")), arrow.PrimitiveTypes.Int32, `hour(ts, "Europe/Berlin")`},
		{call("hour", col("s"), str("Europe/Berlin")), arrow.PrimitiveTypes.Int32, `hour(CAST(s AS timestamp[us]), "Europe/Berlin")`},
		{call("date_format", col("ts"), str("HH"), str("Asia/Kolkata")), arrow.BinaryTypes.String, `date_format(ts, "HH", "Asia/Kolkata")`},
		{call("hour", col("ts"), str("Nowhere/Special")), nil, ""},
	} {
		out, got, err := resolveExpr(c.e, schema)
		if c.want == nil {
			if err == nil || !strings.Contains(err.Error(), c.e.String()) || !strings.Contains(err.Error(), "takes") {
				t.Errorf("%s: %v, %v; want an error naming the call and what it takes", c.e, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if !arrow.TypeEqual(got, c.want) || out.String() != c.rewr {
			t.Errorf("%s: %s of %v, want %s of %v", c.e, out, got, c.rewr, c.want)
		}
	}
}

func TestApplySessionStampsZoneAndTime(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: ts}, {Name: "s", Type: arrow.BinaryTypes.String}}, nil)
	scan := &Scan{Source: &fakeSource{name: "t", schema: schema, parts: 2}}
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	proj := &Project{Input: scan, Exprs: []Expr{
		&Call{Func: "hour", Args: []Expr{col("ts")}},
		&Cast{Child: col("ts"), To: arrow.FixedWidthTypes.Date32},
		&Alias{Child: &Cast{Child: col("s"), To: ts}, Name: "parsed"},
		&Alias{Child: &Call{Func: "current_date"}, Name: "today"},
		&Alias{Child: &Call{Func: "current_timestamp"}, Name: "now"},
	}}
	a, err := Analyze(proj)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 3, 1, 2, 30, 0, 0, time.UTC) // Feb 29 in New York
	for _, c := range []struct {
		zone string
		want []string
	}{
		{"UTC", []string{"hour(ts)", "CAST(ts AS date32)", "CAST(s AS timestamp[us]) AS parsed",
			"DATE '2024-03-01' AS today", "TIMESTAMP '2024-03-01 02:30:00' AS now"}},
		{"America/New_York", []string{`hour(ts, "America/New_York") AS hour(ts)`,
			"CAST(CAST(ts AS timestamp[us, tz=America/New_York]) AS date32) AS CAST(ts AS date32)",
			"CAST(CAST(s AS timestamp[us, tz=America/New_York]) AS timestamp[us]) AS parsed",
			"DATE '2024-02-29' AS today", "TIMESTAMP '2024-03-01 02:30:00' AS now"}},
	} {
		got, err := ApplySession(a, SessionSettings{TimeZone: c.zone, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Schema().Equal(a.Schema()) {
			t.Fatalf("%s: schema %v, want %v", c.zone, got.Schema(), a.Schema())
		}
		p := got.(*Project)
		for i, e := range p.Exprs {
			if e.String() != c.want[i] {
				t.Errorf("%s: expression %d = %s, want %s", c.zone, i, e, c.want[i])
			}
		}
		// Stamping is idempotent, and the optimizer keeps it.
		again, err := ApplySession(got, SessionSettings{TimeZone: c.zone, Now: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if FormatLogical(again) != FormatLogical(got) {
			t.Errorf("%s: stamping twice changed the plan:\n%s\n%s", c.zone, FormatLogical(got), FormatLogical(again))
		}
		if opt := Optimize(got); !strings.Contains(FormatLogical(opt), "today") || (c.zone != "UTC" && !strings.Contains(FormatLogical(opt), c.zone)) {
			t.Errorf("%s: optimized plan lost the stamp:\n%s", c.zone, FormatLogical(opt))
		}
	}
	if _, err := ApplySession(a, SessionSettings{TimeZone: "Not/AZone"}); err == nil || !strings.Contains(err.Error(), "Not/AZone") {
		t.Errorf("unknown zone: %v", err)
	}
}
