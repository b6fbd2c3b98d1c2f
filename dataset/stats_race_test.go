//go:build race

package dataset

// statRace is set under the race detector, which slows spilling about tenfold: the
// out-of-core statistics test then skips (exec's spill tests cover the new states).
const statRace = true
