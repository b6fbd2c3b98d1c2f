package dataset

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// CSVOptions configure ReadCSVWith: header, delimiter, null values, a given or inferred
// schema, dictionary-encoded (categorical) string columns and the handling of malformed
// rows. The zero value reads comma-separated files with a header, empty fields as NULL,
// types inferred from the first 1000 rows, failing fast on a bad row. Its fields:
//
//	NoHeader             bool          // the first line is data; columns are col_1, col_2, ...
//	Delimiter            rune          // field separator; 0 means ','
//	NullValues           []string      // field texts read as NULL; nil means [""], empty means none
//	Schema               *arrow.Schema // column names and types; nil means infer them
//	InferRows            int           // data rows inference reads; 0 means 1000
//	DictionaryColumns    []string      // string columns read dictionary-encoded (categoricals)
//	DictionaryAllStrings bool          // dictionary-encode every string column
//	Mode                 ParseMode     // FailFast, Permissive or DropMalformed
//	BatchRows            int           // rows per batch; 0 means the session's
//	MultiLine            bool          // newlines inside quoted fields (each file read whole)
//	LazyQuotes           bool          // encoding/csv's LazyQuotes
//
// (It is datasource.CSVOptions, whose doc says more.)
type CSVOptions = datasource.CSVOptions

// ParseMode says what a CSV reader does with a malformed value or row: FailFast (the
// default), Permissive or DropMalformed.
type ParseMode = datasource.ParseMode

// The CSV parse modes, as in Spark's CSV reader.
const (
	// FailFast stops at the first malformed row with an error naming file, line and column.
	FailFast ParseMode = datasource.FailFast
	// Permissive keeps every row, reading malformed values (invalid UTF-8 too) as NULL,
	// and counts the rows affected (MalformedRows).
	Permissive ParseMode = datasource.Permissive
	// DropMalformed drops malformed rows and counts them (MalformedRows). A count drops
	// the same rows as a read of every column.
	DropMalformed ParseMode = datasource.DropMalformed
)

func (s *Session) scan(op string, src plan.Source) *Dataset {
	return &Dataset{s: s, node: &plan.Scan{Meta: plan.Meta{CallSite: callSite(op)}, Source: src}}
}

// fileScan scans files of one format; a directory laid out in col=value subdirectories
// (a partitioned table, as PartitionedBy writes) gets its partition columns back.
func (s *Session) fileScan(op string, paths []string, newFiles func(files []string) plan.Source) *Dataset {
	return s.scan(op, exec.NewPartitionedSource(paths, newFiles))
}

// ReadCSV reads CSV files with the default options. Each path may be a file, a
// directory (its files) or a glob; all files form one dataset and must share a header.
// Nothing is read until an action runs.
func (s *Session) ReadCSV(paths ...string) *Dataset {
	return s.ReadCSVWith(CSVOptions{}, paths...)
}

// ReadCSVWith reads CSV files with the given options. Large files are split into
// partitions of at most Config.MaxPartitionBytes at line boundaries (unless
// opts.MultiLine).
func (s *Session) ReadCSVWith(opts CSVOptions, paths ...string) *Dataset {
	if len(paths) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: ReadCSV: no path given")}
	}
	if opts.BatchRows == 0 {
		opts.BatchRows = s.cfg.BatchRows
	}
	return s.fileScan("readCSV", paths, func(files []string) plan.Source { return exec.NewCSVSource(files, opts) })
}

// ReadParquet reads Parquet files (files, directories or globs), one partition per group
// of row groups of at most Config.MaxPartitionBytes. Filters on columns are pushed into
// the scan to skip row groups by their statistics.
//
// A directory laid out as a partitioned table (day=2024-01-01/region=eu/part-*.parquet,
// as written with PartitionedBy, Spark or Hive) is read with its partition columns
// appended, typed from their values (integers as int64, numbers as float64, dates as
// date32, timestamps, otherwise strings); a filter on them reads only the directories
// it can match (Explain's scan says how many). This holds for every file reader.
func (s *Session) ReadParquet(paths ...string) *Dataset {
	if len(paths) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: ReadParquet: no path given")}
	}
	return s.fileScan("readParquet", paths, exec.NewParquetSource)
}

// ReadIPC reads Arrow IPC files (the Arrow file format).
func (s *Session) ReadIPC(paths ...string) *Dataset {
	if len(paths) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: ReadIPC: no path given")}
	}
	return s.fileScan("readIPC", paths, exec.NewIPCSource)
}

// FromRecords makes a dataset of in-memory record batches, one partition per batch. The
// dataset retains the batches (the caller may release its own references) until the
// session closes or Release is called on it. All batches must have the same schema.
func (s *Session) FromRecords(recs ...arrow.RecordBatch) *Dataset {
	if len(recs) == 0 {
		return &Dataset{s: s, err: errors.New("dataset: FromRecords: no record batch given (use FromPartitions with a schema for an empty dataset)")}
	}
	parts := make([][]arrow.RecordBatch, len(recs))
	for i, r := range recs {
		parts[i] = []arrow.RecordBatch{r}
	}
	return s.FromPartitions(recs[0].Schema(), parts...)
}

// FromPartitions makes a dataset of in-memory partitions, each a list of record batches
// (possibly none) of the given schema. The dataset retains the batches until the session
// closes or Release is called on it.
func (s *Session) FromPartitions(schema *arrow.Schema, partitions ...[]arrow.RecordBatch) *Dataset {
	for i, p := range partitions {
		for j, r := range p {
			if !r.Schema().Equal(schema) {
				return &Dataset{s: s, err: fmt.Errorf("dataset: FromPartitions: partition %d batch %d has schema %s, want %s", i, j, oneLine(r.Schema()), oneLine(schema))}
			}
		}
	}
	src := exec.NewRecordsSource("memory", schema, partitions)
	if err := s.own(src); err != nil {
		return &Dataset{s: s, err: fmt.Errorf("dataset: FromPartitions: %w", err)}
	}
	return s.scan("fromRecords", src)
}

// FromReader makes a dataset of the batches of rdr. A reader can be read only once, so
// the first action reads it whole into memory (retained until the session closes) and
// later actions reuse those batches. Release frees them before the session closes.
func (s *Session) FromReader(rdr array.RecordReader) *Dataset {
	src := exec.NewReaderSource("reader", rdr)
	if err := s.own(src); err != nil {
		return &Dataset{s: s, err: fmt.Errorf("dataset: FromReader: %w", err)}
	}
	return s.scan("fromReader", src)
}

// own makes the session release src when it closes; on a closed session it releases src
// at once and fails.
func (s *Session) own(src plan.Source) error {
	r, ok := src.(interface{ Release() })
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		r.Release()
		return ErrSessionClosed
	}
	s.owned = append(s.owned, r)
	s.goLimit.AddUntracked(inMemoryBytes(src))
	return nil
}

// Release frees the batches that a dataset made by FromRecords, FromPartitions or
// FromReader holds, now rather than when the session closes: a long-lived session that
// builds datasets from memory in a loop would otherwise keep every batch it was ever given.
// Actions started later on the dataset, or on datasets derived from it, fail with an
// error saying the source was released; so does a job running at that moment that has
// partitions of it still to read (it fails whole: no partial result). Release is a no-op on other datasets (files are not held; Unpersist frees
// cached partitions) and when called again.
func (d *Dataset) Release() {
	sc, ok := d.node.(*plan.Scan)
	if !ok {
		return
	}
	r, ok := sc.Source.(interface{ Release() })
	if !ok {
		return
	}
	d.s.mu.Lock()
	for i, o := range d.s.owned {
		if o == r {
			d.s.owned = append(d.s.owned[:i], d.s.owned[i+1:]...)
			d.s.goLimit.AddUntracked(-inMemoryBytes(sc.Source))
			break
		}
	}
	d.s.mu.Unlock()
	r.Release()
}

func oneLine(s *arrow.Schema) string {
	parts := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		parts[i] = f.Name + ": " + f.Type.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
