package tpch

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// Duck is an in-memory DuckDB holding the TPC-H tables.
type Duck struct {
	db   *sql.DB
	conn *sql.Conn
}

// OpenDuck opens DuckDB with threads worker threads and loads the tables of dir (as
// Generate wrote them) into memory.
func OpenDuck(ctx context.Context, dir string, threads int) (*Duck, error) {
	return OpenDuckLimited(ctx, dir, threads, "", 0)
}

// OpenDuckLimited is OpenDuck with DuckDB's tables in the database file dbFile (empty:
// in memory) and its memory_limit set to memoryLimit bytes (0: DuckDB's default), so
// that it can be held to the budget kindling runs under: a file-backed database spills
// and evicts instead of holding every table in memory.
func OpenDuckLimited(ctx context.Context, dir string, threads int, dbFile string, memoryLimit int64) (*Duck, error) {
	db, err := sql.Open("duckdb", dbFile)
	if err != nil {
		return nil, fmt.Errorf("tpch: opening DuckDB: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("tpch: DuckDB connection: %w", err)
	}
	d := &Duck{db: db, conn: conn}
	stmts := []string{fmt.Sprintf("SET threads = %d", max(1, threads))}
	if memoryLimit > 0 {
		stmts = append(stmts, fmt.Sprintf("SET memory_limit = '%dMB'", max(1, memoryLimit>>20)))
	}
	for _, t := range tableNames {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_parquet('%s')", t, filepath.Join(dir, t, "*.parquet")))
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			d.Close()
			return nil, fmt.Errorf("tpch: DuckDB: %s: %w", s, err)
		}
	}
	return d, nil
}

// Close frees the database.
func (d *Duck) Close() error {
	d.conn.Close()
	return d.db.Close()
}

// Query runs query text and returns its answer and the time until the last row.
func (d *Duck) Query(ctx context.Context, query string) (Result, time.Duration, error) {
	start := time.Now()
	rows, err := d.conn.QueryContext(ctx, query)
	if err != nil {
		return Result{}, 0, fmt.Errorf("tpch: DuckDB: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Result{}, 0, err
	}
	var raw [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Result{}, 0, fmt.Errorf("tpch: DuckDB: %w", err)
		}
		raw = append(raw, vals)
	}
	if err := rows.Err(); err != nil {
		return Result{}, 0, fmt.Errorf("tpch: DuckDB: %w", err)
	}
	dur := time.Since(start)
	res := Result{Cols: cols}
	for _, vals := range raw {
		row := make([]Cell, len(vals))
		for i, v := range vals {
			if row[i], err = duckCell(v); err != nil {
				return res, dur, fmt.Errorf("tpch: DuckDB column %s: %w", cols[i], err)
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, dur, nil
}

// MemoryUsage returns the bytes DuckDB's buffer manager holds (duckdb_memory()), or -1.
func (d *Duck) MemoryUsage(ctx context.Context) int64 {
	var n sql.NullInt64
	if err := d.conn.QueryRowContext(ctx, "SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()").Scan(&n); err != nil || !n.Valid {
		return -1
	}
	return n.Int64
}
