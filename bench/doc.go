// Package bench holds kindling's benchmarks: data generators and Go benchmarks that
// measure the engine against itself (storage levels under memory pressure, out-of-core
// against in-memory operators). It is its own module so that comparison engines it may
// use never become dependencies of the library.
//
// Run them with:
//
//	cd bench && go test -run '^$' -bench . -benchtime 3x
//
// cmd/kbench compares kindling with DuckDB (linked in through cgo, in this module only)
// on db-benchmark's group-by and join questions, sweeps partition sizing and measures
// skew; internal/gen generates the data and internal/run is the harness:
//
//	cd bench && go run ./cmd/kbench -n 1e7 -out results/
//
// REPORT.md records the latest figures, with the machine they ran on.
package bench
