// Package sorting is kindling's sort operator: it orders row indices with the one row
// order of internal/kernel (the order the range partitioner uses, so a global sort's
// partitions concatenate in order), with a radix sort for a single primitive key, and
// gathers; with a limit it keeps a bounded top-N heap instead.
//
// Memory: input batches are reserved as they arrive. When the budget refuses, the sort
// writes a sorted run to a spill file and continues; at the end the runs are merged,
// several passes when too many runs are open for the budget, each merge reading chunks
// of at most 1/64 of the budget. The minimum working set is one input batch and a merge
// of two runs.
//
// An engine internal with no compatibility promise: users sort through dataset.OrderBy.
package sorting
