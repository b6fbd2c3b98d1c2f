package exectest

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Source feeds a fixed list of batches as an Operator, passing ownership on: Next hands
// each batch out once, Close releases the ones it did not hand out. Batches may be nil
// entries only past Pos.
//
// Hook, when set, runs as Next is called for batch number At (so after At batches went
// out; At == len(Batches) runs it at the end of the input), for fault injection: a
// spill, a cancellation, a budget taken away while the consumer is mid-way. Err, when
// set, is returned after the last batch instead of io.EOF.
type Source struct {
	Batches []arrow.RecordBatch
	Pos     int // the next batch to hand out
	Err     error
	At      int
	Hook    func()

	Opens, Closes int  // how often Open and Close were called
	Closed        bool // Close was called at least once
}

// Open counts the call; a Source needs no preparation.
func (s *Source) Open(context.Context) error { s.Opens++; return nil }

// Next hands out the next batch, or Err or io.EOF at the end (again on every later call).
func (s *Source) Next() (arrow.RecordBatch, error) {
	if s.Hook != nil && s.Pos == s.At {
		s.Hook()
	}
	if s.Pos < len(s.Batches) {
		b := s.Batches[s.Pos]
		s.Batches[s.Pos] = nil // ownership went with it: Close must not release it too
		s.Pos++
		return b, nil
	}
	if s.Err != nil {
		return nil, s.Err
	}
	return nil, io.EOF
}

// Close releases the batches not handed out. It is idempotent.
func (s *Source) Close() error {
	s.Closes++
	s.Closed = true
	for i := s.Pos; i < len(s.Batches); i++ {
		if s.Batches[i] != nil {
			s.Batches[i].Release()
			s.Batches[i] = nil
		}
	}
	return nil
}
