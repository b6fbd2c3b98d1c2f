// Package eval evaluates plan expressions a whole batch at a time and holds the operators
// made of expressions alone: Filter (a predicate selects rows) and Project (expressions
// become columns), as CockroachDB's colexecproj and DataFusion's physical expressions do.
//
// Arrow's compute kernels are used where ecosystem measurements show them fast
// (comparisons, unchecked arithmetic, filter, cast); typed loops over the value buffers
// cover strings, NaN-aware comparisons, string-to-number casts and Spark's NULL rules.
// A dictionary-encoded column is evaluated once per dictionary value where the
// expression allows it. Every buffer comes from the allocator the caller passes (the
// task's accounting allocator).
//
// An engine internal: users write expressions with package dataset's Col, Lit and
// functions; this package has no compatibility promise.
package eval
