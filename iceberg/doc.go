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
//     read.
//   - Append, Overwrite and OverwriteWhere write a dataset as Parquet files carrying
//     the Iceberg field IDs, laid out one partition per file by kindling, and commit
//     them in one snapshot; the partition values and column statistics recorded come
//     from the files. Delete removes the rows matching a filter by copy-on-write.
//
// # Not supported
//
// Object stores (the warehouse is a local directory); writing merge-on-read deletes
// (deletes rewrite files; others' delete files are read); MERGE INTO and upserts;
// schema and partition evolution, snapshot expiry, compaction and branches, which
// iceberg-go's API does on Table.Iceberg (after which Refresh); the row lineage of
// format version 3 through kindling's rewrites. Tables partitioned by bucket are
// written by iceberg-go's writer, since kindling does not compute Iceberg's bucket hash.
package iceberg
