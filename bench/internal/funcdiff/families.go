package funcdiff

import (
	"github.com/kindling-data/kindling/dataset"
)

// Case is one expression evaluated by both engines: kindling's through the dataset API,
// DuckDB's as SQL over the table t, rewritten where needed to give Spark's answer.
type Case struct {
	Name string
	K    dataset.Expr
	SQL  string
}

// Family is a function family's list of cases.
type Family struct {
	Name  string
	Cases []Case
}

var (
	i, j = dataset.Col("i"), dataset.Col("j")
	x, y = dataset.Col("x"), dataset.Col("y")
	s, t = dataset.Col("s"), dataset.Col("t")
	d, e = dataset.Col("d"), dataset.Col("e")
)

func lit(v any) dataset.Expr { return dataset.Lit(v) }

// Families lists the cases of each function family. The SQL column is what DuckDB runs;
// where it differs from the plain DuckDB function, doc.go's table says why.
func Families() []Family {
	return append([]Family{
		{"conditionals", []Case{
			{"case_when", dataset.When(i.Gt(lit(int64(0))), lit("pos")).When(i.Lt(lit(int64(0))), lit("neg")).Otherwise(lit("zero")),
				"CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' ELSE 'zero' END"},
			{"case_no_else", dataset.When(j.Eq(lit(int64(3))), x).End(), "CASE WHEN j = 3 THEN x END"},
			{"if", dataset.If(x.Gt(lit(0.0)), s, t), "CASE WHEN x > 0 THEN s ELSE t END"},
			{"in_int", j.IsIn(int64(1), int64(2), int64(3)), "j IN (1, 2, 3)"},
			{"in_null", j.IsIn(int64(1), nil), "j IN (1, NULL)"},
			{"in_str", s.IsIn("abc", "héllo", ""), "s IN ('abc', 'héllo', '')"},
			{"in_nan", x.IsIn(0.0, 1.5), "x IN (0.0, 1.5)"},
			{"greatest_int", dataset.Greatest(i, j), "greatest(i, j)"},
			{"least_int", dataset.Least(i, j), "least(i, j)"},
			{"greatest_float", dataset.Greatest(x, y), "greatest(x, y)"},
			{"least_float", dataset.Least(x, y), "least(x, y)"},
			{"greatest_str", dataset.Greatest(s, t), "greatest(s, t)"},
			{"nullif_int", dataset.NullIf(j, lit(int64(0))), "nullif(j, 0)"},
			{"nullif_str", dataset.NullIf(s, t), "nullif(s, t)"},
			{"coalesce", dataset.Coalesce(x, y, lit(-1.0)), "coalesce(x, y, -1.0)"},
		}},
		{"math", []Case{
			{"abs_int", dataset.Abs(i), "abs(i)"},
			{"abs_float", dataset.Abs(x), "abs(x)"},
			{"round_int", dataset.Round(i, -2), "round(i, -2)"},
			{"round_float", dataset.Round(x, 2),
				"CASE WHEN isnan(x) THEN x ELSE round(x::VARCHAR::DECIMAL(38,18), 2)::DOUBLE END"},
			{"floor", dataset.Floor(x), "CASE WHEN isnan(x) THEN 0 ELSE floor(x)::BIGINT END"},
			{"ceil", dataset.Ceil(x), "CASE WHEN isnan(x) THEN 0 ELSE ceil(x)::BIGINT END"},
			{"sqrt", dataset.Sqrt(x), "CASE WHEN x < 0 THEN 'NaN'::DOUBLE ELSE sqrt(x) END"},
			{"ln", dataset.Log(x), "CASE WHEN x <= 0 THEN NULL ELSE ln(x) END"},
			{"pow", dataset.Pow(x, y), "CASE WHEN x IS NOT NULL AND isnan(y) THEN 'NaN'::DOUBLE ELSE pow(x, y) END"},
			{"div", i.IntDiv(j), "i // j"},
			{"div_float", x.IntDiv(y),
				"(CASE WHEN isnan(x) THEN 0 ELSE trunc(x)::BIGINT END) // (CASE WHEN isnan(y) THEN 0 ELSE trunc(y)::BIGINT END)"},
			{"mod_int", i.Mod(j), "i % j"},
		}},
		{"strings", []Case{
			{"upper", dataset.Upper(s), "upper(s)"},
			{"lower", dataset.Lower(s), "lower(s)"},
			{"length", dataset.Length(s), "length(s)"},
			{"concat", dataset.Concat(s, t), "s || t"},
			{"concat_lit", dataset.Concat(s, lit("-"), t), "s || '-' || t"},
			{"lpad", dataset.LPad(s, 8, "*"), "lpad(s, 8, '*')"},
			{"rpad", dataset.RPad(s, 5, "ab"), "rpad(s, 5, 'ab')"},
			{"lpad_mb", dataset.LPad(s, 4, "日"), "lpad(s, 4, '日')"},
			{"replace", dataset.Replace(s, "l", "LL"), "replace(s, 'l', 'LL')"},
			{"replace_mb", dataset.Replace(s, "é", ""), "replace(s, 'é', '')"},
			{"reverse", dataset.Reverse(s), "array_to_string(list_reverse(string_split(s, '')), '')"},
			{"like_contains", dataset.Like(s, "%l%"), "s LIKE '%l%'"},
			{"like_one", dataset.Like(s, "h_llo"), "s LIKE 'h_llo'"},
			{"like_mb", dataset.Like(s, "%é%"), "s LIKE '%é%'"},
			{"like_single", dataset.Like(s, "_"), "s LIKE '_'"},
			{"like_empty", dataset.Like(s, ""), "s LIKE ''"},
			{"like_prefix", dataset.Like(s, "a%c"), "s LIKE 'a%c'"},
			{"like_escape", dataset.Like(s, `a\_b%`), `s LIKE 'a\_b%' ESCAPE '\'`},
			{"trim", dataset.Trim(s), "trim(s)"},
			{"ltrim", dataset.LTrim(s), "ltrim(s)"},
			{"rtrim", dataset.RTrim(s), "rtrim(s)"},
			{"instr", dataset.Instr(s, "l"), "instr(s, 'l')"},
			{"instr_mb", dataset.Instr(s, "😀"), "instr(s, '😀')"},
			// Column arguments: the pattern, search string, length and pad come from
			// columns (t's backslash doubled, so that every row is a valid LIKE pattern).
			{"like_column", dataset.Like(s, dataset.Replace(t, `\`, `\\`)), `s LIKE replace(t, '\', '\\') ESCAPE '\'`},
			{"replace_column", dataset.Replace(s, t, "-"), "replace(s, t, '-')"},
			{"lpad_column", dataset.LPad(s, j, t),
				"CASE WHEN j IS NULL THEN NULL WHEN t = '' THEN substring(s, 1, greatest(j, 0)) ELSE lpad(s, j::INTEGER, t) END"},
			{"rpad_column", dataset.RPad(t, j, s),
				"CASE WHEN j IS NULL THEN NULL WHEN s = '' THEN substring(t, 1, greatest(j, 0)) ELSE rpad(t, j::INTEGER, s) END"},
			{"instr_column", dataset.Instr(s, t), "instr(s, t)"},
			{"substring_column", dataset.Substring(s, j, 3), "substring(s, CASE WHEN j = 0 THEN 1 ELSE j END, 3)"},
			{"contains_column", dataset.Contains(s, t), "contains(s, t)"},
			{"starts_with_column", dataset.StartsWith(s, t), "starts_with(s, t)"},
			// format_string (Java's Formatter) against DuckDB's printf (C's): NULL
			// values print "null" in Java, and NaN "NaN".
			{"format_string", dataset.FormatString("%s|%5d|%x|%+d", s, j, j, i),
				"printf('%s|%5s|%s|%s', coalesce(s, 'null'), coalesce(j::VARCHAR, 'null'), coalesce(printf('%x', j), 'null'), coalesce(printf('%+d', i), 'null'))"},
			{"format_string_e", dataset.FormatString("%e", x),
				"CASE WHEN x IS NULL THEN 'null' WHEN isnan(x) THEN 'NaN' ELSE printf('%e', x) END"},
			{"format_string_column", dataset.FormatString(dataset.Concat(lit("<%"), dataset.NullIf(j, lit(int64(0))), lit("s>")), s),
				"CASE WHEN j IS NULL OR j = 0 THEN NULL WHEN j < 0 THEN printf('<%-' || (-j)::VARCHAR || 's>', coalesce(s, 'null')) ELSE printf('<%' || j::VARCHAR || 's>', coalesce(s, 'null')) END"},
		}},
		{"dates", []Case{
			{"year", dataset.Year(d), "year(d)"},
			{"month", dataset.Month(d), "month(d)"},
			{"day", dataset.DayOfMonth(d), "day(d)"},
			{"dayofweek", dataset.DayOfWeek(d), "dayofweek(d) + 1"},
			{"dayofyear", dataset.DayOfYear(d), "dayofyear(d)"},
			{"weekofyear", dataset.WeekOfYear(d), "weekofyear(d)"},
			{"date_add", dataset.DateAdd(d, j), "d + j::INTEGER"},
			{"date_add_lit", dataset.DateAdd(d, lit(int64(366))), "d + 366"},
			{"date_sub", dataset.DateSub(d, j), "d - j::INTEGER"},
			{"datediff", dataset.DateDiff(d, e), "d - e"},
			{"last_day", dataset.LastDay(d), "last_day(d)"},
		}},
		{"hashing", []Case{
			{"md5", dataset.Md5(s), "md5(s)"},
			{"sha256", dataset.Sha2(s, 256), "sha256(s)"},
			{"sha2_0", dataset.Sha2(t, 0), "sha256(t)"},
		}},
	}, append(moreFamilies(), decimalFamily())...)
}
