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

// The conformance tests put Filter and Project through exectest.RunTests, over every
// column kind the evaluator handles, once with values and once all NULL; the expected
// rows come from the plain-Go oracle (exectest.OracleEval).

// confInputs returns the two inputs (values, all NULL) as batches, with each one's rows
// as oracle maps and as positional rows; the caller releases the batches.
func confInputs(t *testing.T) (recs []arrow.RecordBatch, maps [][]map[string]any, rows [][][]any) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(21, 22))
	for _, allNull := range []bool{false, true} {
		rec := exectest.MakeExprBatch(mem, rng, 90, allNull)
		recs = append(recs, rec)
		maps = append(maps, exectest.RecordRows(t, rec))
		rec.Retain() // RowsOf releases it
		rows = append(rows, exectest.RowsOf(t, []arrow.RecordBatch{rec}))
	}
	return recs, maps, rows
}

func TestConformanceFilter(t *testing.T) {
	recs, maps, rows := confInputs(t)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	conds := []plan.Expr{
		exectest.Bin(plan.OpGt, exectest.Col("i"), exectest.Int(0)),
		exectest.Bin(plan.OpOr, exectest.Bin(plan.OpGt, exectest.Col("f"), exectest.Col("g")), exectest.Col("b")),
		exectest.Bin(plan.OpEq, exectest.Col("d"), exectest.Str("x")),
		exectest.Un(plan.OpIsNull, exectest.Col("i")),
		exectest.Bool(true), exectest.Bool(false),
	}
	for _, cond := range conds {
		for in, name := range []string{"values", "all-null"} {
			t.Run(cond.String()+"/"+name, func(t *testing.T) {
				var want [][]any
				for r, row := range maps[in] {
					if exectest.OracleEval(cond, row) == true {
						want = append(want, rows[in][r])
					}
				}
				exectest.RunTests(t, []exectest.Input{exectest.Batches(recs[in].Schema(), recs[in])}, want,
					func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						return NewFilter(ins[0], cond, colop.Options{Mem: mem}), nil
					})
			})
		}
	}
}

func TestConformanceProject(t *testing.T) {
	recs, maps, _ := confInputs(t)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	exprs := []plan.Expr{
		exectest.Col("i"),
		&plan.Alias{Child: exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Col("j")), Name: "sum"},
		&plan.Alias{Child: exectest.Int(7), Name: "seven"},
		exectest.Col("d"),
		&plan.Alias{Child: exectest.Call("lower", exectest.Col("s")), Name: "ls"},
		exectest.Bin(plan.OpDiv, exectest.Col("f"), exectest.Col("g")),
		&plan.Alias{Child: exectest.Call("length", exectest.Col("s")), Name: "len32"}, // declared int32 below: cast
		exectest.Col("ts"),
	}
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, exectest.DictType,
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int32, exectest.TimestampType,
	}
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: plan.OutputName(e), Type: types[i], Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	for in, name := range []string{"values", "all-null"} {
		t.Run(name, func(t *testing.T) {
			var want [][]any
			for _, row := range maps[in] {
				out := make([]any, len(exprs))
				for i, e := range exprs {
					v := exectest.OracleEval(e, row)
					if x, ok := v.(int64); ok && types[i].ID() == arrow.INT32 {
						v = int32(x)
					}
					out[i] = v
				}
				want = append(want, out)
			}
			exectest.RunTests(t, []exectest.Input{exectest.Batches(recs[in].Schema(), recs[in])}, want,
				func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
					return NewProject(ins[0], exprs, schema, colop.Options{Mem: mem}), nil
				})
		})
	}
}
