package sql

import (
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// intervalUnits maps Spark's interval units (singular and plural) to a month count or a
// day count or a duration in nanoseconds: exactly one of the three is set.
var intervalUnits = map[string]struct {
	months, days int32
	nanos        int64
}{
	"year": {months: 12}, "month": {months: 1}, "week": {days: 7}, "day": {days: 1},
	"hour": {nanos: 3600e9}, "minute": {nanos: 60e9}, "second": {nanos: 1e9},
	"millisecond": {nanos: 1e6}, "microsecond": {nanos: 1e3},
}

func intervalUnit(w string) (string, bool) {
	w = lower(w)
	if _, ok := intervalUnits[w]; ok {
		return w, true
	}
	if s := strings.TrimSuffix(w, "s"); s != w {
		if _, ok := intervalUnits[s]; ok {
			return s, true
		}
	}
	return "", false
}

// isIntervalStart reports whether INTERVAL at the current token starts an interval
// literal (a number, a string or a sign follows), not a column named interval.
func (p *parser) isIntervalStart() bool {
	nx := p.peekAt(1)
	return nx.kind == tokNumber || nx.kind == tokString || nx.kind == tokOp && (nx.text == "-" || nx.text == "+")
}

// interval reads the rest of an interval literal, INTERVAL already read, in Spark's
// forms: value unit [value unit ...] (INTERVAL '90' DAY, INTERVAL 3 MONTHS, INTERVAL 1
// YEAR 2 MONTHS), 'y-m' YEAR TO MONTH, and a string of its own units (INTERVAL '1 day
// 2 hours'). Values may be signed, and seconds fractional (to the microsecond). It is
// the literal LitInterval builds; date ± interval is then typed by the analyzer.
func (p *parser) interval(at pos) (plan.Expr, error) {
	var iv arrow.MonthDayNanoInterval
	n := 0
	for {
		if n > 0 && !p.moreInterval() {
			break
		}
		neg := p.acceptOp("-")
		if !neg {
			p.acceptOp("+")
		}
		t := p.peek()
		if t.kind != tokNumber && t.kind != tokString {
			return nil, p.unexpected("an interval value ('90' DAY, 3 MONTHS)")
		}
		vat := p.here()
		p.i++
		unitTok := p.peek()
		unit, ok := "", false
		if unitTok.kind == tokIdent {
			unit, ok = intervalUnit(unitTok.text)
		}
		if !ok {
			if t.kind == tokString && n == 0 { // INTERVAL '1 day 2 hours'
				v, err := parseIntervalText(t.text, vat)
				if err != nil {
					return nil, err
				}
				return intervalLit(v, neg), nil
			}
			return nil, p.unexpected("an interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND)")
		}
		p.i++
		var err error
		if unit == "year" && p.acceptKw("to", "month") {
			err = addYearToMonth(&iv, t.text, neg, vat)
		} else {
			err = addIntervalUnit(&iv, strings.TrimSpace(t.text), unit, neg, vat)
		}
		if err != nil {
			return nil, err
		}
		n++
	}
	return intervalLit(iv, false), nil
}

// moreInterval reports whether another value unit pair follows (INTERVAL 1 YEAR 2 MONTHS),
// looking past a sign without reading it.
func (p *parser) moreInterval() bool {
	k := 0
	if t := p.peek(); t.kind == tokOp && (t.text == "-" || t.text == "+") {
		k = 1
	}
	v, u := p.peekAt(k), p.peekAt(k+1)
	if v.kind != tokNumber && v.kind != tokString || u.kind != tokIdent {
		return false
	}
	_, ok := intervalUnit(u.text)
	return ok
}

func intervalLit(v arrow.MonthDayNanoInterval, neg bool) plan.Expr {
	if neg {
		v = arrow.MonthDayNanoInterval{Months: -v.Months, Days: -v.Days, Nanoseconds: -v.Nanoseconds}
	}
	return &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.MonthDayNanoInterval}
}

// addIntervalUnit adds value units to iv; only seconds (and the units below) may have a
// fraction, kept to the microsecond as Spark keeps it.
func addIntervalUnit(iv *arrow.MonthDayNanoInterval, value, unit string, neg bool, at pos) error {
	u := intervalUnits[unit]
	if neg {
		value = "-" + value
	}
	if u.nanos == 0 {
		v, err := strconv.ParseInt(value, 10, 32)
		if err != nil {
			return errAt(at, "interval value %s %s: want a whole number of %ss", value, strings.ToUpper(unit), unit)
		}
		m, d := int64(iv.Months)+v*int64(u.months), int64(iv.Days)+v*int64(u.days)
		if m != int64(int32(m)) || d != int64(int32(d)) {
			return errAt(at, "interval value %s %s is out of range", value, strings.ToUpper(unit))
		}
		iv.Months, iv.Days = int32(m), int32(d)
		return nil
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f*float64(u.nanos)) > math.MaxInt64/2 {
		return errAt(at, "interval value %s %s: want a number", value, strings.ToUpper(unit))
	}
	iv.Nanoseconds += int64(math.Round(f*float64(u.nanos)/1e3)) * 1e3
	return nil
}

// addYearToMonth reads 'y-m' YEAR TO MONTH.
func addYearToMonth(iv *arrow.MonthDayNanoInterval, value string, neg bool, at pos) error {
	s := strings.TrimSpace(value)
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, s[1:]
	}
	y, m, ok := strings.Cut(s, "-")
	yy, err1 := strconv.ParseInt(y, 10, 32)
	mm, err2 := strconv.ParseInt(m, 10, 32)
	if !ok || err1 != nil || err2 != nil || mm > 11 || yy < 0 || mm < 0 || yy > math.MaxInt32/12-1 {
		return errAt(at, "interval '%s' YEAR TO MONTH: want 'years-months'", value)
	}
	months := int32(yy*12 + mm)
	if neg {
		months = -months
	}
	iv.Months += months
	return nil
}

// parseIntervalText reads the string form '1 day 2 hours', '-3 months'.
func parseIntervalText(s string, at pos) (arrow.MonthDayNanoInterval, error) {
	var iv arrow.MonthDayNanoInterval
	f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(lower(s)), "interval"))
	if len(f) == 0 || len(f)%2 != 0 {
		return iv, errAt(at, "malformed interval '%s' (want pairs of a number and a unit, as '1 day 2 hours')", s)
	}
	for i := 0; i < len(f); i += 2 {
		unit, ok := intervalUnit(f[i+1])
		if !ok {
			return iv, errAt(at, "malformed interval '%s': unknown unit %s", s, f[i+1])
		}
		v, neg := f[i], false
		if strings.HasPrefix(v, "-") {
			v, neg = v[1:], true
		}
		if err := addIntervalUnit(&iv, v, unit, neg, at); err != nil {
			return iv, err
		}
	}
	return iv, nil
}
