// Package iceberg reads and writes Apache Iceberg tables with kindling, through
// github.com/apache/iceberg-go for the table format (metadata, manifests, snapshots,
// scan planning, commits) and kindling for the data (Parquet reads and writes, filters,
// jobs). It is a module of its own so that iceberg-go's dependencies stay out of
// kindling's core.
//
// # Catalog
//
// OpenCatalog opens a warehouse directory as iceberg-go's Hadoop catalog: tables are
// directories (namespace/table/{data,metadata}) with versioned metadata files committed
// by atomic rename, so no server and no database are needed, and Spark's, Trino's or
// PyIceberg's Hadoop catalog over the same directory sees the same tables. (iceberg-go's
// SQL catalog would also work on a local SQLite file, but needs a database driver and
// an ORM dialect for no gain here.) Catalog.Iceberg and Table.Iceberg hand out the
// iceberg-go objects for what this package does not wrap.
//
// # Tables
//
// CreateTable makes a table from an Arrow schema (a dataset's), partitioned by
// Identity, Year, Month, Day, Hour, Bucket and Truncate fields. A Table reads and
// writes through a kindling Session:
//
//   - Read returns the rows of the current snapshot, of one chosen by ID (AtSnapshot)
//     or by time (AsOf), optionally filtered (Where, a list of column-operator-value
//     Predicates) and projected (Columns). The filter prunes partitions and files by
//     their statistics in iceberg-go's planning (PlanFiles shows the files kept) and is
//     applied by kindling to the rows, so the result is exact. Planned Parquet files
//     are read by kindling's reader; files with merge-on-read deletes, or of a table
//     whose columns were renamed, by iceberg-go's.
//   - ReadAppended returns the rows appended after a given snapshot: an incremental
//     read. ReadSince is the read of an incremental load: the rows appended since the
//     snapshot the last run read up to (the whole table on a first run), and the
//     snapshot this run read up to, resolved once so that a commit during the run is
//     neither skipped nor read twice.
//   - Append, Overwrite and OverwriteWhere write a dataset as Parquet files carrying
//     the Iceberg field IDs, laid out one partition per file by kindling, and commit
//     them in one snapshot; the partition values and column statistics recorded come
//     from the files. Delete removes the rows matching a filter by copy-on-write.
//   - Merge applies a change feed (CDC) with dataset.MergeInto's semantics: for each
//     key, the latest change inserts, updates or deletes its row. It is copy-on-write
//     in one snapshot: only the files holding a changed key are rewritten, found by a
//     join of the changed keys with the files that the changed key values' planning
//     filter leaves (a table partitioned by a key column has only the changed keys'
//     partitions read).
//
// # Incremental loads
//
// A pipeline copying an Iceberg table's new rows into a kindling table keeps its
// position as a cursor of a dataset.IncrementalLoad on the target: each run reads
// ReadSince(cursor), sets the cursor to the snapshot ID it returns (SetCursor) and
// writes with dataset.CommitLoad, which commits the cursor with the rows. A failed run
// leaves the cursor where it was, and the next run reads the same rows again. Only
// append snapshots are read: the rows that an overwrite snapshot (Merge, Delete,
// OverwriteWhere) writes or removes are not, as in Spark's incremental read.
//
// # Not supported
//
// Object stores (the warehouse is a local directory); writing merge-on-read deletes
// (deletes rewrite files; others' delete files are read); MERGE INTO other than a
// change feed's (conditional clauses, updates of some columns); schema and partition
// evolution, snapshot expiry, compaction and branches, which iceberg-go's API does on
// Table.Iceberg (after which Refresh); the row lineage of format version 3 through
// kindling's rewrites. Tables partitioned by bucket are written by iceberg-go's
// writer, since kindling does not compute Iceberg's bucket hash.
package iceberg
