package colop

import (
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// DefaultBatchRows is the most rows of the batches operators build when Options.BatchRows
// is 0.
const DefaultBatchRows = 8192

// Options is everything a task hands the operators it builds, one value for all of them:
// a new operator or a new service (a spill directory, a batch size) is one field here,
// not one more constructor argument threaded through every call site.
type Options struct {
	// Mem allocates every Arrow buffer the operator creates (the task's accounting
	// allocator). Required.
	Mem memory.Allocator
	// Reserve opens the operator's execution-memory reservation, named for error messages;
	// the operator passes itself as the Spiller so that the memory manager can ask it to
	// spill when another consumer of the task needs room. Nil means an unlimited budget.
	Reserve func(name string, s kmemory.Spiller) Reservation
	// Spill is where buffering operators write when memory is refused; nil disables
	// spilling (they fail with the budget error instead).
	Spill *storage.SpillManager
	// BatchRows bounds the rows of the batches operators build; 0 means DefaultBatchRows.
	BatchRows int
	// Tasks is how many tasks share the budget at once (0: one). An operator keeping
	// memory ahead of need sizes it by the task's share of the budget, not the budget:
	// the memory manager caps each task at about that share once the others run.
	Tasks int
}

// TaskShare returns the part of budget one of the opts.Tasks tasks can count on.
func (o Options) TaskShare(budget int64) int64 { return budget / int64(max(o.Tasks, 1)) }

// Reservation opens the reservation of an operator named name, spilling through s.
func (o Options) Reservation(name string, s kmemory.Spiller) Reservation {
	if o.Reserve == nil {
		return nil
	}
	return o.Reserve(name, s)
}

// WithReservation returns options whose Reserve always hands out res (tests and callers
// that hold one reservation for one operator).
func (o Options) WithReservation(res Reservation) Options {
	o.Reserve = func(string, kmemory.Spiller) Reservation { return res }
	return o
}
