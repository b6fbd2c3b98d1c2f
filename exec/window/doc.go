// Package window is the window-function operator of kindling's engine (an internal
// package: programs use the dataset package).
//
// The operator reads its partition sorted by (PARTITION BY keys, ORDER BY keys), the
// order the planner's exchange and sort give it, and finds the boundaries of window
// partitions and of peer groups (rows with equal order keys) with internal/kernel's row
// comparator. It buffers rows until a window partition is complete, then computes every
// window function over the complete partitions at once and emits the input columns
// followed by one column per function.
//
// Every function is computed in time linear in the partition, whatever the frame: ranks
// from the peer boundaries; lag and lead, first_value, last_value and nth_value as
// row positions gathered from the argument column; frame bounds as two monotone pointers
// (rows) or two monotone searches over the order key (range); and the aggregates by
// sliding the frame: sum, count and mean add the rows entering the frame and subtract
// those leaving it (floating-point sums with compensation, and NaN and infinities
// counted apart so they leave the frame cleanly), min and max keep a monotonic deque.
//
// Memory: the rows held are reserved. A window partition whose rows are refused goes to
// a spill file as it is read, and only its narrow projection (partition keys, order keys,
// arguments) is held; at its end the functions are computed over that projection and the
// rows are read back with their slices of the results (see spill.go). The operator keeps
// a quarter of a known budget from Open, since the sort below it reads its whole input
// first.
//
// Streaming (stream.go): when every function's frame ends at the current row (or its
// last peer) — row_number, rank, dense_rank, lag, running count, sum and mean (ROWS or
// RANGE from UNBOUNDED PRECEDING), and any ROWS frame from n PRECEDING to at most
// CURRENT ROW — the operator does not wait for the partition's end: it emits each
// batch's complete rows at once and keeps only the last rows' keys and arguments (the
// deepest look-back), the running state and, with a function that reads peers, the
// current peer group. Such a window never holds, or spills, a partition, however large;
// a peer group must fit in memory (it is not spilled), and a function that reads peers
// without an ORDER BY (whose peer group is the partition) keeps the buffered path. Any other function (lead, ntile, percent_rank,
// cume_dist, a frame reaching FOLLOWING rows, RANGE offsets, running min/max) makes the
// whole window buffer its partitions as above.
//
// GroupLimit, the partial per-key limit the planner puts below the exchange of a top-K
// per key query, is here too: it ranks with the same comparator. It holds its candidates
// plus a buffer of as many rows, compacted by a sort; a refused reservation turns it into
// a pass-through, since the window above it does the exact work anyway.
package window
