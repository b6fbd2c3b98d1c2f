// Package colop is the operator contract of kindling's executor and what every operator
// shares: the Operator interface (Open, Next, Close; Next hands over ownership of the
// batch), Options (the one value a task builds every operator from: allocator,
// reservations, spill directory, batch size), the Reservation a buffering operator grows
// before it holds more data and ChunkedReservation that grows it ahead of need, Closer
// for the idempotent Close, the slab pool of hash tables, the batch sizer used for
// metrics, the context that arrow's compute kernels run under, and CheckBatch, the batch
// invariants that builds with the invariants tag verify between operators.
//
// It sits below every operator package (eval, hashagg, hashjoin, sorting) and above the
// column kernels (internal/kernel); it imports no operator. It is an engine internal:
// users build plans through package dataset and never implement or call operators
// directly, so nothing here is covered by compatibility promises.
//
// Invariants every operator keeps:
//   - Next transfers ownership of the batch it returns; an operator releases every batch
//     it pulled from its inputs and did not pass on.
//   - Close is idempotent, safe without Open, closes the inputs and frees every
//     reservation, on every path (error, cancellation, early Close by a consumer).
//   - Memory held across batches is reserved first; a refused reservation is answered by
//     spilling (see package exec's doc for each operator's minimum working set) and only
//     then by an error wrapping memory.ErrBudgetExceeded.
package colop
