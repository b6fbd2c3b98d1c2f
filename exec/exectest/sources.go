package exectest

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Source feeds a fixed slice of batches as an Operator, passing ownership on.
type Source struct {
	Batches []arrow.RecordBatch
	Pos     int
	opened  bool
	Closed  bool
	Err     error // returned after the batches, if set
}

func (s *Source) Open(context.Context) error { s.opened = true; return nil }

func (s *Source) Next() (arrow.RecordBatch, error) {
	if s.Pos < len(s.Batches) {
		b := s.Batches[s.Pos]
		s.Batches[s.Pos] = nil
		s.Pos++
		return b, nil
	}
	if s.Err != nil {
		return nil, s.Err
	}
	return nil, io.EOF
}

func (s *Source) Close() error {
	if s.Closed {
		return nil
	}
	s.Closed = true
	for _, b := range s.Batches[s.Pos:] {
		if b != nil {
			b.Release()
		}
	}
	return nil
}

// ExprSource feeds a fixed list of batches as an Operator, taking ownership of them.
type ExprSource struct {
	Batches []arrow.RecordBatch
	next    int
	opened  bool
	Closed  bool
}

func (s *ExprSource) Open(context.Context) error { s.opened = true; return nil }

func (s *ExprSource) Next() (arrow.RecordBatch, error) {
	if s.next >= len(s.Batches) {
		return nil, io.EOF
	}
	b := s.Batches[s.next]
	s.Batches[s.next] = nil
	s.next++
	return b, nil
}

func (s *ExprSource) Close() error {
	for i, b := range s.Batches {
		if b != nil {
			b.Release()
			s.Batches[i] = nil
		}
	}
	s.Closed = true
	return nil
}

// SortSource feeds fixed batches as an Operator, passing ownership on.
type SortSource struct {
	Batches []arrow.RecordBatch
	pos     int
	closed  bool
}

func (s *SortSource) Open(context.Context) error { return nil }

func (s *SortSource) Next() (arrow.RecordBatch, error) {
	if s.pos < len(s.Batches) {
		b := s.Batches[s.pos]
		s.Batches[s.pos] = nil
		s.pos++
		return b, nil
	}
	return nil, io.EOF
}

func (s *SortSource) Close() error {
	if !s.closed {
		s.closed = true
		for _, b := range s.Batches[s.pos:] {
			b.Release()
		}
	}
	return nil
}

// HookSource calls hook after handing out batch number at.
type HookSource struct {
	SortSource
	At   int
	Hook func()
}

func (s *HookSource) Next() (arrow.RecordBatch, error) {
	if s.pos == s.At && s.Hook != nil {
		s.Hook()
	}
	return s.SortSource.Next()
}
