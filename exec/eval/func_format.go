package eval

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The number formatting family: format_number(x int64|float64, d int64), Spark's
// format_number through Java's DecimalFormat("#,###,###,##0.00…") in Locale.US.

func init() {
	register(map[string]function{
		"format_number": {apply: evFormatNumber},
	})
}

// evFormatMaxDecimals is DecimalFormat's limit on the fraction digits of a double or
// long (DOUBLE_FRACTION_DIGITS): more decimal places print as this many.
const evFormatMaxDecimals = 340

// How DecimalFormat prints NaN and the infinities in Locale.US.
var evFmtNaN, evFmtInf, evFmtNegInf = []byte("NaN"), []byte("∞"), []byte("-∞")

// evFormatNumber formats x with d decimal places, rounding HALF_EVEN on the exact
// binary value of a float (as DecimalFormat does) and grouping the integer part by
// thousands with ','. NULL x or d, or d < 0, gives NULL; NaN prints "NaN" and the
// infinities "∞" and "-∞" (Java's DecimalFormatSymbols for Locale.US). A negative
// number keeps its sign even when it rounds to zero ("-0.00"), -0.0 included.
func evFormatNumber(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 2 {
		return evValue{}, fmt.Errorf("takes two arguments, got %d", len(args))
	}
	var arrs [2]arrow.Array
	for i, a := range args {
		if a.isScalar() {
			arr, err := a.toArray(n, ev.Mem)
			if err != nil {
				return evValue{}, err
			}
			defer arr.Release()
			arrs[i] = arr
		} else {
			arrs[i] = a.arr
		}
	}
	x, d := arrs[0], arrs[1]
	if d.DataType().ID() != arrow.INT64 && d.DataType().ID() != arrow.NULL {
		return evValue{}, fmt.Errorf("decimal places of %v, want int64", d.DataType())
	}
	var ints []int64
	var floats []float64
	switch x.DataType().ID() {
	case arrow.INT64:
		ints = kernel.FixedValues[int64](x)
	case arrow.FLOAT64:
		floats = kernel.FixedValues[float64](x)
	case arrow.NULL:
	default:
		return evValue{}, fmt.Errorf("number of %v, want int64 or float64", x.DataType())
	}
	var ds []int64
	if d.DataType().ID() == arrow.INT64 {
		ds = kernel.FixedValues[int64](d)
	}
	xb, xoff := kernel.Validity(x)
	db, doff := kernel.Validity(d)
	w := evNewStrWriter(ev.Mem, n, 16*n)
	var scratch []byte
	for i := 0; i < n; i++ {
		if ds == nil || (ints == nil && floats == nil) || !kernel.IsSet(xb, xoff, i) || !kernel.IsSet(db, doff, i) || ds[i] < 0 {
			w.nullRow()
			continue
		}
		places := int(min(ds[i], evFormatMaxDecimals))
		if ints != nil {
			scratch = strconv.AppendInt(scratch[:0], ints[i], 10)
			if places > 0 {
				scratch = append(scratch, '.')
				for range places {
					scratch = append(scratch, '0')
				}
			}
		} else {
			v := floats[i]
			switch {
			case math.IsNaN(v):
				w.add(evFmtNaN)
				w.endRow()
				continue
			case math.IsInf(v, 1):
				w.add(evFmtInf)
				w.endRow()
				continue
			case math.IsInf(v, -1):
				w.add(evFmtNegInf)
				w.endRow()
				continue
			}
			// strconv rounds the exact binary value, ties to even: HALF_EVEN.
			scratch = strconv.AppendFloat(scratch[:0], v, 'f', places, 64)
		}
		evAddGrouped(w, scratch)
		w.endRow()
	}
	out, err := w.finish(arrow.BinaryTypes.String)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evAddGrouped writes the plain decimal s ("-1234567.50") with a ',' between every
// three digits of its integer part ("-1,234,567.50").
func evAddGrouped(w *evStrWriter, s []byte) {
	w.grow(len(s) + len(s)/3 + 1)
	j := 0
	if len(s) > 0 && s[0] == '-' {
		w.addByte('-')
		j = 1
	}
	end := j
	for end < len(s) && s[end] != '.' {
		end++
	}
	for k := j; k < end; k++ {
		if k > j && (end-k)%3 == 0 {
			w.addByte(',')
		}
		w.addByte(s[k])
	}
	w.add(s[end:])
}
