//go:build !race

package dataset

// statRace is set under the race detector (see the race variant).
const statRace = false

// bigDataBatches is the number of 5000-row batches in each of bigData's partitions.
const bigDataBatches = 10

// outOfCoreMinBudget is TestOutOfCore's least budget (see the race variant).
const outOfCoreMinBudget = 0
