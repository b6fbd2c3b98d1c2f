package eval

import (
	"fmt"
	"math"
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The nested-values family: get_field reads a struct's field, size, element_at and
// array_contains read lists, split builds them. Elements are read through the list's
// offsets and its values child; element_at gathers the chosen elements with the
// kernel's typed gather.

func init() {
	register(map[string]function{
		"get_field":      {apply: evGetField},
		"size":           {apply: evSize},
		"element_at":     {apply: evElementAt},
		"array_contains": {apply: evArrayContains},
		"split":          {apply: evSplit},
	})
}

// evGetField: the field named by the literal args[1] of the struct args[0]; a NULL
// struct gives NULL whatever its field holds.
func evGetField(ev *Evaluator, args []evValue, n int) (evValue, error) {
	s, ok := args[0].arr.(*array.Struct)
	if !ok || !args[1].isScalar() {
		return evValue{}, fmt.Errorf("get_field takes (struct, field name literal), got %v", args[0].dataType())
	}
	name, ok := evStringLiteral(args[1].sc)
	if !ok {
		return evValue{}, fmt.Errorf("get_field: NULL field name")
	}
	idx, found := s.DataType().(*arrow.StructType).FieldIdx(string(name))
	if !found {
		return evValue{}, fmt.Errorf("get_field: no field %q in %v", name, s.DataType())
	}
	child := s.Field(idx)
	if s.NullN() == 0 {
		child.Retain()
		return evArray(child), nil
	}
	posBuf, pos := kernel.NewFixedBuffer[int32](ev.Mem, s.Len())
	defer posBuf.Release()
	for i := range pos {
		if s.IsValid(i) {
			pos[i] = int32(i)
		} else {
			pos[i] = -1
		}
	}
	out, err := kernel.GatherArrayOrNull(child, pos, ev.Mem)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evList checks that v is a list array.
func evList(name string, v evValue) (*array.List, error) {
	l, ok := v.arr.(*array.List)
	if !ok {
		return nil, fmt.Errorf("%s takes a list, got %v", name, v.dataType())
	}
	return l, nil
}

// evSize: the number of elements of each list, -1 for a NULL list (Spark 3's default,
// spark.sql.legacy.sizeOfNull=true); never NULL.
func evSize(ev *Evaluator, args []evValue, n int) (evValue, error) {
	l, err := evList("size", args[0])
	if err != nil {
		return evValue{}, err
	}
	offs := kernel.ListSpan(l)
	bm, off := kernel.Validity(l)
	buf, out := kernel.NewFixedBuffer[int64](ev.Mem, l.Len())
	for i := range out {
		if kernel.IsSet(bm, off, i) {
			out[i] = int64(offs[i+1] - offs[i])
		} else {
			out[i] = -1
		}
	}
	return evArray(kernel.MakeArray(arrow.PrimitiveTypes.Int64, l.Len(), 0, []*memory.Buffer{nil, buf}, nil)), nil
}

// evElementAt: element k (1-based; negative counts from the end) of each list, NULL
// when the list or k is NULL or k is out of range (or 0).
func evElementAt(ev *Evaluator, args []evValue, n int) (evValue, error) {
	l, err := evList("element_at", args[0])
	if err != nil {
		return evValue{}, err
	}
	rows := l.Len()
	offs := kernel.ListSpan(l)
	lbm, loff := kernel.Validity(l)
	posBuf, pos := kernel.NewFixedBuffer[int32](ev.Mem, rows)
	defer posBuf.Release()
	pick := func(i int, k int64) int32 {
		lo, hi := int64(offs[i]), int64(offs[i+1])
		switch {
		case !kernel.IsSet(lbm, loff, i):
			return -1
		case k > 0 && k <= hi-lo:
			return int32(lo + k - 1)
		case k < 0 && k >= lo-hi:
			return int32(hi + k)
		}
		return -1
	}
	if args[1].isScalar() {
		k, err := evIntLiteral(args[1])
		if err != nil {
			return evValue{}, fmt.Errorf("element_at index: %w", err)
		}
		for i := range pos {
			pos[i] = -1
			if k.valid {
				pos[i] = pick(i, k.v)
			}
		}
	} else {
		ka, ok := args[1].arr.(*array.Int64)
		if !ok {
			return evValue{}, fmt.Errorf("element_at index must be int64, got %v", args[1].dataType())
		}
		ks := kernel.FixedValues[int64](ka)
		kbm, koff := kernel.Validity(ka)
		for i := range pos {
			pos[i] = -1
			if kernel.IsSet(kbm, koff, i) {
				pos[i] = pick(i, ks[i])
			}
		}
	}
	out, err := kernel.GatherArrayOrNull(l.ListValues(), pos, ev.Mem)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evArrayContains: true when a list holds the value; NULL when the list or the value is
// NULL, or when there is no match but the list has a NULL element; false otherwise.
// Floats compare as Spark orders them: NaN equals NaN and -0.0 equals 0.0.
func evArrayContains(ev *Evaluator, args []evValue, n int) (evValue, error) {
	l, err := evList("array_contains", args[0])
	if err != nil {
		return evValue{}, err
	}
	// The value as an array: a scalar becomes one row read by every list (stride 0).
	varr, err := args[1].toArray(1, ev.Mem)
	if err != nil {
		return evValue{}, err
	}
	defer varr.Release()
	stride := 1
	if args[1].isScalar() {
		stride = 0
	}
	elems := l.ListValues()
	if !arrow.TypeEqual(elems.DataType(), varr.DataType()) {
		return evValue{}, fmt.Errorf("array_contains: value of type %v for elements of type %v", varr.DataType(), elems.DataType())
	}
	rows := l.Len()
	offs := kernel.ListSpan(l)
	lbm, loff := kernel.Validity(l)
	vbm, voff := kernel.Validity(varr)
	ebm, eoff := kernel.Validity(elems)
	validBuf := kernel.NewBuffer(ev.Mem, int(bitutil.BytesForBits(int64(rows))))
	valBuf := kernel.NewBuffer(ev.Mem, int(bitutil.BytesForBits(int64(rows))))
	valid, vals := validBuf.Bytes(), valBuf.Bytes()
	nulls := 0
	// scan answers each row whose list and value are both valid: a match sets the
	// value bit; no match with a NULL element leaves the row NULL.
	scan := func(eq func(j, v int) bool) {
		for i := 0; i < rows; i++ {
			v := i * stride
			if !kernel.IsSet(lbm, loff, i) || !kernel.IsSet(vbm, voff, v) {
				nulls++
				continue
			}
			sawNull, found := false, false
			for j := int(offs[i]); j < int(offs[i+1]); j++ {
				if !kernel.IsSet(ebm, eoff, j) {
					sawNull = true
				} else if eq(j, v) {
					found = true
					break
				}
			}
			switch {
			case found:
				bitutil.SetBit(vals, i)
				bitutil.SetBit(valid, i)
			case sawNull:
				nulls++
			default:
				bitutil.SetBit(valid, i)
			}
		}
	}
	switch elems.DataType().ID() {
	case arrow.INT8, arrow.UINT8:
		evContainsFixed[uint8](elems, varr, scan)
	case arrow.INT16, arrow.UINT16:
		evContainsFixed[uint16](elems, varr, scan)
	case arrow.INT32, arrow.UINT32, arrow.DATE32:
		evContainsFixed[uint32](elems, varr, scan)
	case arrow.INT64, arrow.UINT64, arrow.TIMESTAMP:
		evContainsFixed[uint64](elems, varr, scan)
	case arrow.FLOAT32:
		es, vs := kernel.FixedValues[float32](elems), kernel.FixedValues[float32](varr)
		scan(func(j, v int) bool { return es[j] == vs[v] || (es[j] != es[j] && vs[v] != vs[v]) })
	case arrow.FLOAT64:
		es, vs := kernel.FixedValues[float64](elems), kernel.FixedValues[float64](varr)
		scan(func(j, v int) bool { return es[j] == vs[v] || (math.IsNaN(es[j]) && math.IsNaN(vs[v])) })
	case arrow.BOOL:
		es, vs := elems.(*array.Boolean), varr.(*array.Boolean)
		scan(func(j, v int) bool { return es.Value(j) == vs.Value(v) })
	case arrow.STRING:
		eo, ed := kernel.OffsetsAndData[int32](elems)
		vo, vd := kernel.OffsetsAndData[int32](varr)
		scan(func(j, v int) bool { return string(ed[eo[j]:eo[j+1]]) == string(vd[vo[v]:vo[v+1]]) })
	default:
		validBuf.Release()
		valBuf.Release()
		return evValue{}, fmt.Errorf("array_contains: unsupported element type %v", elems.DataType())
	}
	if nulls == 0 {
		validBuf.Release()
		validBuf = nil
	}
	return evArray(kernel.MakeArray(arrow.FixedWidthTypes.Boolean, rows, nulls, []*memory.Buffer{validBuf, valBuf}, nil)), nil
}

// evContainsFixed scans with bitwise equality of fixed-width values (integers, dates,
// timestamps) of T's width.
func evContainsFixed[T uint8 | uint16 | uint32 | uint64](elems, varr arrow.Array, scan func(eq func(j, v int) bool)) {
	es, vs := kernel.FixedValues[T](elems), kernel.FixedValues[T](varr)
	scan(func(j, v int) bool { return es[j] == vs[v] })
}

// evSplit: split(string, regex) → list of strings, as Spark's split with limit -1:
// every piece is kept, trailing empty ones included; "" gives [""]. NULL string or
// regex gives NULL. A dictionary is split once per distinct value.
func evSplit(ev *Evaluator, args []evValue, n int) (evValue, error) {
	outType := arrow.ListOf(arrow.BinaryTypes.String)
	if !args[1].isScalar() {
		return evSplitColumn(ev, args, n)
	}
	p, ok := evStringLiteral(args[1].sc)
	if !ok {
		b := array.NewListBuilder(ev.Mem, arrow.BinaryTypes.String)
		defer b.Release()
		b.AppendNulls(args[0].arr.Len())
		return evArray(b.NewArray()), nil
	}
	re, err := regexp.Compile(string(p))
	if err != nil {
		return evValue{}, fmt.Errorf("split: %w", err)
	}
	split := func(s arrow.Array) (arrow.Array, error) { return evSplitStrings(ev.Mem, s, re, outType) }
	switch a := args[0].arr.(type) {
	case *array.Dictionary:
		out, err := evMapDict(ev.Mem, a, split)
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	case *array.String:
		out, err := split(a)
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}
	return evValue{}, fmt.Errorf("split takes a string, got %v", args[0].dataType())
}

// evSplitStrings splits every row of the utf8 array s by re, cutting at the matches as
// Go's Regexp.Split(s, -1) does (an empty match at the start cuts nothing).
func evSplitStrings(mem memory.Allocator, s arrow.Array, re *regexp.Regexp, dt arrow.DataType) (arrow.Array, error) {
	offs, data := kernel.OffsetsAndData[int32](s)
	bm, off := kernel.Validity(s)
	lb := array.NewListBuilderWithField(mem, dt.(*arrow.ListType).ElemField())
	defer lb.Release()
	vb := lb.ValueBuilder().(*array.StringBuilder)
	lb.Reserve(s.Len())
	for i := 0; i < s.Len(); i++ {
		if !kernel.IsSet(bm, off, i) {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		evSplitRow(vb, re, data[offs[i]:offs[i+1]])
	}
	return lb.NewArray(), nil
}
