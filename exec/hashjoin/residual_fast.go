package hashjoin

import (
	"cmp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// The commonest residual compares a column of one side with a column of the other
// (TPC-H Q21's l_suppkey <> l_suppkey): such a condition on integer columns of one type
// is decided straight from the two columns at the candidates' row numbers, without
// gathering a pair batch or calling the evaluator. Any other condition takes the
// general path (evalResidual).

// hjColCompare is a residual "probe column op build column" on integer columns.
type hjColCompare struct {
	probeCol, buildCol int
	// mask has bit c+1 set when cmp.Compare(probe value, build value) == c satisfies
	// the condition.
	mask uint8
	wide bool // 64-bit values (else 32-bit)
}

// hjCompareMasks are the outcomes (bit c+1 for cmp.Compare's c) each comparison accepts.
var hjCompareMasks = map[plan.BinaryOp]uint8{
	plan.OpEq: 0b010, plan.OpNotEq: 0b101, plan.OpLt: 0b001, plan.OpLtEq: 0b011, plan.OpGt: 0b100, plan.OpGtEq: 0b110,
}

// colCompare analyzes the residual once: the comparison, or nil for the general path.
func (o *HashJoinOp) colCompare() *hjColCompare {
	if o.cmpDone {
		return o.cmp
	}
	o.cmpDone = true
	b, ok := o.node.Residual.(*plan.Binary)
	if !ok || o.node.PairSchema == nil || o.buildCols == nil {
		return nil
	}
	mask, ok := hjCompareMasks[b.Op]
	if !ok {
		return nil
	}
	l, lok := b.Left.(*plan.ColumnRef)
	r, rok := b.Right.(*plan.ColumnRef)
	if !lok || !rok {
		return nil
	}
	lp, lc, lt, lok := o.pairColumn(l.Name)
	rp, rc, rt, rok := o.pairColumn(r.Name)
	if !lok || !rok || lp == rp || !arrow.TypeEqual(lt, rt) {
		return nil
	}
	c := &hjColCompare{mask: mask}
	switch lt.ID() {
	case arrow.INT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		c.wide = true
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
	default:
		return nil // signed integers only: cmp.Compare orders them by value
	}
	if lp {
		c.probeCol, c.buildCol = lc, rc
	} else {
		// build op probe: swap the sides and mirror the outcomes.
		c.probeCol, c.buildCol = rc, lc
		c.mask = mask&0b010 | (mask&0b001)<<2 | (mask&0b100)>>2
	}
	o.cmp = c
	return c
}

// pairColumn finds a column of the pair schema by name: whether it is the probe side's,
// its index in that side's input and its type.
func (o *HashJoinOp) pairColumn(name string) (probe bool, col int, dt arrow.DataType, ok bool) {
	idx := o.node.PairSchema.FieldIndices(name)
	if len(idx) != 1 {
		return false, 0, nil, false
	}
	pc := idx[0]
	nLeft := o.node.PairSchema.NumFields() - len(o.buildCols)
	if !o.probeIsLeft {
		nLeft = len(o.buildCols)
	}
	isLeft := pc < nLeft
	if !isLeft {
		pc -= nLeft
	}
	return isLeft == o.probeIsLeft, pc, o.node.PairSchema.Field(idx[0]).Type, true
}

// compareCols decides the candidates by c into o.pass.
func (o *HashJoinOp) compareCols(c *hjColCompare) []bool {
	pa, ba := o.probeRec.Column(c.probeCol), o.buildCols[c.buildCol]
	if !arrow.TypeEqual(pa.DataType(), ba.DataType()) {
		return nil
	}
	if c.wide {
		hjCompareRows(kernel.FixedValues[int64](pa), kernel.FixedValues[int64](ba), o.cP, o.cB, c.mask, o.pass)
	} else {
		hjCompareRows(kernel.FixedValues[int32](pa), kernel.FixedValues[int32](ba), o.cP, o.cB, c.mask, o.pass)
	}
	// A NULL on either side makes the condition NULL: not a match.
	for _, side := range []struct {
		arr  arrow.Array
		rows []int32
	}{{pa, o.cP}, {ba, o.cB}} {
		bm, off := kernel.Validity(side.arr)
		if bm == nil {
			continue
		}
		for k, r := range side.rows {
			if r >= 0 && !bitutil.BitIsSet(bm, off+int(r)) {
				o.pass[k] = false
			}
		}
	}
	return o.pass
}

// hjCompareRows sets pass[k] to whether probe[cP[k]] op build[cB[k]] holds (op as an
// outcome mask); a marker (cB[k] < 0) never passes.
func hjCompareRows[T int32 | int64](probe, build []T, cP, cB []int32, mask uint8, pass []bool) {
	for k, b := range cB {
		if b < 0 {
			pass[k] = false
			continue
		}
		c := cmp.Compare(probe[cP[k]], build[b])
		pass[k] = mask>>(c+1)&1 != 0
	}
}
