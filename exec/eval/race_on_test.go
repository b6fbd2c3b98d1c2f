//go:build race

package eval

// raceEnabled is set under the race detector, which instruments allocations: allocation
// counts then say nothing about the kernels, and the count runs are tenfold slower.
const raceEnabled = true
