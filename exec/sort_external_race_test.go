//go:build race

package exec

// raceDetector shrinks the biggest spill tests under the race detector, which slows them
// tenfold; the full sizes run without it.
const raceDetector = true
