// Package datasource reads and writes kindling's file formats — CSV, Parquet and Arrow IPC
// — as Arrow record batches, and cuts files into splits that tasks read independently.
//
// It knows nothing of plans or execution: exec wraps these readers as plan.Source
// implementations. Every reader takes the memory.Allocator of the task that runs it and
// allocates every buffer with it; each batch a reader returns is owned by the caller.
// Readers return (nil, io.EOF) at the end, keep returning a failure once one happened,
// check their context between batches, and have an idempotent Close.
//
// Splitting follows Spark: MaxSplitBytes = min(maxPartitionBytes, max(4 MiB open cost,
// totalBytes/minPartitions)). A CSV split [Start, End) owns the lines whose first byte lies
// in it (see PlanCSVSplits), which assumes no newline inside a quoted field; files that
// have them are read whole (CSVOptions.MultiLine). Parquet splits are runs of whole row
// groups; Arrow IPC splits are runs of record batches.
//
// CSV parsing is our own, on encoding/csv, so that types are inferred over many rows
// (arrow's reader decides from the first) and errors name file, line and column, with the
// file's true line numbers even for a split that starts mid-file (the newlines before it are
// counted only when an error is reported). Bad input follows a ParseMode: FailFast (the
// default), Permissive (NULLs, counted) or DropMalformed (rows dropped, counted); a quoting
// error spoils one line, never the rest of the file, and string columns are checked for
// valid UTF-8 a batch at a time (a batch that fails is read again value by value).
//
// Damaged Parquet and Arrow IPC files are errors naming the file: the decoders' panics are
// caught, an IPC footer's schema is walked before it is decoded (a damaged length would
// otherwise abort the process), decoded buffers are bounded by the file's size, and what a
// failed decode allocated is freed.
//
// Parquet row groups are skipped when their min/max/null-count statistics prove that a
// Predicate holds for no row. Float columns are never pruned on their values: Parquet
// statistics leave NaN out, and NaN is a value (greater than every number) in kindling.
//
// Output is committed atomically per directory: tasks write into a hidden temporary
// directory and DirectoryCommitter renames it into place, so a failed job leaves nothing.
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (CSVOptions, ParseMode; a third-party source is an arrow array.RecordReader given to Session.FromReader); this package has no compatibility promise of its own.
package datasource
