package exectest

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

var oIntRe = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)$`)

// oCast is the oracle's cast: independent regular-expression and time-package parsing.
func oCast(v any, to arrow.DataType) any {
	if v == nil {
		return nil
	}
	var out any
	ok := false
	switch to.ID() {
	case arrow.INT64, arrow.INT32:
		return oCastInt(v, to.ID() == arrow.INT32)
	case arrow.FLOAT64:
		out, ok = oCastFloat(v)
	case arrow.BOOL:
		out, ok = oCastBool(v)
	case arrow.STRING:
		out, ok = oCastString(v)
	case arrow.DATE32:
		out, ok = oCastDate(v)
	case arrow.TIMESTAMP:
		out, ok = oCastTimestamp(v)
	}
	if !ok {
		panic(fmt.Sprintf("oracle: cast %T to %v", v, to))
	}
	return out
}

// oCastInt casts non-NULL v to int64, or to int32 if to32.
func oCastInt(v any, to32 bool) any {
	var x int64
	switch v := v.(type) {
	case int64:
		x = v
	case bool:
		if v {
			x = 1
		}
	case float64:
		x = oFloatToInt(v, to32)
	case string:
		p, ok := oParseInt(v, to32)
		if !ok {
			return nil
		}
		x = p
	default:
		panic(fmt.Sprintf("oracle: cast %T to int", v))
	}
	if to32 {
		return int32(x)
	}
	return x
}

// oFloatToInt truncates v toward zero, saturating at the target's bounds; NaN is 0.
func oFloatToInt(v float64, to32 bool) int64 {
	var x int64
	switch {
	case math.IsNaN(v):
		x = 0
	case v >= math.MaxInt64:
		x = math.MaxInt64
	case v <= math.MinInt64:
		x = math.MinInt64
	default:
		x = int64(v)
	}
	if to32 {
		x = max(min(x, math.MaxInt32), math.MinInt32)
	}
	return x
}

// oParseInt parses a string as Spark does for an integral cast: surrounding spaces are
// ignored and a fraction is truncated. It reports false (a NULL result) for anything else
// or a value out of the target's range.
func oParseInt(v string, to32 bool) (int64, bool) {
	s := strings.TrimSpace(v)
	if !oIntRe.MatchString(s) {
		return 0, false
	}
	if k := strings.IndexByte(s, '.'); k >= 0 {
		s = s[:k]
	}
	if s == "" || s == "-" || s == "+" {
		s += "0"
	}
	p, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	if to32 && (p > math.MaxInt32 || p < math.MinInt32) {
		return 0, false
	}
	return p, true
}

// The oCastX helpers below cast non-NULL v to one target type. They report false for a
// source type the oracle does not cast to that target; a value that does not parse is a
// NULL result, reported true.

func oCastFloat(v any) (any, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case string:
		s := strings.TrimSpace(v)
		s = strings.TrimSuffix(s, "d")
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, true
		}
		return f, true
	}
	return nil, false
}

func oCastBool(v any) (any, bool) {
	switch v := v.(type) {
	case int64:
		return v != 0, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "t", "true", "y", "yes", "1":
			return true, true
		case "f", "false", "n", "no", "0":
			return false, true
		}
		return nil, true
	}
	return nil, false
}

func oCastString(v any) (any, bool) {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10), true
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case arrow.Date32:
		return v.FormattedString(), true
	case arrow.Timestamp:
		return v.ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05.999999"), true
	}
	return nil, false
}

func oCastDate(v any) (any, bool) {
	switch v := v.(type) {
	case arrow.Timestamp:
		t := v.ToTime(arrow.Microsecond)
		y, m, d := t.Date()
		return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)), true
	case string:
		s := strings.TrimSpace(v)
		if k := strings.IndexAny(s, " T"); k >= 0 {
			s = s[:k]
		}
		t, err := time.Parse("2006-1-2", s)
		if err != nil || len(strings.Split(s, "-")[0]) != 4 {
			return nil, true
		}
		return arrow.Date32FromTime(t), true
	}
	return nil, false
}

func oCastTimestamp(v any) (any, bool) {
	switch v := v.(type) {
	case arrow.Date32:
		return arrow.Timestamp(v.ToTime().UnixMicro()), true
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02"} {
			if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
				return arrow.Timestamp(t.UnixMicro()), true
			}
		}
		return nil, true
	}
	return nil, false
}
