// Package hashjoin is kindling's equi-join: the build side is loaded into an
// open-addressing table with duplicate chains, the probe side is streamed a batch at a
// time and both sides are gathered with typed gathers. Every join kind of package plan
// (inner, left, right, full, semi, anti) runs here, with Spark's NULL-key rules.
//
// A residual condition (plan.PHashJoin.Residual, the non-equality part of a join
// condition) is evaluated inside the join over batches of candidate pairs, through the
// evaluator the task gives (SetEval), and decides matching for every kind. Without keys
// every build row is a candidate of every probe row: the same operator is the
// (vectorized) nested-loop join of range and cross joins, which does not spill. When the
// condition bounds a column of one side between two of the other (plan.PHashJoin.Range),
// the build side is sorted by that range and each probe row's candidates are found by
// binary search (range.go): an interval join, whose candidates the condition still decides.
//
// Memory: the build side is reserved as it loads. When the budget refuses, the join
// turns into a grace hash join: both sides are hash-partitioned to spill files and the
// partitions are joined one at a time, re-partitioning with a new hash seed any that is
// still too large. A broadcast join's build side is the one broadcast shuffle partition:
// the first task of the stage to need it loads and indexes it, and the stage's other
// tasks probe that table (SharedBuild, held once until the stage ends).
//
// An engine internal with no compatibility promise: users join through dataset.Join.
package hashjoin
