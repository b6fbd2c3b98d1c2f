package exectest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Test data and the plain-Go, row-by-row oracle that the Evaluator's tests compare
// against.

// ---- test data ----------------------------------------------------------------------

var (
	EvPoolS  = []string{"", "a", "abc", "ABC", "héllo", "ÉCOLE", "straße", "日本語テキスト", "abcabc", "xyz", " padded ", "Ab"}
	evPoolS2 = []string{"a", "bc", "", "é", "xyz", "ABC"}
	evPoolD  = []string{"x", "abc", "Héllo", "", "a", "12"} // plus a NULL entry
	evPoolSN = []string{"12", " 7 ", "-3.9", "abc", "", "1e3", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "2020-02-29", "2021-02-29", "2020-1-5", "2020-01-02 03:04:05",
		"2020-01-02T03:04:05.25Z", "2020-01-02T03:04:05+01:00", "true", "NO", "NaN", "-Infinity", "1.5d",
		"+5", ".", "1.", "300", "-129"}
	evPoolF = []float64{math.NaN(), 0, math.Copysign(0, -1), 1.5, -2.25, math.Inf(1), math.Inf(-1), 3, 1e7, 1e-4}
)

// MakeExprBatch builds a batch of n rows with every column kind the Evaluator handles.
// With allNull every column is entirely NULL.
func MakeExprBatch(mem memory.Allocator, rng *rand.Rand, n int, allNull bool) arrow.RecordBatch {
	null := func() bool { return allNull || rng.IntN(5) == 0 }
	fields := []arrow.Field{}
	var cols []arrow.Array
	add := func(name string, arr arrow.Array) {
		fields = append(fields, arrow.Field{Name: name, Type: arr.DataType(), Nullable: true})
		cols = append(cols, arr)
	}
	ints := func(gen func() int64) arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for i := 0; i < n; i++ {
			if null() {
				b.AppendNull()
			} else {
				b.Append(gen())
			}
		}
		return b.NewArray()
	}
	floats := func() arrow.Array {
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for i := 0; i < n; i++ {
			switch {
			case null():
				b.AppendNull()
			case rng.IntN(2) == 0:
				b.Append(evPoolF[rng.IntN(len(evPoolF))])
			default:
				b.Append(math.Round(rng.Float64()*2000-1000) / 8)
			}
		}
		return b.NewArray()
	}
	strs := func(pool []string) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := 0; i < n; i++ {
			if null() {
				b.AppendNull()
			} else {
				b.Append(pool[rng.IntN(len(pool))])
			}
		}
		return b.NewArray()
	}
	add("i", ints(func() int64 {
		switch rng.IntN(20) {
		case 0:
			return math.MaxInt64
		case 1:
			return math.MinInt64
		}
		return rng.Int64N(101) - 50
	}))
	add("j", ints(func() int64 { return rng.Int64N(7) - 3 }))
	add("f", floats())
	add("g", floats())
	add("s", strs(EvPoolS))
	add("s2", strs(evPoolS2))
	add("sn", strs(evPoolSN))
	{ // d: dictionary<int32, utf8> whose dictionary has a NULL entry at the end
		db := array.NewStringBuilder(mem)
		db.AppendValues(evPoolD, nil)
		db.AppendNull()
		dict := db.NewArray()
		db.Release()
		ib := array.NewInt32Builder(mem)
		for i := 0; i < n; i++ {
			if null() {
				ib.AppendNull()
			} else {
				ib.Append(int32(rng.IntN(len(evPoolD) + 1)))
			}
		}
		idx := ib.NewArray()
		ib.Release()
		add("d", array.NewDictionaryArray(DictType, idx, dict))
		idx.Release()
		dict.Release()
	}
	{
		b := array.NewBooleanBuilder(mem)
		for i := 0; i < n; i++ {
			if null() {
				b.AppendNull()
			} else {
				b.Append(rng.IntN(2) == 0)
			}
		}
		add("b", b.NewArray())
		b.Release()
	}
	add("nn", array.MakeArrayOfNull(mem, arrow.PrimitiveTypes.Int64, n))
	{
		b := array.NewDate32Builder(mem)
		for i := 0; i < n; i++ {
			if null() {
				b.AppendNull()
			} else {
				b.Append(arrow.Date32(rng.IntN(30000) - 5000))
			}
		}
		add("dt", b.NewArray())
		b.Release()
	}
	{
		b := array.NewTimestampBuilder(mem, TimestampType)
		for i := 0; i < n; i++ {
			if null() {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(rng.Int64N(4e15) - 1e15))
			}
		}
		add("ts", b.NewArray())
		b.Release()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// ArrayRows reads an array into plain Go values (nil for NULL); dictionaries decode.
func ArrayRows(t testing.TB, arr arrow.Array) []any {
	out := make([]any, arr.Len())
	for i := range out {
		if arr.IsNull(i) {
			continue
		}
		switch a := arr.(type) {
		case *array.Int64:
			out[i] = a.Value(i)
		case *array.Int32:
			out[i] = a.Value(i)
		case *array.Float64:
			out[i] = a.Value(i)
		case *array.String:
			out[i] = strings.Clone(a.Value(i)) // outlives the batch's buffers
		case *array.Boolean:
			out[i] = a.Value(i)
		case *array.Date32:
			out[i] = a.Value(i)
		case *array.Timestamp:
			out[i] = a.Value(i)
		case *array.Dictionary:
			dict := a.Dictionary()
			k := a.GetValueIndex(i)
			if dict.IsValid(k) {
				out[i] = strings.Clone(dict.(*array.String).Value(k))
			}
		default:
			t.Fatalf("evRowsOf: unsupported %T", arr)
		}
	}
	return out
}

// RecordRows reads a batch into one map per row.
func RecordRows(t testing.TB, rec arrow.RecordBatch) []map[string]any {
	rows := make([]map[string]any, rec.NumRows())
	for i := range rows {
		rows[i] = map[string]any{}
	}
	for c, f := range rec.Schema().Fields() {
		for i, v := range ArrayRows(t, rec.Column(c)) {
			rows[i][f.Name] = v
		}
	}
	return rows
}

// ---- the row-by-row oracle ----------------------------------------------------------

// OracleEval evaluates e over one row with plain Go, following Spark's non-ANSI rules.
func OracleEval(e plan.Expr, row map[string]any) any {
	switch e := e.(type) {
	case *plan.ColumnRef:
		return row[e.Name]
	case *plan.Literal:
		return e.Value
	case *plan.Alias:
		return OracleEval(e.Child, row)
	case *plan.Unary:
		v := OracleEval(e.Child, row)
		switch e.Op {
		case plan.OpIsNull:
			return v == nil
		case plan.OpIsNotNull:
			return v != nil
		}
		if v == nil {
			return nil
		}
		if e.Op == plan.OpNot {
			return !v.(bool)
		}
		switch v := v.(type) {
		case int64:
			return -v
		case float64:
			return -v
		}
		panic("oracle: neg")
	case *plan.Binary:
		l, r := OracleEval(e.Left, row), OracleEval(e.Right, row)
		switch e.Op {
		case plan.OpAnd:
			if l == false || r == false {
				return false
			}
			if l == nil || r == nil {
				return nil
			}
			return true
		case plan.OpOr:
			if l == true || r == true {
				return true
			}
			if l == nil || r == nil {
				return nil
			}
			return false
		}
		if l == nil || r == nil {
			return nil
		}
		if e.Op.IsComparison() {
			c := oCmp(l, r)
			switch e.Op {
			case plan.OpEq:
				return c == 0
			case plan.OpNotEq:
				return c != 0
			case plan.OpLt:
				return c < 0
			case plan.OpLtEq:
				return c <= 0
			case plan.OpGt:
				return c > 0
			}
			return c >= 0
		}
		switch a := l.(type) {
		case int64:
			b := r.(int64)
			switch e.Op {
			case plan.OpAdd:
				return a + b
			case plan.OpSub:
				return a - b
			case plan.OpMul:
				return a * b
			case plan.OpMod:
				if b == 0 {
					return nil
				}
				if b == -1 {
					return int64(0)
				}
				return a % b
			}
		case float64:
			b := r.(float64)
			switch e.Op {
			case plan.OpAdd:
				return a + b
			case plan.OpSub:
				return a - b
			case plan.OpMul:
				return a * b
			case plan.OpDiv:
				if b == 0 {
					return nil
				}
				return a / b
			case plan.OpMod:
				if b == 0 {
					return nil
				}
				return math.Mod(a, b)
			}
		}
		panic(fmt.Sprintf("oracle: binary %v on %T", e.Op, l))
	case *plan.Cast:
		return oCast(OracleEval(e.Child, row), e.To)
	case *plan.Call:
		args := make([]any, len(e.Args))
		for i, a := range e.Args {
			args[i] = OracleEval(a, row)
		}
		if e.Func == "coalesce" {
			for _, a := range args {
				if a != nil {
					return a
				}
			}
			return nil
		}
		for _, a := range args {
			if a == nil {
				return nil
			}
		}
		s := args[0].(string)
		switch e.Func {
		case "length":
			return int64(utf8.RuneCountInString(s))
		case "lower":
			return strings.ToLower(s)
		case "upper":
			return strings.ToUpper(s)
		case "substring":
			length := int64(math.MaxInt32)
			if len(args) == 3 {
				length = args[2].(int64)
			}
			return oSubstring(s, args[1].(int64), length)
		case "contains":
			return strings.Contains(s, args[1].(string))
		case "starts_with":
			return strings.HasPrefix(s, args[1].(string))
		case "ends_with":
			return strings.HasSuffix(s, args[1].(string))
		}
	}
	panic(fmt.Sprintf("oracle: %T", e))
}

// oSubstring transcribes Spark's UTF8String.substringSQL over runes.
func oSubstring(s string, pos, length int64) string {
	rs := []rune(s)
	n := int64(len(rs))
	var start int64
	if pos > 0 {
		start = pos - 1
	} else if pos < 0 {
		start = n + pos
	}
	end := start + length
	if start < 0 {
		start = 0
	}
	if end > n {
		end = n
	}
	if start >= end {
		return ""
	}
	return string(rs[start:end])
}

func oCmp(l, r any) int {
	switch a := l.(type) {
	case int64:
		return oCmpOrdered(a, r.(int64))
	case int32:
		return oCmpOrdered(a, r.(int32))
	case arrow.Date32:
		return oCmpOrdered(a, r.(arrow.Date32))
	case arrow.Timestamp:
		return oCmpOrdered(a, r.(arrow.Timestamp))
	case string:
		return strings.Compare(a, r.(string))
	case bool:
		b := r.(bool)
		switch {
		case a == b:
			return 0
		case !a:
			return -1
		}
		return 1
	case float64:
		b := r.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		}
		return oCmpOrdered(a, b)
	}
	panic(fmt.Sprintf("oracle: compare %T", l))
}

func oCmpOrdered[T int32 | int64 | float64 | arrow.Date32 | arrow.Timestamp](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var oIntRe = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)$`)

// oCast is the oracle's cast: independent regular-expression and time-package parsing.
func oCast(v any, to arrow.DataType) any {
	if v == nil {
		return nil
	}
	switch to.ID() {
	case arrow.INT64, arrow.INT32:
		var x int64
		switch v := v.(type) {
		case int64:
			x = v
		case bool:
			if v {
				x = 1
			}
		case float64:
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
			if to.ID() == arrow.INT32 {
				x = max(min(x, math.MaxInt32), math.MinInt32)
			}
		case string:
			s := strings.TrimSpace(v)
			if !oIntRe.MatchString(s) {
				return nil
			}
			if k := strings.IndexByte(s, '.'); k >= 0 {
				s = s[:k]
			}
			if s == "" || s == "-" || s == "+" {
				s += "0"
			}
			p, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil
			}
			if to.ID() == arrow.INT32 && (p > math.MaxInt32 || p < math.MinInt32) {
				return nil
			}
			x = p
		default:
			panic(fmt.Sprintf("oracle: cast %T to int", v))
		}
		if to.ID() == arrow.INT32 {
			return int32(x)
		}
		return x
	case arrow.FLOAT64:
		switch v := v.(type) {
		case int64:
			return float64(v)
		case string:
			s := strings.TrimSpace(v)
			s = strings.TrimSuffix(s, "d")
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil
			}
			return f
		}
	case arrow.BOOL:
		switch v := v.(type) {
		case int64:
			return v != 0
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "t", "true", "y", "yes", "1":
				return true
			case "f", "false", "n", "no", "0":
				return false
			}
			return nil
		}
	case arrow.STRING:
		switch v := v.(type) {
		case int64:
			return strconv.FormatInt(v, 10)
		case string:
			return v
		case bool:
			return strconv.FormatBool(v)
		case arrow.Date32:
			return v.FormattedString()
		case arrow.Timestamp:
			return v.ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05.999999")
		}
	case arrow.DATE32:
		switch v := v.(type) {
		case arrow.Timestamp:
			t := v.ToTime(arrow.Microsecond)
			y, m, d := t.Date()
			return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
		case string:
			s := strings.TrimSpace(v)
			if k := strings.IndexAny(s, " T"); k >= 0 {
				s = s[:k]
			}
			t, err := time.Parse("2006-1-2", s)
			if err != nil || len(strings.Split(s, "-")[0]) != 4 {
				return nil
			}
			return arrow.Date32FromTime(t)
		}
	case arrow.TIMESTAMP:
		switch v := v.(type) {
		case arrow.Date32:
			return arrow.Timestamp(v.ToTime().UnixMicro())
		case string:
			for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02"} {
				if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
					return arrow.Timestamp(t.UnixMicro())
				}
			}
			return nil
		}
	}
	panic(fmt.Sprintf("oracle: cast %T to %v", v, to))
}

func OracleEqual(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb && math.Signbit(fa) == math.Signbit(fb) || math.IsNaN(fa) && math.IsNaN(fb))
	}
	return a == b
}
