package eval

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// coalesce returns, per row, the first non-NULL argument. Arguments are evaluated in
// order and evaluation stops at the first one that can have no NULL (a non-NULL
// literal or a column without NULLs), as Spark's short-circuit does. Dictionary
// arguments are decoded to utf8 so that every argument shares one layout.
func (ev *Evaluator) coalesce(args []plan.Expr) (evValue, error) {
	if len(args) == 0 {
		return evValue{}, errors.New("coalesce needs at least one argument")
	}
	var vals []evValue
	defer func() {
		for _, v := range vals {
			v.release()
		}
	}()
	for ai, a := range args {
		v, err := ev.eval(a)
		if err != nil {
			return evValue{}, err
		}
		if d, ok := v.arr.(*array.Dictionary); ok {
			dec, err := evDecodeDict(ev.Mem, d)
			v.release()
			if err != nil {
				return evValue{}, err
			}
			v = evArray(dec)
		}
		if v.dataType().ID() == arrow.NULL || (v.isScalar() && !v.sc.IsValid()) {
			// Contributes nothing, but keep it if it is all we get, for its type.
			if len(vals) == 0 && ai == len(args)-1 {
				vals = append(vals, v)
				break
			}
			v.release()
			continue
		}
		vals = append(vals, v)
		if v.isScalar() || v.arr.NullN() == 0 {
			break
		}
	}
	if len(vals) == 0 {
		return evValue{}, errors.New("coalesce: no argument has a type")
	}
	if len(vals) == 1 {
		v := vals[0]
		vals = nil
		return v, nil
	}
	// vals[0] is an array (a scalar would have ended the loop); every other value is
	// an array with NULLs, except possibly a non-NULL scalar in last place.
	dt := vals[0].dataType()
	for _, v := range vals[1:] {
		if !arrow.TypeEqual(v.dataType(), dt) {
			return evValue{}, fmt.Errorf("coalesce of mismatched types %v and %v", dt, v.dataType())
		}
	}
	n := vals[0].arr.Len()
	var out arrow.Array
	var err error
	switch dt.ID() {
	case arrow.BOOL:
		out, err = evCoalesceBool(ev.Mem, n, vals)
	case arrow.STRING, arrow.BINARY:
		out, err = evCoalesceBytes(ev.Mem, dt, n, vals)
	case arrow.DECIMAL128:
		out = evCoalesceDecimal(ev.Mem, dt, n, vals)
	default:
		fw, ok := dt.(arrow.FixedWidthDataType)
		if !ok {
			return evValue{}, fmt.Errorf("coalesce of unsupported type %v", dt)
		}
		switch fw.BitWidth() {
		case 8:
			out, err = evCoalesceFixed[uint8](ev.Mem, dt, 1, n, vals)
		case 16:
			out, err = evCoalesceFixed[uint16](ev.Mem, dt, 2, n, vals)
		case 32:
			out, err = evCoalesceFixed[uint32](ev.Mem, dt, 4, n, vals)
		case 64:
			out, err = evCoalesceFixed[uint64](ev.Mem, dt, 8, n, vals)
		default:
			return evValue{}, fmt.Errorf("coalesce of unsupported type %v", dt)
		}
	}
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evCoalesceFixed copies the first argument and then fills each still-NULL row from
// the next arguments, treating values as raw bit patterns of their width.
func evCoalesceFixed[T uint8 | uint16 | uint32 | uint64](mem memory.Allocator, dt arrow.DataType, width, n int, vals []evValue) (arrow.Array, error) {
	buf, out := evNewValues[T](mem, n, width)
	copy(out, kernel.FixedValues[T](vals[0].arr))
	validity := evCopyValidity(mem, vals[0].arr)
	bits := validity.Bytes()
	for _, v := range vals[1:] {
		if v.isScalar() {
			ps, ok := v.sc.(scalar.PrimitiveScalar)
			if !ok {
				buf.Release()
				validity.Release()
				return nil, fmt.Errorf("coalesce: scalar of type %v is not primitive", v.sc.DataType())
			}
			c := arrow.GetData[T](ps.Data())[0]
			for i := 0; i < n; i++ {
				if !bitutil.BitIsSet(bits, i) {
					out[i] = c
				}
			}
			bitutil.SetBitsTo(bits, 0, int64(n), true)
			break
		}
		src := kernel.FixedValues[T](v.arr)
		vb, off := kernel.Validity(v.arr)
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(bits, i) && kernel.IsSet(vb, off, i) {
				out[i] = src[i]
				bitutil.SetBit(bits, i)
			}
		}
	}
	return evFinishArray(dt, n, validity, buf), nil
}

func evCoalesceBool(mem memory.Allocator, n int, vals []evValue) (arrow.Array, error) {
	first := vals[0].arr
	out := evNewBitmap(mem, n, false)
	obits := out.Bytes()
	bitutil.CopyBitmap(evBufferBytes(first, 1), first.Data().Offset(), n, obits, 0)
	validity := evCopyValidity(mem, first)
	bits := validity.Bytes()
	for _, v := range vals[1:] {
		if v.isScalar() {
			c := v.sc.(*scalar.Boolean).Value
			for i := 0; i < n; i++ {
				if !bitutil.BitIsSet(bits, i) {
					bitutil.SetBitTo(obits, i, c)
				}
			}
			bitutil.SetBitsTo(bits, 0, int64(n), true)
			break
		}
		src := evBufferBytes(v.arr, 1)
		soff := v.arr.Data().Offset()
		vb, off := kernel.Validity(v.arr)
		for i := 0; i < n; i++ {
			if !bitutil.BitIsSet(bits, i) && kernel.IsSet(vb, off, i) {
				bitutil.SetBitTo(obits, i, bitutil.BitIsSet(src, soff+i))
				bitutil.SetBit(bits, i)
			}
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out), nil
}

func evCoalesceBytes(mem memory.Allocator, dt arrow.DataType, n int, vals []evValue) (arrow.Array, error) {
	type src struct {
		offs  []int32
		data  []byte
		vb    []byte
		voff  int
		isLit bool
		lit   []byte
	}
	srcs := make([]src, len(vals))
	for k, v := range vals {
		if v.isScalar() {
			b, _ := evStringLiteral(v.sc)
			srcs[k] = src{isLit: true, lit: b}
			continue
		}
		offs, data := kernel.OffsetsAndData[int32](v.arr)
		vb, voff := kernel.Validity(v.arr)
		srcs[k] = src{offs: offs, data: data, vb: vb, voff: voff}
	}
	w := evNewStrWriter(mem, n, len(srcs[0].data))
rows:
	for i := 0; i < n; i++ {
		for k := range srcs {
			s := &srcs[k]
			if s.isLit {
				w.add(s.lit)
				w.endRow()
				continue rows
			}
			if kernel.IsSet(s.vb, s.voff, i) {
				w.add(s.data[s.offs[i]:s.offs[i+1]])
				w.endRow()
				continue rows
			}
		}
		w.nullRow()
	}
	return w.finish(dt)
}
