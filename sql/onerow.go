package sql

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// oneRow is the relation of a SELECT without FROM, Spark's OneRowRelation: one row of
// one hidden column (a projection that needs no column reads a batch of one row and no
// columns).
type oneRow struct{}

const oneRowCol = "__one_row"

var oneRowSchema = arrow.NewSchema([]arrow.Field{{Name: oneRowCol, Type: arrow.PrimitiveTypes.Int64}}, nil)

func (oneRow) String() string                 { return "OneRowRelation" }
func (oneRow) Schema() (*arrow.Schema, error) { return oneRowSchema, nil }
func (oneRow) CanPrune() bool                 { return false }
func (oneRow) Partitions(r plan.ScanRequest) ([]plan.ScanPartition, error) {
	return []plan.ScanPartition{oneRowPart{cols: r.Columns}}, nil
}

type oneRowPart struct{ cols []string }

func (oneRowPart) String() string        { return "one row" }
func (oneRowPart) EstimatedBytes() int64 { return 8 }
func (p oneRowPart) Open(_ context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	return &oneRowIter{cols: p.cols, mem: mem}, nil
}

type oneRowIter struct {
	cols []string
	mem  memory.Allocator
	done bool
}

// Next yields the one row: its column when the scan asks for it (or for all columns).
func (it *oneRowIter) Next() (arrow.RecordBatch, error) {
	if it.done {
		return nil, io.EOF
	}
	it.done = true
	if it.cols != nil && len(it.cols) == 0 {
		return array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1), nil
	}
	b := array.NewInt64Builder(it.mem)
	defer b.Release()
	b.Append(1)
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(oneRowSchema, []arrow.Array{col}, 1), nil
}

func (it *oneRowIter) Close() error { return nil }

// oneRowScan is the scan of a SELECT without FROM; its column is hidden from * .
func (b *binder) oneRowScan() (plan.Node, *scope) {
	return &plan.Scan{Meta: b.meta(), Source: oneRow{}}, &scope{}
}
