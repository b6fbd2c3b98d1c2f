// Package hashagg is kindling's hash aggregate: typed hash tables over group keys (int64,
// float64, strings, dictionary-encoded strings and combinations), per-function
// accumulators updated over group-id vectors, and the three modes of a two-phase
// aggregate (Partial before a shuffle, Final after it, Complete when the input is
// already partitioned by the keys).
//
// Memory: the table and the accumulators are reserved before they grow. When the budget
// refuses, a Partial aggregate emits what it holds early (its output is partial anyway)
// or skips aggregation for a while when the keys barely repeat; a Final or Complete
// aggregate spills its state hash-partitioned to compressed spill files and merges the
// partitions one at a time, recursing on a partition that still does not fit. The
// minimum working set is an empty table and one input row's groups.
//
// An engine internal with no compatibility promise: users aggregate through
// dataset.GroupBy.
package hashagg
