package plan

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Source is where a Scan's data comes from: in-memory records, CSV, Parquet or Arrow IPC
// files. It is the one interface a data source implements; plan never looks inside.
//
// A Source does no I/O when it is created. Schema and Partitions may read metadata (a CSV
// header, Parquet footers); they are called only when an action plans a job.
type Source interface {
	// String describes the source for Explain, e.g. csv[orders/*.csv].
	String() string
	// Schema returns the schema of the rows the source produces with no projection.
	Schema() (*arrow.Schema, error)
	// Partitions splits the scan into independent pieces, one task each.
	Partitions(req ScanRequest) ([]ScanPartition, error)
	// CanPrune reports whether the source can use a pushed-down predicate to skip data
	// (Parquet row-group statistics). Pushed filters are hints: the engine still applies
	// them to every row the source returns.
	CanPrune() bool
}

// SplitNoter is implemented by a source that can say why it made fewer partitions than
// req.MinPartitions (say, a Parquet file with fewer row groups than cores): Explain shows
// the note on the scan. An empty note says nothing.
type SplitNoter interface {
	SplitNote(parts []ScanPartition, req ScanRequest) string
}

// ScanRequest says what a scan needs from its source.
type ScanRequest struct {
	// Columns are the names of the columns to produce, in this order; nil means all.
	Columns []string
	// Filters are conjuncts over the source's columns that the source may use to skip data.
	Filters []Expr
	// MaxPartitionBytes bounds the bytes of input one partition reads (file sources).
	MaxPartitionBytes int64
	// MinPartitions asks file sources to split into at least this many partitions when
	// the input is large enough to be worth it (so that every core has work).
	MinPartitions int
	// BatchRows bounds the rows of each batch a partition yields.
	BatchRows int
}

// FileInput is implemented by the scan partitions that read one file: InputFile is its
// path (a local path or gs://), which a distributed runner checks that its workers reach.
type FileInput interface {
	InputFile() string
}

// InputFiles are the files a scan partition reads (none for a partition not read from
// files, such as in-memory records).
func InputFiles(p ScanPartition) []string {
	switch p := p.(type) {
	case FileInput:
		return []string{p.InputFile()}
	case *groupedPartition:
		var out []string
		for _, q := range p.parts {
			out = append(out, InputFiles(q)...)
		}
		return out
	}
	return nil
}

// ScanPartition is one task's share of a source.
type ScanPartition interface {
	// String describes the piece, e.g. orders-1.csv[0:1048576].
	String() string
	// EstimatedBytes is the size of the input the piece reads, or -1 if unknown.
	EstimatedBytes() int64
	// Open starts reading. Every buffer of the returned batches is allocated with mem.
	// The caller owns each batch the iterator returns and must Release it.
	Open(ctx context.Context, mem memory.Allocator) (BatchIterator, error)
}

// BatchIterator yields record batches. Next returns (nil, io.EOF) at the end. Each batch
// returned is owned by the caller, who must Release it. Close releases the iterator's
// resources; it is idempotent.
type BatchIterator interface {
	Next() (arrow.RecordBatch, error)
	Close() error
}

// ScanNoter is implemented by a source that has something to say about a scan in
// Explain whatever its partition count, e.g. how many partition directories a filter
// let it skip. An empty note says nothing.
type ScanNoter interface {
	ScanNote(req ScanRequest) string
}

// ColumnsOf returns the distinct column names e references, sorted: a source deciding
// which pushed-down filters it can use looks at them.
func ColumnsOf(e Expr) []string { return columnsOf(e) }
