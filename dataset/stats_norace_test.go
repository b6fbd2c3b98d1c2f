//go:build !race

package dataset

// statRace is set under the race detector (see the race variant).
const statRace = false
