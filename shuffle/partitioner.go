package shuffle

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
)

// Partitioner assigns every row of a batch to a reduce partition. Implementations are safe
// for concurrent use by several writers.
type Partitioner interface {
	// NumPartitions returns the number of reduce partitions.
	NumPartitions() int
	// Assign writes the partition of row i of rec into out[i], in [0, NumPartitions()).
	// len(out) must equal rec.NumRows().
	Assign(rec arrow.RecordBatch, out []int32) error
}

func checkAssign(rec arrow.RecordBatch, out []int32, n int) error {
	if n <= 0 {
		return fmt.Errorf("shuffle: partitioner has %d partitions, want at least 1", n)
	}
	if int64(len(out)) != rec.NumRows() {
		return fmt.Errorf("shuffle: partition output has %d slots for %d rows", len(out), rec.NumRows())
	}
	return nil
}

// hashPartitioner sends a row to the partition of the hash of its key columns.
type hashPartitioner struct {
	keys    []int
	n       int
	scratch sync.Pool // *hashScratch
}

// hashScratch is one caller's hash buffer and dictionary hash cache (a writer's batches
// usually share their source's dictionaries).
type hashScratch struct {
	hashes []uint64
	dicts  kernel.DictHashCache
}

// NewHashPartitioner returns a partitioner that sends rows with equal values in the key
// columns keyCols (column indices of the batch) to the same one of n partitions, using
// HashColumns. Bad arguments (n < 1, a column index out of range, a type HashColumns does not
// support) are reported by Assign.
func NewHashPartitioner(keyCols []int, n int) Partitioner {
	return &hashPartitioner{keys: append([]int(nil), keyCols...), n: n}
}

func (p *hashPartitioner) NumPartitions() int { return p.n }

func (p *hashPartitioner) Assign(rec arrow.RecordBatch, out []int32) error {
	return p.assign(rec, out, nil)
}

// keyPartitioner is a partitioner by the values of key columns, which can sample the keys
// it hashes into a heavy-hitter sketch (the writer's, naming the keys behind a skewed
// partition).
type keyPartitioner interface {
	Partitioner
	keyColumns() []int
	assign(rec arrow.RecordBatch, out []int32, sk *keySketch) error
}

func (p *hashPartitioner) keyColumns() []int { return p.keys }

// assign is Assign, feeding sk (if not nil) with a sample of the keys.
func (p *hashPartitioner) assign(rec arrow.RecordBatch, out []int32, sk *keySketch) error {
	if err := checkAssign(rec, out, p.n); err != nil {
		return err
	}
	cols := make([]arrow.Array, len(p.keys))
	for i, k := range p.keys {
		if k < 0 || int64(k) >= rec.NumCols() {
			return fmt.Errorf("shuffle: hash partition key column %d out of range (batch has %d columns)", k, rec.NumCols())
		}
		cols[i] = rec.Column(k)
	}
	sc, _ := p.scratch.Get().(*hashScratch)
	if sc == nil {
		sc = new(hashScratch)
	}
	defer p.scratch.Put(sc)
	if cap(sc.hashes) < len(out) {
		sc.hashes = make([]uint64, len(out))
	}
	h := sc.hashes[:len(out)]
	if err := kernel.HashColumnsCached(cols, h, &sc.dicts); err != nil {
		return err
	}
	n := uint64(p.n)
	for i, x := range h {
		// Lemire's multiply-shift maps the hash onto [0, n) without a division; it uses the
		// high bits, which mix64 makes uniform.
		hi, _ := bits.Mul64(x, n)
		out[i] = int32(hi)
	}
	if sk != nil {
		sk.add(h, out, cols)
	}
	return nil
}

// roundRobinPartitioner deals rows out in turn, continuing across batches.
type roundRobinPartitioner struct {
	n     int
	start int
	next  atomic.Int64
}

// NewRoundRobinPartitioner returns a partitioner that deals rows to n partitions in turn,
// starting at partition start and continuing across batches (Spark starts each map task at a
// different partition so that small tasks do not all fill partition 0).
func NewRoundRobinPartitioner(n, start int) Partitioner {
	return &roundRobinPartitioner{n: n, start: start}
}

func (p *roundRobinPartitioner) NumPartitions() int { return p.n }

func (p *roundRobinPartitioner) Assign(rec arrow.RecordBatch, out []int32) error {
	if err := checkAssign(rec, out, p.n); err != nil {
		return err
	}
	// Reserving the batch's range atomically keeps concurrent writers from sharing slots.
	first := p.next.Add(int64(len(out))) - int64(len(out))
	nn := int64(p.n)
	part := int32((first%nn + int64(p.start)%nn + nn) % nn)
	n := int32(p.n)
	for i := range out {
		out[i] = part
		if part++; part == n {
			part = 0
		}
	}
	return nil
}

type singlePartitioner struct{}

// NewSinglePartitioner returns a partitioner that sends every row to partition 0, for
// exchanges that gather everything in one task (a global sort's final merge, a global limit).
func NewSinglePartitioner() Partitioner { return singlePartitioner{} }

func (singlePartitioner) NumPartitions() int { return 1 }

func (singlePartitioner) Assign(rec arrow.RecordBatch, out []int32) error {
	if err := checkAssign(rec, out, 1); err != nil {
		return err
	}
	clear(out)
	return nil
}
