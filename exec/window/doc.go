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
// first. Every frame is computed from the whole partition: frames that could stream
// (running, ROWS n PRECEDING) still hold, or spill, the partition.
package window
