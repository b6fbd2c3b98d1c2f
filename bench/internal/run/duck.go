package run

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver
)

// Duck is an in-memory DuckDB database on one connection (settings are per connection).
type Duck struct {
	db   *sql.DB
	conn *sql.Conn
}

// OpenDuck opens an in-memory DuckDB limited to threads worker threads.
func OpenDuck(ctx context.Context, threads int) (*Duck, error) {
	return openDuckAt(ctx, threads, "", 0)
}

// openDuckFor opens DuckDB for a section of o: in memory, or, when o sets a memory limit,
// with its tables in a database file of o.TmpDir and memory_limit set to the same limit,
// so that both engines are held to one budget.
func openDuckFor(ctx context.Context, o *Options, name string) (*Duck, error) {
	if o.MemoryLimit <= 0 {
		return OpenDuck(ctx, o.Threads)
	}
	return openDuckAt(ctx, o.Threads, filepath.Join(o.TmpDir, name+".duckdb"), o.MemoryLimit)
}

func openDuckAt(ctx context.Context, threads int, dbFile string, memoryLimit int64) (*Duck, error) {
	db, err := sql.Open("duckdb", dbFile)
	if err != nil {
		return nil, fmt.Errorf("run: opening DuckDB: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("run: DuckDB connection: %w", err)
	}
	d := &Duck{db: db, conn: conn}
	// A low flush threshold makes DuckDB return freed memory to the OS after each query,
	// so that the next query's peak RSS is not hidden by pages it kept resident.
	if err := d.Exec(ctx, fmt.Sprintf("SET threads = %d; SET allocator_flush_threshold = '1MB'", threads)); err != nil {
		d.Close()
		return nil, err
	}
	if memoryLimit > 0 {
		if err := d.Exec(ctx, fmt.Sprintf("SET memory_limit = '%dMB'", max(1, memoryLimit>>20))); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// Close closes the database and frees its memory.
func (d *Duck) Close() error {
	d.conn.Close()
	return d.db.Close()
}

// Exec runs statements.
func (d *Duck) Exec(ctx context.Context, stmt string) error {
	if _, err := d.conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("run: DuckDB: %s: %w", shorten(stmt), err)
	}
	return nil
}

// Version returns DuckDB's version string.
func (d *Duck) Version(ctx context.Context) string {
	var v string
	if err := d.conn.QueryRowContext(ctx, "SELECT version()").Scan(&v); err != nil {
		return "?"
	}
	return v
}

// LoadGroupBy loads the group-by table x from a Parquet file as db-benchmark's DuckDB
// solution holds it: id1 and id2 as ENUMs (R factors), id3 as VARCHAR, the integers as
// INTEGER. v3 stays DOUBLE (the same values kindling reads).
func (d *Duck) LoadGroupBy(ctx context.Context, parquet string) error {
	return d.loadGroupBy(ctx, fmt.Sprintf("read_parquet('%s')", parquet))
}

// LoadGroupByCSV loads the group-by table x from a CSV file with a header, as
// LoadGroupBy does from Parquet (db-benchmark's DuckDB solution reads the CSV).
func (d *Duck) LoadGroupByCSV(ctx context.Context, csv string) error {
	return d.loadGroupBy(ctx, fmt.Sprintf("read_csv('%s', header = true, columns = {'id1': 'VARCHAR', 'id2': 'VARCHAR', 'id3': 'VARCHAR', "+
		"'id4': 'INTEGER', 'id5': 'INTEGER', 'id6': 'INTEGER', 'v1': 'INTEGER', 'v2': 'INTEGER', 'v3': 'DOUBLE'})", csv))
}

// loadGroupBy loads x from the table function from (read_parquet or read_csv).
func (d *Duck) loadGroupBy(ctx context.Context, from string) error {
	for _, s := range []string{
		"DROP TABLE IF EXISTS x",
		"CREATE TEMP TABLE y AS SELECT * FROM " + from,
		"DROP TYPE IF EXISTS id1enum", "DROP TYPE IF EXISTS id2enum",
		"CREATE TYPE id1enum AS ENUM (SELECT DISTINCT id1 FROM y WHERE id1 IS NOT NULL ORDER BY id1)",
		"CREATE TYPE id2enum AS ENUM (SELECT DISTINCT id2 FROM y WHERE id2 IS NOT NULL ORDER BY id2)",
		"CREATE TABLE x (id1 id1enum, id2 id2enum, id3 VARCHAR, id4 INTEGER, id5 INTEGER, id6 INTEGER, v1 INTEGER, v2 INTEGER, v3 DOUBLE)",
		"INSERT INTO x SELECT id1, id2, id3, id4, id5, id6, v1, v2, v3 FROM y",
		"DROP TABLE y",
		"CHECKPOINT",
	} {
		if err := d.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// LoadJoinTable loads one join table from a Parquet file, integer keys as INTEGER and
// string keys as VARCHAR, as db-benchmark's DuckDB join solution reads its CSVs.
func (d *Duck) LoadJoinTable(ctx context.Context, name, parquet string, cols []string) error {
	return d.loadJoinTable(ctx, name, fmt.Sprintf("read_parquet('%s')", parquet), cols)
}

// LoadJoinTableCSV loads one join table from a CSV file with a header (types detected
// by DuckDB's sniffer, as db-benchmark's solution reads them), then as LoadJoinTable.
func (d *Duck) LoadJoinTableCSV(ctx context.Context, name, csv string, cols []string) error {
	return d.loadJoinTable(ctx, name, fmt.Sprintf("read_csv('%s', header = true)", csv), cols)
}

func (d *Duck) loadJoinTable(ctx context.Context, name, from string, cols []string) error {
	sel := make([]string, len(cols))
	for i, c := range cols {
		switch c {
		case "id1", "id2", "id3":
			sel[i] = c + "::INTEGER AS " + c
		default:
			sel[i] = c
		}
	}
	return d.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s FROM %s", name, strings.Join(sel, ", "), from))
}

// Run times CREATE TABLE ans AS q.SQL, then computes the answer from ans (untimed) and
// drops it.
func (d *Duck) Run(ctx context.Context, q Question) (time.Duration, Answer, error) {
	if err := d.Exec(ctx, "DROP TABLE IF EXISTS ans"); err != nil {
		return 0, Answer{}, err
	}
	start := time.Now()
	if err := d.Exec(ctx, "CREATE TABLE ans AS "+q.SQL); err != nil {
		return 0, Answer{}, err
	}
	dur := time.Since(start)
	a, err := d.answer(ctx, "ans", q.Check)
	if err2 := d.Exec(ctx, "DROP TABLE ans"); err == nil {
		err = err2
	}
	return dur, a, err
}

func (d *Duck) answer(ctx context.Context, table string, cols []string) (Answer, error) {
	exprs := []string{"count(*)"}
	for _, c := range cols {
		exprs = append(exprs, fmt.Sprintf("coalesce(sum(%q)::DOUBLE, 0)", c))
	}
	dest := make([]any, len(exprs))
	var rows int64
	sums := make([]float64, len(cols))
	dest[0] = &rows
	for i := range cols {
		dest[i+1] = &sums[i]
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), table)
	if err := d.conn.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return Answer{}, fmt.Errorf("run: DuckDB: %s: %w", q, err)
	}
	a := Answer{Rows: rows, Sums: make(map[string]float64, len(cols))}
	for i, c := range cols {
		a.Sums[c] = sums[i]
	}
	return a, nil
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// MemoryUsage returns the bytes DuckDB's buffer manager holds (duckdb_memory()), or -1.
func (d *Duck) MemoryUsage(ctx context.Context) int64 {
	var n sql.NullInt64
	if err := d.conn.QueryRowContext(ctx, "SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()").Scan(&n); err != nil || !n.Valid {
		return -1
	}
	return n.Int64
}
