// Package dataset is kindling's public API: a Session (an embedded engine with a memory
// budget and a worker pool), lazy Datasets over Apache Arrow record batches, column
// expressions, aggregates, actions, and the CSV, Parquet and Arrow IPC readers and
// writers.
//
// A Dataset is immutable and lazy: transforms (Select, Filter, WithColumn, GroupBy …)
// only record lineage. An action (Collect, Count, Show, Take, ForEachBatch, WriteParquet,
// WriteCSV) analyzes the lineage (unknown columns and type errors are reported here,
// before any task runs, naming the call site), optimizes it, cuts it into stages at every
// shuffle and runs the stages' tasks in parallel. Execution is adaptive, as Spark's
// AQE: a stage reading shuffles is re-planned from their map-output sizes before it runs
// (small partitions coalesced, a small join side broadcast, a skewed join partition
// split; see Config.DisableAdaptive). Each action records its JobMetrics
// (Session.LastJob), with those decisions, the skewed shuffle partitions and the keys
// behind them, and the rows each operator output (JobMetrics.Explain).
//
// A session shows its jobs as they run and after: Config.UIAddr serves a live web UI,
// Session.WriteReport writes the same as one HTML file, Config.Progress draws a console
// progress bar, Config.Listeners receive job, stage, task, spill and eviction events
// (package dataset/prometheus exports them), and Session.Advise reads the jobs' lineage
// to say which datasets to persist, and which caches to drop.
//
// Each write (WriteParquet, WriteCSV, …) is an OpenLineage run: its START and COMPLETE
// (or FAIL) events, *LineageEvent, go to Config.Listeners and, one JSON line each, to
// Config.Lineage.File, which Marquez ingests. They name the input files (or in-memory
// data), the output directory with its schema, row count and size, the SQL text, and for
// every output column the input fields it derives from (copied, transformed, aggregated,
// masked) and those that filter, join or group its rows, read off the logical plan.
// Dataset.Lineage returns the event without writing.
//
// SQL and DataFrame code mix: Session.SQL parses a query in Spark's dialect over the
// session's temporary views (Dataset.CreateOrReplaceTempView, or CREATE TEMPORARY VIEW in
// SQL) and returns a lazy Dataset bound to the same logical plan the equivalent calls
// build; package sql's doc lists the grammar.
//
// Semantics follow Spark SQL's default (non-ANSI) mode: NULL propagates through
// arithmetic, comparisons and string functions; AND/OR use three-valued logic; a filter
// drops rows whose condition is NULL; x/0 is NULL; integer sums are exact int64; NULL
// group keys form one group; NaN equals NaN and is larger than every number.
//
// # Functions by family
//
// Columns and literals: Col, Lit, Expr.As, Expr.Cast; arithmetic and comparison methods
// (Add, Sub, Mul, Div, Mod, IntDiv, Neg, Eq, NotEq, Lt, Le, Gt, Ge, Between, IsIn, And, Or,
// Not, IsNull, IsNotNull).
//
// Conditionals and NULLs: When … Otherwise (CASE WHEN), If, Coalesce, IfNull, Nvl, NullIf,
// NaNvl, IsNaN, Greatest, Least.
//
// Math: Abs, Signum (Sign), Sqrt, Exp, Log, Log10, Pow, Floor, Ceil, Round, BRound.
// Integer + - * wrap on int64 overflow, as Spark's non-ANSI mode does.
//
// Strings: Length, Lower, Upper, InitCap, Substring, Concat, ConcatWS, Trim, LTrim, RTrim,
// LPad, RPad, Reverse, Replace, Contains, StartsWith, EndsWith, Instr, Locate, Like, ILike,
// RLike, RegexpReplace, RegexpExtract, FormatNumber, FormatString (Java's Formatter
// subset, as Spark's format_string and printf). Their pattern, search, length and
// position arguments take a Go value (a literal) or an Expr (a column, any expression).
// Upper, Lower and InitCap use Java's full case mapping, as Spark does (ß → SS, a final
// sigma). Dictionary-encoded columns are evaluated once per dictionary value.
//
// Dates and timestamps: Year, Quarter, Month, DayOfMonth, DayOfWeek, DayOfYear,
// WeekOfYear, Hour, Minute, Second, DateAdd, DateSub, DateDiff, AddMonths, LastDay,
// MonthsBetween; formatting and parsing with Spark's datetime patterns: ToDate,
// ToTimestamp, UnixTimestamp, DateFormat, FromUnixTime, DateTrunc, Trunc; CurrentDate,
// CurrentTimestamp and Now, fixed once per job. A timestamp is an instant (UTC
// microseconds); every function that needs a wall clock reads it in the session's time
// zone, Config.TimeZone (UTC by default), as Spark's spark.sql.session.timeZone.
//
// Intervals (Spark's CalendarInterval, Arrow's month-day-nano): LitInterval, MakeInterval;
// a timestamp or date plus or minus an interval (months and days on the session zone's
// calendar, then the exact time), timestamp minus timestamp, interval times a number.
//
// Decimals: LitDecimal; decimal128 columns (from Parquet, or by Cast) add, subtract,
// multiply, divide and compare exactly with Spark's result precision and scale, overflow
// giving NULL; Abs, Floor, Ceil, Round and BRound keep them decimal; Sum, Mean, Min and
// Max aggregate them with Spark's result types.
//
// Hashing and pseudonymization: Md5, Sha1, Sha2, HmacSha256, Hash (Spark's Murmur3),
// XxHash64, Mask, MaskWith; for display, MaskEmail (the domain only) and MaskExceptLast
// (the last digits of a phone). PseudonymKey.Token and Dataset.Pseudonymize replace
// personal values by keyed HMAC-SHA256 tokens that still join across tables and runs,
// with a key (PseudonymKeyFromEnv) that no plan, Explain or error shows, unlike
// HmacSha256's literal key; docs/pseudonymization.md has the whole recipe.
//
// Nested values: Expr.Field, Size, ElementAt, ArrayContains, Split; Dataset.Explode,
// PosExplode, ExplodeOuter and PosExplodeOuter turn a list column into rows.
//
// Subqueries: Expr.IsInDataset and Expr.NotInDataset test a value against a one-column
// dataset (Spark's IN and NOT IN over a subquery, with NOT IN's NULL rules); the
// analyzer plans them as a semi join (an anti join for NOT IN) over the subquery's
// distinct values, broadcast when small. They are filter conjuncts only.
//
// User-defined functions: UDF1, UDF2 and UDF3 wrap a typed Go function (int64, int32,
// float64, float32, string, bool arguments and result) that the engine runs a batch at a
// time, giving NULL for a row with a NULL argument without calling it; VectorUDF takes
// whole Arrow arrays for speed. UDF.Call uses one in any expression;
// Session.RegisterUDF names it for the session.
//
// Casts (Expr.Cast) follow Spark's non-ANSI matrix between booleans, numbers, strings,
// dates and timestamps; a date plus or minus an integer is a date.
//
// Joins: Join on equal keys (On, JoinOn.And for an extra condition checked inside the
// join), JoinWhere on any condition (LeftCol and RightCol name a column both sides have;
// a range join runs as a broadcast nested-loop join or a cartesian product of
// partitions, as Explain shows), CrossJoin, JoinAsOf (the latest right row at or before
// each left row per key, Polars' join_asof; Forward, Tolerance), every kind (inner,
// outer, semi, anti); WithSuffix names clashing right columns; Broadcast hints a small
// side.
//
// Window functions: Window() or PartitionBy(cols...) give a WindowSpec, ordered with
// OrderBy and framed with RowsBetween or RangeBetween (UnboundedPreceding, CurrentRow,
// UnboundedFollowing); RowNumber, Rank, DenseRank, PercentRank, CumeDist, NTile, Lag,
// Lead, FirstValue, LastValue and NthValue, and any aggregate (Agg.Over), computed over
// it with WindowFunc.Over. Spark's default frames; windows with the same partitioning and
// order share one shuffle and one sort, and a window partition larger than the budget
// spills.
//
// Aggregates, used with GroupBy(...).Agg: Sum, Count, CountOf, CountDistinct, Mean, Min,
// Max, First, Median, Stddev, Variance, Corr, Percentile, Percentiles, Mode, and the
// approximate ApproxCountDistinct (HyperLogLog), ApproxPercentile and ApproxPercentiles
// (a mergeable quantile sketch with Spark's accuracy parameter) over columns; SumExpr,
// MeanExpr, … over expressions; CountIf; and Agg.Filter for Spark's FILTER (WHERE …).
// Grouped.Pivot turns a column's values into aggregate columns.
//
// Everyday transforms: SortWithinPartitions, MapPartitions (a Go function over a
// partition's stream of batches), DropDuplicates, FillNull, FillNullMap, DropNull,
// Describe, Summary, Sample, RandomSplit, Unpivot, UnionByName, WithColumns,
// WithColumnsRenamed. Batches streams a job's result to a range-over-func loop (the loop
// body borrows each batch; breaking out cancels the job), Rows the same row by row through
// a read-only Row view, and CollectAs reads rows into Go structs.
//
// Data quality gates (Deequ's checks, Delta Live Tables' expectations): Dataset.Expect
// attaches named expectations (RowCountEquals another dataset, RowCountBetween,
// RowCountNotBelow a previous count, which Session.ParquetRowCount reads from the table
// the last run wrote, NullRatioAtMost, UniqueKey, ValuesIn, ValuesBetween and
// PassRatioAtLeast for any boolean Expr) under a policy: Fail makes the action fail
// with an *ExpectationError (ErrExpectationFailed) listing each failed expectation with
// its observed value and threshold, and a write commits nothing; Warn logs them through
// Config.Logger and lets the action succeed. Every action over the dataset, or over one
// derived from it, evaluates them in its own job: a pass-through stage counts rows, NULLs
// (from the Arrow arrays' null counts) and the rows passing each check (evaluated by the
// engine a batch at a time) as the batches flow to the action, keeping only the counts of
// the task attempts whose output was used, so that retries count once. UniqueKey and
// RowCountEquals need jobs of their own (an aggregation over the input, a count of the
// other dataset); an action that sees only part of the rows (Take, Show) evaluates the
// rest by a job of the checks alone. Dataset.ExpectationResults returns the latest
// results, ExpectationReport.String prints them as a table, and Dataset.Validate runs
// the checks alone and returns the report whatever the policy.
//
// Tables on files: ReadCSV, ReadJSON, ReadParquet (ReadParquetWith to merge evolving
// schemas) and ReadIPC read files, directories and globs; a directory in the Hive layout
// (col=value subdirectories) gets its partition columns back, and a filter on them skips
// directories. Writes take WriteOptions: PartitionedBy lays the output out that way,
// WriteMode picks ModeErrorIfExists, ModeOverwrite, ModeAppend or
// ModeOverwritePartitions, and every write commits atomically. Daily loads build on
// that: an IncrementalLoad reads only new files (NewFiles) or rows past a watermark
// (Since) and CommitLoad records its state in the target table with the data;
// Dataset.MergeInto applies a CDC feed (the latest change per key upserts or deletes),
// rewriting only the partitions it touches.
//
// Runnable Examples show the functions at work; each function of the families above
// that came with the function catalog has its own.
//
// Ownership: batches returned by Collect and Take belong to the caller, who releases
// them; batches given to FromRecords and FromPartitions are retained by the session until
// Close; a MapBatches function borrows its input and returns a batch the engine owns.
package dataset
