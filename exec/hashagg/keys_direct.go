package hashagg

import (
	"math/bits"

	"github.com/kindling-data/kindling/exec/colop"
)

// Direct tuple indexing. When every key column has few distinct values (TPC-H Q1's
// l_returnflag and l_linestatus: 3 × 2; flags, statuses, small codes), the tuple of a
// row's per-column ids, each packed into as many bits as its column's ids need, indexes
// a small array of group ids: no hash, no probe, no comparison of the ids, as DuckDB's
// perfect hash aggregate does for small key domains. The layout widens (the array is
// rebuilt from groupCols, a few thousand groups at most) when a column gets more values
// than its bits hold; once the tuple needs more than aggDirectBits bits, the groups move
// to the hashed tuple table (slots) for good.

// aggDirectBits bounds a direct tuple index: 16384 cells of 4 bytes (two columns of
// up to 128 values each, say).
const aggDirectBits = 14

// aggTupleDirect is the direct tuple index of an aggGroupKeys.
type aggTupleDirect struct {
	cells  []int32 // group+1 by packed tuple, 0 for none
	widths []uint  // bits of column k's ids in the packed tuple
	off    bool    // the tuple outgrew direct indexing: slots hold every group
}

// assignDirect writes the group ids of the batch's rows (their per-column ids in
// g.scratch) into gids through the direct index, and reports false, having moved the
// groups to the hashed table, when the columns have too many values for it.
func (g *aggGroupKeys) assignDirect(gids []int32) bool {
	d := &g.direct
	widths := make([]uint, len(g.cols))
	total, wider := uint(0), d.cells == nil
	for k, t := range g.cols {
		widths[k] = uint(bits.Len(uint(max(t.size(), 1) - 1)))
		total += widths[k]
		wider = wider || widths[k] > d.widths[k]
	}
	if total > aggDirectBits {
		g.leaveDirect()
		return false
	}
	if wider {
		d.widths = widths
		d.cells = make([]int32, 1<<total)
		for j := range g.n {
			d.cells[g.packDirect(func(k int) int32 { return g.groupCols[k][j] })] = int32(j + 1)
		}
	}
	rows := len(gids)
	for k := range g.groupCols {
		g.groupCols[k] = colop.SlabReserve(g.groupCols[k], rows)
	}
	cells, scratch := d.cells, g.scratch
	for i := range gids {
		var idx uint
		shift := uint(0)
		for k, w := range d.widths {
			idx |= uint(scratch[k][i]) << shift
			shift += w
		}
		if c := cells[idx]; c != 0 {
			gids[i] = c - 1
			continue
		}
		id := int32(g.n)
		g.n++
		cells[idx] = id + 1
		for k := range g.groupCols {
			g.groupCols[k] = append(g.groupCols[k], scratch[k][i])
		}
		gids[i] = id
	}
	return true
}

// packDirect packs the per-column ids id(k) into a direct index.
func (g *aggGroupKeys) packDirect(id func(k int) int32) uint {
	var idx uint
	shift := uint(0)
	for k, w := range g.direct.widths {
		idx |= uint(id(k)) << shift
		shift += w
	}
	return idx
}

// leaveDirect moves the groups found so far into the hashed tuple table, which holds
// every group from then on.
func (g *aggGroupKeys) leaveDirect() {
	g.direct = aggTupleDirect{off: true}
	for aggTupleOverloaded(g.n, len(g.slots)) {
		g.growSlots()
	}
	mask := uint64(len(g.slots) - 1)
	for j := range g.n {
		h := aggTupleSeed
		for k := range g.groupCols {
			h = aggTupleMix(h, g.groupCols[k][j])
		}
		pos := h >> g.shift
		for g.slots[pos] != 0 {
			pos = (pos + 1) & mask
		}
		g.slots[pos] = h>>32<<32 | uint64(j+1)
	}
}

// bytes is the direct index's size.
func (d *aggTupleDirect) bytes() int64 { return int64(cap(d.cells))*4 + int64(cap(d.widths))*8 }
