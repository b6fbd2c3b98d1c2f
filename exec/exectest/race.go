//go:build race

package exectest

// RaceDetector shrinks the biggest spill tests under the race detector, which slows them
// tenfold; the full sizes run without it.
const RaceDetector = true
