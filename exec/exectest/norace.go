//go:build !race

package exectest

// RaceDetector is false: the spill tests run at full size.
const RaceDetector = false
