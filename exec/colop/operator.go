package colop

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// Operator is one step of a task's pipeline. Operators pull batches from their inputs.
//
// Ownership: Next transfers ownership of the batch it returns; the caller must Release it
// exactly once (and may keep it as long as it likes). An operator releases every batch it
// pulled from its inputs and did not pass on.
type Operator interface {
	// Open prepares the operator and opens its inputs. It does no data work.
	Open(ctx context.Context) error
	// Next returns the next batch, or (nil, io.EOF) once the input is exhausted.
	// A returned batch may have zero rows.
	Next() (arrow.RecordBatch, error)
	// Close releases all resources, including the inputs. It is idempotent and safe
	// without Open.
	Close() error
}

// RowEstimator is an Operator that knows, once open, about how many rows it will return
// (a shuffle read knows what its map outputs recorded, a cached partition its rows), so
// that a consumer can size its tables once instead of doubling its way there, and a
// partial aggregate can tell how much its table may yet reduce. The estimate is an upper
// bound: a filter passes on its input's. 0 means unknown.
type RowEstimator interface {
	EstimatedRows() int64
}

// EstimatedRows is op's RowEstimator estimate, 0 when it has none.
func EstimatedRows(op Operator) int64 {
	if e, ok := op.(RowEstimator); ok {
		return e.EstimatedRows()
	}
	return 0
}

// Selector is an Operator that can hand on a batch with a selection vector instead of
// copying its selected rows (a filter), so that a consumer that reads only some of those
// rows (a join's probe keeps the matches alone) gathers just these, once.
type Selector interface {
	// Selects reports whether NextSelected may be used (in place of Next) once open.
	Selects() bool
	// NextSelected is Next returning the whole batch, with ownership, and the ascending
	// positions of the rows it selects (nil: every row). The positions stay valid until
	// the next call; a batch with no selected row is never returned.
	NextSelected() (arrow.RecordBatch, []int32, error)
}
