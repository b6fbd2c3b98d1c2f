package eval

import (
	"bytes"
	"cmp"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// Conditionals and predicates: case_when, nullif, nanvl, isnan, greatest, least, in.

func init() {
	register(map[string]function{
		"case_when": {apply: (*Evaluator).caseWhen},
		"nullif":    {apply: (*Evaluator).nullIf},
		"nanvl":     {apply: (*Evaluator).naNvl},
		"isnan":     {apply: (*Evaluator).isNaN},
		"greatest":  {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) { return ev.extreme("greatest", 1, args, n) }},
		"least":     {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) { return ev.extreme("least", -1, args, n) }},
		"in":        {apply: (*Evaluator).in},
	})
}

// evSrc is one typed input of a row-picking loop: an array's values and validity, or
// a constant.
type evSrc[T kernel.FixedWidth] struct {
	vals     []T
	vb       []byte
	off      int
	isLit    bool
	lit      T
	litValid bool
}

func (s *evSrc[T]) valid(i int) bool {
	if s.isLit {
		return s.litValid
	}
	return kernel.IsSet(s.vb, s.off, i)
}

func (s *evSrc[T]) at(i int) T {
	if s.isLit {
		return s.lit
	}
	return s.vals[i]
}

func evSrcOf[T kernel.FixedWidth](v evValue) (evSrc[T], error) {
	if v.isScalar() {
		if !v.sc.IsValid() {
			return evSrc[T]{isLit: true}, nil
		}
		ps, ok := v.sc.(scalar.PrimitiveScalar)
		if !ok {
			return evSrc[T]{}, fmt.Errorf("scalar of type %v is not primitive", v.sc.DataType())
		}
		return evSrc[T]{isLit: true, lit: arrow.GetData[T](ps.Data())[0], litValid: true}, nil
	}
	vb, off := kernel.Validity(v.arr)
	return evSrc[T]{vals: kernel.FixedValues[T](v.arr), vb: vb, off: off}, nil
}

// evBytesSrc is a string input: an array's offsets, data and validity, or a constant.
type evBytesSrc struct {
	offs     []int32
	data     []byte
	vb       []byte
	voff     int
	isLit    bool
	lit      []byte
	litValid bool
}

func evBytesSrcOf(v evValue) evBytesSrc {
	if v.isScalar() {
		b, ok := evStringLiteral(v.sc)
		return evBytesSrc{isLit: true, lit: b, litValid: ok}
	}
	offs, data := kernel.OffsetsAndData[int32](v.arr)
	vb, voff := kernel.Validity(v.arr)
	return evBytesSrc{offs: offs, data: data, vb: vb, voff: voff}
}

func (s *evBytesSrc) valid(i int) bool {
	if s.isLit {
		return s.litValid
	}
	return kernel.IsSet(s.vb, s.voff, i)
}

func (s *evBytesSrc) at(i int) []byte {
	if s.isLit {
		return s.lit
	}
	return s.data[s.offs[i]:s.offs[i+1]]
}

// evDecodeValues returns vals (a copy: the caller's slice is left alone, as evalArgs
// releases what it holds) with every dictionary array replaced by its plain array; the
// returned function releases what it decoded.
func evDecodeValues(mem memory.Allocator, vals []evValue) ([]evValue, func(), error) {
	out := append([]evValue(nil), vals...)
	var decoded []arrow.Array
	done := func() {
		for _, a := range decoded {
			a.Release()
		}
	}
	for k, v := range out {
		if d, ok := v.arr.(*array.Dictionary); ok {
			dec, err := evDecodeDict(mem, d)
			if err != nil {
				done()
				return nil, nil, err
			}
			decoded = append(decoded, dec)
			out[k] = evArray(dec)
		}
	}
	return out, done, nil
}

// caseWhen evaluates case_when(c1, v1, ..., cN, vN, else): it computes, per row, the
// index of the first branch whose condition is true (a NULL condition is not taken; N
// stands for the else value), then copies each row from its branch's value.
func (ev *Evaluator) caseWhen(args []evValue, n int) (evValue, error) {
	if len(args) < 3 || len(args)%2 == 0 {
		return evValue{}, fmt.Errorf("case_when takes (condition, value)... and an else value, got %d arguments", len(args))
	}
	k := len(args) / 2
	idxBuf, idx := evNewValues[int32](ev.Mem, n, 4)
	defer idxBuf.Release()
	for i := range idx {
		idx[i] = int32(k)
	}
	for b := 0; b < k; b++ {
		c := args[2*b]
		if c.isScalar() {
			if bs, ok := c.sc.(*scalar.Boolean); ok && bs.Valid && bs.Value {
				for i := range idx {
					if idx[i] == int32(k) {
						idx[i] = int32(b)
					}
				}
				break // every later branch is unreachable
			}
			continue
		}
		if c.arr.DataType().ID() == arrow.NULL {
			continue
		}
		if c.arr.DataType().ID() != arrow.BOOL {
			return evValue{}, fmt.Errorf("case_when condition of type %v", c.arr.DataType())
		}
		bits := evBufferBytes(c.arr, 1)
		vb, off := kernel.Validity(c.arr)
		for i := range idx {
			if idx[i] == int32(k) && kernel.IsSet(vb, off, i) && bitutil.BitIsSet(bits, off+i) {
				idx[i] = int32(b)
			}
		}
	}
	vals := make([]evValue, 0, k+1)
	for b := 0; b < k; b++ {
		vals = append(vals, args[2*b+1])
	}
	vals = append(vals, args[len(args)-1])
	vals, release, err := evDecodeValues(ev.Mem, vals)
	if err != nil {
		return evValue{}, err
	}
	defer release()
	dt := vals[0].dataType()
	for _, v := range vals[1:] {
		if !arrow.TypeEqual(v.dataType(), dt) {
			return evValue{}, fmt.Errorf("case_when of mismatched types %v and %v", dt, v.dataType())
		}
	}
	out, err := evPick(ev.Mem, dt, n, vals, idx)
	if err != nil {
		return evValue{}, fmt.Errorf("case_when: %w", err)
	}
	return evArray(out), nil
}

// evPick builds out[i] = vals[idx[i]][i]: fixed-width values as raw bit patterns of
// their width, booleans as bits, strings as bytes.
func evPick(mem memory.Allocator, dt arrow.DataType, n int, vals []evValue, idx []int32) (arrow.Array, error) {
	switch dt.ID() {
	case arrow.NULL:
		return array.NewNull(n), nil
	case arrow.BOOL:
		return evPickBool(mem, n, vals, idx), nil
	case arrow.STRING, arrow.BINARY:
		srcs := make([]evBytesSrc, len(vals))
		for k, v := range vals {
			srcs[k] = evBytesSrcOf(v)
		}
		w := evNewStrWriter(mem, n, 0)
		for i := 0; i < n; i++ {
			s := &srcs[idx[i]]
			if !s.valid(i) {
				w.nullRow()
				continue
			}
			w.add(s.at(i))
			w.endRow()
		}
		return w.finish(dt)
	}
	fw, ok := dt.(arrow.FixedWidthDataType)
	if !ok {
		return nil, fmt.Errorf("unsupported type %v", dt)
	}
	switch fw.BitWidth() {
	case 128:
		return evPick128(mem, dt, n, vals, idx)
	case 8:
		return evPickFixed[uint8](mem, dt, 1, n, vals, idx)
	case 16:
		return evPickFixed[uint16](mem, dt, 2, n, vals, idx)
	case 32:
		return evPickFixed[uint32](mem, dt, 4, n, vals, idx)
	case 64:
		return evPickFixed[uint64](mem, dt, 8, n, vals, idx)
	}
	return nil, fmt.Errorf("unsupported type %v", dt)
}

func evPickFixed[T uint8 | uint16 | uint32 | uint64](mem memory.Allocator, dt arrow.DataType, width, n int, vals []evValue, idx []int32) (arrow.Array, error) {
	srcs := make([]evSrc[T], len(vals))
	for k, v := range vals {
		var err error
		if srcs[k], err = evSrcOf[T](v); err != nil {
			return nil, err
		}
	}
	buf, out := evNewValues[T](mem, n, width)
	validity := evNewBitmap(mem, n, true)
	bits := validity.Bytes()
	for i := 0; i < n; i++ {
		s := &srcs[idx[i]]
		if !s.valid(i) {
			out[i] = 0
			bitutil.ClearBit(bits, i)
			continue
		}
		out[i] = s.at(i)
	}
	return evFinishArray(dt, n, validity, buf), nil
}

// evPick128 is evPickFixed for 128-bit values (decimal128), whose Go type is a struct
// outside kernel.FixedWidth.
func evPick128(mem memory.Allocator, dt arrow.DataType, n int, vals []evValue, idx []int32) (arrow.Array, error) {
	type src struct {
		vals  []decimal128.Num
		vb    []byte
		off   int
		isLit bool
		lit   decimal128.Num
		litV  bool
	}
	srcs := make([]src, len(vals))
	for k, v := range vals {
		if v.isScalar() {
			ds, ok := v.sc.(*scalar.Decimal128)
			if !ok && v.sc.IsValid() {
				return nil, fmt.Errorf("scalar of type %v is not a decimal128", v.sc.DataType())
			}
			srcs[k] = src{isLit: true, litV: ok && ds.IsValid()}
			if srcs[k].litV {
				srcs[k].lit = ds.Value
			}
			continue
		}
		d, ok := v.arr.(*array.Decimal128)
		if !ok {
			return nil, fmt.Errorf("array of type %v is not a decimal128", v.arr.DataType())
		}
		vb, off := kernel.Validity(v.arr)
		srcs[k] = src{vals: d.Values(), vb: vb, off: off}
	}
	buf, out := evNewValues[decimal128.Num](mem, n, 16)
	validity := evNewBitmap(mem, n, true)
	bits := validity.Bytes()
	for i := 0; i < n; i++ {
		s := &srcs[idx[i]]
		switch {
		case s.isLit && s.litV:
			out[i] = s.lit
		case !s.isLit && kernel.IsSet(s.vb, s.off, i):
			out[i] = s.vals[i]
		default:
			out[i] = decimal128.Num{}
			bitutil.ClearBit(bits, i)
		}
	}
	return evFinishArray(dt, n, validity, buf), nil
}

func evPickBool(mem memory.Allocator, n int, vals []evValue, idx []int32) arrow.Array {
	type src struct {
		bits, vb  []byte
		off       int
		isLit     bool
		lit, litV bool
	}
	srcs := make([]src, len(vals))
	for k, v := range vals {
		if v.isScalar() {
			bs, _ := v.sc.(*scalar.Boolean)
			srcs[k] = src{isLit: true, lit: bs != nil && bs.Value, litV: bs != nil && bs.Valid}
			continue
		}
		vb, off := kernel.Validity(v.arr)
		srcs[k] = src{bits: evBufferBytes(v.arr, 1), vb: vb, off: off}
	}
	out := evNewBitmap(mem, n, false)
	obits := out.Bytes()
	validity := evNewBitmap(mem, n, true)
	vbits := validity.Bytes()
	for i := 0; i < n; i++ {
		s := &srcs[idx[i]]
		switch {
		case s.isLit && s.litV:
			bitutil.SetBitTo(obits, i, s.lit)
		case !s.isLit && kernel.IsSet(s.vb, s.off, i):
			bitutil.SetBitTo(obits, i, bitutil.BitIsSet(s.bits, s.off+i))
		default:
			bitutil.ClearBit(vbits, i)
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out)
}

// evFirstArray returns args with the first argument broadcast to n rows when it is a
// scalar and another argument is an array (evalArgs only makes the first argument an
// array when all are scalars); the returned function releases the broadcast.
func evFirstArray(mem memory.Allocator, args []evValue, n int) ([]evValue, func(), error) {
	if !args[0].isScalar() {
		return args, func() {}, nil
	}
	arr, err := args[0].toArray(n, mem)
	if err != nil {
		return nil, nil, err
	}
	return append([]evValue{evArray(arr)}, args[1:]...), arr.Release, nil
}

// nullIf is nullif(a, b): NULL where a = b (as Spark compares: NaN equals NaN), else a.
// The result shares a's value buffers under a new validity bitmap.
func (ev *Evaluator) nullIf(args []evValue, n int) (evValue, error) {
	if len(args) != 2 {
		return evValue{}, fmt.Errorf("nullif takes 2 arguments, got %d", len(args))
	}
	args, done, err := evFirstArray(ev.Mem, args, n)
	if err != nil {
		return evValue{}, err
	}
	defer done()
	args, release, err := evDecodeValues(ev.Mem, args)
	if err != nil {
		return evValue{}, err
	}
	defer release()
	a := args[0].arr
	if a.DataType().ID() == arrow.NULL {
		a.Retain()
		return evArray(a), nil
	}
	eqv, err := ev.compare(plan.OpEq, args[0], args[1], n)
	if err != nil {
		return evValue{}, err
	}
	defer eqv.release()
	eq := eqv.arr
	ebits := evBufferBytes(eq, 1)
	evb, eoff := kernel.Validity(eq)
	avb, aoff := kernel.Validity(a)
	validity := evNewBitmap(ev.Mem, aoff+n, false)
	bits := validity.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		if kernel.IsSet(avb, aoff, i) && !(kernel.IsSet(evb, eoff, i) && bitutil.BitIsSet(ebits, eoff+i)) {
			bitutil.SetBit(bits, aoff+i)
		} else {
			nulls++
		}
	}
	bufs := append([]*memory.Buffer{validity}, a.Data().Buffers()[1:]...)
	data := array.NewData(a.DataType(), n, bufs, nil, nulls, aoff)
	validity.Release()
	out := array.MakeFromData(data)
	data.Release()
	return evArray(out), nil
}

// naNvl is nanvl(a, b) over float64: b where a is NaN, NULL where a is NULL, else a.
func (ev *Evaluator) naNvl(args []evValue, n int) (evValue, error) {
	if len(args) != 2 {
		return evValue{}, fmt.Errorf("nanvl takes 2 arguments, got %d", len(args))
	}
	a, err := evSrcOf[float64](args[0])
	if err != nil {
		return evValue{}, err
	}
	b, err := evSrcOf[float64](args[1])
	if err != nil {
		return evValue{}, err
	}
	buf, out := evNewValues[float64](ev.Mem, n, 8)
	validity := evNewBitmap(ev.Mem, n, true)
	bits := validity.Bytes()
	for i := 0; i < n; i++ {
		if !a.valid(i) {
			out[i] = 0
			bitutil.ClearBit(bits, i)
			continue
		}
		x := a.at(i)
		if !math.IsNaN(x) {
			out[i] = x
			continue
		}
		if !b.valid(i) {
			out[i] = 0
			bitutil.ClearBit(bits, i)
			continue
		}
		out[i] = b.at(i)
	}
	return evArray(evFinishArray(arrow.PrimitiveTypes.Float64, n, validity, buf)), nil
}

// isNaN is isnan(x) over float64: true where x is NaN, false elsewhere, NULL included.
func (ev *Evaluator) isNaN(args []evValue, n int) (evValue, error) {
	if len(args) != 1 {
		return evValue{}, fmt.Errorf("isnan takes 1 argument, got %d", len(args))
	}
	x, err := evSrcOf[float64](args[0])
	if err != nil {
		return evValue{}, err
	}
	out := evNewBitmap(ev.Mem, n, false)
	bits := out.Bytes()
	for i := 0; i < n; i++ {
		if x.valid(i) && math.IsNaN(x.at(i)) {
			bitutil.SetBit(bits, i)
		}
	}
	return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, nil, out)), nil
}

// extreme is greatest (sign 1) and least (sign -1): per row, the largest (smallest) of
// the non-NULL arguments, NULL only when all are NULL. Floats order as Spark's: NaN is
// above every number.
func (ev *Evaluator) extreme(name string, sign int, args []evValue, n int) (evValue, error) {
	args, release, err := evDecodeValues(ev.Mem, args)
	if err != nil {
		return evValue{}, err
	}
	defer release()
	dt := args[0].dataType()
	for _, v := range args[1:] {
		if !arrow.TypeEqual(v.dataType(), dt) {
			return evValue{}, fmt.Errorf("%s of mismatched types %v and %v", name, dt, v.dataType())
		}
	}
	var out arrow.Array
	switch dt.ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		out, err = evExtremeFixed[int64](ev.Mem, dt, 8, n, args, sign, cmp.Compare[int64])
	case arrow.DATE32:
		out, err = evExtremeFixed[int32](ev.Mem, dt, 4, n, args, sign, cmp.Compare[int32])
	case arrow.FLOAT64:
		out, err = evExtremeFixed[float64](ev.Mem, dt, 8, n, args, sign, evSparkCompare[float64])
	case arrow.STRING:
		out, err = evExtremeBytes(ev.Mem, dt, n, args, sign)
	default:
		return evValue{}, fmt.Errorf("%s of unsupported type %v", name, dt)
	}
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

func evExtremeFixed[T int32 | int64 | float64](mem memory.Allocator, dt arrow.DataType, width, n int, args []evValue, sign int, compare func(a, b T) int) (arrow.Array, error) {
	srcs := make([]evSrc[T], len(args))
	for k, v := range args {
		var err error
		if srcs[k], err = evSrcOf[T](v); err != nil {
			return nil, err
		}
	}
	buf, out := evNewValues[T](mem, n, width)
	validity := evNewBitmap(mem, n, false)
	bits := validity.Bytes()
	for i := 0; i < n; i++ {
		var best T
		have := false
		for k := range srcs {
			s := &srcs[k]
			if !s.valid(i) {
				continue
			}
			if x := s.at(i); !have || compare(x, best)*sign > 0 {
				best, have = x, true
			}
		}
		out[i] = best
		if have {
			bitutil.SetBit(bits, i)
		}
	}
	return evFinishArray(dt, n, validity, buf), nil
}

func evExtremeBytes(mem memory.Allocator, dt arrow.DataType, n int, args []evValue, sign int) (arrow.Array, error) {
	srcs := make([]evBytesSrc, len(args))
	for k, v := range args {
		srcs[k] = evBytesSrcOf(v)
	}
	w := evNewStrWriter(mem, n, 0)
	for i := 0; i < n; i++ {
		var best []byte
		have := false
		for k := range srcs {
			s := &srcs[k]
			if !s.valid(i) {
				continue
			}
			if x := s.at(i); !have || bytes.Compare(x, best)*sign > 0 {
				best, have = x, true
			}
		}
		if !have {
			w.nullRow()
			continue
		}
		w.add(best)
		w.endRow()
	}
	return w.finish(dt)
}

// in is in(x, v1, ..., vN) with literal values, by a hash set of the values typed as x:
// true where x is one of them; NULL where x is NULL, or where it is none of them and
// one of them is NULL; false otherwise. An empty list gives false, even for a NULL x
// (as Spark). A dictionary x is tested once per dictionary value.
func (ev *Evaluator) in(args []evValue, n int) (evValue, error) {
	for _, v := range args[1:] {
		if !v.isScalar() {
			return evValue{}, fmt.Errorf("in: the values must be literals")
		}
	}
	args, done, err := evFirstArray(ev.Mem, args, n)
	if err != nil {
		return evValue{}, err
	}
	defer done()
	x := args[0].arr
	if len(args) == 1 {
		out := evNewBitmap(ev.Mem, n, false)
		return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, nil, out)), nil
	}
	if d, ok := x.(*array.Dictionary); ok {
		out, err := evMapDict(ev.Mem, d, func(dict arrow.Array) (arrow.Array, error) {
			return evIn(ev.Mem, dict, args[1:])
		})
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}
	out, err := evIn(ev.Mem, x, args[1:])
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evIn tests every row of x against the list (at least one value): a typed loop per
// layout marks the rows found, then rows neither found nor NULL become NULL when the
// list holds a NULL.
func evIn(mem memory.Allocator, x arrow.Array, list []evValue) (arrow.Array, error) {
	n := x.Len()
	hasNull := false
	for _, v := range list {
		if !v.sc.IsValid() {
			hasNull = true
		}
	}
	if x.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, arrow.FixedWidthTypes.Boolean, n), nil
	}
	out := evNewBitmap(mem, n, false)
	obits := out.Bytes()
	xvb, xoff := kernel.Validity(x)
	var err error
	switch dt := x.DataType(); dt.ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		err = evInFixed[int64](x, list, xvb, xoff, obits)
	case arrow.DATE32:
		err = evInFixed[int32](x, list, xvb, xoff, obits)
	case arrow.FLOAT64:
		err = evInFloat(x, list, xvb, xoff, obits)
	case arrow.STRING:
		set := make(map[string]struct{}, len(list))
		for _, v := range list {
			if b, ok := evStringLiteral(v.sc); ok {
				set[string(b)] = struct{}{}
			}
		}
		evInStrings(x, set, xvb, xoff, obits)
	case arrow.BOOL:
		var want [2]bool
		for _, v := range list {
			if bs, ok := v.sc.(*scalar.Boolean); ok && bs.Valid {
				want[btoi(bs.Value)] = true
			}
		}
		bits := evBufferBytes(x, 1)
		for i := 0; i < n; i++ {
			if want[btoi(bitutil.BitIsSet(bits, xoff+i))] && kernel.IsSet(xvb, xoff, i) {
				bitutil.SetBit(obits, i)
			}
		}
	default:
		err = fmt.Errorf("in over unsupported type %v", dt)
	}
	if err != nil {
		out.Release()
		return nil, err
	}
	validity := evCopyValidity(mem, x)
	if hasNull {
		if validity == nil {
			validity = evNewBitmap(mem, n, true)
		}
		vbits := validity.Bytes()
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(obits, i) {
				bitutil.ClearBit(vbits, i)
			}
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// evInFixed marks the valid rows of x (values of type T) that are in the list.
func evInFixed[T int32 | int64](x arrow.Array, list []evValue, xvb []byte, xoff int, obits []byte) error {
	set, err := evSetOf[T](list)
	if err != nil {
		return err
	}
	for i, v := range kernel.FixedValues[T](x) {
		if _, ok := set[v]; ok && kernel.IsSet(xvb, xoff, i) {
			bitutil.SetBit(obits, i)
		}
	}
	return nil
}

// evInFloat is evInFixed for float64, where a NaN matches a NaN of the list (Go's map
// cannot find a NaN key) and -0.0 matches 0.0.
func evInFloat(x arrow.Array, list []evValue, xvb []byte, xoff int, obits []byte) error {
	set, err := evSetOf[float64](list)
	if err != nil {
		return err
	}
	hasNaN := false
	for f := range set {
		hasNaN = hasNaN || math.IsNaN(f)
	}
	for i, f := range kernel.FixedValues[float64](x) {
		found := hasNaN
		if f == f {
			_, found = set[f]
		}
		if found && kernel.IsSet(xvb, xoff, i) {
			bitutil.SetBit(obits, i)
		}
	}
	return nil
}

// evSetOf collects the non-NULL values of a list of primitive scalars of type T.
func evSetOf[T int32 | int64 | float64](list []evValue) (map[T]struct{}, error) {
	set := make(map[T]struct{}, len(list))
	for _, v := range list {
		s, err := evSrcOf[T](v)
		if err != nil {
			return nil, err
		}
		if s.litValid {
			set[s.lit] = struct{}{}
		}
	}
	return set, nil
}
