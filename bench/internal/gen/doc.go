// Package gen generates the benchmark data deterministically: db-benchmark's group-by
// table G1_<N>_1e2_0_0, its join tables (x, small, medium, big) and Zipf-distributed keys
// for skew experiments.
//
// Tables are generated once as Go slices (integer codes for string columns) and turned
// into Arrow record batches on demand, split into partitions and chunks of a chosen size:
// numeric columns are zero-copy views of the Go slices, and string key columns are either
// dictionary<int32, utf8> with one dictionary per chunk (what kindling's CSV reader
// produces for DictionaryColumns) or plain utf8 (for files and DuckDB).
//
// The same seed gives the same data on every machine: every column has its own PCG
// stream, so columns can be generated in parallel without changing a value.
package gen
