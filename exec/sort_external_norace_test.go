//go:build !race

package exec

// raceDetector is false: the spill tests run at full size.
const raceDetector = false
