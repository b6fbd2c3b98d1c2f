package eval

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

func TestProjectAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	exprs := []plan.Expr{
		exectest.Col("i"),
		&plan.Alias{Child: exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Col("j")), Name: "sum"},
		&plan.Alias{Child: exectest.Int(7), Name: "seven"},
		exectest.Col("d"),
		&plan.Alias{Child: exectest.Call("lower", exectest.Col("d")), Name: "ld"},
		&plan.Alias{Child: exectest.Col("d"), Name: "dd"}, // declared utf8 below: decoded
		exectest.Bin(plan.OpDiv, exectest.Col("f"), exectest.Col("g")),
		&plan.Alias{Child: exectest.Call("length", exectest.Col("s")), Name: "len32"}, // declared int32 below: cast
		&plan.Alias{Child: exectest.Null(arrow.BinaryTypes.String), Name: "nothing"},
	}
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, exectest.DictType,
		arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int32,
		arrow.BinaryTypes.String,
	}
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: plan.OutputName(e), Type: types[i], Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)

	rng := rand.New(rand.NewPCG(13, 14))
	var batches []arrow.RecordBatch
	var want []map[string]any
	for _, n := range []int{0, 1, 50, 300} {
		rec := exectest.MakeExprBatch(mem, rng, n, n == 50)
		for _, row := range exectest.RecordRows(t, rec) {
			out := map[string]any{}
			for i, e := range exprs {
				v := exectest.OracleEval(e, row)
				if x, ok := v.(int64); ok && types[i].ID() == arrow.INT32 {
					v = int32(x)
				}
				out[fields[i].Name] = v
			}
			want = append(want, out)
		}
		batches = append(batches, rec)
	}
	// Keep the first non-empty input's "i" column to check zero-copy pass-through.
	inCol := batches[1].Column(0)
	inCol.Retain()
	defer inCol.Release()

	op := NewProject(&exectest.Source{Batches: batches}, exprs, schema, colop.Options{Mem: mem})
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var got []map[string]any
	for k := 0; ; k++ {
		rec, err := op.Next()
		if err != nil {
			break
		}
		if !rec.Schema().Equal(schema) {
			t.Fatalf("batch schema %v, want %v", rec.Schema(), schema)
		}
		if k == 1 && rec.Column(0).Data().Buffers()[1] != inCol.Data().Buffers()[1] {
			t.Errorf("column reference was copied")
		}
		got = append(got, exectest.RecordRows(t, rec)...)
		rec.Release()
	}
	exectest.SameRows(t, "project", got, want)
}

func TestProjectShapeMismatch(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64}}, nil)
	op := NewProject(&exectest.Source{}, []plan.Expr{exectest.Col("i"), exectest.Col("j")}, schema, colop.Options{Mem: mem})
	if err := op.Open(context.Background()); err == nil {
		t.Errorf("two expressions for one field: no error")
	}
	op.Close()
}
