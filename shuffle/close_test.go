package shuffle

import (
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// TestReadAfterCloseFails: a reader opened after Close, when every shuffle is forgotten,
// fails with ErrClosed instead of reading an empty partition (rows silently lost).
func TestReadAfterCloseFails(t *testing.T) {
	e := newEnv(t)
	in := mapInput(e.mem, rand.New(rand.NewPCG(1, 2)), 0, []int{100})
	writeMap(t, e, 0, 0, 1, NewHashPartitioner([]int{colK}, 2), in)
	release(in)
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	rd := e.svc.Reader(0, 0)
	defer rd.Close()
	if b, err := rd.Next(); !errors.Is(err, ErrClosed) {
		if b != nil {
			b.Release()
		}
		t.Fatalf("Next after Close: %v, want ErrClosed (io.EOF would be a short read: %v)", err, err == io.EOF)
	}
}
