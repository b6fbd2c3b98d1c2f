package eval

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/javafmt"
	"github.com/kindling-data/kindling/internal/kernel"
)

// format_string and printf: Spark's format_string, through internal/javafmt (Java's
// Formatter). A literal format is parsed once; a column of formats is parsed once per
// distinct format of the batch, and a format that is invalid or does not fit the
// values is an error naming the function and the format. A NULL format gives NULL;
// NULL values print as "null" ("false" for %b), as in Java. Every row is formatted into
// a buffer reused across the rows.

func init() {
	register(map[string]function{
		"format_string": {apply: evFormatString("format_string")},
		"printf":        {apply: evFormatString("printf")},
	})
}

// evFmtArg reads one value argument of format_string row by row.
type evFmtArg struct {
	kind  javafmt.Kind
	isLit bool
	lit   javafmt.Value
	ints  evIntSource
	str   evStrSource
	f64   []float64
	bools *array.Boolean
	vb    []byte
	voff  int
}

func (a *evFmtArg) value(i int) javafmt.Value {
	if a.isLit {
		return a.lit
	}
	switch a.kind {
	case javafmt.Int:
		if !a.ints.valid(i) {
			return javafmt.Value{}
		}
		return javafmt.Value{Kind: javafmt.Int, I: a.ints.value(i)}
	case javafmt.String:
		if !a.str.valid(i) {
			return javafmt.Value{}
		}
		return javafmt.Value{Kind: javafmt.String, S: a.str.value(i)}
	}
	if !kernel.IsSet(a.vb, a.voff, i) {
		return javafmt.Value{}
	}
	if a.kind == javafmt.Float {
		return javafmt.Value{Kind: javafmt.Float, F: a.f64[i]}
	}
	return javafmt.Value{Kind: javafmt.Bool, B: a.bools.Value(i)}
}

// evFmtArgOf views v; release frees a decoded dictionary.
func evFmtArgOf(ev *Evaluator, v evValue) (evFmtArg, func(), error) {
	none := func() {}
	dt := v.dataType()
	if v.isScalar() {
		sc := v.sc
		if !sc.IsValid() {
			return evFmtArg{isLit: true}, none, nil
		}
		switch s := sc.(type) {
		case *scalar.Int64:
			return evFmtArg{isLit: true, lit: javafmt.Value{Kind: javafmt.Int, I: s.Value}}, none, nil
		case *scalar.Float64:
			return evFmtArg{isLit: true, lit: javafmt.Value{Kind: javafmt.Float, F: s.Value}}, none, nil
		case *scalar.Boolean:
			return evFmtArg{isLit: true, lit: javafmt.Value{Kind: javafmt.Bool, B: s.Value}}, none, nil
		}
		if b, ok := evStringLiteral(sc); ok && (dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING) {
			return evFmtArg{isLit: true, lit: javafmt.Value{Kind: javafmt.String, S: b}}, none, nil
		}
		return evFmtArg{}, none, fmt.Errorf("cannot format a %v", dt)
	}
	switch dt.ID() {
	case arrow.NULL:
		return evFmtArg{isLit: true}, none, nil
	case arrow.INT64:
		src, err := evIntSourceOf(v)
		return evFmtArg{kind: javafmt.Int, ints: src}, none, err
	case arrow.FLOAT64:
		vb, voff := kernel.Validity(v.arr)
		return evFmtArg{kind: javafmt.Float, f64: kernel.FixedValues[float64](v.arr), vb: vb, voff: voff}, none, nil
	case arrow.BOOL:
		vb, voff := kernel.Validity(v.arr)
		bools, ok := v.arr.(*array.Boolean)
		if !ok {
			return evFmtArg{}, none, fmt.Errorf("cannot format a %v", dt)
		}
		return evFmtArg{kind: javafmt.Bool, bools: bools, vb: vb, voff: voff}, none, nil
	case arrow.STRING, arrow.DICTIONARY:
		srcs, rel, err := evStrSources(ev.Mem, []evValue{v})
		if err != nil {
			return evFmtArg{}, none, err
		}
		return evFmtArg{kind: javafmt.String, str: srcs[0]}, rel, nil
	}
	return evFmtArg{}, none, fmt.Errorf("cannot format a %v", dt)
}

func evFormatString(name string) func(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) == 0 {
			return evValue{}, fmt.Errorf("%s needs a format", name)
		}
		fsrcs, frel, err := evStrSources(ev.Mem, args[:1])
		if err != nil {
			return evValue{}, fmt.Errorf("%s: %w", name, err)
		}
		defer frel()
		fsrc := &fsrcs[0]
		vals := make([]evFmtArg, len(args)-1)
		for k, a := range args[1:] {
			v, rel, err := evFmtArgOf(ev, a)
			if err != nil {
				return evValue{}, fmt.Errorf("%s argument %d: %w", name, k+2, err)
			}
			defer rel()
			vals[k] = v
		}
		cache := newEvPatternCache(name, javafmt.Parse)
		row := make([]javafmt.Value, len(vals))
		var out, scratch []byte
		w := evNewStrWriter(ev.Mem, n, 0)
		for i := 0; i < n; i++ {
			if !fsrc.valid(i) {
				w.nullRow()
				continue
			}
			p := fsrc.value(i)
			f, err := cache.get(p)
			if err == nil {
				for k := range vals {
					row[k] = vals[k].value(i)
				}
				out, scratch, err = f.Append(out[:0], scratch, row)
				if err != nil {
					err = fmt.Errorf("%s: format %q: %w", name, p, err)
				}
			}
			if err != nil {
				return evValue{}, w.abort(err)
			}
			w.add(out)
			w.endRow()
		}
		res, err := w.finish(arrow.BinaryTypes.String)
		if err != nil {
			return evValue{}, err
		}
		return evArray(res), nil
	}
}
