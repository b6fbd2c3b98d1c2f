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

// RowEstimator is an Operator that knows, once open, how many rows it will return (a
// shuffle read knows what its map outputs recorded), so that a consumer can size its
// tables once instead of doubling its way there.
type RowEstimator interface {
	EstimatedRows() int64
}
