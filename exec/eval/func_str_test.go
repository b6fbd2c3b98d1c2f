package eval

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// The oracles below compute each function from Go's strings, unicode and regexp
// packages, independently of the kernels under test.

// strTestRows: NULLs, the empty string, multi-byte UTF-8, spaces, LIKE metacharacters.
var strTestRows = []any{
	"abc", "", nil, "héllo wörld", "  padded  ", "ABC def", "a_b%c", "日本語テキスト",
	"abcabc", `x\y`, "ß", "hello world foo", " ", "aXc", "abc", nil, "hello", "HeLLo wORLD",
}

// strBatch holds the rows as a utf8 column s, a dictionary column d and a second utf8
// column t (the rows reversed), for the functions that take two columns.
func strBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "t", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rows := make([][]any, len(strTestRows))
	for i, v := range strTestRows {
		rows[i] = []any{v, v, strTestRows[len(strTestRows)-1-i]}
	}
	return exectest.BuildBatch(t, mem, schema, rows)
}

// likeOracle matches Spark's LIKE by recursion over characters.
func likeOracle(s, p string) bool {
	if p == "" {
		return s == ""
	}
	c, size := utf8.DecodeRuneInString(p)
	switch c {
	case '%':
		for i := 0; ; {
			if likeOracle(s[i:], p[size:]) {
				return true
			}
			if i == len(s) {
				return false
			}
			_, k := utf8.DecodeRuneInString(s[i:])
			i += k
		}
	case '_':
		if s == "" {
			return false
		}
		_, k := utf8.DecodeRuneInString(s)
		return likeOracle(s[k:], p[size:])
	case '\\':
		c, size = utf8.DecodeRuneInString(p[1:])
		size++
	}
	r, k := utf8.DecodeRuneInString(s)
	if s == "" || r != c {
		return false
	}
	return likeOracle(s[k:], p[size:])
}

func padOracle(s string, n int, pad string, left bool) string {
	rs, ps := []rune(s), []rune(pad)
	if n <= 0 {
		return ""
	}
	if len(rs) >= n || len(ps) == 0 {
		return string(rs[:min(n, len(rs))])
	}
	var fill []rune
	for len(fill) < n-len(rs) {
		fill = append(fill, ps[len(fill)%len(ps)])
	}
	if left {
		return string(fill) + s
	}
	return s + string(fill)
}

func initCapOracle(s string) string {
	rs := []rune(strings.ToLower(s))
	for i := range rs {
		if i == 0 || rs[i-1] == ' ' {
			rs[i] = unicode.ToTitle(rs[i])
		}
	}
	return string(rs)
}

func charIndex(s, sub string) int64 {
	k := strings.Index(s, sub)
	if k < 0 {
		return 0
	}
	return int64(len([]rune(s[:k]))) + 1
}

type strCase struct {
	name string
	expr func(x plan.Expr) plan.Expr
	want func(s string) any // for a non-NULL row; NULL rows give NULL
}

func call(f string, args ...plan.Expr) plan.Expr { return exectest.Call(f, args...) }

func strCases() []strCase {
	str, num := exectest.Str, exectest.Int
	var cs []strCase
	for _, p := range []string{"abc", "", "%", "a%", "%c", "%b%", "a%c", "h%o%o", "_", "a_c", "%\\_b\\%%", `x\\y`, "%ö%", "日_語%", "__", "%l_o%"} {
		cs = append(cs, strCase{"like " + p, func(x plan.Expr) plan.Expr { return call("like", x, str(p)) },
			func(s string) any { return likeOracle(s, p) }})
		cs = append(cs, strCase{"ilike " + p, func(x plan.Expr) plan.Expr { return call("ilike", x, str(strings.ToUpper(p))) },
			func(s string) any { return likeOracle(strings.ToLower(s), strings.ToLower(strings.ToUpper(p))) }})
	}
	for _, p := range []string{"^a", "b.c", "[ö]", "o\\s+w", "^$", "(?i)hello"} {
		re := regexp.MustCompile(p)
		cs = append(cs, strCase{"rlike " + p, func(x plan.Expr) plan.Expr { return call("rlike", x, str(p)) },
			func(s string) any { return re.MatchString(s) }})
	}
	cs = append(cs,
		strCase{"trim", func(x plan.Expr) plan.Expr { return call("trim", x) }, func(s string) any { return strings.Trim(s, " ") }},
		strCase{"ltrim", func(x plan.Expr) plan.Expr { return call("ltrim", x) }, func(s string) any { return strings.TrimLeft(s, " ") }},
		strCase{"rtrim", func(x plan.Expr) plan.Expr { return call("rtrim", x) }, func(s string) any { return strings.TrimRight(s, " ") }},
		strCase{"reverse", func(x plan.Expr) plan.Expr { return call("reverse", x) }, func(s string) any {
			rs := []rune(s)
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
			return string(rs)
		}},
		strCase{"initcap", func(x plan.Expr) plan.Expr { return call("initcap", x) }, func(s string) any { return initCapOracle(s) }},
	)
	for _, r := range [][2]string{{"abc", "X"}, {"l", "LL"}, {"", "z"}, {"ö", ""}, {"語", "go"}} {
		cs = append(cs, strCase{"replace " + r[0], func(x plan.Expr) plan.Expr { return call("replace", x, str(r[0]), str(r[1])) },
			func(s string) any {
				if r[0] == "" {
					return s
				}
				return strings.ReplaceAll(s, r[0], r[1])
			}})
	}
	for _, r := range [][2]string{{"l+", "L"}, {"(\\w+) (\\w+)", "$2 $1"}, {"^", ">"}, {"[ö語]", "?"}} {
		re := regexp.MustCompile(r[0])
		cs = append(cs, strCase{"regexp_replace " + r[0], func(x plan.Expr) plan.Expr { return call("regexp_replace", x, str(r[0]), str(r[1])) },
			func(s string) any { return re.ReplaceAllString(s, r[1]) }})
	}
	for _, r := range []struct {
		re  string
		idx int64
	}{{"(\\w+) (\\w+)", 2}, {"(\\w+) (\\w+)", 0}, {"(a)|(b)", 2}, {"l+", 0}, {"(é|ö)", 1}} {
		re := regexp.MustCompile(r.re)
		cs = append(cs, strCase{"regexp_extract " + r.re, func(x plan.Expr) plan.Expr { return call("regexp_extract", x, str(r.re), num(r.idx)) },
			func(s string) any {
				m := re.FindStringSubmatch(s)
				if m == nil {
					return ""
				}
				return m[r.idx]
			}})
	}
	for _, p := range []struct {
		n   int
		pad string
	}{{5, "*"}, {8, "ab"}, {2, "x"}, {0, "x"}, {-1, "x"}, {6, ""}, {7, "öü"}} {
		cs = append(cs,
			strCase{"lpad", func(x plan.Expr) plan.Expr { return call("lpad", x, num(int64(p.n)), str(p.pad)) },
				func(s string) any { return padOracle(s, p.n, p.pad, true) }},
			strCase{"rpad", func(x plan.Expr) plan.Expr { return call("rpad", x, num(int64(p.n)), str(p.pad)) },
				func(s string) any { return padOracle(s, p.n, p.pad, false) }})
	}
	for _, sub := range []string{"c", "", "wörld", "語", "zz", "o"} {
		cs = append(cs,
			strCase{"instr " + sub, func(x plan.Expr) plan.Expr { return call("instr", x, str(sub)) },
				func(s string) any { return charIndex(s, sub) }},
			strCase{"locate " + sub, func(x plan.Expr) plan.Expr { return call("locate", str(sub), x) },
				func(s string) any { return charIndex(s, sub) }})
	}
	return cs
}

// TestStringFunctionsAgainstGo runs every case over a utf8 column, a dictionary column,
// a slice of the column and each row as a literal.
func TestStringFunctionsAgainstGo(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	sliced := rec.NewSlice(3, 11)
	defer sliced.Release()
	ctx := context.Background()
	check := func(what string, got arrow.Array, rows []any, want func(string) any) {
		t.Helper()
		if got.Len() != len(rows) {
			t.Errorf("%s: %d rows, want %d", what, got.Len(), len(rows))
			return
		}
		for i, v := range rows {
			var w any
			if s, ok := v.(string); ok {
				w = want(s)
			}
			if g := exectest.GoValue(t, got, i); g != w {
				t.Errorf("%s row %d (%q): got %#v, want %#v", what, i, v, g, w)
			}
		}
	}
	for _, c := range strCases() {
		for _, in := range []struct {
			col  string
			rec  arrow.RecordBatch
			rows []any
		}{{"s", rec, strTestRows}, {"d", rec, strTestRows}, {"s", sliced, strTestRows[3:11]}} {
			got, err := Eval(ctx, c.expr(exectest.Col(in.col)), in.rec, mem)
			if err != nil {
				t.Errorf("%s(%s): %v", c.name, in.col, err)
				continue
			}
			check(c.name+"("+in.col+")", got, in.rows, c.want)
			got.Release()
		}
		for _, v := range strTestRows[:6] {
			lit := exectest.Null(arrow.BinaryTypes.String)
			if s, ok := v.(string); ok {
				lit = exectest.Str(s)
			}
			got, err := Eval(ctx, c.expr(lit), sliced, mem)
			if err != nil {
				t.Errorf("%s(literal %q): %v", c.name, v, err)
				continue
			}
			rows := make([]any, sliced.NumRows())
			for i := range rows {
				rows[i] = v
			}
			check(c.name+" of a literal", got, rows, c.want)
			got.Release()
		}
	}
}

// TestStringFunctionsNullArguments: a NULL pattern, search or pad gives NULL rows.
func TestStringFunctionsNullArguments(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	s, null, str := exectest.Col("s"), exectest.Null(arrow.BinaryTypes.String), exectest.Str
	for _, e := range []plan.Expr{
		call("like", s, null), call("ilike", s, null), call("rlike", s, null),
		call("replace", s, null, str("x")), call("replace", s, str("a"), null),
		call("regexp_replace", s, null, str("x")), call("regexp_replace", s, str("a"), null),
		call("regexp_extract", s, null, exectest.Int(0)), call("regexp_extract", s, str("a"), exectest.Null(arrow.PrimitiveTypes.Int64)),
		call("lpad", s, exectest.Null(arrow.PrimitiveTypes.Int64), str("x")), call("rpad", s, exectest.Int(3), null),
		call("instr", s, null), call("locate", null, s),
		call("concat", s, null), call("concat_ws", null, s, exectest.Col("t")),
	} {
		got, err := Eval(context.Background(), e, rec, mem)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		if got.NullN() != got.Len() || got.Len() != len(strTestRows) {
			t.Errorf("%s: %d NULLs of %d rows, want all %d", e, got.NullN(), got.Len(), len(strTestRows))
		}
		got.Release()
	}
}

// TestConcatColumns: concat is NULL when any argument is, concat_ws skips NULLs; both
// take columns (plain and dictionary) and literals, including a column separator.
func TestConcatColumns(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := strBatch(t, mem)
	defer rec.Release()
	s, d, tc, str := exectest.Col("s"), exectest.Col("d"), exectest.Col("t"), exectest.Str
	n := len(strTestRows)
	val := func(i int, col string) (string, bool) {
		v := strTestRows[i]
		if col == "t" {
			v = strTestRows[n-1-i]
		}
		x, ok := v.(string)
		return x, ok
	}
	cases := []struct {
		e    plan.Expr
		want func(i int) any
	}{
		{call("concat", s, str("-"), tc), func(i int) any {
			a, ok1 := val(i, "s")
			b, ok2 := val(i, "t")
			if !ok1 || !ok2 {
				return nil
			}
			return a + "-" + b
		}},
		{call("concat", d, d), func(i int) any {
			a, ok := val(i, "s")
			if !ok {
				return nil
			}
			return a + a
		}},
		{call("concat", str("ö"), str("x")), func(int) any { return "öx" }},
		{call("concat"), func(int) any { return "" }},
		{call("concat_ws", str(", "), s, d, str("z"), tc), func(i int) any {
			var parts []string
			for _, c := range []string{"s", "s", "z", "t"} {
				if c == "z" {
					parts = append(parts, "z")
				} else if v, ok := val(i, c); ok {
					parts = append(parts, v)
				}
			}
			return strings.Join(parts, ", ")
		}},
		{call("concat_ws", tc, s, s), func(i int) any {
			sep, ok := val(i, "t")
			if !ok {
				return nil
			}
			var parts []string
			if v, ok := val(i, "s"); ok {
				parts = append(parts, v, v)
			}
			return strings.Join(parts, sep)
		}},
		{call("concat_ws", str("/")), func(int) any { return "" }},
	}
	for _, c := range cases {
		got, err := Eval(context.Background(), c.e, rec, mem)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		for i := 0; i < n; i++ {
			if g, w := exectest.GoValue(t, got, i), c.want(i); g != w {
				t.Errorf("%s row %d: got %#v, want %#v", c.e, i, g, w)
			}
		}
		got.Release()
	}
}

// TestStringFunctionsOddInputs: invalid UTF-8 never panics or fails, a large_string
// column is read through the analyzer's cast, and an absurd pad length is an error.
func TestStringFunctionsOddInputs(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "l", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	}, nil)
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues([]string{"\xff\xfeab c", "a\xc3", "", ""}, []bool{true, true, false, true})
	lb := array.NewLargeStringBuilder(mem)
	defer lb.Release()
	lb.AppendValues([]string{"\xffx", "é", "", ""}, []bool{true, true, false, true})
	sArr, lArr := sb.NewArray(), lb.NewArray()
	defer sArr.Release()
	defer lArr.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{sArr, lArr}, 4)
	defer rec.Release()
	ctx := context.Background()
	for _, c := range strCases() {
		got, err := Eval(ctx, c.expr(exectest.Col("s")), rec, mem)
		if err != nil {
			t.Errorf("%s on invalid UTF-8: %v", c.name, err)
			continue
		}
		got.Release()
	}
	got, err := Eval(ctx, call("reverse", exectest.Col("s")), rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	if g := exectest.GoValue(t, got, 0); g != "c ba\xfe\xff" {
		t.Errorf("reverse keeps invalid bytes as characters: got %q", g)
	}
	got.Release()
	// What the analyzer makes of like(l, '%x') for a large_string l.
	got, err = Eval(ctx, call("like", exectest.Cast(exectest.Col("l"), arrow.BinaryTypes.String), exectest.Str("%x")), rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []any{true, false, nil, false} {
		if g := exectest.GoValue(t, got, i); g != w {
			t.Errorf("like of large_string row %d: got %v, want %v", i, g, w)
		}
	}
	got.Release()
	if _, err := Eval(ctx, call("lpad", exectest.Col("s"), exectest.Int(1<<40), exectest.Str("x")), rec, mem); err == nil {
		t.Error("lpad to 2^40 characters: no error")
	}
}
