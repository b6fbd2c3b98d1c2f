package hashjoin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// hjPhase is where the join is in its run.
type hjPhase uint8

const (
	hjProbing hjPhase = iota // streaming the probe input
	hjTail                   // emitting build rows decided by the whole probe
	hjDone
)

// HashJoinOp is an equi-join of two inputs (see plan.PHashJoin). On the first call to
// Next it loads the build side whole (node.Build) into a hash table keyed by the build
// keys; then it streams the other (probe) input batch by batch, emitting for each
// probe batch the matching rows, and at the end the build rows that an outer, semi or
// anti join keeps by whether they matched.
//
// NULL keys never match. Integer keys of any width compare by value, float keys with
// every NaN equal and -0 = 0, and dictionary-encoded strings as their values.
//
// Output batches hold at most BatchRows rows: the columns of node.OutSchema, that is
// the left input's columns, then (except for semi and anti joins) the right input's.
// Rows come in probe order, each probe row's matches in build order, then the build rows
// kept at the end in build order.
//
// The build batches and the table are reserved in res before they are held; a refused
// reservation fails Next with an error wrapping the reservation's, unless SpillManager is
// set: then both inputs are partitioned to disk and joined partition by partition (grace
// hash join), and the output is the same multiset of rows in another order.
type HashJoinOp struct {
	// batchRows is the most rows an output batch holds (Options.BatchRows); 0 means 8192.
	batchRows int
	// spillManager (Options.Spill), when set, turns the join into a grace hash join when the
	// build side does not fit its reservation or another consumer of the task makes it
	// spill (the Spill method): see hashjoin_grace.go. nil keeps the build side in memory
	// and fails with the budget error.
	spillManager *storage.SpillManager

	left, right  colop.Operator
	node         *plan.PHashJoin
	mem          memory.Allocator
	budget       colop.ChunkedReservation // grown for the build side and its table
	ctx          context.Context
	probe, build colop.Operator
	probeKeys    []string
	buildKeys    []string
	probeIsLeft  bool

	// What the kind asks of each side.
	pairs      bool // emit matched (probe, build) row pairs
	probeOuter bool // keep unmatched probe rows, with NULL build columns
	buildOuter bool // keep unmatched build rows at the end, with NULL probe columns
	probeSemi  bool // emit each probe row that matches, once (build columns dropped)
	probeAnti  bool // emit each probe row that does not match
	buildSemi  bool // emit the build rows that matched, at the end (probe columns dropped)
	buildAnti  bool // emit the build rows that did not match, at the end
	track      bool // record which build rows matched

	// A key filter (node.KeyFilter) counts the probe rows in and the rows out, and passes
	// every probe batch on unfiltered once it keeps nearly all rows.
	filterIn, filterOut int64
	passAll             bool

	classes     []hjKeyClass
	buildCols   []arrow.Array // the build side concatenated, one array per column
	buildSchema *arrow.Schema // nil when the build input gave no batch
	buildRows   int
	table       hjTable
	matched     []byte // bitmap over build rows (when track)

	probeRec  arrow.RecordBatch
	probeKeyA []arrow.Array
	pkeys     hjKeys
	heads     []int32
	pi        int // next probe row to start, among the candidates

	// Probing a subset of the batch (probe_select.go): the candidate rows' positions in
	// probeRec (nil: every row) and their count, their key arrays, and the key domain's
	// judgment.
	probeSel        []int32
	probeN          int
	candKeys        []arrow.Array
	ownKeys         bool // candKeys were gathered (else they are probeKeyA)
	selBuf, candBuf []int32
	rowBuf          []int32
	selState        uint8 // whether the probe input selects: 0 not asked, 1 yes, 2 no
	domIn, domKept  int64
	domOff          bool

	// Residual condition state (residual.go): candidate pairs, whether each ends its
	// probe row's candidates, their verdicts, and the probe row being decided.
	eval       EvalFunc
	cP, cB     []int32
	cEnd, pass []bool
	hitRow     int32
	rowHit     bool
	markers    bool          // some candidate is a no-candidate marker (build index -1)
	pairSchema *arrow.Schema // the pair columns the residual reads, and their indices
	pairCols   []int
	rng        *hjRange      // the interval join's index (range.go), when node.Range is set
	cmp        *hjColCompare // the residual as a column comparison (residual_fast.go), or nil
	cmpDone    bool          // cmp was analyzed

	cur     int32 // next build row of probe row pi's chain, when inChain
	inChain bool
	pIdx    []int32
	bIdx    []int32
	tailPos int

	// Grace hash join state (hashjoin_grace.go). spillMu guards pending, grace and
	// reserved against Spill calls while the build input is drained.
	spillMu      sync.Mutex
	loading      bool                // draining the build input: Spill may partition
	pending      []arrow.RecordBatch // build batches held while draining
	pendingBytes int64
	grace        *hjGrace
	level        int // repartitioning depth: 0 for the join of the whole inputs
	spilledBytes atomic.Int64
	spillCount   atomic.Int64

	shared *SharedBuild // the stage's build side, shared by its tasks (shared.go)

	phase     hjPhase
	built     bool
	opened    bool
	closer    colop.Closer
	stickyErr error
}

var _ colop.Operator = (*HashJoinOp)(nil)

// NewHashJoin returns the operator joining left and right as node says. Output arrays
// are allocated from opts.Mem; its reservation (opts.Reserve; nil: untracked) is grown for
// the build side and its table and freed on Close; opts.Spill makes it a grace hash join
// when the build side does not fit.
func NewHashJoin(left, right colop.Operator, node *plan.PHashJoin, opts colop.Options) *HashJoinOp {
	o := &HashJoinOp{left: left, right: right, node: node, mem: opts.Mem, batchRows: opts.BatchRows, spillManager: opts.Spill}
	if len(node.LeftKeys) == 0 {
		// Without keys the grace join could not split the build side: no spilling.
		o.spillManager = nil
	}
	o.budget = colop.ChunkedReservation{Res: opts.Reservation("hash-join", o)}
	return o
}

// Open validates the node and opens both inputs.
func (o *HashJoinOp) Open(ctx context.Context) error {
	if o.opened {
		return nil
	}
	o.opened = true
	o.ctx = ctx
	if err := o.setup(); err != nil {
		return err
	}
	if err := o.left.Open(ctx); err != nil {
		return err
	}
	return o.right.Open(ctx)
}

func (o *HashJoinOp) setup() error {
	n := o.node
	if n.OutSchema == nil {
		return errors.New("exec: hash join: no output schema")
	}
	if (len(n.LeftKeys) == 0 && n.Residual == nil && n.Kind != plan.InnerJoin) || len(n.LeftKeys) != len(n.RightKeys) {
		return fmt.Errorf("exec: hash join: %d left keys for %d right keys", len(n.LeftKeys), len(n.RightKeys))
	}
	if n.Kind < plan.InnerJoin || n.Kind > plan.LeftAntiJoin {
		return fmt.Errorf("exec: hash join: unknown join kind %d", int(n.Kind))
	}
	switch n.Build {
	case plan.BuildRight:
		o.probe, o.build, o.probeKeys, o.buildKeys, o.probeIsLeft = o.left, o.right, n.LeftKeys, n.RightKeys, true
	case plan.BuildLeft:
		o.probe, o.build, o.probeKeys, o.buildKeys = o.right, o.left, n.RightKeys, n.LeftKeys
	default:
		return fmt.Errorf("exec: hash join: unknown build side %d", int(n.Build))
	}
	// Outer "left" and "right" are relative to the inputs; what matters here is whether
	// the kept side is the probe or the build side.
	keepLeft := n.Kind == plan.LeftJoin || n.Kind == plan.FullJoin
	keepRight := n.Kind == plan.RightJoin || n.Kind == plan.FullJoin
	switch n.Kind {
	case plan.LeftSemiJoin:
		o.probeSemi, o.buildSemi = o.probeIsLeft, !o.probeIsLeft
	case plan.LeftAntiJoin:
		o.probeAnti, o.buildAnti = o.probeIsLeft, !o.probeIsLeft
	default:
		o.pairs = true
		o.probeOuter = (o.probeIsLeft && keepLeft) || (!o.probeIsLeft && keepRight)
		o.buildOuter = (o.probeIsLeft && keepRight) || (!o.probeIsLeft && keepLeft)
	}
	o.track = o.buildOuter || o.buildSemi || o.buildAnti
	return nil
}

func (o *HashJoinOp) describe() string {
	return fmt.Sprintf("exec: hash join %s on %v = %v", o.node.Kind, o.node.LeftKeys, o.node.RightKeys)
}

// Next loads the build side on its first call, then returns joined batches.
func (o *HashJoinOp) Next() (arrow.RecordBatch, error) {
	if o.stickyErr != nil {
		return nil, o.stickyErr
	}
	if !o.opened || o.closer.Closed() {
		return nil, errors.New("exec: hash join: Next without Open or after Close")
	}
	rec, err := o.next()
	if rec != nil && o.node.KeyFilter {
		o.filterOut += int64(rec.NumRows())
	}
	if err != nil && !errors.Is(err, io.EOF) {
		o.stickyErr = err
		o.releaseState()
	}
	return rec, err
}

func (o *HashJoinOp) next() (arrow.RecordBatch, error) {
	if !o.built {
		if err := o.loadBuild(); err != nil {
			return nil, err
		}
		o.built = true
	}
	if o.grace != nil {
		return o.graceNext()
	}
	limit := o.batchRows
	if limit <= 0 {
		limit = colop.DefaultBatchRows
	}
	for {
		switch o.phase {
		case hjProbing:
			if o.probeRec == nil && o.buildRows == 0 && !o.probeOuter && !o.probeAnti {
				// Nothing can match and no unmatched probe row is kept.
				o.phase = hjTail
				continue
			}
			if o.probeRec == nil {
				if err := o.ctx.Err(); err != nil {
					return nil, err
				}
				rec, sel, err := o.nextProbe()
				if errors.Is(err, io.EOF) {
					o.phase = hjTail
					continue
				}
				if err != nil {
					return nil, err
				}
				if o.passUnfiltered(rec, sel) {
					return o.gatherSelected(rec, sel)
				}
				if err := o.startProbe(rec, sel); err != nil {
					return nil, err
				}
				continue
			}
			if o.rng != nil {
				if err := o.fillRange(limit); err != nil {
					return nil, err
				}
			} else if o.node.Residual != nil {
				if err := o.fillResidual(limit); err != nil {
					return nil, err
				}
			} else {
				o.fill(limit)
			}
			done := o.pi >= o.probeN
			var out arrow.RecordBatch
			var err error
			if len(o.pIdx) > 0 {
				out, err = o.emitProbe()
			}
			if done {
				o.probeRec.Release()
				o.probeRec = nil
				clear(o.probeKeyA)
			}
			if err != nil || out != nil {
				return out, err
			}
		case hjTail:
			out, err := o.emitTail(limit)
			if out != nil || err != nil {
				return out, err
			}
			o.phase = hjDone
		default:
			o.releaseState()
			return nil, io.EOF
		}
	}
}

// column finds a named input column.
func (o *HashJoinOp) column(rec arrow.RecordBatch, name, side string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("%s: %s input has no key column %q (schema %s)", o.describe(), side, name, rec.Schema())
	}
	return rec.Column(idx[0]), nil
}

func (o *HashJoinOp) side(probe bool) string {
	if probe == o.probeIsLeft {
		return "left"
	}
	return "right"
}

// setClasses checks the key types of one side against the other's (or sets them, for
// the first side seen).
func (o *HashJoinOp) setClasses(keys []arrow.Array, probe bool) error {
	names := o.buildKeys
	if probe {
		names = o.probeKeys
	}
	first := o.classes == nil
	for i, a := range keys {
		c, ok := hjClassOf(a.DataType())
		if !ok {
			return fmt.Errorf("%s: %s key %q has type %s, which cannot be joined on", o.describe(), o.side(probe), names[i], a.DataType())
		}
		if first {
			o.classes = append(o.classes, c)
		} else if o.classes[i] != c {
			return fmt.Errorf("%s: %s key %q (%s) is %s but %s key %q is %s", o.describe(), o.side(probe), names[i],
				a.DataType(), c, o.side(!probe), o.otherKey(probe, i), o.classes[i])
		}
	}
	return nil
}

func (o *HashJoinOp) otherKey(probe bool, i int) string {
	if probe {
		return o.buildKeys[i]
	}
	return o.probeKeys[i]
}

// widths returns how many output columns come from the probe and the build side (the
// side a semi or anti join drops counts 0). A side not seen yet takes what is left.
func (o *HashJoinOp) widths(probeSchema *arrow.Schema) (probeW, buildW int) {
	total := o.node.OutSchema.NumFields()
	switch {
	case o.probeSemi || o.probeAnti:
		return total, 0
	case o.buildSemi || o.buildAnti:
		return 0, total
	case o.buildSchema != nil:
		return total - o.buildSchema.NumFields(), o.buildSchema.NumFields()
	case probeSchema != nil:
		return probeSchema.NumFields(), total - probeSchema.NumFields()
	}
	return 0, total
}

// outOffset is the first output column of the probe (or build) side.
func (o *HashJoinOp) outOffset(probe bool, probeW, buildW int) int {
	if probe == o.probeIsLeft {
		return 0
	}
	if probe {
		return buildW
	}
	return probeW
}

// checkColumns checks an input's columns against the output schema's.
func (o *HashJoinOp) checkColumns(s *arrow.Schema, probe bool) error {
	var probeSchema *arrow.Schema
	if probe {
		probeSchema = s
	}
	probeW, buildW := o.widths(probeSchema)
	w := buildW
	if probe {
		w = probeW
	}
	if probeW < 0 || buildW < 0 {
		return fmt.Errorf("%s: %s input has %d columns, more than the output schema %s", o.describe(), o.side(probe), s.NumFields(), o.node.OutSchema)
	}
	emitted := (probe && (o.pairs || o.probeSemi || o.probeAnti)) || (!probe && (o.pairs || o.buildSemi || o.buildAnti))
	if !emitted {
		return nil
	}
	if s.NumFields() != w || w < 0 {
		return fmt.Errorf("%s: %s input has %d columns, the output schema %s has %d for it", o.describe(), o.side(probe), s.NumFields(), o.node.OutSchema, w)
	}
	off := o.outOffset(probe, probeW, buildW)
	for i, f := range s.Fields() {
		if want := o.node.OutSchema.Field(off + i).Type; !arrow.TypeEqual(f.Type, want) {
			return fmt.Errorf("%s: %s column %q is %s, the output column is %s", o.describe(), o.side(probe), f.Name, f.Type, want)
		}
	}
	return nil
}

// startProbe takes a probe batch and looks up the keys of its candidate rows: those its
// selection sel lists (nil: all) that the build side's key domain does not rule out.
func (o *HashJoinOp) startProbe(rec arrow.RecordBatch, sel []int32) error {
	if sel != nil && (o.rng != nil || o.node.Residual != nil) {
		var err error
		if rec, err = o.gatherSelected(rec, sel); err != nil {
			return err
		}
		sel = nil
	}
	n := int(rec.NumRows())
	if n == 0 {
		rec.Release()
		return nil
	}
	o.probeKeyA = o.probeKeyA[:0]
	for _, name := range o.probeKeys {
		a, err := o.column(rec, name, o.side(true))
		if err != nil {
			rec.Release()
			return err
		}
		o.probeKeyA = append(o.probeKeyA, a)
	}
	err := o.setClasses(o.probeKeyA, true)
	if err == nil {
		err = o.checkColumns(rec.Schema(), true)
	}
	if err == nil && o.pkeys.cols == nil {
		o.pkeys = newHJKeys(o.classes)
	}
	var cand []int32
	if err == nil {
		if cand, err = o.candidates(sel, n); err != nil {
			err = fmt.Errorf("%s: probe keys: %w", o.describe(), err)
		}
	}
	m := n
	if cand != nil {
		m = len(cand)
	}
	if err == nil {
		if err = o.pkeys.load(o.candKeys, m); err != nil {
			err = fmt.Errorf("%s: probe keys: %w", o.describe(), err)
		}
	}
	if err != nil {
		o.releaseCandKeys()
		rec.Release()
		clear(o.probeKeyA)
		return err
	}
	if err == nil && o.rng != nil {
		if err = o.rng.loadProbe(rec); err != nil {
			err = fmt.Errorf("%s: %w", o.describe(), err)
		}
	}
	if err != nil {
		rec.Release()
		clear(o.probeKeyA)
		return err
	}
	o.heads = kernel.Resize(o.heads, m)
	o.table.lookup(&o.pkeys, o.heads)
	o.releaseCandKeys()
	o.probeRec, o.pi, o.inChain, o.hitRow = rec, 0, false, -1
	o.probeSel, o.probeN = cand, m
	return nil
}

// fill collects up to limit output rows of the current probe batch into pIdx/bIdx,
// resuming where the previous call stopped (a probe row's matches may span batches).
func (o *HashJoinOp) fill(limit int) {
	o.pIdx, o.bIdx = o.pIdx[:0], o.bIdx[:0]
	n := o.probeN
	heads, next := o.heads, o.table.next
	for o.pi < n && len(o.pIdx) < limit {
		i := o.pi
		if !o.inChain {
			head := heads[i]
			switch {
			case o.probeSemi:
				if head >= 0 {
					o.pIdx = append(o.pIdx, int32(i))
				}
				o.pi++
				continue
			case o.probeAnti:
				if head < 0 {
					o.pIdx = append(o.pIdx, int32(i))
				}
				o.pi++
				continue
			case !o.pairs:
				// Build-side semi/anti: mark the key's rows. A chain is marked whole,
				// so a marked head means the key was seen before.
				if head >= 0 && !bitutil.BitIsSet(o.matched, int(head)) {
					for r := head; r >= 0; r = hjNext(next, r) {
						bitutil.SetBit(o.matched, int(r))
					}
				}
				o.pi++
				continue
			case head < 0:
				if o.probeOuter {
					o.pIdx = append(o.pIdx, int32(i))
					o.bIdx = append(o.bIdx, -1)
				}
				o.pi++
				continue
			}
			o.cur, o.inChain = head, true
		}
		r := o.cur
		for r >= 0 && len(o.pIdx) < limit {
			o.pIdx = append(o.pIdx, int32(i))
			o.bIdx = append(o.bIdx, r)
			if o.track {
				bitutil.SetBit(o.matched, int(r))
			}
			r = hjNext(next, r)
		}
		o.cur = r
		if r < 0 {
			o.inChain = false
			o.pi++
		}
	}
}

// emitProbe builds the output batch of the collected probe rows and their matches.
func (o *HashJoinOp) emitProbe() (arrow.RecordBatch, error) {
	schema := o.probeRec.Schema()
	probeW, buildW := o.widths(schema)
	cols := make([]arrow.Array, o.node.OutSchema.NumFields())
	fail := func(err error) (arrow.RecordBatch, error) {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
		return nil, err
	}
	poff := o.outOffset(true, probeW, buildW)
	rows := o.probeRows(o.pIdx)
	for c := range probeW {
		arr, err := hjProbeColumn(o.mem, o.probeRec.Column(c), rows)
		if err != nil {
			return fail(fmt.Errorf("%s: column %q: %w", o.describe(), schema.Field(c).Name, err))
		}
		cols[poff+c] = arr
	}
	if o.pairs {
		boff := o.outOffset(false, probeW, buildW)
		orNull := o.probeOuter && hjAnyNegative(o.bIdx)
		for c := range buildW {
			arr, err := o.buildColumn(c, boff+c, o.bIdx, orNull)
			if err != nil {
				return fail(err)
			}
			cols[boff+c] = arr
		}
	}
	return o.record(cols, len(o.pIdx)), nil
}

// buildColumn gathers build column c (output column out) at idx (NULL at negative
// indices when orNull is set); NULLs throughout when the build side is empty.
func (o *HashJoinOp) buildColumn(c, out int, idx []int32, orNull bool) (arrow.Array, error) {
	if o.buildCols == nil {
		return array.MakeArrayOfNull(o.mem, o.node.OutSchema.Field(out).Type, len(idx)), nil
	}
	arr, err := hjTake(o.mem, o.buildCols[c], idx, orNull)
	if err != nil {
		return nil, fmt.Errorf("%s: column %q: %w", o.describe(), o.buildSchema.Field(c).Name, err)
	}
	return arr, nil
}

func (o *HashJoinOp) record(cols []arrow.Array, n int) arrow.RecordBatch {
	rec := array.NewRecordBatch(o.node.OutSchema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// emitTail returns the next batch of build rows kept by whether they matched, or nil
// when there are no more.
func (o *HashJoinOp) emitTail(limit int) (arrow.RecordBatch, error) {
	if !o.buildOuter && !o.buildSemi && !o.buildAnti {
		return nil, nil
	}
	want := o.buildSemi // keep matched rows; outer and anti keep unmatched ones
	o.bIdx = o.bIdx[:0]
	for o.tailPos < o.buildRows && len(o.bIdx) < limit {
		if bitutil.BitIsSet(o.matched, o.tailPos) == want {
			o.bIdx = append(o.bIdx, int32(o.tailPos))
		}
		o.tailPos++
	}
	n := len(o.bIdx)
	if n == 0 {
		return nil, nil
	}
	probeW, buildW := o.widths(nil)
	cols := make([]arrow.Array, o.node.OutSchema.NumFields())
	poff, boff := o.outOffset(true, probeW, buildW), o.outOffset(false, probeW, buildW)
	for c := range probeW {
		cols[poff+c] = array.MakeArrayOfNull(o.mem, o.node.OutSchema.Field(poff+c).Type, n)
	}
	for c := range buildW {
		arr, err := o.buildColumn(c, boff+c, o.bIdx, false)
		if err != nil {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
			return nil, err
		}
		cols[boff+c] = arr
	}
	return o.record(cols, n), nil
}

// reserve makes the reservation cover need bytes, growing it ahead of need by a chunk.
func (o *HashJoinOp) reserve(need int64, what string) error {
	if missing, err := o.budget.Reserve(need); err != nil {
		return fmt.Errorf("%s: %s: reserving %d bytes more than the %d held: %w", o.describe(), what, missing, o.budget.Held, err)
	}
	return nil
}

// releaseState drops the build side, the table and the current probe batch, and returns
// their reservation.
func (o *HashJoinOp) releaseState() {
	o.spillMu.Lock()
	for _, b := range o.pending {
		b.Release()
	}
	o.pending, o.pendingBytes = nil, 0
	if o.grace != nil {
		o.grace.close()
		o.grace = nil
	}
	o.spillMu.Unlock()
	if o.probeRec != nil {
		o.probeRec.Release()
		o.probeRec = nil
	}
	for _, c := range o.buildCols {
		if c != nil {
			c.Release()
		}
	}
	o.buildCols = nil
	o.rng = nil
	o.table.release()
	o.table = hjTable{}
	o.pkeys = hjKeys{}
	o.probeKeyA, o.heads, o.matched, o.pIdx, o.bIdx = nil, nil, nil, nil, nil
	o.budget.ShrinkTo(0)
	o.phase = hjDone
}

// Close releases the state, frees the reservation and closes both inputs.
func (o *HashJoinOp) Close() error {
	return o.closer.CloseOnce(func() error {
		o.releaseState()
		if o.budget.Res != nil {
			o.budget.Res.Free()
		}
		return errors.Join(o.left.Close(), o.right.Close())
	})
}

// Key filters see this many probe rows before they judge whether they filter enough.
const keyFilterJudgeRows = 1 << 17

// passUnfiltered reports whether probe batch rec (its rows sel; nil: all) goes on
// unfiltered: the join is a key filter that has kept at least 90% of the rows it has
// seen, over enough rows to judge.
func (o *HashJoinOp) passUnfiltered(rec arrow.RecordBatch, sel []int32) bool {
	if !o.node.KeyFilter {
		return false
	}
	if !o.passAll && o.filterIn >= keyFilterJudgeRows && o.filterOut*10 >= o.filterIn*9 {
		o.passAll = true
	}
	if sel != nil {
		o.filterIn += int64(len(sel))
	} else {
		o.filterIn += rec.NumRows()
	}
	return o.passAll
}
