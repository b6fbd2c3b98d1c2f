// Package run is kbench's harness: db-benchmark's group-by and join questions written
// against kindling's dataset API and as DuckDB SQL, timed one engine after the other on
// the same generated data with answers checked against each other; the windows section
// (the latest row per key by row_number, a running sum, a range join and
// approx_count_distinct; kindling reading the Parquet files it wrote, with DuckDB's time
// over the same files beside its time over loaded tables); the partition-sizing sweeps;
// the skew experiments; and the Markdown and SVG report.
//
// The group-by and join tables take the user's path by default (Options.Load, kbench's
// -load): the generated table is written as CSV, kindling reads it with ReadCSVWith and
// caches it, DuckDB reads it with read_csv, and both loads are timed and reported;
// -load memory hands kindling the generator's in-memory partitions instead, a shape no
// reader produces, to time the operators alone. Every section states its load path.
//
// A question's time covers only the query, over the loaded tables. A DuckDB query is timed as
// db-benchmark does, CREATE TABLE ans AS <query>; a kindling query as Collect of its
// result. The answer check, as db-benchmark's chk, compares the row count and the sums of
// the numeric result columns with relative tolerance 1e-6.
package run
