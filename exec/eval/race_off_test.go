//go:build !race

package eval

// raceEnabled is set under the race detector (see the race variant).
const raceEnabled = false
