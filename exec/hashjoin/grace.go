package hashjoin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// The grace hash join. When the build side does not fit (a refused reservation while it is
// drained or indexed, or a Spill call from another consumer of the task), the held build
// batches and the rest of the build input are split by a hash of their keys into
// hjGraceParts spill files, then the probe input likewise; rows with equal keys land in
// the same partition pair, so the join is the union of the joins of the pairs. Each pair
// is joined by a HashJoinOp of its own (the in-memory algorithm, unmatched probe and build
// rows of outer, semi and anti joins included), one pair at a time; a pair whose build
// part still does not fit is split again by that operator with the next hash level, down
// to hjGraceMaxLevel levels.
//
// The partition bits come from a remix of kernel.HashColumns' hash seeded by the level,
// so they are independent of the shuffle partitioner's (which maps the high bits of the
// hash itself), of the table's slots (its low bits), and of the other levels'. Rows with a
// NULL key never match: they are dropped when their side's unmatched rows are not emitted,
// and otherwise dealt round robin, so that many NULL keys cannot pile up in one partition.

const (
	// hjGraceParts is the fan-out of one partitioning level.
	hjGraceParts = 16
	hjGraceBits  = 4 // log2(hjGraceParts)
	// hjGraceMaxLevel bounds the repartitioning depth (16^4 = 65536 partitions): beyond it
	// the keys are too skewed (one key's rows exceed the budget) for partitioning to help.
	hjGraceMaxLevel = 4
)

var _ kmemory.Spiller = (*HashJoinOp)(nil)

// SpilledBytes returns the bytes the join wrote to spill files (on disk, compressed), its
// repartitioned pairs' included.
func (o *HashJoinOp) SpilledBytes() int64 { return o.spilledBytes.Load() }

// SpillCount returns how many times the join (or a repartitioned pair) partitioned its
// build side to disk.
func (o *HashJoinOp) SpillCount() int64 { return o.spillCount.Load() }

// Spill implements memory.Spiller: while the join with SpillManager set drains its build
// input, it writes the held build batches to partitions, continues as a grace hash join
// and returns the bytes it gave back. Otherwise (or while the join is busy with its own
// memory) it returns (0, nil).
func (o *HashJoinOp) Spill(need int64) (int64, error) {
	if !o.spillMu.TryLock() {
		return 0, nil
	}
	defer o.spillMu.Unlock()
	if !o.loading || o.grace != nil || len(o.pending) == 0 {
		return 0, nil
	}
	freed := o.budget.Held
	if err := o.startGrace(); err != nil {
		return 0, err
	}
	return freed, nil
}

// holdBuild keeps a build batch (taking it), or partitions it once the join is a grace
// join. A refused reservation with SpillManager set starts the grace join, unless nothing
// is held: then one batch does not fit and the error is returned.
func (o *HashJoinOp) holdBuild(rec arrow.RecordBatch) error {
	o.spillMu.Lock()
	defer o.spillMu.Unlock()
	if o.grace != nil {
		return o.grace.add(rec, false)
	}
	size := int64(colop.HeldBytes(rec))
	err := o.reserve(o.pendingBytes+size, "holding the build batches")
	if err != nil && o.spillManager != nil && len(o.pending) > 0 && errors.Is(err, kmemory.ErrBudgetExceeded) {
		if err := o.startGrace(); err != nil {
			rec.Release()
			return err
		}
		return o.grace.add(rec, false)
	}
	if err != nil {
		rec.Release()
		return err
	}
	o.pending = append(o.pending, rec)
	o.pendingBytes += size
	return nil
}

// buildPeak is the most the in-memory build of the pending batches holds: the batches and
// their concatenation, or the columns with the table and the match bitmap.
func (o *HashJoinOp) buildPeak() int64 {
	rows := 0
	for _, b := range o.pending {
		rows += int(b.NumRows())
	}
	table := o.pendingBytes + hjTableBytes(rows, make([]hjKeyClass, len(o.buildKeys)))
	if o.track {
		table += int64(bitutil.BytesForBits(int64(rows)))
	}
	if len(o.pending) > 1 {
		return max(2*o.pendingBytes, table)
	}
	return table
}

// startGrace turns the join into a grace join: the pending build batches go to their
// partitions and the reservation is given back. spillMu is held.
func (o *HashJoinOp) startGrace() error {
	g := &hjGrace{o: o}
	o.grace = g
	o.spillCount.Add(1)
	pending := o.pending
	o.pending, o.pendingBytes = nil, 0
	var err error
	for _, b := range pending {
		if err == nil {
			err = g.add(b, false)
		} else {
			b.Release()
		}
	}
	o.budget.ShrinkTo(0)
	return err
}

// hjGrace is the state of a grace join: the partition files of both sides, then the join
// of the pair being emitted.
type hjGrace struct {
	o       *HashJoinOp
	writers [2][hjGraceParts]*storage.SpillWriter // [build, probe]
	files   [2][hjGraceParts]*storage.SpillFile
	keys    [2]hjKeys
	schema  [2]*arrow.Schema
	rr      [2]int // round-robin position for NULL-key rows
	idx     []int32
	parts   []uint8

	probed bool        // the probe input has been partitioned
	part   int         // the pair being joined (or next to join)
	sub    *HashJoinOp // the join of pair part
}

// graceMix derives a level's partition bits from a row hash: the murmur3 finalizer of
// the hash offset by a per-level constant.
func graceMix(h uint64, level int) uint64 {
	x := h ^ (0xd6e8feb86659fd93 * uint64(level+1))
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// add partitions rec (taking it) to the probe or build files.
func (g *hjGrace) add(rec arrow.RecordBatch, probe bool) error {
	defer rec.Release()
	o := g.o
	side := 0
	if probe {
		side = 1
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	if g.schema[side] == nil {
		g.schema[side] = rec.Schema()
	} else if !g.schema[side].Equal(rec.Schema()) {
		return fmt.Errorf("%s: %s input batches change schema from %s to %s", o.describe(), o.side(probe), g.schema[side], rec.Schema())
	}
	names := o.buildKeys
	if probe {
		names = o.probeKeys
	}
	arrs := make([]arrow.Array, len(names))
	for i, name := range names {
		a, err := o.column(rec, name, o.side(probe))
		if err != nil {
			return err
		}
		arrs[i] = a
	}
	if err := o.setClasses(arrs, probe); err != nil {
		return err
	}
	k := &g.keys[side]
	if k.cols == nil {
		*k = newHJKeys(o.classes)
	}
	if err := k.load(arrs, n); err != nil {
		return fmt.Errorf("%s: %s keys: %w", o.describe(), o.side(probe), err)
	}
	// Unmatched rows of this side are emitted only by outer and anti joins.
	keepNulls := (probe && (o.probeOuter || o.probeAnti)) || (!probe && (o.buildOuter || o.buildAnti))
	const drop = hjGraceParts
	g.parts = kernel.Resize(g.parts, n)
	var counts [hjGraceParts + 1]int
	for i, h := range k.hashes[:n] {
		p := uint8(graceMix(h, o.level) >> (64 - hjGraceBits))
		if k.anyNull && k.nulls[i] {
			p = drop
			if keepNulls {
				p = uint8(g.rr[side])
				g.rr[side] = (g.rr[side] + 1) % hjGraceParts
			}
		}
		g.parts[i] = p
		counts[p]++
	}
	var starts [hjGraceParts + 2]int
	for p := range counts {
		starts[p+1] = starts[p] + counts[p]
	}
	g.idx = kernel.Resize(g.idx, n)
	next := starts
	for i, p := range g.parts[:n] {
		g.idx[next[p]] = int32(i)
		next[p]++
	}
	for p := range hjGraceParts {
		lo, hi := starts[p], starts[p+1]
		if lo == hi {
			continue
		}
		if err := g.write(side, p, rec, g.idx[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

// write appends rows idx of rec to partition p of a side.
func (g *hjGrace) write(side, p int, rec arrow.RecordBatch, idx []int32) error {
	o := g.o
	w := g.writers[side][p]
	if w == nil {
		var err error
		w, err = o.spillManager.Create(fmt.Sprintf("hashjoin-%s-l%d-p%d", [2]string{"build", "probe"}[side], o.level, p), rec.Schema())
		if err != nil {
			return fmt.Errorf("%s: %w", o.describe(), err)
		}
		g.writers[side][p] = w
	}
	piece := rec
	if len(idx) < int(rec.NumRows()) {
		var err error
		if piece, err = kernel.Gather(rec, idx, o.mem); err != nil {
			return fmt.Errorf("%s: partitioning: %w", o.describe(), err)
		}
		defer piece.Release()
	}
	if err := w.Append(piece); err != nil {
		return fmt.Errorf("%s: %w", o.describe(), err)
	}
	return nil
}

// finish completes a side's partition files.
func (g *hjGrace) finish(side int) error {
	for p, w := range g.writers[side] {
		if w == nil {
			continue
		}
		g.writers[side][p] = nil
		f, err := w.Finish()
		if err != nil {
			return fmt.Errorf("%s: %w", g.o.describe(), err)
		}
		g.files[side][p] = f
		g.o.spilledBytes.Add(f.Bytes())
	}
	return nil
}

// finishBuild completes the build partitions once the build input is drained.
func (g *hjGrace) finishBuild() error { return g.finish(0) }

// partitionProbe drains the probe input into its partitions.
func (g *hjGrace) partitionProbe() error {
	o := g.o
	for {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		rec, err := o.probe.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := g.add(rec, true); err != nil {
			return err
		}
	}
	return g.finish(1)
}

// graceNext returns the next batch of the pair joins.
func (o *HashJoinOp) graceNext() (arrow.RecordBatch, error) {
	g := o.grace
	if !g.probed {
		if err := g.partitionProbe(); err != nil {
			return nil, err
		}
		g.probed = true
	}
	for {
		if g.sub == nil {
			if g.part == hjGraceParts {
				o.releaseState()
				return nil, io.EOF
			}
			if err := g.openPair(); err != nil {
				return nil, err
			}
			if g.sub == nil {
				continue
			}
		}
		rec, err := g.sub.Next()
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, io.EOF) {
			if g.sub.spillManager == nil && errors.Is(err, kmemory.ErrBudgetExceeded) {
				err = fmt.Errorf("%s: build partition %d still does not fit the memory budget after %d levels of repartitioning (too many rows with one key?): %w",
					o.describe(), g.part, o.level+1, err)
			}
			return nil, err
		}
		if err := g.closePair(); err != nil {
			return nil, err
		}
	}
}

// openPair starts the join of pair g.part, or skips it (advancing g.part) when it cannot
// produce rows.
func (g *hjGrace) openPair() error {
	o := g.o
	p := g.part
	build, probe := g.files[0][p], g.files[1][p]
	g.files[0][p], g.files[1][p] = nil, nil
	switch {
	case build == nil && probe == nil,
		build == nil && !o.probeOuter && !o.probeAnti,
		probe == nil && !o.buildOuter && !o.buildAnti:
		for _, f := range []*storage.SpillFile{build, probe} {
			if f != nil {
				_ = f.Remove()
			}
		}
		g.part++
		return nil
	}
	bs := &hjSpillSource{file: build, mem: o.mem}
	ps := &hjSpillSource{file: probe, mem: o.mem}
	sub := &HashJoinOp{node: o.node, mem: o.mem, budget: colop.ChunkedReservation{Res: o.budget.Res}, batchRows: o.batchRows, level: o.level + 1, eval: o.eval}
	if o.probeIsLeft {
		sub.left, sub.right = ps, bs
	} else {
		sub.left, sub.right = bs, ps
	}
	if sub.level < hjGraceMaxLevel {
		sub.spillManager = o.spillManager
	}
	g.sub = sub
	if err := sub.Open(o.ctx); err != nil {
		return err
	}
	return nil
}

// closePair ends the pair's join (its Close removes the pair's files) and moves on.
func (g *hjGrace) closePair() error {
	sub := g.sub
	g.sub = nil
	g.part++
	g.o.spilledBytes.Add(sub.SpilledBytes())
	g.o.spillCount.Add(sub.SpillCount())
	return sub.Close()
}

// close drops every file and the running pair join.
func (g *hjGrace) close() {
	if g.sub != nil {
		sub := g.sub
		g.sub = nil
		g.o.spilledBytes.Add(sub.SpilledBytes())
		g.o.spillCount.Add(sub.SpillCount())
		_ = sub.Close()
	}
	for side := range g.writers {
		for p := range hjGraceParts {
			if w := g.writers[side][p]; w != nil {
				w.Abort()
				g.writers[side][p] = nil
			}
			if f := g.files[side][p]; f != nil {
				_ = f.Remove()
				g.files[side][p] = nil
			}
		}
	}
}

// hjSpillSource reads a partition file as an Operator and removes it when closed (or
// read to the end). A nil file is an empty input.
type hjSpillSource struct {
	file *storage.SpillFile
	mem  memory.Allocator
	r    *storage.SpillReader
}

func (s *hjSpillSource) Open(ctx context.Context) error {
	if s.file == nil || s.r != nil {
		return nil
	}
	r, err := s.file.Open(ctx, s.mem)
	if err != nil {
		return fmt.Errorf("exec: hash join: %w", err)
	}
	s.r = r
	return nil
}

func (s *hjSpillSource) Next() (arrow.RecordBatch, error) {
	if s.r == nil {
		return nil, io.EOF
	}
	rec, err := s.r.Next()
	if errors.Is(err, io.EOF) {
		s.Close()
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("exec: hash join: reading a partition: %w", err)
	}
	return rec, nil
}

func (s *hjSpillSource) Close() error {
	var err error
	if s.r != nil {
		err = s.r.Close()
		s.r = nil
	}
	if s.file != nil {
		err = errors.Join(err, s.file.Remove())
		s.file = nil
	}
	return err
}
