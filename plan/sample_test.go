package plan

import (
	"context"
	"iter"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func identityPartition(_ context.Context, _ int, in iter.Seq2[arrow.RecordBatch, error], _ memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for rec, err := range in {
			if err == nil {
				rec.Retain()
			}
			if !yield(rec, err) {
				return
			}
		}
	}
}

func TestLocalSortAddsNoExchange(t *testing.T) {
	local := &Sort{Input: salesScan(4), Keys: []SortKey{{Column: "amount"}}, Local: true}
	p := mustPhysical(t, optimize(t, local), PhysicalConfig{ShufflePartitions: 8})
	if got := FormatPhysical(p); strings.Contains(got, "Exchange") || p.NumPartitions() != 4 {
		t.Errorf("local sort:\n%s", got)
	}
	// A limit over it takes the partitions' first rows: no top-N.
	p = mustPhysical(t, optimize(t, &Limit{Input: local, N: 3}), PhysicalConfig{ShufflePartitions: 8})
	if got := FormatPhysical(p); strings.Contains(got, "TopN") {
		t.Errorf("limit over a local sort:\n%s", got)
	}
	if d := mustAnalyze(t, local).Describe(); d != "SortWithinPartitions [amount ASC NULLS FIRST]" && !strings.HasPrefix(d, "SortWithinPartitions") {
		t.Errorf("describe %q", d)
	}
}

func TestSampleAndMapPartitionsPlans(t *testing.T) {
	s := &Sample{Input: salesScan(3), Lower: 0.1, Upper: 0.4, Seed: 9}
	proj := &Project{Input: s, Exprs: []Expr{col("amount")}}
	p := mustPhysical(t, optimize(t, proj), PhysicalConfig{ShufflePartitions: 8})
	got := FormatPhysical(p)
	if !strings.Contains(got, "Sample [0.1, 0.4) seed 9") || strings.Contains(got, "Exchange") {
		t.Errorf("sample plan:\n%s", got)
	}
	// A filter above a sample stays above it.
	f := &Filter{Input: s, Cond: bin(OpGt, col("amount"), lit(int64(3)))}
	if o := FormatLogical(optimize(t, f)); strings.Index(o, "Filter") > strings.Index(o, "Sample") {
		t.Errorf("filter moved below the sample:\n%s", o)
	}
	if _, err := Analyze(&Sample{Input: salesScan(1), Lower: 0.5, Upper: 0.2}); err == nil {
		t.Error("an inverted range analyzed")
	}
	m := &MapPartitions{Input: salesScan(2), Fn: identityPartition, Name: "id"}
	p = mustPhysical(t, optimize(t, m), PhysicalConfig{ShufflePartitions: 8})
	if p.NumPartitions() != 2 || !strings.Contains(FormatPhysical(p), "MapPartitions id") {
		t.Errorf("map partitions:\n%s", FormatPhysical(p))
	}
	if _, err := Analyze(&MapPartitions{Input: salesScan(1), Name: "nil"}); err == nil {
		t.Error("a nil function analyzed")
	}
}
