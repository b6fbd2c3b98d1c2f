package plan

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fakeSource is a Source with a fixed schema and a fixed number of partitions that
// records the last request it planned. Its partitions estimate partBytes bytes each, or
// unknown (-1) when partBytes is 0.
type fakeSource struct {
	name      string
	schema    *arrow.Schema
	parts     int
	prune     bool
	partBytes int64
	lastReq   *ScanRequest
}

func (s *fakeSource) String() string                 { return "fake[" + s.name + "]" }
func (s *fakeSource) Schema() (*arrow.Schema, error) { return s.schema, nil }
func (s *fakeSource) CanPrune() bool                 { return s.prune }
func (s *fakeSource) Partitions(req ScanRequest) ([]ScanPartition, error) {
	s.lastReq = &req
	out := make([]ScanPartition, s.parts)
	for i := range out {
		out[i] = fakePart(i)
		if s.partBytes != 0 {
			out[i] = sizedPart{fakePart(i), s.partBytes}
		}
	}
	return out, nil
}

type fakePart int

func (p fakePart) String() string        { return fmt.Sprintf("part-%d", int(p)) }
func (p fakePart) EstimatedBytes() int64 { return -1 }
func (p fakePart) Open(context.Context, memory.Allocator) (BatchIterator, error) {
	return nil, errors.New("fake partition")
}

// sizedPart is a fake partition with a known size estimate.
type sizedPart struct {
	fakePart
	bytes int64
}

func (p sizedPart) EstimatedBytes() int64 { return p.bytes }

var dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// salesSchema has one column of each type the analyzer treats differently.
var salesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "qty", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "cat", Type: dictString, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

func salesScan(parts int) *Scan {
	return &Scan{Meta: Meta{CallSite: "read@etl.go:10"}, Source: &fakeSource{name: "sales", schema: salesSchema, parts: parts}}
}

func pruningScan(parts int) *Scan {
	return &Scan{Meta: Meta{CallSite: "read@etl.go:10"}, Source: &fakeSource{name: "sales.parquet", schema: salesSchema, parts: parts, prune: true}}
}

func col(n string) Expr { return &ColumnRef{Name: n} }

func lit(v any) Expr { return &Literal{Value: v} }

func bin(op BinaryOp, l, r Expr) Expr { return &Binary{Op: op, Left: l, Right: r} }

func as(e Expr, n string) Expr { return &Alias{Child: e, Name: n} }

func mustAnalyze(t *testing.T, n Node) Node {
	t.Helper()
	a, err := Analyze(n)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return a
}

func mustPhysical(t *testing.T, n Node, cfg PhysicalConfig) PhysNode {
	t.Helper()
	p, err := Physical(n, cfg)
	if err != nil {
		t.Fatalf("Physical: %v", err)
	}
	return p
}

func names(s *arrow.Schema) string { return fmt.Sprint(schemaNames(s)) }

func identityBatch(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
	in.Retain()
	return in, nil
}
