package eval

import (
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// TestConformanceFilterProject runs a filter keeping only the columns the projection
// above it reads (as the planner sets PFilter.Keep) under that projection, through the conformance harness against the oracle
// (filter the rows, then evaluate the expressions), conditions that keep every row, none
// and some, over values and all NULLs.
func TestConformanceFilterProject(t *testing.T) {
	recs, maps, _ := confInputs(t)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	exprs := []plan.Expr{
		&plan.Alias{Child: exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Col("j")), Name: "sum"},
		exectest.Col("d"),
		&plan.Alias{Child: exectest.Int(7), Name: "seven"},
		exectest.Col("s"),
	}
	types := []arrow.DataType{arrow.PrimitiveTypes.Int64, exectest.DictType, arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String}
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: plan.OutputName(e), Type: types[i], Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	conds := []plan.Expr{
		exectest.Bin(plan.OpGt, exectest.Col("f"), exectest.Col("g")), // a column the projection drops
		exectest.Un(plan.OpIsNull, exectest.Col("i")),
		exectest.Bool(true), exectest.Bool(false),
	}
	for _, cond := range conds {
		for in, name := range []string{"values", "all-null"} {
			t.Run(cond.String()+"/"+name, func(t *testing.T) {
				var want [][]any
				for _, row := range maps[in] {
					if exectest.OracleEval(cond, row) != true {
						continue
					}
					out := make([]any, len(exprs))
					for i, e := range exprs {
						out[i] = exectest.OracleEval(e, row)
					}
					want = append(want, out)
				}
				exectest.RunTests(t, []exectest.Input{exectest.Batches(recs[in].Schema(), recs[in])}, want,
					func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						var keep []int
						for i, f := range recs[in].Schema().Fields() {
							if f.Name == "i" || f.Name == "j" || f.Name == "d" || f.Name == "s" {
								keep = append(keep, i)
							}
						}
						opts := colop.Options{Mem: mem}
						return NewProject(NewFilterKeeping(ins[0], cond, keep, opts), exprs, schema, opts), nil
					})
			})
		}
	}
}

// TestSelectionVector checks the selection vector against a bit-by-bit loop at every
// bitmap offset and length around the byte boundaries.
func TestSelectionVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	bits := make([]byte, 40)
	for i := range bits {
		bits[i] = byte(rng.Uint32())
	}
	bits[3], bits[4] = 0, 0xff
	for off := 0; off < 17; off++ {
		for n := 0; n+off <= 8*len(bits); n += 1 + n/3 {
			var want []int32
			for i := 0; i < n; i++ {
				if bits[(off+i)/8]&(1<<((off+i)%8)) != 0 {
					want = append(want, int32(i))
				}
			}
			got := selectionVector(nil, bits, off, n)
			if len(got) != len(want) {
				t.Fatalf("off %d n %d: %d positions, want %d", off, n, len(got), len(want))
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("off %d n %d: position %d is %d, want %d", off, n, k, got[k], want[k])
				}
			}
		}
	}
}
