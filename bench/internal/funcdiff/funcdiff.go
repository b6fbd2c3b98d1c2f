package funcdiff

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// Schema is the generated table's schema: a row id, two int64 columns (i wide, j small
// with zeros), two float64 columns (x with NaN, ±0 and halves at the third decimal; y a
// small exponent), two strings (s with empty, blank-padded and multi-byte values; t
// short), two dates in 1900–2100 (d hits every Feb 29 of the range often) and two
// decimals (m a money amount, decimal(12,2); n a small rate with zeros, decimal(7,3)).
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "j", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "t", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "e", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "m", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
	{Name: "n", Type: &arrow.Decimal128Type{Precision: 7, Scale: 3}, Nullable: true},
}, nil)

// strPool holds the special strings: empty, blanks, multi-byte UTF-8 (2, 3 and 4 bytes
// a character), LIKE's wildcards as data. It avoids characters whose case mapping
// depends on context or locale (final sigma, ß, dotted I), where Java, Go and DuckDB's
// utf8proc disagree (see the package doc). "e\u0301cole" has a combining mark.
var strPool = []string{
	"", " ", "  ", "abc", "  padded  ", " lead", "trail ", "Hello World", "héllo",
	"日本語テキスト", "ÉCOLE", "naïve café", "😀 emoji", "a_b%c", "Ünïcödé", "x",
	"hello", "HELLO", "l", "ll", "lol", "ab", "übung", "Ωmega", "中文", "tab\there", "e\u0301cole", "a\\b",
	// Numbers and dates as text, for the casts and parsers: padded, signed, leading
	// zeros, out of range, not numbers at all, and dates that do not exist.
	"42", " 17 ", "-3", "+8", "007", "1e3", "0x1F", "9223372036854775808", "-0", "3.25", "-2.75",
	"2024-02-29", "2023-02-29", "1999-12-31", "2024-1-5",
}

var (
	epoch   = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	minDate = int32(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)
	maxDate = int32(time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)
)

func days(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)
}

// Generate builds the table of n rows from seed, in one record batch allocated from
// mem. The same seed gives the same rows.
func Generate(mem memory.Allocator, n int, seed uint64) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	bi := b.Field(1).(*array.Int64Builder)
	bj := b.Field(2).(*array.Int64Builder)
	bx := b.Field(3).(*array.Float64Builder)
	by := b.Field(4).(*array.Float64Builder)
	bs := b.Field(5).(*array.StringBuilder)
	bt := b.Field(6).(*array.StringBuilder)
	bd := b.Field(7).(*array.Date32Builder)
	be := b.Field(8).(*array.Date32Builder)
	exps := []float64{-2, -1, 0, 0.5, 1, 1.5, 2, 3}
	for k := range n {
		id.Append(int64(k))
		if r.IntN(20) == 0 {
			bi.AppendNull()
		} else {
			bi.Append(r.Int64N(2_000_001) - 1_000_000)
		}
		if r.IntN(20) == 0 {
			bj.AppendNull()
		} else {
			bj.Append(r.Int64N(21) - 10)
		}
		switch c := r.IntN(40); {
		case c == 0:
			bx.AppendNull()
		case c == 1:
			bx.Append(math.NaN())
		case c == 2:
			bx.Append(0)
		case c == 3:
			bx.Append(math.Copysign(0, -1))
		case c == 4:
			bx.Append(1)
		case c == 5:
			bx.Append(-1)
		case c < 20:
			// Thousandths: a half at the third decimal (2.675) is common, and its double
			// is a little below or above the half.
			bx.Append(float64(r.Int64N(2_000_001)-1_000_000) / 1000)
		default:
			bx.Append((r.Float64()*2 - 1) * math.Pow(10, float64(r.IntN(7)-2)))
		}
		switch c := r.IntN(20); c {
		case 0:
			by.AppendNull()
		case 1:
			by.Append(math.NaN())
		default:
			by.Append(exps[r.IntN(len(exps))])
		}
		appendStr(r, bs, 20)
		appendStr(r, bt, 10)
		for _, db := range []*array.Date32Builder{bd, be} {
			switch c := r.IntN(20); c {
			case 0:
				db.AppendNull()
			case 1, 2:
				// A leap day, a day either side of one, or a year's end.
				y := 1904 + 4*r.IntN(49)
				switch r.IntN(4) {
				case 0:
					db.Append(arrow.Date32(days(y, 2, 29)))
				case 1:
					db.Append(arrow.Date32(days(y, 2, 28)))
				case 2:
					db.Append(arrow.Date32(days(y, 3, 1)))
				default:
					db.Append(arrow.Date32(days(y, 12, 31)))
				}
			default:
				db.Append(arrow.Date32(minDate + r.Int32N(maxDate-minDate+1)))
			}
		}
	}
	appendDecimals(b.Field(9).(*array.Decimal128Builder), b.Field(10).(*array.Decimal128Builder), n, seed)
	return b.NewRecordBatch()
}

func appendStr(r *rand.Rand, b *array.StringBuilder, nullEvery int) {
	switch c := r.IntN(nullEvery * 2); {
	case c == 0:
		b.AppendNull()
	case c < nullEvery:
		b.Append(strPool[r.IntN(len(strPool))])
	default:
		const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ lé日_%😀"
		rs := []rune(letters)
		n := r.IntN(12)
		out := make([]rune, n)
		for k := range out {
			out[k] = rs[r.IntN(len(rs))]
		}
		b.Append(string(out))
	}
}

// DictStrings returns rec with its string columns dictionary-encoded (same values), as
// kindling's CSV reader gives them, to exercise the kernels' once-per-dictionary-value
// paths.
func DictStrings(mem memory.Allocator, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	fields := slices.Clone(rec.Schema().Fields())
	cols := make([]arrow.Array, len(fields))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for k, f := range fields {
		col := rec.Column(k)
		if f.Type.ID() != arrow.STRING {
			col.Retain()
			cols[k] = col
			continue
		}
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
		b := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
		if err := b.AppendArray(col); err != nil {
			b.Release()
			return nil, err
		}
		cols[k] = b.NewArray()
		b.Release()
		fields[k].Type = dt
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}

// Value returns row k of a as a comparable Go value: nil for NULL, int64 for integers
// (dates as days since 1970-01-01), float64, string or bool.
func Value(a arrow.Array, k int) (any, error) {
	if a.IsNull(k) {
		return nil, nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(k), nil
	case *array.Int32:
		return int64(a.Value(k)), nil
	case *array.Int16:
		return int64(a.Value(k)), nil
	case *array.Int8:
		return int64(a.Value(k)), nil
	case *array.Float64:
		return a.Value(k), nil
	case *array.Float32:
		return float64(a.Value(k)), nil
	case *array.Boolean:
		return a.Value(k), nil
	case *array.String:
		return a.Value(k), nil
	case *array.LargeString:
		return a.Value(k), nil
	case *array.Date32:
		return int64(a.Value(k)), nil
	case *array.Dictionary:
		return Value(a.Dictionary(), a.GetValueIndex(k))
	case *array.Decimal128:
		return decimalValue(a.Value(k).BigInt(), a.DataType().(*arrow.Decimal128Type).Scale), nil
	case *array.List:
		start, end := a.ValueOffsets(k)
		elems := make([]any, 0, end-start)
		for e := start; e < end; e++ {
			v, err := Value(a.ListValues(), int(e))
			if err != nil {
				return nil, err
			}
			elems = append(elems, v)
		}
		return listString(elems), nil
	}
	return nil, fmt.Errorf("funcdiff: unexpected Arrow type %s", a.DataType())
}

// Normalize turns a value DuckDB's driver scanned into the representation Value gives.
func Normalize(v any) (any, error) {
	switch v := v.(type) {
	case nil, int64, float64, string, bool:
		return v, nil
	case int32:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int8:
		return int64(v), nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case float32:
		return float64(v), nil
	case time.Time:
		return int64(math.Floor(float64(v.Unix()) / 86400)), nil
	case duckdb.Decimal:
		return normalizeDuckDecimal(v)
	case *big.Int:
		if !v.IsInt64() {
			return nil, fmt.Errorf("funcdiff: DuckDB value %s does not fit in int64", v)
		}
		return v.Int64(), nil
	case []any:
		elems := make([]any, len(v))
		for k, e := range v {
			n, err := Normalize(e)
			if err != nil {
				return nil, err
			}
			elems[k] = n
		}
		return listString(elems), nil
	}
	return nil, fmt.Errorf("funcdiff: unexpected DuckDB value %T", v)
}

// Equal reports whether two normalized values agree: NULLs equal, NaN equals NaN,
// numbers of either kind compare as numbers, floats within 1e-9 relative.
func Equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if ia, ok := a.(int64); ok {
		if ib, ok := b.(int64); ok {
			return ia == ib
		}
	}
	if ra, ok := exactRat(a); ok {
		if rb, ok := exactRat(b); ok {
			return ra.Cmp(rb) == 0 // decimals (and integers) compare exactly
		}
	}
	fa, aNum := num(a)
	fb, bNum := num(b)
	if aNum || bNum {
		if !aNum || !bNum {
			return false
		}
		if math.IsNaN(fa) || math.IsNaN(fb) {
			return math.IsNaN(fa) && math.IsNaN(fb)
		}
		if fa == fb {
			return true
		}
		if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
			return false
		}
		return math.Abs(fa-fb) <= 1e-9*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return a == b
}

func num(v any) (float64, bool) {
	switch v := v.(type) {
	case Decimal:
		f, _ := v.R.Float64()
		return f, true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// listString renders a list's normalized elements as one comparable string, since a
// list has no Go equality: ["a" "b" <nil>].
func listString(elems []any) string {
	var b strings.Builder
	b.WriteByte('[')
	for k, e := range elems {
		if k > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%#v", e)
	}
	b.WriteByte(']')
	return b.String()
}

// exactRat reads a decimal or an integer as an exact rational; a float is not exact.
func exactRat(v any) (*big.Rat, bool) {
	switch v := v.(type) {
	case Decimal:
		return v.R, true
	case int64:
		return new(big.Rat).SetInt64(v), true
	}
	return nil, false
}
