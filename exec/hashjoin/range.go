package hashjoin

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// The interval join: a nested-loop join whose condition bounds a column of one side
// between two columns of the other (plan.PHashJoin.Range) finds each probe row's
// candidates through a sorted copy of the build side instead of taking every build row.
// When the build side holds the ranges they are sorted by lo with a running maximum of hi:
// a probe point p binary-searches the last lo <= p and walks back while the running
// maximum is >= p, keeping the ranges whose hi is >= p. When it holds the points they are
// sorted, and a probe range [lo, hi] is one contiguous run found by binary search. The
// bounds are taken inclusive whatever the condition says, and the candidates go through
// the residual condition (the range conjunct included) exactly as the nested loop's
// would, so every join kind keeps its semantics; rows with a NULL bound or point are
// never candidates (a NULL comparison is never true).
//
// Values are compared as int64 keys: integers, dates and timestamps as themselves, float64
// through an order-preserving map in which -0 = 0 and NaN is above +Inf, NaN equal to
// NaN (Spark's order of doubles).
type hjRange struct {
	pointBuild       bool // the build side holds the points, the probe side the ranges
	probeP, probeLo  int  // probe column of the point, or of lo and hi
	probeHi          int
	keys, his, maxHi []int64 // sorted build entries: point or lo, and (ranges) hi and running max
	rows             []int32 // build row of each sorted entry

	// The current probe batch's keys, and the current probe row's candidates.
	pk, plo, phi []int64
	pok          []bool
	cand         []int32
}

// rangeKey is the order-preserving int64 key of a float64 (see hjRange).
func rangeKey(f float64) int64 {
	if f != f {
		return math.MaxInt64
	}
	if f == 0 {
		return 0
	}
	b := int64(math.Float64bits(f))
	if b < 0 {
		b ^= math.MaxInt64
	}
	return b
}

// rangeKeys writes a's keys into dst and whether each row is non-NULL into ok.
func rangeKeys(a arrow.Array, dst []int64, ok []bool) ([]int64, []bool, error) {
	n := a.Len()
	dst, ok = slices.Grow(dst[:0], n)[:n], slices.Grow(ok[:0], n)[:n]
	switch a := a.(type) {
	case *array.Int64:
		copy(dst, a.Int64Values())
	case *array.Timestamp:
		for i, v := range a.TimestampValues() {
			dst[i] = int64(v)
		}
	case *array.Date32:
		for i, v := range a.Date32Values() {
			dst[i] = int64(v)
		}
	case *array.Float64:
		for i, v := range a.Float64Values() {
			dst[i] = rangeKey(v)
		}
	default:
		return nil, nil, fmt.Errorf("range join column is %s, not int64, float64, date or timestamp", a.DataType())
	}
	if a.NullN() == 0 {
		for i := range ok {
			ok[i] = true
		}
	} else {
		for i := range ok {
			ok[i] = a.IsValid(i)
		}
	}
	return dst, ok, nil
}

// rangeSideColumn finds a PairSchema column's input side (left or not) and index there.
func (o *HashJoinOp) rangeSideColumn(name string, nLeft int) (left bool, idx int, err error) {
	ix := o.node.PairSchema.FieldIndices(name)
	if len(ix) != 1 {
		return false, 0, fmt.Errorf("%s: range column %q is not in the pair schema %s", o.describe(), name, o.node.PairSchema)
	}
	if ix[0] < nLeft {
		return true, ix[0], nil
	}
	return false, ix[0] - nLeft, nil
}

// buildRange sorts the build side by the range (held bytes are reserved with it).
func (o *HashJoinOp) buildRange() error {
	rc := o.node.Range
	nLeft := o.node.PairSchema.NumFields() - len(o.buildCols)
	if !o.probeIsLeft {
		nLeft = len(o.buildCols)
	}
	_, pIdx, err := o.rangeSideColumn(rc.Point, nLeft)
	if err != nil {
		return err
	}
	_, loIdx, err := o.rangeSideColumn(rc.Lo, nLeft)
	if err != nil {
		return err
	}
	_, hiIdx, err := o.rangeSideColumn(rc.Hi, nLeft)
	if err != nil {
		return err
	}
	r := &hjRange{pointBuild: rc.PointLeft != o.probeIsLeft}
	n := o.buildRows
	// Per build row while sorting: the keys and validity read from the columns, the rows
	// kept and the sorted keys (and for ranges his and the running max); kept after: the
	// rows and the sorted arrays.
	peak, kept := int64(8+1+4+8), int64(4+8)
	if !r.pointBuild {
		peak, kept = 2*(8+1)+4+3*8, 4+3*8
	}
	base := o.budget.Held
	if err := o.reserve(base+peak*int64(n), "sorting the build side by its range"); err != nil {
		return err
	}
	defer o.budget.ShrinkTo(base + kept*int64(n))
	wrap := func(err error) error { return fmt.Errorf("%s: %w", o.describe(), err) }
	if r.pointBuild {
		r.probeLo, r.probeHi = loIdx, hiIdx
		keys, ok, err := rangeKeys(o.buildCols[pIdx], nil, nil)
		if err != nil {
			return wrap(err)
		}
		for i := range n {
			if ok[i] {
				r.rows = append(r.rows, int32(i))
			}
		}
		sort.SliceStable(r.rows, func(a, b int) bool { return keys[r.rows[a]] < keys[r.rows[b]] })
		r.keys = make([]int64, len(r.rows))
		for k, row := range r.rows {
			r.keys[k] = keys[row]
		}
	} else {
		r.probeP = pIdx
		los, lok, err := rangeKeys(o.buildCols[loIdx], nil, nil)
		if err != nil {
			return wrap(err)
		}
		his, hok, err := rangeKeys(o.buildCols[hiIdx], nil, nil)
		if err != nil {
			return wrap(err)
		}
		for i := range n {
			if lok[i] && hok[i] && los[i] <= his[i] {
				r.rows = append(r.rows, int32(i))
			}
		}
		sort.SliceStable(r.rows, func(a, b int) bool { return los[r.rows[a]] < los[r.rows[b]] })
		m := len(r.rows)
		r.keys, r.his, r.maxHi = make([]int64, m), make([]int64, m), make([]int64, m)
		run := int64(math.MinInt64)
		for k, row := range r.rows {
			r.keys[k], r.his[k] = los[row], his[row]
			run = max(run, his[row])
			r.maxHi[k] = run
		}
	}
	o.rng = r
	return nil
}

// loadProbe reads the probe batch's point, or lo and hi, keys.
func (r *hjRange) loadProbe(rec arrow.RecordBatch) error {
	var err error
	if r.pointBuild {
		if r.plo, r.pok, err = rangeKeys(rec.Column(r.probeLo), r.plo, r.pok); err != nil {
			return err
		}
		var hok []bool
		if r.phi, hok, err = rangeKeys(rec.Column(r.probeHi), r.phi, nil); err != nil {
			return err
		}
		for i, ok := range hok {
			r.pok[i] = r.pok[i] && ok
		}
		return nil
	}
	r.pk, r.pok, err = rangeKeys(rec.Column(r.probeP), r.pk, r.pok)
	return err
}

// candidates sets cand to probe row i's candidate build rows, in build order.
func (r *hjRange) candidates(i int) []int32 {
	r.cand = r.cand[:0]
	if !r.pok[i] {
		return r.cand
	}
	if r.pointBuild {
		lo, hi := r.plo[i], r.phi[i]
		k, _ := slices.BinarySearch(r.keys, lo)
		for ; k < len(r.keys) && r.keys[k] <= hi; k++ {
			r.cand = append(r.cand, r.rows[k])
		}
	} else {
		p := r.pk[i]
		// The first lo > p; every entry before it has lo <= p.
		k := sort.Search(len(r.keys), func(j int) bool { return r.keys[j] > p }) - 1
		for ; k >= 0 && r.maxHi[k] >= p; k-- {
			if r.his[k] >= p {
				r.cand = append(r.cand, r.rows[k])
			}
		}
	}
	slices.Sort(r.cand)
	return r.cand
}

// fillRange is fillResidual with the candidates of the range index (o.cur is the next
// position in the current row's candidates while inChain).
func (o *HashJoinOp) fillRange(limit int) error {
	if err := o.ctx.Err(); err != nil {
		return err
	}
	o.pIdx, o.bIdx = o.pIdx[:0], o.bIdx[:0]
	cP, cB, cEnd := o.cP[:0], o.cB[:0], o.cEnd[:0]
	n := int(o.probeRec.NumRows())
	r := o.rng
	pi, cur, inChain := o.pi, int(o.cur), o.inChain
	o.markers = false
	for pi < n && len(cP) < limit {
		i := int32(pi)
		if !inChain {
			if len(r.candidates(pi)) == 0 {
				cP, cB, cEnd = append(cP, i), append(cB, -1), append(cEnd, true)
				o.markers = true
				pi++
				continue
			}
			cur, inChain = 0, true
		}
		for cur < len(r.cand) && len(cP) < limit {
			cP, cB, cEnd = append(cP, i), append(cB, r.cand[cur]), append(cEnd, cur == len(r.cand)-1)
			cur++
		}
		if cur == len(r.cand) {
			inChain = false
			pi++
		}
	}
	o.cP, o.cB, o.cEnd = cP, cB, cEnd
	o.pi, o.cur, o.inChain = pi, int32(cur), inChain
	pass, err := o.evalResidual()
	if err != nil {
		return err
	}
	o.decide(pass)
	return nil
}
