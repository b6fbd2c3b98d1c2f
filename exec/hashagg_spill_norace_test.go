//go:build !race

package exec

// aggSpillTestScale divides the spill tests' rows and groups (see the race variant).
const aggSpillTestScale = 1
