package dataset

import (
	"context"
	"errors"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// JSONOptions configure ReadJSONWith: a given or inferred schema and the handling of
// malformed lines of JSON lines (NDJSON) files, one object per line. The zero value infers
// the schema from the first 1000 records of each file (numbers as int64 or float64,
// objects as structs, arrays as lists, dates and times as strings, values of kinds that do
// not meet as strings of their JSON text), failing fast on a malformed line. Its fields:
//
//	Schema              *arrow.Schema // column names and types; nil means infer them
//	InferRows           int           // records of each file inference reads; 0 means 1000
//	Mode                ParseMode     // FailFast, Permissive (a row of NULLs) or DropMalformed
//	BatchRows           int           // rows per batch; 0 means the session's
//	PrimitivesAsString  bool          // infer numbers and booleans as strings
//	CorruptRecordColumn string        // a string column for malformed lines' text (Permissive)
//	DateFormat          string        // Go layout of date32 values; "" means 2006-01-02
//	TimestampFormat     string        // Go layout of timestamp values; "" means RFC 3339
//
// A line is malformed when it is not a JSON object or a value does not fit its column's
// type (a string where an int64 is expected, a fraction for an integer). Members a
// schema does not name are ignored, and a missing member is NULL.
// (It is datasource.JSONOptions, whose doc says more.)
type JSONOptions = datasource.JSONOptions

// ReadJSON reads JSON lines files (one object per line) with the default options. Each
// path may be a file, a directory (its files) or a glob; all files form one dataset.
// Nothing is read until an action runs.
func (s *Session) ReadJSON(paths ...string) *Dataset {
	return s.ReadJSONWith(JSONOptions{}, paths...)
}

// ReadJSONWith reads JSON lines files with the given options. Large files are split into
// partitions of at most Config.MaxPartitionBytes at line boundaries; malformed lines that
// Permissive or DropMalformed mode kept or dropped are counted (MalformedRows).
func (s *Session) ReadJSONWith(opts JSONOptions, paths ...string) *Dataset {
	if len(paths) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: ReadJSON: no path given")}
	}
	if opts.BatchRows == 0 {
		opts.BatchRows = s.cfg.BatchRows
	}
	return s.fileScan("readJSON", paths, func(files []string) plan.Source { return exec.NewJSONSource(files, opts) })
}

// WriteJSON runs the job and writes the result as a directory of JSON lines part files,
// one object per row, committed atomically like WriteParquet. As Spark writes JSON, NULL
// members are left out; dates are "2006-01-02", timestamps ISO 8601, structs objects and
// lists arrays (see datasource.JSONFileWriter).
func (d *Dataset) WriteJSON(ctx context.Context, dir string, opts ...WriteOption) error {
	return d.write(ctx, "writeJSON", dir, "json", opts)
}
