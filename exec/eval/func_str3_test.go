package eval

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Column arguments of the string functions: every pattern, search string, length and
// position comes from a column, row by row, and the results are compared with Go's
// strings, regexp and unicode computing the same row (and with the oracles of
// func_str_test.go).

// colArgRow is one row: the subject s, a LIKE pattern lp, a regular expression rp, a
// string r (replacement, pad, search), an int k (length, position) and a group g valid
// for rp.
type colArgRow struct {
	s, lp, rp, r, k, g any
}

var colArgRows = []colArgRow{
	{"abc", "a%", "b+", "X", int64(2), int64(0)},
	{"", "", "^$", "", int64(0), int64(0)},
	{nil, "%", "a", "-", int64(1), int64(0)},
	{"héllo wörld", "h_llo%", `(\w+) (\w+)`, "$2 $1", int64(3), int64(2)},
	{"日本語テキスト", "%語%", "語", "ö", int64(-2), int64(0)},
	{"abcabc", nil, "c", "zz", int64(5), nil},
	{"straße", "%SS%", nil, "ß", int64(10), int64(1)},
	{"hello", "h%o", "l", nil, nil, int64(0)},
	{"a_b%c", `a\_b\%c`, "[_%]", "$$", int64(4), int64(0)},
	{"ΟΔΟΣ", "_%", "Σ$", "σ", int64(7), int64(0)},
	{"x", "X", "(?i)X", "${1}", int64(1), int64(0)},
	{"abc", "%c", "(a)(b)?", "<$1>", int64(0), int64(2)},
	{"wörld wörld", "%ö_l%", "ö", "wö", int64(-1), int64(0)},
}

var colArgSchema = arrow.NewSchema([]arrow.Field{
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "lp", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "dlp", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "rp", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "r", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "dr", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

func colArgBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	rows := make([][]any, len(colArgRows))
	for i, r := range colArgRows {
		rows[i] = []any{r.s, r.s, r.lp, r.lp, r.rp, r.r, r.r, r.k, r.g}
	}
	return exectest.BuildBatch(t, mem, colArgSchema, rows)
}

// substringOracle is Spark's substring(s, start, length) over the characters of s.
func substringOracle(s string, start, length int64) string {
	rs := []rune(s)
	n := int64(len(rs))
	if length <= 0 {
		return ""
	}
	from := int64(0)
	if start > 0 {
		from = start - 1
	} else if start < 0 {
		from = n + start
	}
	to := from + length
	from = max(from, 0)
	to = min(to, n)
	if from >= to {
		return ""
	}
	return string(rs[from:to])
}

// locateOracle is Spark's locate(sub, s, pos): 0 for pos < 1, else the 1-based
// character position of sub in s at or after character pos; "" is found at 1.
func locateOracle(sub, s string, pos int64) int64 {
	if pos < 1 {
		return 0
	}
	if sub == "" {
		return 1
	}
	rs := []rune(s)
	if pos-1 > int64(len(rs)) {
		return 0
	}
	rest := string(rs[pos-1:])
	k := strings.Index(rest, sub)
	if k < 0 {
		return 0
	}
	return pos + int64(len([]rune(rest[:k])))
}

type colArgCase struct {
	name string
	expr func(s plan.Expr) plan.Expr
	// want computes a row from its values; any nil argument gives nil unless nullOK.
	want   func(s string, r colArgRow) any
	uses   func(r colArgRow) []any
	nullOK bool
}

func colArgCases() []colArgCase {
	col := exectest.Col
	str := func(r colArgRow, f string) string {
		return map[string]any{"lp": r.lp, "rp": r.rp, "r": r.r}[f].(string)
	}
	i64 := func(v any) int64 { return v.(int64) }
	uses := func(fs ...string) func(colArgRow) []any {
		return func(r colArgRow) []any {
			var out []any
			for _, f := range fs {
				out = append(out, map[string]any{"lp": r.lp, "rp": r.rp, "r": r.r, "k": r.k, "g": r.g}[f])
			}
			return out
		}
	}
	var cs []colArgCase
	for _, lp := range []string{"lp", "dlp"} {
		cs = append(cs,
			colArgCase{"like/" + lp, func(s plan.Expr) plan.Expr { return call("like", s, col(lp)) },
				func(s string, r colArgRow) any { return likeOracle(s, str(r, "lp")) }, uses("lp"), false},
			colArgCase{"ilike/" + lp, func(s plan.Expr) plan.Expr { return call("ilike", s, col(lp)) },
				func(s string, r colArgRow) any { return likeOracle(strings.ToLower(s), strings.ToLower(str(r, "lp"))) }, uses("lp"), false},
		)
	}
	for _, rc := range []string{"r", "dr"} {
		cs = append(cs,
			colArgCase{"replace/" + rc, func(s plan.Expr) plan.Expr { return call("replace", s, col(rc), col("lp")) },
				func(s string, r colArgRow) any {
					if str(r, "r") == "" {
						return s
					}
					return strings.ReplaceAll(s, str(r, "r"), str(r, "lp"))
				}, uses("r", "lp"), false},
			colArgCase{"replace-literal-search/" + rc, func(s plan.Expr) plan.Expr { return call("replace", s, exectest.Str("l"), col(rc)) },
				func(s string, r colArgRow) any { return strings.ReplaceAll(s, "l", str(r, "r")) }, uses("r"), false},
			colArgCase{"lpad/" + rc, func(s plan.Expr) plan.Expr { return call("lpad", s, col("k"), col(rc)) },
				func(s string, r colArgRow) any { return padOracle(s, int(i64(r.k)), str(r, "r"), true) }, uses("k", "r"), false},
			colArgCase{"rpad/" + rc, func(s plan.Expr) plan.Expr { return call("rpad", s, col("k"), exectest.Str("*")) },
				func(s string, r colArgRow) any { return padOracle(s, int(i64(r.k)), "*", false) }, uses("k"), false},
			colArgCase{"instr/" + rc, func(s plan.Expr) plan.Expr { return call("instr", s, col(rc)) },
				func(s string, r colArgRow) any { return charIndex(s, str(r, "r")) }, uses("r"), false},
			colArgCase{"locate/" + rc, func(s plan.Expr) plan.Expr { return call("locate", col(rc), s) },
				func(s string, r colArgRow) any { return charIndex(s, str(r, "r")) }, uses("r"), false},
			colArgCase{"contains/" + rc, func(s plan.Expr) plan.Expr { return call("contains", s, col(rc)) },
				func(s string, r colArgRow) any { return strings.Contains(s, str(r, "r")) }, uses("r"), false},
			colArgCase{"starts_with/" + rc, func(s plan.Expr) plan.Expr { return call("starts_with", s, col(rc)) },
				func(s string, r colArgRow) any { return strings.HasPrefix(s, str(r, "r")) }, uses("r"), false},
			colArgCase{"ends_with/" + rc, func(s plan.Expr) plan.Expr { return call("ends_with", s, col(rc)) },
				func(s string, r colArgRow) any { return strings.HasSuffix(s, str(r, "r")) }, uses("r"), false},
		)
	}
	cs = append(cs,
		colArgCase{"locate-pos", func(s plan.Expr) plan.Expr { return call("locate", exectest.Str("l"), s, col("k")) },
			func(s string, r colArgRow) any {
				if r.k == nil {
					return int64(0) // Spark: a NULL position gives 0
				}
				if s == "\x00null" {
					return nil
				}
				return locateOracle("l", s, i64(r.k))
			}, uses(), true},
		colArgCase{"locate-pos-columns", func(s plan.Expr) plan.Expr { return call("locate", col("r"), s, col("g")) },
			func(s string, r colArgRow) any {
				if r.g == nil {
					return int64(0)
				}
				if s == "\x00null" || r.r == nil {
					return nil
				}
				return locateOracle(str(r, "r"), s, i64(r.g))
			}, uses(), true},
		colArgCase{"rlike", func(s plan.Expr) plan.Expr { return call("rlike", s, col("rp")) },
			func(s string, r colArgRow) any { return regexp.MustCompile(str(r, "rp")).MatchString(s) }, uses("rp"), false},
		colArgCase{"regexp_replace", func(s plan.Expr) plan.Expr { return call("regexp_replace", s, col("rp"), col("r")) },
			func(s string, r colArgRow) any {
				return regexp.MustCompile(str(r, "rp")).ReplaceAllString(s, str(r, "r"))
			}, uses("rp", "r"), false},
		colArgCase{"regexp_replace-literal-regex", func(s plan.Expr) plan.Expr {
			return call("regexp_replace", s, exectest.Str(`(l+)|(ö)`), col("dr"))
		},
			func(s string, r colArgRow) any {
				return regexp.MustCompile(`(l+)|(ö)`).ReplaceAllString(s, str(r, "r"))
			}, uses("r"), false},
		colArgCase{"regexp_extract", func(s plan.Expr) plan.Expr { return call("regexp_extract", s, col("rp"), col("g")) },
			func(s string, r colArgRow) any {
				m := regexp.MustCompile(str(r, "rp")).FindStringSubmatch(s)
				if m == nil {
					return ""
				}
				return m[i64(r.g)]
			}, uses("rp", "g"), false},
		colArgCase{"substring", func(s plan.Expr) plan.Expr { return call("substring", s, col("k"), col("g")) },
			func(s string, r colArgRow) any { return substringOracle(s, i64(r.k), i64(r.g)) }, uses("k", "g"), false},
		colArgCase{"substring-2", func(s plan.Expr) plan.Expr { return call("substring", s, col("k")) },
			func(s string, r colArgRow) any { return substringOracle(s, i64(r.k), 1<<31-1) }, uses("k"), false},
		colArgCase{"substring-literal-start", func(s plan.Expr) plan.Expr { return call("substring", s, exectest.Int(2), col("k")) },
			func(s string, r colArgRow) any { return substringOracle(s, 2, i64(r.k)) }, uses("k"), false},
		colArgCase{"split", func(s plan.Expr) plan.Expr { return call("split", s, col("rp")) },
			func(s string, r colArgRow) any { return oracleSplit(s, regexp.MustCompile(str(r, "rp"))) }, uses("rp"), false},
	)
	return cs
}

// TestStringColumnArguments runs every case with the subject a utf8 column, a
// dictionary column and a literal (each non-NULL subject in turn), the other
// arguments columns (plain and dictionary-encoded).
func TestStringColumnArguments(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := colArgBatch(t, mem)
	defer rec.Release()
	ctx := context.Background()
	wantRow := func(c colArgCase, s any, r colArgRow) any {
		if !c.nullOK {
			if s == nil {
				return nil
			}
			for _, v := range c.uses(r) {
				if v == nil {
					return nil
				}
			}
		}
		if s == nil {
			s = "\x00null"
		}
		return c.want(s.(string), r)
	}
	for _, c := range colArgCases() {
		subjects := []struct {
			what string
			e    plan.Expr
			val  func(r colArgRow) any
		}{
			{"s", exectest.Col("s"), func(r colArgRow) any { return r.s }},
			{"d", exectest.Col("d"), func(r colArgRow) any { return r.s }},
			{"literal", exectest.Str("héllo wörld"), func(colArgRow) any { return "héllo wörld" }},
			{"literal-empty", exectest.Str(""), func(colArgRow) any { return "" }},
			{"literal-null", exectest.Null(arrow.BinaryTypes.String), func(colArgRow) any { return nil }},
		}
		for _, sub := range subjects {
			got, err := Eval(ctx, c.expr(sub.e), rec, mem)
			if err != nil {
				t.Errorf("%s(%s): %v", c.name, sub.what, err)
				continue
			}
			if got.Len() != len(colArgRows) {
				t.Errorf("%s(%s): %d rows, want %d", c.name, sub.what, got.Len(), len(colArgRows))
				got.Release()
				continue
			}
			for i, r := range colArgRows {
				w := wantRow(c, sub.val(r), r)
				if g := exectest.GoValue(t, got, i); !nestedSame(g, w) {
					t.Errorf("%s(%s) row %d %+v: got %#v, want %#v", c.name, sub.what, i, r, g, w)
				}
			}
			got.Release()
		}
	}
}

// TestStringColumnArgumentScalars: every argument a literal (evaluated as one row).
func TestStringColumnArgumentScalars(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := colArgBatch(t, mem)
	defer rec.Release()
	str, num := exectest.Str, exectest.Int
	null := exectest.Null(arrow.PrimitiveTypes.Int64)
	for _, c := range []struct {
		e    plan.Expr
		want any
	}{
		{call("locate", str("l"), str("héllo"), num(4)), locateOracle("l", "héllo", 4)},
		{call("locate", str("l"), str("héllo"), num(0)), int64(0)},
		{call("locate", str("l"), str("héllo"), null), int64(0)},
		{call("locate", str("ö"), str("wörld wörld"), num(3)), locateOracle("ö", "wörld wörld", 3)},
		{call("substring", str("日本語テキスト"), num(-3), num(2)), substringOracle("日本語テキスト", -3, 2)},
		{call("substring", str("日本語"), num(2)), "本語"},
		{call("substring", str("abc"), null), nil},
		{call("lpad", str("ab"), num(5), str("öx")), padOracle("ab", 5, "öx", true)},
		{call("rlike", str("abc"), str("b")), true},
	} {
		got, err := Eval(context.Background(), c.e, rec, mem)
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if g := exectest.GoValue(t, got, 0); g != c.want {
			t.Errorf("%s: got %#v, want %#v", c.e, g, c.want)
		}
		got.Release()
	}
}

// TestStringColumnArgumentErrors: an invalid pattern in a column, or a group the
// row's expression lacks, is an error naming the function and the pattern.
func TestStringColumnArgumentErrors(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "p", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	rec := exectest.BuildBatch(t, mem, schema, [][]any{{"abc", "b", int64(0)}, {"a(c", "(", int64(0)}, {"a", `a\`, int64(3)}})
	defer rec.Release()
	col := exectest.Col
	for _, c := range []struct {
		e    plan.Expr
		want []string
	}{
		{call("rlike", col("s"), col("p")), []string{"rlike", `"("`}},
		{call("regexp_replace", col("s"), col("p"), exectest.Str("x")), []string{"regexp_replace", `"("`}},
		{call("split", col("s"), col("p")), []string{"split", `"("`}},
		{call("like", col("s"), col("p")), []string{"like", `"a\\"`}},
		{call("regexp_extract", col("s"), exectest.Str("(b)"), col("g")), []string{"regexp_extract", "group 3"}},
	} {
		got, err := Eval(context.Background(), c.e, rec, mem)
		if err == nil {
			got.Release()
			t.Errorf("%s: no error", c.e)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.e, err, w)
			}
		}
	}
}

// TestRegexpReplaceTemplates: replacement templates (groups by number and name, braces,
// "$$", malformed references, groups that do not exist or took no part) and regular
// expressions matching the empty string, against Go's Regexp.ReplaceAllString, with the
// regex and template literal and from columns.
func TestRegexpReplaceTemplates(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	inputs := []string{"", "abc", "aaa bbb", "héllo wörld", "x-y-z", "日本語", "a1b22c333"}
	pairs := [][2]string{
		{`(\w)(\w*)`, "$2$1"}, {`(\w)(\w*)`, "${2}x$1x"}, {`(?P<first>\w)(?P<rest>\w*)`, "${rest}-$first"},
		{`b+`, "$$"}, {`b+`, "$"}, {`b+`, "${"}, {`b+`, "$9|$0|$01"}, {`(a)|(b)`, "[$1|$2]"},
		{``, "-"}, {`a*`, "<$0>"}, {`x*`, "."}, {`\d`, "#"}, {`ö|語`, "$0$0"}, {`$`, "!"}, {`^`, "^"},
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "re", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tmpl", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var rows [][]any
	var want []string
	for _, p := range pairs {
		re := regexp.MustCompile(p[0])
		for _, in := range inputs {
			rows = append(rows, []any{in, p[0], p[1]})
			want = append(want, re.ReplaceAllString(in, p[1]))
		}
	}
	rec := exectest.BuildBatch(t, mem, schema, rows)
	defer rec.Release()
	col := exectest.Col
	got, err := Eval(context.Background(), call("regexp_replace", col("s"), col("re"), col("tmpl")), rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if g := exectest.GoValue(t, got, k); g != w {
			t.Errorf("columns: regexp_replace(%q, %q, %q): got %q, want %q", rows[k][0], rows[k][1], rows[k][2], g, w)
		}
	}
	got.Release()
	for pi, p := range pairs {
		got, err := Eval(context.Background(), call("regexp_replace", col("s"), exectest.Str(p[0]), exectest.Str(p[1])), rec, mem)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(p[0])
		for k := range rows {
			w := re.ReplaceAllString(rows[k][0].(string), p[1])
			if g := exectest.GoValue(t, got, k); g != w {
				t.Errorf("literals %d: regexp_replace(%q, %q, %q): got %q, want %q", pi, rows[k][0], p[0], p[1], g, w)
			}
		}
		got.Release()
	}
}
