package memory

import (
	"sync"
	"testing"
	"unsafe"
)

func TestPoolClassesCoverEverySize(t *testing.T) {
	prev := 0
	for i := 0; i < poolClasses; i++ {
		s := poolClassSize(i)
		if s <= prev {
			t.Fatalf("class %d: size %d after %d", i, s, prev)
		}
		if s > prev*5/4+poolAlign && prev >= 1<<poolMinShift {
			t.Fatalf("class %d: %d is more than a quarter above %d", i, s, prev)
		}
		prev = s
	}
	if prev != 1<<poolMaxShift {
		t.Fatalf("largest class %d, want %d", prev, 1<<poolMaxShift)
	}
	for _, size := range []int{0, 1, 63, 64, 65, 80, 81, 127, 128, 129, 1000, 4096, 4097, 5000, 1 << 20, 1<<20 + 1, 3 << 28, 1 << 30} {
		c := poolClassOf(size)
		if c < 0 || poolClassSize(c) < size || (c > 0 && poolClassSize(c-1) >= size) {
			t.Errorf("size %d: class %d of %d bytes is not the smallest that holds it", size, c, poolClassSize(max(c, 0)))
		}
	}
	if poolClassOf(1<<30+1) != -1 {
		t.Error("a size above the largest class got a class")
	}
}

func TestPoolAllocatorZeroesAlignsAndReuses(t *testing.T) {
	p := NewPoolAllocator()
	p.Poison = true
	for _, size := range []int{1, 100, 5000, 1 << 16} {
		b := p.Allocate(size)
		if len(b) != size || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%poolAlign != 0 {
			t.Fatalf("Allocate(%d): len %d, address %p", size, len(b), unsafe.SliceData(b))
		}
		for i := range b {
			b[i] = byte(i) | 1
		}
		if cap(b) != len(b) {
			t.Fatalf("Allocate(%d): capacity %d, want the length (arrow's kernels rely on it)", size, cap(b))
		}
		p.Free(b)
		for i := range b {
			if b[i] != 0xA5 {
				t.Fatalf("Poison left byte %d of a freed buffer at %#x", i, b[i])
			}
		}
		c := p.Allocate(size)
		for i, x := range c {
			if x != 0 {
				t.Fatalf("Allocate(%d) after reuse: byte %d is %#x, want 0", size, i, x)
			}
		}
		// Grow in place and beyond the class: contents kept, the rest zero.
		c[0] = 7
		c = p.Reallocate(cap(c), c)
		c = p.Reallocate(cap(c)+1, c)
		if c[0] != 7 {
			t.Fatalf("Reallocate lost the contents")
		}
		for i, x := range c[1:] {
			if x != 0 {
				t.Fatalf("Reallocate: byte %d is %#x, want 0", i+1, x)
			}
		}
		p.Free(c)
	}
	// Shrunk in place, then freed: recycled in the smaller class, still zeroed on reuse.
	b := p.Allocate(5000)
	b = p.Reallocate(100, b)
	p.Free(b)
	for _, x := range p.Allocate(100) {
		if x != 0 {
			t.Fatal("a shrunk and recycled buffer came back dirty")
		}
	}
	p.Free(p.Allocate(0))
}

func TestPoolAllocatorConcurrent(t *testing.T) {
	p := NewPoolAllocator()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				size := (i*37 + g*11) % 9000
				b := p.Allocate(size)
				for j := range b {
					if b[j] != 0 {
						t.Errorf("non-zero byte in a fresh buffer")
						return
					}
					b[j] = byte(g + 1)
				}
				for j := range b {
					if b[j] != byte(g+1) {
						t.Errorf("buffer shared between goroutines")
						return
					}
				}
				p.Free(b)
			}
		}()
	}
	wg.Wait()
}
