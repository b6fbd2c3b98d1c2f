//go:build !race

package hashagg

// aggSpillTestScale divides the spill tests' rows and groups (see the race variant).
const aggSpillTestScale = 1
