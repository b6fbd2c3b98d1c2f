package dataset

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/sql"
)

// runStatement does what a compiled statement asks and returns its dataset: the query's,
// an empty one for CREATE VIEW (as Spark's), EXPLAIN's one row, DESCRIBE's and SHOW
// TABLES' rows.
func (s *Session) runStatement(st *sql.Statement, site string) (*Dataset, error) {
	switch st.Kind {
	case sql.StmtCreateView:
		if err := s.createViewStatement(st); err != nil {
			return nil, err
		}
		return &Dataset{s: s, node: sql.EmptyNode(site)}, nil
	case sql.StmtExplain:
		d := &Dataset{s: s, node: st.Node}
		text := d.Explain()
		if !st.Extended {
			if p, err := d.prepare(); err == nil {
				text = "== Physical Plan ==\n" + plan.FormatPhysical(p.physical)
			}
		}
		return &Dataset{s: s, node: sql.RowsNode(site, []string{"plan"}, []arrow.DataType{arrow.BinaryTypes.String}, [][]any{{text}})}, nil
	}
	return &Dataset{s: s, node: st.Node}, nil
}

// createViewStatement registers CREATE TEMP VIEW's view: its query, or the data source
// of USING read by the session's own readers.
func (s *Session) createViewStatement(st *sql.Statement) error {
	name := strings.ToLower(st.View)
	s.mu.Lock()
	_, exists := s.views[name]
	s.mu.Unlock()
	if exists && !st.Replace {
		if st.IfNotExists {
			return nil
		}
		return fmt.Errorf("dataset: SQL: temporary view %s already exists (use CREATE OR REPLACE TEMPORARY VIEW)", st.View)
	}
	var d *Dataset
	if st.Node != nil {
		d = &Dataset{s: s, node: st.Node}
	} else {
		var err error
		if d, err = s.readUsing(st); err != nil {
			return err
		}
	}
	return d.CreateOrReplaceTempView(name)
}

// readUsing reads USING parquet|csv OPTIONS (path '...', ...): path (or paths, comma
// separated) names the files; CSV takes header (default false, as Spark), sep or
// delimiter, nullValue and inferSchema (the reader always infers). An unknown option is an
// error, not ignored.
func (s *Session) readUsing(st *sql.Statement) (*Dataset, error) {
	opts := st.Options
	path := opts["path"]
	if path == "" {
		path = opts["paths"]
	}
	if path == "" {
		return nil, fmt.Errorf("dataset: SQL: CREATE TEMPORARY VIEW %s USING %s needs OPTIONS (path '...')", st.View, st.Format)
	}
	paths := strings.Split(path, ",")
	for i := range paths {
		paths[i] = strings.TrimSpace(paths[i])
	}
	var d *Dataset
	switch st.Format {
	case "parquet":
		for k := range opts {
			if k != "path" && k != "paths" && k != "mergeschema" {
				return nil, fmt.Errorf("dataset: SQL: USING parquet: option %s is not supported (path)", k)
			}
		}
		d = s.ReadParquet(paths...)
	case "csv":
		co, err := csvOptionsOf(opts)
		if err != nil {
			return nil, err
		}
		d = s.ReadCSVWith(co, paths...)
	default:
		return nil, errors.New("dataset: SQL: USING " + st.Format + " is not supported (parquet, csv)")
	}
	if len(st.Columns) > 0 {
		exprs := make([]Expr, len(st.Columns))
		schema, err := d.Schema()
		if err != nil {
			return nil, err
		}
		if schema.NumFields() != len(st.Columns) {
			return nil, fmt.Errorf("dataset: SQL: view %s names %d columns, but the %s source has %d", st.View, len(st.Columns), st.Format, schema.NumFields())
		}
		for i, f := range schema.Fields() {
			exprs[i] = Col(f.Name).As(st.Columns[i])
		}
		d = d.Select(exprs...)
	}
	return d, d.err
}

// csvOptionsOf maps Spark's CSV options onto CSVOptions; Spark's header defaults to false.
func csvOptionsOf(opts map[string]string) (CSVOptions, error) {
	co := CSVOptions{NoHeader: true}
	for k, v := range opts {
		switch k {
		case "path", "paths":
		case "header":
			co.NoHeader = !strings.EqualFold(v, "true")
		case "sep", "delimiter":
			r := []rune(v)
			if len(r) != 1 {
				return co, fmt.Errorf("dataset: SQL: USING csv: %s must be one character, got %q", k, v)
			}
			co.Delimiter = r[0]
		case "nullvalue":
			co.NullValues = []string{v}
		case "inferschema":
			// the reader infers the types in any case
		case "multiline":
			co.MultiLine = strings.EqualFold(v, "true")
		default:
			return co, fmt.Errorf("dataset: SQL: USING csv: option %s is not supported (path, header, sep, nullValue, inferSchema, multiLine)", k)
		}
	}
	return co, nil
}
