package colop

import kmemory "github.com/kindling-data/kindling/memory"

// Reservation is the memory budget a buffering operator grows before it holds more.
// *memory.Reservation satisfies it. TryGrow's error wraps memory.ErrBudgetExceeded when
// the budget is spent.
type Reservation interface {
	TryGrow(n int64) error
	Shrink(n int64)
	Free()
}

// BudgetOf returns the budget behind res, or 0 if res does not say (memory.GrowStep).
func BudgetOf(res Reservation) int64 {
	if b, ok := res.(interface{ Limit() int64 }); ok {
		return b.Limit()
	}
	return 0
}

// ChunkedReservation is the part of a Reservation one operator holds. Reserve grows it
// ahead of need by a chunk (memory.GrowStep) because each TryGrow may make the memory
// manager spill other consumers or wait; ShrinkTo gives the slack back, which is what a
// Spiller should offer first since it costs nothing. A nil Res tracks nothing.
type ChunkedReservation struct {
	Res  Reservation // nil: untracked
	Held int64       // bytes held in Res
}

// Reserve makes the reservation cover need bytes. It asks for a chunk of at least the
// missing bytes; if the chunk is refused it asks for exactly the missing bytes before
// giving up. On refusal it returns the missing bytes and the error, holding what it held,
// so that the caller can say what it was reserving for.
func (c *ChunkedReservation) Reserve(need int64) (missing int64, err error) {
	if c.Res == nil || need <= c.Held {
		return 0, nil
	}
	missing = need - c.Held
	grow := kmemory.GrowStep(BudgetOf(c.Res), missing, c.Held)
	if err := c.Res.TryGrow(grow); err != nil {
		if err := c.Res.TryGrow(missing); err != nil {
			return missing, err
		}
		grow = missing
	}
	c.Held += grow
	return 0, nil
}

// ShrinkTo gives back what is held above n bytes.
func (c *ChunkedReservation) ShrinkTo(n int64) {
	if c.Res != nil && c.Held > n {
		c.Res.Shrink(c.Held - n)
		c.Held = n
	}
}
