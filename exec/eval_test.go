package exec

import (
	"context"
	"fmt"
	"io"
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

// ---- expression helpers -------------------------------------------------------------

func eCol(name string) plan.Expr { return &plan.ColumnRef{Name: name} }
func eInt(v int64) plan.Expr     { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }
func eFlt(v float64) plan.Expr   { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Float64} }
func eStr(v string) plan.Expr    { return &plan.Literal{Value: v, Type: arrow.BinaryTypes.String} }
func eBool(v bool) plan.Expr     { return &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Boolean} }
func eNull(dt arrow.DataType) plan.Expr {
	return &plan.Literal{Value: nil, Type: dt}
}
func eBin(op plan.BinaryOp, l, r plan.Expr) plan.Expr { return &plan.Binary{Op: op, Left: l, Right: r} }
func eUn(op plan.UnaryOp, c plan.Expr) plan.Expr      { return &plan.Unary{Op: op, Child: c} }
func eCast(c plan.Expr, to arrow.DataType) plan.Expr  { return &plan.Cast{Child: c, To: to} }
func eCall(f string, args ...plan.Expr) plan.Expr     { return &plan.Call{Func: f, Args: args} }

var (
	evTestTS   = &arrow.TimestampType{Unit: arrow.Microsecond}
	evTestDict = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
)

// ---- test data ----------------------------------------------------------------------

var (
	evPoolS  = []string{"", "a", "abc", "ABC", "héllo", "ÉCOLE", "straße", "日本語テキスト", "abcabc", "xyz", " padded ", "Ab"}
	evPoolS2 = []string{"a", "bc", "", "é", "xyz", "ABC"}
	evPoolD  = []string{"x", "abc", "Héllo", "", "a", "12"} // plus a NULL entry
	evPoolSN = []string{"12", " 7 ", "-3.9", "abc", "", "1e3", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "2020-02-29", "2021-02-29", "2020-1-5", "2020-01-02 03:04:05",
		"2020-01-02T03:04:05.25Z", "2020-01-02T03:04:05+01:00", "true", "NO", "NaN", "-Infinity", "1.5d",
		"+5", ".", "1.", "300", "-129"}
	evPoolF = []float64{math.NaN(), 0, math.Copysign(0, -1), 1.5, -2.25, math.Inf(1), math.Inf(-1), 3, 1e7, 1e-4}
)

// evMakeBatch builds a batch of n rows with every column kind the evaluator handles.
// With allNull every column is entirely NULL.
func evMakeBatch(mem memory.Allocator, rng *rand.Rand, n int, allNull bool) arrow.RecordBatch {
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
	add("s", strs(evPoolS))
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
		add("d", array.NewDictionaryArray(evTestDict, idx, dict))
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
		b := array.NewTimestampBuilder(mem, evTestTS)
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

// evRowsOf reads an array into plain Go values (nil for NULL); dictionaries decode.
func evRowsOf(t testing.TB, arr arrow.Array) []any {
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
			out[i] = a.Value(i)
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
				out[i] = dict.(*array.String).Value(k)
			}
		default:
			t.Fatalf("evRowsOf: unsupported %T", arr)
		}
	}
	return out
}

// evRecordRows reads a batch into one map per row.
func evRecordRows(t testing.TB, rec arrow.RecordBatch) []map[string]any {
	rows := make([]map[string]any, rec.NumRows())
	for i := range rows {
		rows[i] = map[string]any{}
	}
	for c, f := range rec.Schema().Fields() {
		for i, v := range evRowsOf(t, rec.Column(c)) {
			rows[i][f.Name] = v
		}
	}
	return rows
}

// ---- the row-by-row oracle ----------------------------------------------------------

// oEval evaluates e over one row with plain Go, following Spark's non-ANSI rules.
func oEval(e plan.Expr, row map[string]any) any {
	switch e := e.(type) {
	case *plan.ColumnRef:
		return row[e.Name]
	case *plan.Literal:
		return e.Value
	case *plan.Alias:
		return oEval(e.Child, row)
	case *plan.Unary:
		v := oEval(e.Child, row)
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
		l, r := oEval(e.Left, row), oEval(e.Right, row)
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
		return oCast(oEval(e.Child, row), e.To)
	case *plan.Call:
		args := make([]any, len(e.Args))
		for i, a := range e.Args {
			args[i] = oEval(a, row)
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

func oEqual(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb && math.Signbit(fa) == math.Signbit(fb) || math.IsNaN(fa) && math.IsNaN(fb))
	}
	return a == b
}

// ---- the expressions under test -----------------------------------------------------

func evTestExprs() []plan.Expr {
	i, j, f, g := eCol("i"), eCol("j"), eCol("f"), eCol("g")
	s, s2, d, b, sn := eCol("s"), eCol("s2"), eCol("d"), eCol("b"), eCol("sn")
	dt, ts, nn := eCol("dt"), eCol("ts"), eCol("nn")
	f64, i64, i32 := arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32
	utf8T := arrow.BinaryTypes.String
	var out []plan.Expr
	// arithmetic
	for _, op := range []plan.BinaryOp{plan.OpAdd, plan.OpSub, plan.OpMul, plan.OpMod} {
		out = append(out, eBin(op, i, j), eBin(op, f, g), eBin(op, i, eInt(3)), eBin(op, eInt(7), j), eBin(op, f, eFlt(-2.5)))
	}
	out = append(out,
		eBin(plan.OpMod, i, eInt(0)), eBin(plan.OpMod, i, eNull(i64)),
		eBin(plan.OpDiv, f, g), eBin(plan.OpDiv, f, eFlt(0)), eBin(plan.OpDiv, eFlt(1), g),
		eBin(plan.OpDiv, eCast(i, f64), eCast(j, f64)), eBin(plan.OpDiv, f, eNull(f64)),
		eUn(plan.OpNeg, i), eUn(plan.OpNeg, f), eUn(plan.OpNeg, eBin(plan.OpAdd, i, eInt(1))),
		eBin(plan.OpAdd, eInt(1), eInt(2)), eBin(plan.OpAdd, nn, i),
	)
	// comparisons
	for op := plan.OpEq; op <= plan.OpGtEq; op++ {
		out = append(out,
			eBin(op, i, j), eBin(op, i, eInt(0)), eBin(op, eInt(0), i),
			eBin(op, f, g), eBin(op, f, eFlt(math.NaN())), eBin(op, eFlt(1.5), f), eBin(op, f, eFlt(1.5)),
			eBin(op, s, eStr("abc")), eBin(op, s, s2), eBin(op, d, eStr("abc")), eBin(op, eStr("b"), d),
			eBin(op, d, s), eBin(op, s2, d), eBin(op, d, d), eBin(op, b, eBool(true)),
			eBin(op, dt, &plan.Literal{Value: arrow.Date32(9000), Type: arrow.FixedWidthTypes.Date32}),
			eBin(op, ts, &plan.Literal{Value: arrow.Timestamp(1e15), Type: evTestTS}),
			eBin(op, d, eNull(utf8T)), eBin(op, i, nn),
		)
	}
	// boolean logic and null tests
	gt := eBin(plan.OpGt, i, j)
	out = append(out,
		eBin(plan.OpAnd, b, gt), eBin(plan.OpOr, b, gt), eUn(plan.OpNot, b), eUn(plan.OpNot, gt),
		eBin(plan.OpAnd, b, eNull(arrow.FixedWidthTypes.Boolean)), eBin(plan.OpOr, b, eNull(arrow.FixedWidthTypes.Boolean)),
		eBin(plan.OpAnd, eBool(true), b), eBin(plan.OpOr, eBool(false), eUn(plan.OpNot, b)),
		eBin(plan.OpAnd, eBin(plan.OpGt, eBin(plan.OpAdd, i, j), eInt(10)), eUn(plan.OpNot, eBin(plan.OpEq, s, eStr("a")))),
	)
	for _, c := range []plan.Expr{i, f, s, d, b, nn, dt, eInt(1), eNull(i64)} {
		out = append(out, eUn(plan.OpIsNull, c), eUn(plan.OpIsNotNull, c))
	}
	// string functions, on plain and dictionary strings
	for _, c := range []plan.Expr{s, d, s2} {
		out = append(out, eCall("length", c), eCall("lower", c), eCall("upper", c),
			eCall("contains", c, eStr("a")), eCall("contains", c, eStr("")), eCall("starts_with", c, eStr("ab")),
			eCall("ends_with", c, eStr("c")), eCall("contains", c, eNull(utf8T)), eCall("contains", c, s2),
			eCall("substring", c, eInt(3)))
		for _, sl := range [][2]int64{{1, 3}, {0, 2}, {-3, 2}, {2, -1}, {5, 100}, {-100, 3}, {-1, 1}, {2, 0}, {math.MinInt64, math.MaxInt64}} {
			out = append(out, eCall("substring", c, eInt(sl[0]), eInt(sl[1])))
		}
	}
	out = append(out, eCall("length", eStr("héllo")), eCall("upper", eStr("straße")), eCall("substring", s, eNull(i64), eInt(2)))
	// coalesce
	out = append(out,
		eCall("coalesce", i, j), eCall("coalesce", i, j, eInt(0)), eCall("coalesce", nn, i), eCall("coalesce", f, g),
		eCall("coalesce", s, d, eStr("z")), eCall("coalesce", d, s2), eCall("coalesce", b, eBool(false)),
		eCall("coalesce", dt, &plan.Literal{Value: arrow.Date32(0), Type: arrow.FixedWidthTypes.Date32}),
		eCall("coalesce", eNull(i64), i), eCall("coalesce", eNull(i64), eInt(3)), eCall("coalesce", i),
		eCall("coalesce", eNull(i64), eNull(i64)), eCall("coalesce", ts, ts),
	)
	// casts
	out = append(out,
		eCast(i, f64), eCast(f, i64), eCast(f, i32), eCast(i, utf8T), eCast(b, i64), eCast(i, arrow.FixedWidthTypes.Boolean),
		eCast(sn, i64), eCast(sn, i32), eCast(sn, f64), eCast(sn, arrow.FixedWidthTypes.Boolean),
		eCast(sn, arrow.FixedWidthTypes.Date32), eCast(sn, evTestTS), eCast(ts, arrow.FixedWidthTypes.Date32),
		eCast(dt, evTestTS), eCast(d, utf8T), eCast(d, i64), eCast(dt, utf8T), eCast(ts, utf8T), eCast(b, utf8T),
		eCast(s, arrow.FixedWidthTypes.Boolean), eCast(s, utf8T), eCast(eStr("42"), i64), eCast(nn, utf8T),
	)
	return out
}

// ---- tests --------------------------------------------------------------------------

func TestEvalAgainstOracle(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	exprs := evTestExprs()
	variants := []struct {
		name    string
		n       int
		allNull bool
		slice   bool
	}{
		{"empty", 0, false, false}, {"one", 1, false, false}, {"one-null", 1, true, false},
		{"small", 9, false, false}, {"large", 700, false, false}, {"all-null", 300, true, false},
		{"sliced", 700, false, true},
	}
	for _, v := range variants {
		rec := evMakeBatch(mem, rng, v.n, v.allNull)
		if v.slice {
			sl := rec.NewSlice(13, int64(v.n-29))
			rec.Release()
			rec = sl
		}
		rows := evRecordRows(t, rec)
		for _, e := range exprs {
			got, err := Eval(ctx, e, rec, mem)
			if err != nil {
				t.Errorf("%s: %s: %v", v.name, e, err)
				continue
			}
			if got.Len() != len(rows) {
				t.Errorf("%s: %s: %d rows, want %d", v.name, e, got.Len(), len(rows))
				got.Release()
				continue
			}
			gotRows := evRowsOf(t, got)
			bad := 0
			for r, row := range rows {
				want := oEval(e, row)
				if !oEqual(gotRows[r], want) {
					if bad < 3 {
						t.Errorf("%s: %s row %d (%v): got %#v, want %#v", v.name, e, r, row, gotRows[r], want)
					}
					bad++
				}
			}
			got.Release()
		}
		rec.Release()
	}
}

func TestEvalResultTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := evMakeBatch(mem, rand.New(rand.NewPCG(3, 4)), 20, false)
	defer rec.Release()
	cases := []struct {
		e    plan.Expr
		want arrow.DataType
	}{
		{eCall("length", eCol("d")), arrow.PrimitiveTypes.Int64},
		{eCall("lower", eCol("d")), arrow.BinaryTypes.String},
		{eBin(plan.OpEq, eCol("d"), eStr("x")), arrow.FixedWidthTypes.Boolean},
		{eBin(plan.OpDiv, eCol("f"), eCol("g")), arrow.PrimitiveTypes.Float64},
		{eCol("d"), evTestDict},
		{&plan.Alias{Child: eInt(5), Name: "five"}, arrow.PrimitiveTypes.Int64},
		{eCall("coalesce", eCol("d"), eStr("q")), arrow.BinaryTypes.String},
	}
	for _, c := range cases {
		got, err := Eval(context.Background(), c.e, rec, mem)
		if err != nil {
			t.Fatalf("%s: %v", c.e, err)
		}
		if !arrow.TypeEqual(got.DataType(), c.want) {
			t.Errorf("%s: type %v, want %v", c.e, got.DataType(), c.want)
		}
		got.Release()
	}
}

func TestEvalErrorsNameExpression(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := evMakeBatch(mem, rand.New(rand.NewPCG(5, 6)), 4, false)
	defer rec.Release()
	bad := []plan.Expr{
		eBin(plan.OpAdd, eCol("i"), eCol("missing")),
		eCall("nosuchfn", eCol("s")),
		eCall("substring", eCol("s"), eCol("i")),
		eBin(plan.OpDiv, eCol("i"), eCol("j")),
	}
	for _, e := range bad {
		got, err := Eval(context.Background(), e, rec, mem)
		if err == nil {
			got.Release()
			t.Errorf("%s: no error", e)
			continue
		}
		if !strings.HasPrefix(err.Error(), "exec: eval ") {
			t.Errorf("%s: error %q lacks the package prefix", e, err)
		}
	}
	_, err := Eval(context.Background(), eBin(plan.OpAdd, eCol("i"), eCol("missing")), rec, mem)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unknown column error %v does not name the column", err)
	}
}

// TestCastStringsTable pins the parsing and formatting rules with literal expectations.
func TestCastStringsTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ints := map[string]any{" 12 ": int64(12), "1.9": int64(1), "-1.9": int64(-1), "abc": nil, "": nil,
		"9223372036854775808": nil, "-9223372036854775808": int64(math.MinInt64), "+5": int64(5), "1e3": nil,
		".": nil, "1.": int64(1), "- 1": nil}
	floats := map[string]any{"1e3": 1000.0, "NaN": math.NaN(), "abc": nil, "1.5d": 1.5, " -2 ": -2.0,
		"Infinity": math.Inf(1), "1e400": math.Inf(1), "1_0": nil}
	dates := map[string]any{"2020-02-29": arrow.Date32(18321), "2021-02-29": nil, "2020-1-5": arrow.Date32(18266),
		"2020-01-05 12:00:00": arrow.Date32(18266), "20-01-01": nil, "1969-12-31": arrow.Date32(-1), "2020-13-01": nil,
		"0001-01-01": arrow.Date32(-719162)}
	tsv := func(s string) any {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return arrow.Timestamp(tm.UnixMicro())
	}
	stamps := map[string]any{"2020-01-02 03:04:05": tsv("2020-01-02T03:04:05Z"),
		"2020-01-02T03:04:05.123456Z": tsv("2020-01-02T03:04:05.123456Z"),
		"2020-01-02T03:04:05+01:00":   tsv("2020-01-02T02:04:05Z"),
		"2020-01-02 03:04:05.5":       tsv("2020-01-02T03:04:05.5Z"),
		"2020-01-02":                  tsv("2020-01-02T00:00:00Z"), "garbage": nil}
	one := evOneRow(mem)
	defer one.Release()
	check := func(in map[string]any, to arrow.DataType) {
		for s, want := range in {
			got, err := Eval(context.Background(), eCast(eStr(s), to), one, mem)
			if err != nil {
				t.Fatalf("cast %q: %v", s, err)
			}
			if g := evRowsOf(t, got)[0]; !oEqual(g, want) {
				t.Errorf("cast %q as %v: got %#v, want %#v", s, to, g, want)
			}
			got.Release()
		}
	}
	check(ints, arrow.PrimitiveTypes.Int64)
	check(floats, arrow.PrimitiveTypes.Float64)
	check(dates, arrow.FixedWidthTypes.Date32)
	check(stamps, evTestTS)
	doubles := map[float64]string{1: "1.0", 0.1: "0.1", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 123456.789: "123456.789",
		-2.5e10: "-2.5E10", math.NaN(): "NaN", math.Inf(-1): "-Infinity", 0: "0.0", 1e-3: "0.001", 1.234e300: "1.234E300"}
	for f, want := range doubles {
		got, err := Eval(context.Background(), eCast(eFlt(f), arrow.BinaryTypes.String), one, mem)
		if err != nil {
			t.Fatal(err)
		}
		if g := evRowsOf(t, got)[0]; g != want {
			t.Errorf("cast %v as string: got %q, want %q", f, g, want)
		}
		got.Release()
	}
}

// evOneRow returns a one-row batch (a single int column) for evaluating literals.
func evOneRow(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Append(1)
	col := b.NewArray()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "one", Type: arrow.PrimitiveTypes.Int64}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{col}, 1)
}

// ---- a source of batches for operator tests -----------------------------------------

// evTestSource feeds a fixed list of batches as an Operator, taking ownership of them.
type evTestSource struct {
	batches []arrow.RecordBatch
	next    int
	opened  bool
	closed  bool
}

var _ Operator = (*evTestSource)(nil)

func (s *evTestSource) Open(context.Context) error { s.opened = true; return nil }

func (s *evTestSource) Next() (arrow.RecordBatch, error) {
	if s.next >= len(s.batches) {
		return nil, io.EOF
	}
	b := s.batches[s.next]
	s.batches[s.next] = nil
	s.next++
	return b, nil
}

func (s *evTestSource) Close() error {
	for i, b := range s.batches {
		if b != nil {
			b.Release()
			s.batches[i] = nil
		}
	}
	s.closed = true
	return nil
}
