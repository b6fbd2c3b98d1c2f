package dataset

import (
	"errors"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// ParquetOptions configure ReadParquetWith. The zero value is ReadParquet's.
type ParquetOptions struct {
	// MergeSchema reads files whose schemas differ as one table, as Spark's mergeSchema
	// option: columns are matched by name; a column some files lack is NULL in their
	// rows; a column whose type changed takes the type that holds every file's values
	// (int8/16/32 to int64, those and float32 to float64, dictionary-encoded and plain
	// strings to string, decimals to a decimal holding both). The columns are the first
	// file's, in order, then those later files add, as first seen. Any other change
	// (int64 to string, int64 to float64, which would round) is an error naming the
	// column, both types and both files. Without it, the files' schemas must be equal.
	MergeSchema bool
}

// IPCOptions configure ReadIPCWith. The zero value is ReadIPC's.
type IPCOptions struct {
	// MergeSchema reads files whose schemas differ as one table, as ParquetOptions'
	// MergeSchema does.
	MergeSchema bool
}

// ReadParquetWith reads Parquet files (files, directories or globs) with the given
// options, as ReadParquet does (a partitioned table's directories included). With
// opts.MergeSchema, filters pushed into the scan still skip row groups by their
// statistics, and a filter that no row of a file lacking its column can pass (x = 5,
// x IS NOT NULL: x is NULL there) skips the whole file.
func (s *Session) ReadParquetWith(opts ParquetOptions, paths ...string) *Dataset {
	if len(paths) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: ReadParquetWith: no path given")}
	}
	fo := fileOptions(opts.MergeSchema)
	return s.fileScan("readParquet", paths, func(files []string) plan.Source { return exec.NewParquetSourceWith(files, fo) })
}

// ReadIPCWith reads Arrow IPC files with the given options, as ReadIPC does.
func (s *Session) ReadIPCWith(opts IPCOptions, paths ...string) *Dataset {
	if len(paths) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: ReadIPCWith: no path given")}
	}
	fo := fileOptions(opts.MergeSchema)
	return s.fileScan("readIPC", paths, func(files []string) plan.Source { return exec.NewIPCSourceWith(files, fo) })
}

// fileOptions are the options of the sources over one table's files: a partitioned
// table's scan reads the directories a filter keeps with a source over their files, which
// must produce the whole table's merged schema.
func fileOptions(merge bool) exec.FileOptions {
	opts := exec.FileOptions{MergeSchema: merge}
	if merge {
		opts.Group = &exec.SchemaGroup{}
	}
	return opts
}
