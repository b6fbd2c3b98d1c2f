package eval

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

// q6Batch is 8192 rows shaped as TPC-H's lineitem columns that Q6 reads: ship dates
// uniform over seven years, discounts 0.00..0.10 and quantities 1..50 as decimal(15,2).
func q6Batch(mem memory.Allocator) arrow.RecordBatch {
	money := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l_shipdate", Type: arrow.FixedWidthTypes.Date32},
		{Name: "l_discount", Type: money},
		{Name: "l_quantity", Type: money},
		{Name: "l_extendedprice", Type: money},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	r := rand.New(rand.NewPCG(6, 6))
	for range 8192 {
		b.Field(0).(*array.Date32Builder).Append(arrow.Date32(8036 + r.IntN(2526)))
		b.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(r.Int64N(11)))
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(100 * (1 + r.Int64N(50))))
		b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(100000 + r.Int64N(10000000)))
	}
	return b.NewRecordBatch()
}

// q6Cond is Q6's condition in the order the optimizer leaves it.
func q6Cond() plan.Expr {
	money := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	dec := func(v int64) plan.Expr { return &plan.Literal{Value: decimal128.FromI64(v), Type: money} }
	day := func(v int32) plan.Expr {
		return &plan.Literal{Value: arrow.Date32(v), Type: arrow.FixedWidthTypes.Date32}
	}
	and := func(l, r plan.Expr) plan.Expr { return exectest.Bin(plan.OpAnd, l, r) }
	return and(and(and(and(
		exectest.Bin(plan.OpGtEq, exectest.Col("l_shipdate"), day(8766)),
		exectest.Bin(plan.OpLt, exectest.Col("l_shipdate"), day(9131))),
		exectest.Bin(plan.OpGtEq, exectest.Col("l_discount"), dec(5))),
		exectest.Bin(plan.OpLtEq, exectest.Col("l_discount"), dec(7))),
		exectest.Bin(plan.OpLt, exectest.Col("l_quantity"), dec(2400)))
}

// BenchmarkFilterQ6Select times the selection of Q6's filter over one batch: conjuncts
// after the date range evaluated over a gathered copy (gather, the path of conjuncts
// without a selection path), the date range as bitmaps and the rest refining the
// selection vector (bitmap-first), and every conjunct refining it (refine, the default).
func BenchmarkFilterQ6Select(b *testing.B) {
	mem := memory.NewGoAllocator()
	rec := q6Batch(mem)
	defer rec.Release()
	for _, mode := range []string{"gather", "bitmap-first", "refine"} {
		b.Run(mode, func(b *testing.B) {
			defer func(v bool) { selFirstDirect = v }(selFirstDirect)
			selFirstDirect = mode == "refine"
			f := NewFilter(&exectest.Source{}, q6Cond(), colop.Options{Mem: mem})
			f.ctx = context.Background()
			if mode == "gather" {
				clear(f.preds)
			}
			for b.Loop() {
				rec.Retain()
				out, _, err := f.select1(rec)
				if err != nil {
					b.Fatal(err)
				}
				if out != nil {
					out.Release()
				}
			}
		})
	}
}
