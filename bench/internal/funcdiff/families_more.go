package funcdiff

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// moreFamilies are the families added after the first five: casts, date formatting and
// parsing, and nested values (lists made by split, as no reader gives list columns from
// this table).
func moreFamilies() []Family {
	str, f64, i64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64
	date, boolean := arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Boolean
	words := dataset.Split(s, " ")
	return []Family{
		{"casts", []Case{
			{"int_to_string", i.Cast(str), "i::VARCHAR"},
			{"date_to_string", d.Cast(str), "d::VARCHAR"},
			{"bool_to_string", i.Gt(j).Cast(str), "(i > j)::VARCHAR"},
			{"int_to_bool", j.Cast(boolean), "j::BOOLEAN"},
			{"int_to_double", i.Cast(f64), "i::DOUBLE"},
			{"double_to_long", x.Cast(i64), "CASE WHEN isnan(x) THEN 0 ELSE trunc(x)::BIGINT END"},
			{"double_string_round_trip", x.Cast(str).Cast(f64), "x::VARCHAR::DOUBLE"},
			{"date_string_round_trip", d.Cast(str).Cast(date), "d::VARCHAR::DATE"},
			{"string_to_long", s.Cast(i64), `TRY_CAST(regexp_extract(trim(s, ' '), '^([+-]?[0-9]+)(\.[0-9]*)?$', 1) AS BIGINT)`},
			{"numeric_string_to_long", i.Cast(str).Cast(i64), "i::VARCHAR::BIGINT"},
			{"string_to_double", t.Cast(f64), "TRY_CAST(trim(t, ' ') AS DOUBLE)"},
		}},
		{"date formatting", []Case{
			{"date_format_iso", dataset.DateFormat(d, "yyyy-MM-dd"), "strftime(d, '%Y-%m-%d')"},
			{"date_format_words", dataset.DateFormat(d, "EEE dd/MM/yyyy"), "strftime(d, '%a %d/%m/%Y')"},
			{"date_format_month", dataset.DateFormat(d, "MMMM d, yyyy"), "strftime(d, '%B %-d, %Y')"},
			{"to_date_round_trip", dataset.ToDate(dataset.DateFormat(d, "dd.MM.yyyy"), "dd.MM.yyyy"),
				"strptime(strftime(d, '%d.%m.%Y'), '%d.%m.%Y')::DATE"},
			{"to_date_invalid", dataset.ToDate(s, "yyyy-MM-dd"), `CASE WHEN regexp_full_match(s, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN try_strptime(s, '%Y-%m-%d')::DATE END`},
			{"trunc_month", dataset.Trunc(d, "MM"), "date_trunc('month', d)::DATE"},
			{"trunc_year", dataset.Trunc(d, "year"), "date_trunc('year', d)::DATE"},
			{"trunc_quarter", dataset.Trunc(d, "quarter"), "date_trunc('quarter', d)::DATE"},
			{"trunc_week", dataset.Trunc(d, "week"), "date_trunc('week', d)::DATE"},
			{"from_unixtime", dataset.FromUnixTime(i.Mul(dataset.Lit(int64(1000))), "yyyy-MM-dd HH:mm:ss"),
				"strftime(to_timestamp(i * 1000), '%Y-%m-%d %H:%M:%S')"},
			{"add_months", dataset.AddMonths(d, j), "(d + to_months(j::INTEGER))::DATE"},
		}},
		{"nested", []Case{
			{"split", words, "string_split_regex(s, ' ')"},
			{"size", dataset.Size(words), "coalesce(len(string_split_regex(s, ' ')), -1)"},
			{"element_at", dataset.ElementAt(words, dataset.Lit(int64(2))), "list_extract(string_split_regex(s, ' '), 2)"},
			{"element_at_last", dataset.ElementAt(words, dataset.Lit(int64(-1))), "list_extract(string_split_regex(s, ' '), -1)"},
			{"array_contains", dataset.ArrayContains(words, dataset.Lit("abc")), "list_contains(string_split_regex(s, ' '), 'abc')"},
			{"array_contains_empty", dataset.ArrayContains(words, dataset.Lit("")), "list_contains(string_split_regex(s, ' '), '')"},
		}},
	}
}

// decimalFamily compares decimal arithmetic, comparisons, rounding and casts exactly: a
// decimal is read as a rational in both engines, so the result types (Spark's and
// DuckDB's differ) do not matter, only the values.
func decimalFamily() Family {
	str, f64, i64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	m, n := dataset.Col("m"), dataset.Col("n")
	return Family{"decimals", []Case{
		{"add", m.Add(n), "m + n"},
		{"sub", m.Sub(n), "m - n"},
		{"mul", m.Mul(n), "m * n"},
		{"add_int", m.Add(i), "m + i"},
		{"mul_int_lit", m.Mul(dataset.Lit(int64(3))), "m * 3"},
		{"neg", m.Neg(), "-m"},
		{"div", m.Div(n),
			// DuckDB divides decimals as doubles; Spark gives decimal(23,10) rounded HALF_UP.
			// The exact quotient, in DuckDB's integers: m/n = (100m)·10 / (1000n).
			"CASE WHEN n <> 0 THEN (sign(m) * sign(n) * ((abs((m * 100)::HUGEINT) * 100000000000 * 2 + abs((n * 1000)::HUGEINT)) // (2 * abs((n * 1000)::HUGEINT))))::DECIMAL(38,0) * 0.0000000001::DECIMAL(11,10) END"},
		{"gt", m.Gt(n), "m > n"},
		{"eq_lit", m.Eq(dataset.LitDecimal("0.00")), "m = 0.00"},
		{"gt_lit", m.Gt(dataset.LitDecimal("1234.5")), "m > 1234.5"},
		{"gt_float", m.Gt(x), "m::DOUBLE > x"},
		{"abs", dataset.Abs(m), "abs(m)"},
		{"floor", dataset.Floor(m.Div(dataset.Lit(int64(100)))), "CASE WHEN true THEN floor(round(m / 100, 8)) END"},
		{"ceil", dataset.Ceil(n), "ceil(n)"},
		{"round", dataset.Round(m, 1), "round(m, 1)"},
		{"round_neg", dataset.Round(m, -2), "round(m, -2)"},
		{"bround", dataset.BRound(m, 1),
			// DuckDB's round_even goes through a double (…77.85 is …77.8500000001 and gives
			// …77.9); HALF_EVEN on the exact cents instead.
			"(CASE WHEN abs((m * 100)::BIGINT % 10) > 5 OR (abs((m * 100)::BIGINT % 10) = 5 AND ((m * 100)::BIGINT // 10) % 2 <> 0) THEN (m * 100)::BIGINT // 10 + sign(m) ELSE (m * 100)::BIGINT // 10 END)::DECIMAL(18,0) * 0.1::DECIMAL(2,1)"},
		{"coalesce", dataset.Coalesce(m, n), "coalesce(m, n)"},
		{"to_long", m.Cast(i64), "trunc(m)::BIGINT"},
		{"to_string", m.Cast(str), "m::VARCHAR"},
		{"to_double", n.Cast(f64), "n::DOUBLE"},
		{"narrow", m.Cast(dec(7, 1)), "TRY_CAST(m AS DECIMAL(7,1))"},
		{"int_to_decimal", i.Cast(dec(8, 2)), "TRY_CAST(i AS DECIMAL(8,2))"},
		{"double_to_decimal", x.Cast(dec(12, 2)), "CASE WHEN abs(x) < 0.001 THEN 0 ELSE TRY_CAST(x::VARCHAR AS DECIMAL(12,2)) END"},
		{"string_to_decimal", s.Cast(dec(10, 2)), "TRY_CAST(trim(s, ' ') AS DECIMAL(10,2))"},
	}}
}
