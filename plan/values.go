package plan

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// This file evaluates literal values in plain Go: the analyzer uses it to retype literals
// and the optimizer to fold constant subexpressions. Literal values are normalized: every
// integer type holds an int64, every floating type a float64, every string type a string,
// a decimal128 a decimal128.Num (its unscaled value).

// literalType is the type of a literal, inferring it from the value when Type is nil.
func literalType(l *Literal) arrow.DataType {
	if l.Type != nil {
		return l.Type
	}
	switch l.Value.(type) {
	case bool:
		return arrow.FixedWidthTypes.Boolean
	case int64, int, int32:
		return arrow.PrimitiveTypes.Int64
	case float64, float32:
		return arrow.PrimitiveTypes.Float64
	case string:
		return arrow.BinaryTypes.String
	case arrow.Date32:
		return arrow.FixedWidthTypes.Date32
	case arrow.Timestamp:
		return arrow.FixedWidthTypes.Timestamp_us
	case arrow.MonthDayNanoInterval:
		return typInterval
	}
	return arrow.Null
}

// normalValue converts the Go value of a literal to its normalized form, reporting false
// when the value does not fit the type.
func normalValue(v any, t arrow.DataType) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch {
	case IsInteger(t):
		switch x := v.(type) {
		case int64:
			return x, true
		case int:
			return int64(x), true
		case int32:
			return int64(x), true
		}
	case isFloat(t):
		switch x := v.(type) {
		case float64:
			return x, true
		case float32:
			return float64(x), true
		}
	case isStringLike(t):
		if s, ok := v.(string); ok {
			return s, true
		}
	case t.ID() == arrow.BOOL:
		if b, ok := v.(bool); ok {
			return b, true
		}
	case t.ID() == arrow.DATE32:
		if d, ok := v.(arrow.Date32); ok {
			return d, true
		}
	case t.ID() == arrow.TIMESTAMP:
		if ts, ok := v.(arrow.Timestamp); ok {
			return ts, true
		}
	case isDecimal(t):
		if d, ok := v.(decimal128.Num); ok {
			return d, true
		}
	case isInterval(t):
		if iv, ok := v.(arrow.MonthDayNanoInterval); ok {
			return iv, true
		}
	}
	return nil, false
}

// castValue converts a normalized value of type from to type to, following Cast's rules:
// a string that does not parse becomes nil (NULL). ok is false when plan cannot evaluate
// the conversion in Go.
func castValue(v any, from, to arrow.DataType) (res any, ok bool) {
	if v == nil {
		return nil, true
	}
	if arrow.TypeEqual(from, to) || (isStringLike(from) && isStringLike(to)) {
		return normalValue(v, to)
	}
	if res, ok, handled := castDecimalValue(v, from, to); handled {
		return res, ok
	}
	switch x := v.(type) {
	case int64:
		return castInt64(x, to)
	case float64:
		return castFloat64(x, to)
	case bool:
		return castBool(x, to)
	case string:
		return castString(strings.TrimSpace(x), to)
	case arrow.Timestamp:
		return castTimestamp(x, from, to)
	}
	return nil, false
}

func castInt64(x int64, to arrow.DataType) (any, bool) {
	switch {
	case IsInteger(to):
		return x, true
	case isFloat(to):
		return float64(x), true
	case isStringLike(to):
		return strconv.FormatInt(x, 10), true
	case to.ID() == arrow.BOOL:
		return x != 0, true
	}
	return nil, false
}

func castFloat64(x float64, to arrow.DataType) (any, bool) {
	switch {
	case IsInteger(to):
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, true
		}
		return int64(x), true
	case isFloat(to):
		return x, true
	case isStringLike(to):
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return nil, false
}

func castBool(x bool, to arrow.DataType) (any, bool) {
	switch {
	case IsInteger(to):
		if x {
			return int64(1), true
		}
		return int64(0), true
	case isStringLike(to):
		return strconv.FormatBool(x), true
	}
	return nil, false
}

// castString parses s (trimmed) as to; a string that does not parse is NULL.
func castString(s string, to arrow.DataType) (any, bool) {
	var v any
	var err error
	switch {
	case IsInteger(to):
		v, err = strconv.ParseInt(s, 10, 64)
	case isFloat(to):
		v, err = strconv.ParseFloat(s, 64)
	case to.ID() == arrow.DATE32:
		var d time.Time
		d, err = time.Parse("2006-01-02", s)
		v = arrow.Date32FromTime(d)
	case to.ID() == arrow.TIMESTAMP:
		v, err = arrow.TimestampFromString(s, to.(*arrow.TimestampType).Unit)
	default:
		return nil, false
	}
	if err != nil {
		return nil, true
	}
	return v, true
}

func castTimestamp(x arrow.Timestamp, from, to arrow.DataType) (any, bool) {
	switch to.ID() {
	case arrow.TIMESTAMP:
		return convertTimestampUnit(x, from.(*arrow.TimestampType).Unit, to.(*arrow.TimestampType).Unit)
	case arrow.DATE32:
		toTime, err := from.(*arrow.TimestampType).GetToTimeFunc()
		if err != nil {
			return nil, false
		}
		return arrow.Date32FromTime(toTime(x)), true
	}
	return nil, false
}

// convertTimestampUnit rescales a timestamp to another unit; the epoch offset is kept
// across zones (see timestampComparisonType). ok is false when the value does not fit:
// past int64 in a finer unit, or with a remainder in a coarser one (plan does not choose
// how to round; the runtime cast does).
func convertTimestampUnit(v arrow.Timestamp, from, to arrow.TimeUnit) (any, bool) {
	if from == to {
		return v, true
	}
	fm, tm := from.Multiplier().Nanoseconds(), to.Multiplier().Nanoseconds()
	if fm > tm { // to a finer unit
		f := fm / tm
		if int64(v) > math.MaxInt64/f || int64(v) < math.MinInt64/f {
			return nil, false
		}
		return arrow.Timestamp(int64(v) * f), true
	}
	f := tm / fm
	if int64(v)%f != 0 {
		return nil, false
	}
	return arrow.Timestamp(int64(v) / f), true
}

// compareValues orders two normalized non-NULL values of the same type: -1, 0 or +1.
// NaN equals NaN and sorts above every other number, as in Spark.
func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		return cmp3(x < y, x > y), ok
	case float64:
		y, ok := b.(float64)
		xn, yn := math.IsNaN(x), math.IsNaN(y)
		switch {
		case xn && yn:
			return 0, ok
		case xn:
			return 1, ok
		case yn:
			return -1, ok
		}
		return cmp3(x < y, x > y), ok
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case bool:
		y, ok := b.(bool)
		return cmp3(!x && y, x && !y), ok
	case arrow.Date32:
		y, ok := b.(arrow.Date32)
		return cmp3(x < y, x > y), ok
	case arrow.Timestamp:
		y, ok := b.(arrow.Timestamp)
		return cmp3(x < y, x > y), ok
	case decimal128.Num: // both of one decimal type, as the analyzer makes them
		y, ok := b.(decimal128.Num)
		return x.Cmp(y), ok
	}
	return 0, false
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}
