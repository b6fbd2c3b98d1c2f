package colop

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
