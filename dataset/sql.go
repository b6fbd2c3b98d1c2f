package dataset

import (
	"errors"
	"strings"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/sql"
)

// SQL returns the dataset of a SQL statement over the session's temporary views
// (CreateOrReplaceTempView), as Spark's spark.sql. A query is parsed and bound at once,
// into the same plan the equivalent dataset calls build (so Explain and the optimizer
// treat both alike), and runs lazily, when an action asks. Names of views and columns
// are case-insensitive; strings are '...' (or "..."), identifiers may be `quoted`.
//
// Statements: a query; CREATE [OR REPLACE] TEMP[ORARY] VIEW [IF NOT EXISTS] name [(cols)]
// AS query, or USING parquet|csv OPTIONS (path '...', header 'true', sep ';', ...) read by
// ReadParquet and ReadCSVWith (Spark's CSV header defaults to false; the reader always
// infers types), each returning an empty dataset, as Spark's; EXPLAIN [EXTENDED] query,
// one row of a string column plan (the physical plan, or with EXTENDED every plan, as
// Explain); DESCRIBE [TABLE] name, rows (col_name, data_type, comment) with Spark's type
// names; SHOW TABLES, rows (namespace, tableName, isTemporary).
//
// Queries: WITH queries (with column lists); SELECTs joined by UNION [ALL], INTERSECT and
// EXCEPT (columns matched by position; INTERSECT and EXCEPT are distinct and treat NULLs
// as equal, as Spark's); SELECT [DISTINCT] with *, t.*, expressions and aliases, and
// without FROM over one row; FROM views and subqueries with aliases and column alias
// lists, and files as Spark reads them, parquet.`path`, csv.`path`, json.`path` or
// ipc.`path` (a partitioned directory with its partition columns and pruning); [INNER|LEFT|RIGHT|FULL [OUTER]|CROSS|LEFT SEMI|LEFT ANTI] JOIN with ON or USING,
// and comma-separated relations whose WHERE equalities become join keys; WHERE; GROUP BY
// expressions, positions and aliases; aggregates (count(*), count(DISTINCT x), sum, avg,
// min, max, and the others of Agg by their Spark names); window functions (row_number,
// rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead, first_value, last_value,
// nth_value and aggregates) OVER (PARTITION BY ... ORDER BY ... [ROWS|RANGE BETWEEN
// ...]), as Over builds them; HAVING; ORDER BY positions, aliases or expressions,
// ASC/DESC, NULLS FIRST/LAST; LIMIT. Expressions take arithmetic, comparisons,
// AND/OR/NOT, IS [NOT] NULL, BETWEEN, IN (list), [NOT] LIKE/ILIKE/RLIKE, CASE, CAST, DATE
// '...' and TIMESTAMP '...' literals, INTERVAL literals (INTERVAL '90' DAY, INTERVAL 3
// MONTHS, as LitInterval) added to or subtracted from dates and timestamps, EXTRACT,
// SUBSTRING(x FROM i FOR n) and the functions of this package by their Spark names. As in
// Spark, a number with a point is a decimal literal (0.05 is decimal(2,2), as
// LitDecimal("0.05")), one with an exponent a double and an integer a bigint.
//
// Subqueries in WHERE, HAVING and the select list are decorrelated into joins, as
// Spark's optimizer does (Explain shows them): x [NOT] IN (SELECT c ...) as IsInDataset
// and NotInDataset (SQL's NULL rules); [NOT] EXISTS (SELECT ... WHERE correlated
// predicates) and correlated IN as a left semi or anti join on those predicates; a
// scalar subquery as a join with its single row, or, when it is an aggregate correlated
// by equalities (TPC-H's Q2, Q17, Q20), as that aggregate grouped by the correlation keys
// and left-joined back on them (a count over no rows is 0, not NULL).
//
// Errors name the line and column of the offending token and, for an unknown view or
// column, the names that exist; INTERSECT ALL, EXCEPT ALL, the correlated subqueries it
// cannot decorrelate and named windows are reported as not supported.
func (s *Session) SQL(query string) (*Dataset, error) {
	site := callSite("sql")
	s.mu.Lock()
	cat := make(sql.MapCatalog, len(s.views))
	for name, n := range s.views {
		cat[name] = n
	}
	s.mu.Unlock()
	st, err := sql.Compile(query, sessionCatalog{cat, s}, site)
	if err != nil {
		return nil, err
	}
	d, err := s.runStatement(st, site)
	if d != nil {
		d.sql = query
	}
	return d, err
}

// CreateOrReplaceTempView names d for the session's SQL queries, replacing a view of the
// same name (names are case-insensitive). The view holds d's plan, not its rows: each
// query that reads it computes d again, unless d is cached (Cache, Persist).
func (d *Dataset) CreateOrReplaceTempView(name string) error {
	if d.err != nil {
		return d.err
	}
	if strings.TrimSpace(name) == "" {
		return errors.New("dataset: CreateOrReplaceTempView: empty view name")
	}
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if d.s.views == nil {
		d.s.views = map[string]plan.Node{}
	}
	d.s.views[strings.ToLower(name)] = d.node
	return nil
}

// sessionCatalog is the session's views, and its readers for format.`path` in a query.
type sessionCatalog struct {
	sql.MapCatalog
	s *Session
}

// FileTable reads path with the reader of format, as Spark's parquet.`path`.
func (c sessionCatalog) FileTable(format, path string) (plan.Node, error) {
	var d *Dataset
	switch format {
	case "parquet":
		d = c.s.ReadParquet(path)
	case "csv":
		d = c.s.ReadCSV(path)
	case "json":
		d = c.s.ReadJSON(path)
	default:
		d = c.s.ReadIPC(path)
	}
	if d.err != nil {
		return nil, d.err
	}
	return d.node, nil
}
