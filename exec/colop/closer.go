package colop

// Closer owns an operator's closed flag, so that Close tears down once however often it is
// called (the Operator contract makes Close idempotent). Embed it and write Close as
// CloseOnce(teardown).
type Closer struct {
	closed bool
}

// Closed reports whether CloseOnce has run; Next refuses to run after it.
func (c *Closer) Closed() bool { return c.closed }

// CloseOnce runs teardown on the first call and returns its error; later calls return nil
// without running it.
func (c *Closer) CloseOnce(teardown func() error) error {
	if c.closed {
		return nil
	}
	c.closed = true
	return teardown()
}
