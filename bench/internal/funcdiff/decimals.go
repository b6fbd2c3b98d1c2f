package funcdiff

import (
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/duckdb/duckdb-go/v2"
)

// appendDecimals fills the decimal columns from their own random stream, so that adding
// them left the other columns' values as they were: m in ±10^8 with cents (NULL one row
// in 20, zero one in 40), n in ±9.999 with a zero one row in 10 (to divide by).
func appendDecimals(bm, bn *array.Decimal128Builder, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed^0xdec, seed+0x128))
	for range n {
		switch c := r.IntN(40); {
		case c < 2:
			bm.AppendNull()
		case c == 2:
			bm.Append(decimal128.FromI64(0))
		case c < 10:
			// Halves at the first decimal, for rounding to one digit.
			bm.Append(decimal128.FromI64((r.Int64N(2_000_001) - 1_000_000) * 5))
		default:
			bm.Append(decimal128.FromI64(r.Int64N(20_000_000_001) - 10_000_000_000))
		}
		switch c := r.IntN(20); {
		case c == 0:
			bn.AppendNull()
		case c < 3:
			bn.Append(decimal128.FromI64(0))
		default:
			bn.Append(decimal128.FromI64(r.Int64N(19_999) - 9_999))
		}
	}
}

// decimalValue is a decimal as an exact rational, so that engines giving the same value
// at different scales (12.30 and 12.3) compare equal, and nothing is rounded to a float.
func decimalValue(unscaled *big.Int, scale int32) Decimal {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	return Decimal{new(big.Rat).SetFrac(unscaled, den)}
}

// Decimal is a decimal value read exactly, as a rational.
type Decimal struct{ R *big.Rat }

// GoString prints the value in decimal notation, for failure messages.
func (d Decimal) GoString() string { return d.R.FloatString(10) }

// normalizeDuckDecimal turns the driver's DECIMAL into decimalValue's form.
func normalizeDuckDecimal(d duckdb.Decimal) (any, error) {
	if d.Value == nil {
		return nil, fmt.Errorf("funcdiff: DuckDB decimal without a value")
	}
	return decimalValue(d.Value, int32(d.Scale)), nil
}
