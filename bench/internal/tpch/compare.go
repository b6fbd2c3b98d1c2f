package tpch

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// Cell is one value of a result, in a form both engines' values convert to: NULL, a
// string (dates as yyyy-mm-dd), or a number (exact for integers and decimals, with the
// decimal's scale; approximate for floating point).
type Cell struct {
	Null   bool
	Str    *string
	Num    *big.Rat
	Approx bool // Num came from a float
	Scale  int  // digits after the point of a decimal (0 for integers)
}

// Result is a query's answer: column names and rows of cells.
type Result struct {
	Cols []string
	Rows [][]Cell
}

// String is the cell as the mismatch report prints it.
func (c Cell) String() string {
	switch {
	case c.Null:
		return "NULL"
	case c.Str != nil:
		return *c.Str
	case c.Approx:
		f, _ := c.Num.Float64()
		return fmt.Sprintf("%.12g", f)
	default:
		return c.Num.FloatString(c.Scale)
	}
}

func strCell(s string) Cell { return Cell{Str: &s} }
func intCell(v int64) Cell  { return Cell{Num: new(big.Rat).SetInt64(v)} }
func floatCell(f float64) Cell {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strCell(fmt.Sprint(f))
	}
	return Cell{Num: new(big.Rat).SetFloat64(f), Approx: true}
}
func decCell(unscaled *big.Int, scale int) Cell {
	r := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return Cell{Num: r, Scale: scale}
}

// FromRecords converts kindling's result batches.
func FromRecords(recs []arrow.RecordBatch) (Result, error) {
	var res Result
	for _, r := range recs {
		if res.Cols == nil {
			for _, f := range r.Schema().Fields() {
				res.Cols = append(res.Cols, f.Name)
			}
		}
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]Cell, r.NumCols())
			for j, c := range r.Columns() {
				cell, err := arrowCell(c, i)
				if err != nil {
					return res, fmt.Errorf("tpch: column %s: %w", r.Schema().Field(j).Name, err)
				}
				row[j] = cell
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return res, nil
}

func arrowCell(a arrow.Array, i int) (Cell, error) {
	if a.IsNull(i) {
		return Cell{Null: true}, nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return intCell(a.Value(i)), nil
	case *array.Int32:
		return intCell(int64(a.Value(i))), nil
	case *array.Float64:
		return floatCell(a.Value(i)), nil
	case *array.Decimal128:
		return decCell(a.Value(i).BigInt(), int(a.DataType().(*arrow.Decimal128Type).Scale)), nil
	case *array.Date32:
		return strCell(a.Value(i).FormattedString()), nil
	// Value shares the array's buffer, which the pool reuses once the batches are
	// released: the answer keeps copies.
	case *array.String:
		return strCell(strings.Clone(a.Value(i))), nil
	case *array.LargeString:
		return strCell(strings.Clone(a.Value(i))), nil
	case *array.Boolean:
		return strCell(fmt.Sprint(a.Value(i))), nil
	case *array.Dictionary:
		return arrowCell(a.Dictionary(), a.GetValueIndex(i))
	}
	return Cell{}, fmt.Errorf("unsupported type %s", a.DataType())
}

// duckCell converts a value database/sql scanned from DuckDB.
func duckCell(v any) (Cell, error) {
	switch v := v.(type) {
	case nil:
		return Cell{Null: true}, nil
	case int64:
		return intCell(v), nil
	case int32:
		return intCell(int64(v)), nil
	case int16:
		return intCell(int64(v)), nil
	case int8:
		return intCell(int64(v)), nil
	case float64:
		return floatCell(v), nil
	case float32:
		return floatCell(float64(v)), nil
	case *big.Int:
		return Cell{Num: new(big.Rat).SetInt(v)}, nil
	case duckdb.Decimal:
		return decCell(v.Value, int(v.Scale)), nil
	case string:
		return strCell(v), nil
	case time.Time:
		return strCell(v.Format(time.DateOnly)), nil
	case bool:
		return strCell(fmt.Sprint(v)), nil
	}
	return Cell{}, fmt.Errorf("unsupported DuckDB value %T", v)
}

// relTol is the relative tolerance of numbers when either side is a float or the
// decimals' scales differ.
const relTol = 1e-9

// cellsEqual compares two cells: strings exactly; numbers exactly when both are exact
// with the same scale, otherwise within relTol plus half a unit of the smaller decimal
// scale (a decimal result is rounded to its scale, a DuckDB average is a DOUBLE).
func cellsEqual(a, b Cell) bool {
	switch {
	case a.Null || b.Null:
		return a.Null && b.Null
	case a.Str != nil || b.Str != nil:
		return a.Str != nil && b.Str != nil && *a.Str == *b.Str
	}
	if !a.Approx && !b.Approx && a.Scale == b.Scale {
		return a.Num.Cmp(b.Num) == 0
	}
	x, _ := a.Num.Float64()
	y, _ := b.Num.Float64()
	tol := relTol * max(math.Abs(x), math.Abs(y))
	if s := minScale(a, b); s >= 0 {
		tol += 0.5 * math.Pow10(-s)
	}
	return math.Abs(x-y) <= tol
}

// minScale is the smaller scale of the exact sides (-1 if both are floats).
func minScale(a, b Cell) int {
	s := -1
	for _, c := range []Cell{a, b} {
		if !c.Approx && (s < 0 || c.Scale < s) {
			s = c.Scale
		}
	}
	return s
}

// cmpCells orders cells: NULLs first, numbers by value, strings bytewise.
func cmpCells(a, b Cell) int {
	switch {
	case a.Null || b.Null:
		if a.Null && b.Null {
			return 0
		}
		if a.Null {
			return -1
		}
		return 1
	case a.Str != nil && b.Str != nil:
		return strings.Compare(*a.Str, *b.Str)
	case a.Num != nil && b.Num != nil:
		return a.Num.Cmp(b.Num)
	case a.Num != nil:
		return -1
	}
	return 1
}

// Compare checks got (kindling) against want (DuckDB): the same columns, got's rows in
// the order of keys (ties in any order), and the same rows as multisets. The error
// shows the first differing rows of both.
func Compare(got, want Result, keys []OrderKey) error {
	if strings.Join(got.Cols, ",") != strings.Join(want.Cols, ",") {
		return fmt.Errorf("columns %v, want %v", got.Cols, want.Cols)
	}
	if err := checkOrder(got, keys); err != nil {
		return err
	}
	if len(got.Rows) != len(want.Rows) {
		return fmt.Errorf("%d rows, want %d%s", len(got.Rows), len(want.Rows), firstDiff(got, want, 0))
	}
	g, w := sortedRows(got.Rows), sortedRows(want.Rows)
	for i := range g {
		for j := range g[i] {
			if !cellsEqual(g[i][j], w[i][j]) {
				return fmt.Errorf("row %d (sorted) differs in %s%s", i, got.Cols[j],
					firstDiff(Result{Cols: got.Cols, Rows: g}, Result{Cols: want.Cols, Rows: w}, i))
			}
		}
	}
	return nil
}

// checkOrder checks that consecutive rows respect the ORDER BY keys.
func checkOrder(r Result, keys []OrderKey) error {
	idx := make([]int, len(keys))
	for k, key := range keys {
		idx[k] = -1
		for j, c := range r.Cols {
			if strings.EqualFold(c, key.Col) {
				idx[k] = j
			}
		}
		if idx[k] < 0 {
			return fmt.Errorf("ORDER BY column %s is not in the result %v", key.Col, r.Cols)
		}
	}
	for i := 1; i < len(r.Rows); i++ {
		for k, key := range keys {
			c := cmpCells(r.Rows[i-1][idx[k]], r.Rows[i][idx[k]])
			if key.Desc {
				c = -c
			}
			if c < 0 {
				break
			}
			if c > 0 {
				return fmt.Errorf("rows %d and %d are out of ORDER BY order (%s):\n  %s\n  %s", i-1, i, key.Col,
					rowString(r.Rows[i-1]), rowString(r.Rows[i]))
			}
		}
	}
	return nil
}

func sortedRows(rows [][]Cell) [][]Cell {
	out := append([][]Cell(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		for k := range out[i] {
			if c := cmpCells(out[i][k], out[j][k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	return out
}

func rowString(row []Cell) string {
	s := make([]string, len(row))
	for i, c := range row {
		s[i] = c.String()
	}
	return strings.Join(s, " | ")
}

// firstDiff prints up to five rows of both results from row i.
func firstDiff(got, want Result, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\ncolumns: %s", strings.Join(got.Cols, " | "))
	for _, side := range []struct {
		name string
		r    Result
	}{{"kindling", got}, {"DuckDB", want}} {
		fmt.Fprintf(&b, "\n%s:", side.name)
		for k := i; k < min(i+5, len(side.r.Rows)); k++ {
			fmt.Fprintf(&b, "\n  %d: %s", k, rowString(side.r.Rows[k]))
		}
	}
	return b.String()
}
