package hashjoin

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
)

// Probing a subset of a batch. A probe batch may come with a selection vector (its
// input is a colop.Selector: a filter, so that the rows it drops are never copied), and
// a build side keyed by one integer column whose values span a small range carries a
// bitmap of its keys (hjDomain), which tells most probe rows of a selective join that
// they cannot match without hashing them. The join then hashes and looks up only the
// remaining candidate rows, whose keys it gathers, and gathers the probe columns of the
// matches alone, at the candidates' positions in the batch.

// hjDomain is the set of a build side's integer keys as a bitmap over [min, min+span).
type hjDomain struct {
	min  int64
	span uint64
	bits []uint64
}

// A key domain bitmap spends at most hjDomainBitsPerRow bits per build row (16 bytes,
// under half of what the table spends on a row: a sparse bitmap still fits a cache where
// the slots do not), or hjDomainMinBits (32 KiB) for a small build side.
const (
	hjDomainBitsPerRow = 128
	hjDomainMinBits    = 1 << 18
)

// domainSpan returns the range of a single integer key's non-NULL values over the n
// build rows; ok is false when there is no such key or its range exceeds the bound.
func (t *hjTable) domainSpan(n int) (lo int64, span uint64, ok bool) {
	if len(t.build.cols) != 1 || t.build.cols[0].class != hjIntKey || n == 0 {
		return 0, 0, false
	}
	ints, nulls := t.build.cols[0].ints[:n], t.build.nulls[:n]
	lo, hi, seen := int64(math.MaxInt64), int64(math.MinInt64), false
	for i, v := range ints {
		if !nulls[i] {
			lo, hi, seen = min(lo, v), max(hi, v), true
		}
	}
	span = uint64(hi) - uint64(lo) + 1 // 0 when the keys span every int64
	if !seen || span == 0 || span > uint64(max(hjDomainBitsPerRow*n, hjDomainMinBits)) {
		return 0, 0, false
	}
	return lo, span, true
}

// hjDomainBytes is the size of a domain bitmap of span bits.
func hjDomainBytes(span uint64) int64 { return int64((span + 63) / 64 * 8) }

// buildDomain sets t.dom to the bitmap of the n build rows' keys over [lo, lo+span).
func (t *hjTable) buildDomain(n int, lo int64, span uint64) {
	d := &hjDomain{min: lo, span: span, bits: make([]uint64, (span+63)/64)}
	ints, nulls := t.build.cols[0].ints[:n], t.build.nulls[:n]
	for i, v := range ints {
		if !nulls[i] {
			x := uint64(v - lo)
			d.bits[x>>6] |= 1 << (x & 63)
		}
	}
	t.dom = d
}

// indexDomain gives the table its key domain bitmap when its key has one and the
// reservation, holding need bytes, grants the bitmap's too; it returns what the
// reservation then covers. The bitmap only saves work: refused, the join goes without.
func (o *HashJoinOp) indexDomain(need int64) int64 {
	lo, span, ok := o.table.domainSpan(o.buildRows)
	if !ok {
		return need
	}
	with := need + hjDomainBytes(span)
	if _, err := o.budget.Reserve(with); err != nil {
		return need
	}
	o.table.buildDomain(o.buildRows, lo, span)
	return with
}

// hjDomainPass appends to out (reset) the rows of vals whose value is in d: every row
// when sel is nil, else the rows sel lists.
func hjDomainPass[T int64 | int32 | uint32](d *hjDomain, vals []T, sel, out []int32) []int32 {
	span, base, bits := d.span, d.min, d.bits
	if sel == nil {
		out = kernel.Resize(out, len(vals))
		k := 0
		for i, v := range vals {
			out[k] = int32(i)
			if x := uint64(int64(v) - base); x < span && bits[x>>6]&(1<<(x&63)) != 0 {
				k++
			}
		}
		return out[:k]
	}
	out = kernel.Resize(out, len(sel))
	k := 0
	for _, i := range sel {
		out[k] = i
		if x := uint64(int64(vals[i]) - base); x < span && bits[x>>6]&(1<<(x&63)) != 0 {
			k++
		}
	}
	return out[:k]
}

// domainSelect returns the rows of key (those sel lists; nil: all) whose value the build
// side's key domain holds, in o.candBuf; ok is false when the key's type has no fast
// path here.
func (o *HashJoinOp) domainSelect(key arrow.Array, sel []int32) (cand []int32, ok bool) {
	d := o.table.dom
	switch key.DataType().ID() {
	case arrow.INT64, arrow.UINT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		o.candBuf = hjDomainPass(d, kernel.FixedValues[int64](key), sel, o.candBuf)
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		o.candBuf = hjDomainPass(d, kernel.FixedValues[int32](key), sel, o.candBuf)
	case arrow.UINT32:
		o.candBuf = hjDomainPass(d, kernel.FixedValues[uint32](key), sel, o.candBuf)
	default:
		return nil, false
	}
	return o.candBuf, true
}

// The key domain is given up for the rest of the probe once it has seen
// hjDomainJudgeRows rows and kept more than three quarters of them: then it saves little
// and costs a pass and a gather of the keys.
const hjDomainJudgeRows = 1 << 16

// useDomain reports whether the probe rows are to be checked against the key domain:
// one exists, the join drops probe rows that do not match (not an outer or anti join on
// the probe side; a residual or interval join reads whole batches), and it has not been
// given up.
func (o *HashJoinOp) useDomain() bool {
	return o.table.dom != nil && !o.domOff && !o.probeOuter && !o.probeAnti && o.rng == nil && o.node.Residual == nil
}

// candidates returns the rows of the probe batch to look up (nil: all of its n rows)
// given its selection sel (nil: all), and sets o.candKeys to their key arrays: gathered,
// owned by the join, when rows are left out, else the batch's own (o.probeKeyA).
func (o *HashJoinOp) candidates(sel []int32, n int) ([]int32, error) {
	cand := sel
	if o.useDomain() {
		if c, ok := o.domainSelect(o.probeKeyA[0], sel); ok {
			seen := n
			if sel != nil {
				seen = len(sel)
			}
			o.domIn += int64(seen)
			o.domKept += int64(len(c))
			if o.domIn >= hjDomainJudgeRows && o.domKept*4 > o.domIn*3 {
				o.domOff = true
			}
			cand = c
		}
	}
	if cand == nil {
		o.candKeys = o.probeKeyA
		return nil, nil
	}
	o.candKeys = o.candKeys[:0]
	for _, a := range o.probeKeyA {
		g, err := kernel.GatherArray(a, cand, o.mem)
		if err != nil {
			o.releaseCandKeys()
			return nil, err
		}
		o.candKeys = append(o.candKeys, g)
		o.ownKeys = true
	}
	return cand, nil
}

// releaseCandKeys releases the gathered candidate keys.
func (o *HashJoinOp) releaseCandKeys() {
	if o.ownKeys {
		for _, a := range o.candKeys {
			a.Release()
		}
	}
	clear(o.candKeys)
	o.candKeys, o.ownKeys = o.candKeys[:0], false
}

// nextProbe returns the next probe batch and its selection (nil: every row); a
// selecting input is read through its selection, unless the join reads whole batches
// (residual and interval joins).
func (o *HashJoinOp) nextProbe() (arrow.RecordBatch, []int32, error) {
	if s, ok := o.probe.(colop.Selector); ok && o.rng == nil && o.node.Residual == nil && o.selects(s) {
		rec, sel, err := s.NextSelected()
		if err != nil || sel == nil {
			return rec, nil, err
		}
		o.selBuf = append(o.selBuf[:0], sel...)
		return rec, o.selBuf, nil
	}
	rec, err := o.probe.Next()
	return rec, nil, err
}

// selects caches whether the probe input selects (it is asked once).
func (o *HashJoinOp) selects(s colop.Selector) bool {
	if o.selState == 0 {
		o.selState = 2
		if s.Selects() {
			o.selState = 1
		}
	}
	return o.selState == 1
}

// gatherSelected returns rec's rows sel (all when sel is nil) as a batch of their own,
// taking ownership of rec.
func (o *HashJoinOp) gatherSelected(rec arrow.RecordBatch, sel []int32) (arrow.RecordBatch, error) {
	if sel == nil {
		return rec, nil
	}
	out, err := kernel.GatherRecord(rec, sel, o.mem)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("%s: probe rows: %w", o.describe(), err)
	}
	return out, nil
}

// probeRows maps output probe indices (positions among the candidates) to rows of the
// probe batch.
func (o *HashJoinOp) probeRows(idx []int32) []int32 {
	if o.probeSel == nil {
		return idx
	}
	o.rowBuf = kernel.Resize(o.rowBuf, len(idx))
	for k, i := range idx {
		o.rowBuf[k] = o.probeSel[i]
	}
	return o.rowBuf
}
