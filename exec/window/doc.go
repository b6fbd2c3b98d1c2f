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
package window
