// Package bench holds kindling's benchmarks: data generators and Go benchmarks that
// measure the engine against itself (storage levels under memory pressure, out-of-core
// against in-memory operators). It is its own module so that comparison engines it may
// use never become dependencies of the library.
//
// Run them with:
//
//	cd bench && go test -run '^$' -bench . -benchtime 3x
//
// REPORT.md records the latest figures, with the machine they ran on.
package bench
