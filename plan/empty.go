package plan

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// EmptySource is a source of no rows. The optimizer puts it in place of a subtree that
// can produce nothing (a filter whose condition folds to false or NULL), as Spark's
// PropagateEmptyRelation does, so that the subtree's input is never read: a Filter
// (Lit(false)) over a file scans no file.
type EmptySource struct {
	schema *arrow.Schema
	reason string
}

// String names the source and why it is empty, for Explain.
func (e EmptySource) String() string { return "empty[" + e.reason + "]" }

// Schema is the schema of the subtree it replaced.
func (e EmptySource) Schema() (*arrow.Schema, error) { return e.schema, nil }

// Partitions is one partition of no rows: stages downstream keep their shape (a global
// aggregate still yields its one row, Count gives 0).
func (e EmptySource) Partitions(ScanRequest) ([]ScanPartition, error) {
	return []ScanPartition{emptyPartition{}}, nil
}

// CanPrune is false: there is nothing to skip.
func (EmptySource) CanPrune() bool { return false }

type emptyPartition struct{}

func (emptyPartition) String() string        { return "empty" }
func (emptyPartition) EstimatedBytes() int64 { return 0 }
func (emptyPartition) Open(context.Context, memory.Allocator) (BatchIterator, error) {
	return emptyIterator{}, nil
}

type emptyIterator struct{}

func (emptyIterator) Next() (arrow.RecordBatch, error) { return nil, io.EOF }
func (emptyIterator) Close() error                     { return nil }

// emptyScan is the scan that replaces n, whose rows are known to be none.
func emptyScan(n Node, reason string) *Scan {
	return &Scan{
		Meta:   Meta{OutSchema: n.Schema(), CallSite: n.Site()},
		Source: EmptySource{schema: n.Schema(), reason: reason},
	}
}
