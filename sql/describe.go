package sql

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// describe reads the rest of DESCRIBE [TABLE] name: one row per column, (col_name,
// data_type, comment) with Spark's type names and a NULL comment, as Spark's.
func (p *parser) describe(b *binder) (*Statement, error) {
	p.acceptKw("table")
	if p.isKw("extended") || p.isKw("formatted") || p.isKw("query") || p.isKw("function") || p.isKw("database") {
		return nil, p.unsupportedErr("DESCRIBE " + strings.ToUpper(p.peek().text))
	}
	at := p.here()
	name, err := p.ident("a view name")
	if err != nil {
		return nil, err
	}
	n, ok := b.cat.View(name)
	if !ok {
		return nil, errAt(at, "unknown table or view %s (views: %s)", name, strings.Join(b.cat.ViewNames(), ", "))
	}
	an, err := plan.Analyze(n)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, f := range an.Schema().Fields() {
		rows = append(rows, []any{f.Name, SparkTypeName(f.Type), nil})
	}
	str := arrow.BinaryTypes.String
	st := &Statement{Kind: StmtDescribe}
	st.Node = b.rowsNode([]string{"col_name", "data_type", "comment"}, []arrow.DataType{str, str, str}, rows)
	return st, nil
}

// showTables reads the rest of SHOW TABLES: the session's views, sorted, as Spark's
// (namespace, tableName, isTemporary) rows; temporary views have an empty namespace.
func (p *parser) showTables(b *binder) (*Statement, error) {
	if err := p.expectKw("tables"); err != nil {
		return nil, err
	}
	if p.isKw("in") || p.isKw("from") || p.isKw("like") {
		return nil, p.unsupportedErr("SHOW TABLES " + strings.ToUpper(p.peek().text))
	}
	var rows [][]any
	for _, v := range b.cat.ViewNames() {
		rows = append(rows, []any{"", v, true})
	}
	str := arrow.BinaryTypes.String
	return &Statement{Kind: StmtShowTables, Node: b.rowsNode([]string{"namespace", "tableName", "isTemporary"},
		[]arrow.DataType{str, str, arrow.FixedWidthTypes.Boolean}, rows)}, nil
}

// rowsNode is a plan of constant rows: each row a projection of literals over the
// one-row relation, the rows a union (no rows: a LIMIT 0 of one), so that every buffer
// comes from the task's allocator as any plan's.
func (b *binder) rowsNode(names []string, types []arrow.DataType, rows [][]any) plan.Node {
	row := func(vals []any) plan.Node {
		exprs := make([]plan.Expr, len(names))
		for i, name := range names {
			var v any
			if vals != nil {
				v = vals[i]
			}
			exprs[i] = &plan.Alias{Child: &plan.Literal{Value: v, Type: types[i]}, Name: name}
		}
		scan, _ := b.oneRowScan()
		return &plan.Project{Meta: b.meta(), Input: scan, Exprs: exprs}
	}
	if len(rows) == 0 {
		return &plan.Limit{Meta: b.meta(), Input: row(nil), N: 0}
	}
	if len(rows) == 1 {
		return row(rows[0])
	}
	inputs := make([]plan.Node, len(rows))
	for i, r := range rows {
		inputs[i] = row(r)
	}
	return &plan.Union{Meta: b.meta(), Inputs: inputs}
}

// EmptyNode is the plan of no rows and no columns: the result of a statement that only
// registers a view, as Spark's.
func EmptyNode(site string) plan.Node {
	b := &binder{site: site}
	return b.rowsNode(nil, nil, nil)
}

// RowsNode is the plan of constant rows of the given columns (values nil, a string, a
// bool or an int64, each of its column's type), as EXPLAIN's one row.
func RowsNode(site string, names []string, types []arrow.DataType, rows [][]any) plan.Node {
	b := &binder{site: site}
	return b.rowsNode(names, types, rows)
}

// SparkTypeName is Spark's name of an arrow type, as DESCRIBE and Spark's schema print
// it: bigint, int, string, double, decimal(12,2), date, timestamp, array<int>, ...
func SparkTypeName(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case *arrow.ListType:
		return "array<" + SparkTypeName(t.Elem()) + ">"
	case *arrow.LargeListType:
		return "array<" + SparkTypeName(t.Elem()) + ">"
	case *arrow.MapType:
		return "map<" + SparkTypeName(t.KeyType()) + "," + SparkTypeName(t.ItemType()) + ">"
	case *arrow.StructType:
		parts := make([]string, len(t.Fields()))
		for i, f := range t.Fields() {
			parts[i] = f.Name + ":" + SparkTypeName(f.Type)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case *arrow.DictionaryType:
		return SparkTypeName(t.ValueType)
	case *arrow.TimestampType:
		if t.TimeZone == "" {
			return "timestamp_ntz"
		}
		return "timestamp"
	}
	switch t.ID() {
	case arrow.BOOL:
		return "boolean"
	case arrow.INT8:
		return "tinyint"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "int"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "float"
	case arrow.FLOAT64:
		return "double"
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return "string"
	case arrow.BINARY, arrow.LARGE_BINARY:
		return "binary"
	case arrow.DATE32, arrow.DATE64:
		return "date"
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return "interval"
	case arrow.NULL:
		return "void"
	}
	return t.String()
}
