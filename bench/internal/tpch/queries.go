package tpch

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// Queries is the number of TPC-H queries.
const Queries = 22

// DataFrame holds each query's DataFrame version by query number (1..22), registered
// by the qNN.go files: the query's result with the SQL's column names and order.
var DataFrame = map[int]func(Tables) *dataset.Dataset{}

// SQL returns query n's SQL text (queries/qNN.sql): Spark SQL that DuckDB runs too,
// with the specification's validation parameters.
func SQL(n int) string {
	b, err := queryFiles.ReadFile(fmt.Sprintf("queries/q%02d.sql", n))
	if err != nil {
		panic(fmt.Sprintf("tpch: no query %d", n))
	}
	return string(b)
}

// OrderKey is one key of a query's final ORDER BY.
type OrderKey struct {
	Col  string
	Desc bool
}

var (
	orderByRE = regexp.MustCompile(`(?is)\bORDER\s+BY\s+(.*?)(?:\bLIMIT\b|;|$)`)
	commentRE = regexp.MustCompile(`--[^\n]*`)
)

// OrderBy returns the keys of query n's final ORDER BY (none if it has none): the
// output column names, each ascending or descending.
func OrderBy(n int) []OrderKey {
	sql := commentRE.ReplaceAllString(SQL(n), "")
	ms := orderByRE.FindAllStringSubmatch(sql, -1)
	if len(ms) == 0 {
		return nil
	}
	last := ms[len(ms)-1][1]
	// An ORDER BY inside a subquery would be followed by a closing parenthesis.
	if strings.Contains(last, ")") {
		return nil
	}
	var keys []OrderKey
	for _, k := range strings.Split(last, ",") {
		f := strings.Fields(k)
		if len(f) == 0 {
			continue
		}
		keys = append(keys, OrderKey{Col: f[0], Desc: len(f) > 1 && strings.EqualFold(f[1], "DESC")})
	}
	return keys
}

// Shorthands for the query files.
var (
	col   = dataset.Col
	lit   = dataset.Lit
	dec   = dataset.LitDecimal
	sumE  = dataset.SumExpr
	asc   = dataset.Asc
	desc  = dataset.Desc
	inner = dataset.Inner
)

// date is a DATE literal from yyyy-mm-dd (a query's constant: a bad one panics).
func date(s string) dataset.Expr {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return lit(arrow.Date32FromTime(t))
}

// keys joins on left = right.
func keys(left, right string) dataset.JoinOn {
	return dataset.OnKeys([]string{left}, []string{right})
}

// discounted is l_extendedprice * (1 - l_discount).
func discounted() dataset.Expr {
	return col("l_extendedprice").Mul(dec("1").Sub(col("l_discount")))
}
