//go:build race

package dataset

// statRace is set under the race detector, which slows spilling about tenfold: the
// out-of-core tests of one operator family (statistics, collections, windows, range and
// residual joins, the helpers) then skip; the operator packages' own spill tests run
// under it, and the README's go test runs them all.
const statRace = true

// bigDataBatches is bigData's batches per partition: half the rows under the race
// detector, which ran TestOutOfCore for minutes at the full size.
const bigDataBatches = 5

// outOfCoreMinBudget keeps TestOutOfCore's budget (then a third of the data) above what
// the aggregates need to finish at its batch size; below it the final aggregate cannot
// give back its reservation.
const outOfCoreMinBudget = 1 << 20
