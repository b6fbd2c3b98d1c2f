// Package dataset is kindling's public API: a Session (an embedded engine with a memory
// budget and a worker pool), lazy Datasets over Apache Arrow record batches, column
// expressions, aggregates, actions, and the CSV, Parquet and Arrow IPC readers and
// writers.
//
// A Dataset is immutable and lazy: transforms (Select, Filter, WithColumn, GroupBy …)
// only record lineage. An action (Collect, Count, Show, Take, ForEachBatch, WriteParquet,
// WriteCSV) analyzes the lineage (unknown columns and type errors are reported here,
// before any task runs, naming the call site), optimizes it, cuts it into stages at every
// shuffle and runs the stages' tasks in parallel. Each action records its JobMetrics
// (Session.LastJob).
//
// Semantics follow Spark SQL's default (non-ANSI) mode: NULL propagates through
// arithmetic, comparisons and string functions; AND/OR use three-valued logic; a filter
// drops rows whose condition is NULL; x/0 is NULL; integer sums are exact int64; NULL
// group keys form one group; NaN equals NaN and is larger than every number.
//
// Ownership: batches returned by Collect and Take belong to the caller, who releases
// them; batches given to FromRecords and FromPartitions are retained by the session until
// Close; a MapBatches function borrows its input and returns a batch the engine owns.
package dataset
