package tpch

import (
	"math/big"
	"strings"
	"testing"
)

func dec2(unscaled int64) Cell { return decCell(big.NewInt(unscaled), 2) }

// TestCompare checks the checker: it accepts ties in any order and a DOUBLE against a
// rounded decimal, and rejects a wrong value, a wrong order, a missing row and other
// column names, printing both sides' rows.
func TestCompare(t *testing.T) {
	cols := []string{"k", "v"}
	want := Result{Cols: cols, Rows: [][]Cell{
		{strCell("a"), dec2(150)}, {strCell("b"), dec2(150)}, {strCell("c"), dec2(100)}, {Cell{Null: true}, dec2(1)},
	}}
	keys := []OrderKey{{Col: "v", Desc: true}}
	same := func() Result {
		return Result{Cols: cols, Rows: [][]Cell{
			{strCell("b"), dec2(150)}, {strCell("a"), dec2(150)}, {strCell("c"), dec2(100)}, {Cell{Null: true}, dec2(1)},
		}}
	}
	if err := Compare(same(), want, keys); err != nil {
		t.Errorf("ties swapped: %v", err)
	}
	// A decimal average (scale 6) against DuckDB's DOUBLE.
	if err := Compare(Result{Cols: []string{"x"}, Rows: [][]Cell{{decCell(big.NewInt(25510284), 6)}}},
		Result{Cols: []string{"x"}, Rows: [][]Cell{{floatCell(25.51028417)}}}, nil); err != nil {
		t.Errorf("rounded decimal against double: %v", err)
	}
	for name, c := range map[string]struct {
		mut  func(r *Result)
		want string
	}{
		"value":   {func(r *Result) { r.Rows[2][1] = dec2(101) }, "differs in v"},
		"order":   {func(r *Result) { r.Rows[2], r.Rows[3] = r.Rows[3], r.Rows[2] }, "out of ORDER BY order"},
		"missing": {func(r *Result) { r.Rows = r.Rows[:3] }, "3 rows, want 4"},
		"columns": {func(r *Result) { r.Cols = []string{"k", "w"} }, "columns"},
		"string":  {func(r *Result) { r.Rows[0][0] = strCell("B") }, "differs in k"},
		"null":    {func(r *Result) { r.Rows[3][0] = strCell("") }, "differs in k"},
		"float":   {func(r *Result) { r.Rows[2][1] = floatCell(1.02) }, "differs in v"},
	} {
		got := same()
		c.mut(&got)
		err := Compare(got, want, keys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		} else if name == "value" && !strings.Contains(err.Error(), "DuckDB:") {
			t.Errorf("%s: the error does not show the rows: %v", name, err)
		}
	}
}
