// Package datasource reads and writes kindling's file formats — CSV, JSON lines, Parquet and
// Arrow IPC — as Arrow record batches, and cuts files into splits that tasks read
// independently.
//
// Inputs are local paths or Google Cloud Storage objects (gs://bucket/name): every reader
// opens, sizes and lists its inputs through input.go, which sends gs:// paths to
// internal/objstore (ranged reads of one object generation). A DirectoryCommitter of a
// gs:// output stages the job's files locally and commits them by upload
// (commit_objects.go), since Cloud Storage has no rename.
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
// CSV parsing is our own, so that types are inferred over many rows (arrow's reader
// decides from the first) and errors name file, line and column, with the file's true line
// numbers even for a split that starts mid-file (the newlines before it are counted only
// when an error is reported). Records are split by a scanner that follows encoding/csv's
// rules exactly (quotes, doubled quotes, LazyQuotes, CRLF, blank lines, the same
// csv.ParseError; a differential test and fuzz target hold it to that) but reads the file
// in blocks of up to 1 MiB and allocates nothing per record or field: a line without
// quotes is cut where it lies in the block, numbers are parsed from the bytes, and values
// go straight into the Arrow builders. Bad input follows a ParseMode: FailFast (the
// default), Permissive (NULLs, counted) or DropMalformed (rows dropped, counted); a quoting
// error spoils one line, never the rest of the file, and string columns are checked for
// valid UTF-8 a batch at a time (a batch that fails is read again value by value).
//
// A dictionary column (dictionary<int32, utf8>) has one dictionary per split: every batch
// carries the values seen so far, as a view of the same buffers (allocated from the task's
// allocator, released with the reader), so each batch's dictionary extends the one before.
// Consumers that cache work per dictionary (hash aggregation's ids, dictionary hashing,
// shuffle concatenation) recognise an extended dictionary and only translate its new
// entries. A dictionary value is checked for UTF-8 once, when it is first seen.
//
// JSON lines (NDJSON: one object per line) are split at lines by PlanCSVSplits' rule. The
// schema is given or inferred, as Spark infers it, from the first records of each file:
// numbers are int64 or float64, objects structs (members merged in the order first seen),
// arrays lists, dates and times stay strings, and kinds that do not meet make a string
// column holding the other values' JSON text. A hand-written scanner checks RFC 8259 (held
// to encoding/json by a fuzz target) and parses each line into per-column pending values
// with no allocation per row or value (encoding/json or arrow-go's token decoder would box
// every value: arrow-go's JSONReader reads 4x slower); only a line found good is appended
// to the builders, so ParseMode applies as for CSV with nothing to undo: a malformed line
// (not an object, a value its column's type cannot hold, a repeated key, invalid UTF-8) is
// an error naming file, line and column, a row of NULLs, or dropped. JSONFileWriter
// writes what Spark writes: NULL members left out, dates and timestamps ISO 8601.
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
// Files of one Parquet or Arrow IPC source whose schemas differ (columns added, reordered
// or widened over time) are read as one schema by exec's MergeSchema option, as Spark's
// mergeSchema: the readers here stay per-file, each split reading its own file's columns
// by their indices, and exec casts widened columns and adds all-NULL ones for what a file
// lacks. Only widenings that keep every value merge (int32 to int64, say, but not int64 to
// float64). A Predicate on a column a file lacks is never checked against that file's
// statistics: the column is NULL in every row, which exec decides without them.
//
// Output is committed atomically per directory: tasks write into a hidden temporary
// directory and DirectoryCommitter renames it into place, so a failed job leaves nothing.
// Append and OverwritePartitions add to a table that stays in place: their commit point is
// the rename of the temporary directory to a committing one, after which the moves into
// the table (files, or whole partition directories with the old ones set aside) are
// idempotent and RecoverOutput rolls a job killed half-way forward; the table's state file
// (incremental loads' watermarks and files) is moved last, in one rename.
//
// Partitioned tables use the Hive layout that Spark, Trino and DuckDB share: a directory
// level per partition column, col=value with the value escaped as Hive escapes it (so "a/b"
// stays one directory) and NULL or "" as __HIVE_DEFAULT_PARTITION__. PartitionSplitter
// groups a batch's rows by partition numbering each column's distinct values in one pass
// (typed maps, the directory text formatted once per distinct value); DiscoverHive finds
// the layout under a directory and types each partition column from all its values
// (int64, float64, date32, timestamp, else string), as Spark's partition inference does.
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (CSVOptions, JSONOptions, ParseMode; a third-party source is an arrow array.RecordReader given to Session.FromReader); this package has no compatibility promise of its own.
package datasource
