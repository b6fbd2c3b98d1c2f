// Package plan turns a dataset's lineage into work the engine can run. It holds the
// logical plan (what the user asked for), the expressions and their types, the analyzer
// and the optimizer, the physical plan (operators and exchanges) and the stage graph
// cut at exchanges, and it renders all of them for Explain.
//
// plan imports nothing of kindling and never anything of execution: it describes work,
// exec performs it. The only I/O planning does is asking sources for their schemas
// (Analyze) and partitions (Physical).
//
// An action runs the pipeline once per job:
//
//	dataset lineage (Node tree, schemas nil)
//	        │ Analyze   names, types, implicit casts, every node's OutSchema
//	        ▼
//	analyzed plan ──── Optimize   constant folding, filter pushdown, projection pruning
//	        │
//	        ▼
//	optimized plan
//	        │ Physical  Source.Partitions, two-phase aggregation, join strategy, exchanges
//	        ▼
//	PhysNode tree ──── Split      one stage per exchange, PShuffleRead in the consumer
//	        │
//	        ▼
//	[]*Stage: map stages (write a shuffle) ... result stage (last)
//
// Invariants the rest of kindling relies on:
//
//   - Trees are immutable. Every pass returns a new tree and leaves its input alone, so a
//     Dataset can share its lineage with the datasets derived from it.
//   - Column names are unique in every schema; expressions refer to columns by name.
//   - In an analyzed plan, every node has its schema and every expression is explicit:
//     both operands of arithmetic are int64 or both float64 (Div is always float64), both
//     operands of a comparison have one type, literals already have the type they are
//     used at, and a projection's expressions carry their output names (OutputName of each
//     is its column's name). The one implicit conversion left is dictionary-encoded
//     strings, which compare with, and are used as, plain strings.
//   - Optimize keeps the root's schema. Pushed scan filters are hints: the Filter above
//     the scan stays, so a source may ignore them.
//   - In a physical plan only PExchange moves rows between partitions; a PHashAggregate
//     sees column references only (arguments are computed by a PProject into $argN
//     columns, corr's second argument into $argNy), and a partial aggregate's output is
//     keys + AggStateFields in Aggs order. A group-wise top-k is an Aggregate (top_k, a
//     list per group) under an Explode, which keeps its input's partitioning.
//   - Joins: the analyzer gives each key pair one type (a casting Project under a side)
//     and names the output (using keys dropped, clashing right names + RightSuffix). A
//     PHashJoin emits left then right columns as they come, renamed but with using keys;
//     a PProject above it (when needed) drops them and coalesces for right and full joins.
//     A broadcast join exchanges only its build side (BroadcastPartitioning); a shuffled
//     one exchanges only the sides not already hash-partitioned on their keys.
//   - A Sort is a range exchange then a PSort per partition; a Limit over a Sort (maybe
//     through a column-selecting Project) is a top-N: PSort with Limit, gathered, again.
//   - Window functions (WindowFunc) appear only in projections; the analyzer moves them
//     into Window nodes below, one per (PARTITION BY, ORDER BY), named by the projection's
//     alias or _weN. A Window is a hash exchange on its partition keys (one partition
//     without them; none when the input is partitioned so already), a PSort by (partition
//     keys, order keys) and a PWindow, whose arguments are columns ($wN_M projected).
//     A Filter keeping row_number, rank or dense_rank <= K (=, <=, <) over a Window of
//     ranking functions only also gets a PWindowGroupLimit below that exchange (Spark's
//     WindowGroupLimit, partial): each map task keeps only the rows per key that can still
//     rank within K, so the shuffle and sort see about K rows per key and map task.
//   - Stages come parents first with IDs 1, 2, ...; a map stage's ShuffleID is its ID and
//     the last stage is the result. Split and the tree printers use explicit stacks, so a
//     lineage thousands of nodes deep does not overflow the goroutine stack.
//
// Errors found before anything runs are *AnalysisError values that name the node's call
// site (e.g. filter@etl.go:17), the column or expression and what exists instead; they
// unwrap to ErrUnknownColumn, ErrType, ErrDuplicateColumn, ErrUnionMismatch or
// ErrInvalidPlan.
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (JoinKind, BatchFunc); this package has no compatibility promise of its own.
package plan
