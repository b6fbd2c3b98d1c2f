package shuffle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Range partitioning, as Spark does it for a global sort: each map task samples its rows'
// sort keys (Reservoir), the driver sorts all samples and picks evenly spaced bounds
// (RangeBounds), and every map task then sends a row to the partition of the first bound
// at or above it (RangePartitioner). All three compare rows with RowComparator, so the
// bounds and the final sort agree on one order.

// keyBatch returns a batch of rec's key columns keyCols (sharing their arrays), or an error
// naming a column out of range.
func keyBatch(rec arrow.RecordBatch, keyCols []int) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(keyCols))
	cols := make([]arrow.Array, len(keyCols))
	for k, c := range keyCols {
		if c < 0 || int64(c) >= rec.NumCols() {
			return nil, fmt.Errorf("shuffle: key column %d out of range (batch has %d columns)", c, rec.NumCols())
		}
		fields[k] = rec.Schema().Field(c)
		cols[k] = rec.Column(c)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}

// rangePartitioner sends a row to the first partition whose upper bound is at or above it
// (by RowComparator's order), and rows above every bound to the last partition.
type rangePartitioner struct {
	keys   []int
	orders []kernel.SortOrder
	bounds arrow.RecordBatch // a private, garbage-collected copy
	bcmp   *kernel.RowComparator
	nb     int // number of bounds
	n      int // number of partitions, at least nb+1
	err    error
}

// NewRangePartitioner returns a range partitioner over the key columns keyCols (column
// indices of the batches it will assign) ordered by orders. bounds holds the upper bounds,
// one row each, sorted by the same order, with exactly the key columns (as RangeBounds
// returns them). A row goes to the first partition whose bound is at or above it, rows
// above every bound to partition B (the number of bounds). NumPartitions is the n that
// RangeBounds recorded in the bounds' schema metadata, so the shuffle keeps its planned
// partition count even when equal bounds were merged (partitions above B stay empty);
// for bounds without that record it is B+1.
//
// The partitioner keeps its own copy of bounds (dictionary columns decoded) in Go-managed
// memory, so the caller keeps ownership of bounds and may release it at any time; the
// partitioner needs no Release. Bad arguments are reported by Assign.
func NewRangePartitioner(keyCols []int, orders []kernel.SortOrder, bounds arrow.RecordBatch) Partitioner {
	p := &rangePartitioner{keys: slices.Clone(keyCols), orders: slices.Clone(orders), nb: int(bounds.NumRows())}
	p.n = max(p.nb+1, boundsPartitions(bounds))
	if int(bounds.NumCols()) != len(keyCols) {
		p.err = fmt.Errorf("shuffle: range partitioner: bounds have %d columns for %d key columns", bounds.NumCols(), len(keyCols))
		return p
	}
	p.bounds, p.err = copyBounds(bounds)
	if p.err != nil {
		p.err = fmt.Errorf("shuffle: range partitioner: copy bounds: %w", p.err)
		return p
	}
	p.bcmp, p.err = kernel.NewRowComparator(p.bounds.Columns(), orders)
	if p.err != nil {
		p.err = fmt.Errorf("shuffle: range partitioner bounds: %w", p.err)
	}
	return p
}

// copyBounds deep-copies bounds into Go-allocated buffers that the garbage collector
// frees. Dictionary columns are decoded, since a gathered dictionary array would share the
// caller's dictionary; they compare by bytes with dictionary-encoded batch columns.
func copyBounds(bounds arrow.RecordBatch) (arrow.RecordBatch, error) {
	mem := memory.DefaultAllocator
	idx := make([]int32, bounds.NumRows())
	for i := range idx {
		idx[i] = int32(i)
	}
	fields := slices.Clone(bounds.Schema().Fields())
	cols := make([]arrow.Array, len(fields))
	for c, col := range bounds.Columns() {
		if dt, ok := col.DataType().(*arrow.DictionaryType); ok {
			ctx := compute.WithAllocator(context.Background(), mem)
			dec, err := compute.CastArray(ctx, col, compute.SafeCastOptions(dt.ValueType))
			if err != nil {
				return nil, fmt.Errorf("decode column %d: %w", c, err)
			}
			cols[c] = dec
			fields[c].Type = dt.ValueType
			continue
		}
		g, err := kernel.GatherArray(col, idx, mem)
		if err != nil {
			return nil, fmt.Errorf("column %d: %w", c, err)
		}
		cols[c] = g
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, bounds.NumRows()), nil
}

func (p *rangePartitioner) NumPartitions() int { return p.n }

func (p *rangePartitioner) Assign(rec arrow.RecordBatch, out []int32) error {
	if err := checkAssign(rec, out, p.NumPartitions()); err != nil {
		return err
	}
	if p.err != nil {
		return p.err
	}
	cols := make([]arrow.Array, len(p.keys))
	for k, c := range p.keys {
		if c < 0 || int64(c) >= rec.NumCols() {
			return fmt.Errorf("shuffle: range partition key column %d out of range (batch has %d columns)", c, rec.NumCols())
		}
		cols[k] = rec.Column(c)
	}
	rc, err := kernel.NewRowComparator(cols, p.orders)
	if err != nil {
		return fmt.Errorf("shuffle: range partition: %w", err)
	}
	if err := rc.Compatible(p.bcmp); err != nil {
		return fmt.Errorf("shuffle: range partition: batch keys against bounds: %w", err)
	}
	nb := p.nb
	for i := range out {
		// The first bound at or above row i; sort.Search's closure is built once per row
		// and compares typed values without boxing.
		out[i] = int32(sort.Search(nb, func(b int) bool { return rc.CompareWith(i, p.bcmp, b) <= 0 }))
	}
	return nil
}

// Reservoir keeps a uniform random sample of at most size rows of the key columns of the
// batches it is shown (Vitter's algorithm R over row positions). It holds only the sampled
// rows' keys: each Add gathers the rows it chose, and the pieces are compacted once dead
// rows (replaced later) outnumber the sample, so memory stays O(size). A Reservoir is used
// by one goroutine.
type Reservoir struct {
	keys   []int
	size   int
	rng    *rand.Rand
	seen   int64
	schema *arrow.Schema
	pieces []arrow.RecordBatch // gathered key rows
	slots  []slotRef           // the sample: which row of which piece
	rows   int                 // rows held in pieces, live or dead
	err    error
}

type slotRef struct{ piece, row int32 }

// NewReservoir returns a reservoir of at most size rows of the key columns keyCols, with a
// deterministic random sequence from seed.
func NewReservoir(keyCols []int, size int, seed uint64) *Reservoir {
	return &Reservoir{
		keys: slices.Clone(keyCols),
		size: max(size, 0),
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// Seen returns the number of rows shown to the reservoir so far.
func (r *Reservoir) Seen() int64 { return r.seen }

// Add offers every row of rec to the sample. It borrows rec. Errors (a key column out of
// range, a schema change) are kept and returned by Result.
func (r *Reservoir) Add(rec arrow.RecordBatch) {
	if r.err != nil {
		return
	}
	kb, err := keyBatch(rec, r.keys)
	if err != nil {
		r.err = fmt.Errorf("shuffle: reservoir: %w", err)
		return
	}
	defer kb.Release()
	if r.schema == nil {
		r.schema = kb.Schema()
	} else if !r.schema.Equal(kb.Schema()) {
		r.err = fmt.Errorf("shuffle: reservoir: key schema changed from %s to %s", r.schema, kb.Schema())
		return
	}
	n := int(rec.NumRows())
	// chosen maps a slot to the row of rec that holds it, for slots this batch filled.
	chosen := map[int]int32{}
	for i := range n {
		t := r.seen + int64(i)
		switch {
		case t < int64(r.size):
			r.slots = append(r.slots, slotRef{})
			chosen[int(t)] = int32(i)
		case r.size > 0:
			if j := r.rng.Int64N(t + 1); j < int64(r.size) {
				chosen[int(j)] = int32(i)
			}
		}
	}
	r.seen += int64(n)
	if len(chosen) == 0 {
		return
	}
	slotIDs := make([]int, 0, len(chosen))
	for s := range chosen {
		slotIDs = append(slotIDs, s)
	}
	slices.Sort(slotIDs)
	idx := make([]int32, len(slotIDs))
	piece := int32(len(r.pieces))
	for k, s := range slotIDs {
		idx[k] = chosen[s]
		r.slots[s] = slotRef{piece: piece, row: int32(k)}
	}
	g, err := kernel.GatherRecord(kb, idx, memory.DefaultAllocator)
	if err != nil {
		r.err = fmt.Errorf("shuffle: reservoir: %w", err)
		return
	}
	r.pieces = append(r.pieces, g)
	r.rows += len(idx)
	if r.rows > 2*r.size+1024 || len(r.pieces) > 64 {
		if err := r.compact(memory.DefaultAllocator); err != nil {
			r.err = err
		}
	}
}

// compact rebuilds the pieces as one batch holding exactly the sample, in slot order.
func (r *Reservoir) compact(mem memory.Allocator) error {
	out, err := r.collect(mem)
	if err != nil {
		return err
	}
	r.releasePieces()
	r.pieces = []arrow.RecordBatch{out}
	for s := range r.slots {
		r.slots[s] = slotRef{piece: 0, row: int32(s)}
	}
	r.rows = len(r.slots)
	return nil
}

// collect gathers the sample in slot order into a new batch.
func (r *Reservoir) collect(mem memory.Allocator) (arrow.RecordBatch, error) {
	parts := make([]arrow.RecordBatch, 0, len(r.pieces))
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	// Gather piece by piece the slots it holds; slots are grouped by piece, then concatenated.
	byPiece := make([][]int32, len(r.pieces))
	for _, s := range r.slots {
		byPiece[s.piece] = append(byPiece[s.piece], s.row)
	}
	for p, rows := range byPiece {
		if len(rows) == 0 {
			continue
		}
		g, err := kernel.GatherRecord(r.pieces[p], rows, mem)
		if err != nil {
			return nil, fmt.Errorf("shuffle: reservoir: %w", err)
		}
		parts = append(parts, g)
	}
	return concatBatches(r.schema, parts, mem)
}

// Result returns the sampled key rows as a new batch of the key columns only (the caller
// releases it), allocated from mem. Before any Add it returns (nil, nil): the reservoir
// does not know the key schema yet.
func (r *Reservoir) Result(mem memory.Allocator) (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.schema == nil {
		return nil, nil
	}
	return r.collect(mem)
}

// Release frees the held sample. The reservoir can not be used afterwards.
func (r *Reservoir) Release() {
	r.releasePieces()
	r.slots = nil
	r.rows = 0
}

func (r *Reservoir) releasePieces() {
	for _, p := range r.pieces {
		p.Release()
	}
	r.pieces = nil
}

// concatBatches concatenates batches of one schema column by column into a new batch (a
// zero-row batch when there are none).
func concatBatches(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, rec := range recs {
		rows += rec.NumRows()
	}
	parts := make([]arrow.Array, len(recs))
	for c := range cols {
		if len(recs) == 0 {
			cols[c] = array.MakeArrayOfNull(mem, schema.Field(c).Type, 0)
			continue
		}
		for k, rec := range recs {
			parts[k] = rec.Column(c)
		}
		arr, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, fmt.Errorf("shuffle: concatenate column %d (%s): %w", c, schema.Field(c).Name, err)
		}
		cols[c] = arr
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

// RangeBounds sorts all sample rows (batches of the key columns only, of one schema, as
// Reservoir.Result returns them) by orders and returns up to n-1 bounds for n partitions:
// evenly spaced sample rows, equal neighbours merged, as a new batch of the key columns
// allocated from mem. With no sample rows (zero-row batches) it returns a zero-row batch:
// every row then goes to partition 0. nil entries are skipped; at least one batch is needed
// for the schema. n is recorded in the result's schema metadata for NewRangePartitioner.
func RangeBounds(samples []arrow.RecordBatch, orders []kernel.SortOrder, n int, mem memory.Allocator) (arrow.RecordBatch, error) {
	var recs []arrow.RecordBatch
	for _, s := range samples {
		if s != nil {
			recs = append(recs, s)
		}
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("shuffle: range bounds: no sample batches (one, possibly empty, is needed for the key schema)")
	}
	schema := recs[0].Schema()
	for k, s := range recs[1:] {
		if !s.Schema().Equal(schema) {
			return nil, fmt.Errorf("shuffle: range bounds: sample %d has schema %s, sample 0 has %s", k+1, s.Schema(), schema)
		}
	}
	all, err := concatBatches(schema, recs, mem)
	if err != nil {
		return nil, fmt.Errorf("shuffle: range bounds: %w", err)
	}
	defer all.Release()
	c, err := kernel.NewRowComparator(all.Columns(), orders)
	if err != nil {
		return nil, fmt.Errorf("shuffle: range bounds: %w", err)
	}
	total := c.Len()
	var picks []int32
	if total > 0 && n > 1 {
		perm := kernel.SortIndices(c)
		for k := 1; k < n; k++ {
			// The k-th bound closes the k-th of n equal runs of the sorted sample.
			pos := (k*total+n-1)/n - 1
			if pos < 0 {
				continue
			}
			row := perm[pos]
			if len(picks) > 0 && c.Compare(int(picks[len(picks)-1]), int(row)) >= 0 {
				continue
			}
			picks = append(picks, row)
		}
	}
	g, err := kernel.GatherRecord(all, picks, mem)
	if err != nil {
		return nil, fmt.Errorf("shuffle: range bounds: %w", err)
	}
	defer g.Release()
	// Record n in the schema, so that the partitioner spans all n partitions however many
	// bounds survive.
	meta := arrow.NewMetadata([]string{rangePartitionsKey}, []string{strconv.Itoa(max(n, 1))})
	return array.NewRecordBatch(arrow.NewSchema(schema.Fields(), &meta), g.Columns(), g.NumRows()), nil
}

// rangePartitionsKey is the schema metadata key under which RangeBounds records the
// number of partitions the bounds were computed for.
const rangePartitionsKey = "kindling.range.partitions"

// boundsPartitions returns the number of partitions recorded in bounds' schema by
// RangeBounds, or 0.
func boundsPartitions(bounds arrow.RecordBatch) int {
	md := bounds.Schema().Metadata()
	k := md.FindKey(rangePartitionsKey)
	if k < 0 {
		return 0
	}
	n, err := strconv.Atoi(md.Values()[k])
	if err != nil || n < 0 {
		return 0
	}
	return n
}
