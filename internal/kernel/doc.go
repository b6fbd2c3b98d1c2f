// Package kernel holds kindling's column kernels: the vectorized building blocks that the
// shuffle and every operator share, so that one implementation (and one set of tests)
// serves them all.
//
//   - gather (Gather, GatherArray, GatherArrayOrNull): rows by index, typed loops several
//     times faster than arrow's compute.Take on random indices, for the shuffle, the sort,
//     dictionary decoding and the join (where a negative index is an outer join's NULL);
//   - hashing (HashColumns): deterministic row hashes with Spark's rules (NULLs hash
//     alike, all NaNs alike, -0 as 0), the same in every process;
//   - row order (RowComparator, SortIndices): the one ordering of rows, used by the sort,
//     the top-N and the range partitioner;
//   - concatenation (Concatenate) with dictionary merging that costs what the rows use,
//     not the dictionaries' sizes;
//   - append-gather (Appender): rows by index from many arrays into one column's growing
//     buffers, so that the shuffle writer copies a row once on its way to its block;
//   - array assembly and typed views (MakeArray, NewBuffer, NewRawBuffer, NewFixedBuffer,
//     FixedValues, View, OffsetsAndData, Validity, IsSet, DictIndices): building arrays from plain buffers and
//     reading value buffers as Go slices without copying.
//
// Kernels take an allocator for every buffer they create and never retain their inputs
// (but an Appender, which keeps the dictionary its indices refer to until Finish).
// It imports nothing of kindling; shuffle and the exec packages import it.
package kernel
