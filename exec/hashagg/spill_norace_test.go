//go:build !race

package hashagg

// aggSpillTestScale divides the spill tests' rows and groups (see the race variant).
const aggSpillTestScale = 1

// raceEnabled is set under the race detector (see the race variant).
const raceEnabled = false
