//go:build race

package hashagg

// The race detector slows the aggregate about tenfold; the spill tests then use a fifth of
// the rows and groups (still ten times the budget), keeping the package's tests fast.
const aggSpillTestScale = 5

// raceEnabled skips, under the race detector, the tests that are single-goroutine
// arithmetic over many seeds (the sketches' error bounds): the detector has nothing to
// find there and slows them tenfold.
const raceEnabled = true
