package shuffle

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestDistinctSketchEstimates: the estimate of n distinct keys, each added several times,
// is within 20% of n (about three standard errors) from 1 to a million keys, and the
// merge of two partitions' sketches estimates their union.
func TestDistinctSketchEstimates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 10, 100, 1000, 20_000, 1_000_000} {
		var d DistinctSketch
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = rng.Uint64()
		}
		for range 3 {
			for _, k := range keys {
				d.Add(k)
			}
		}
		if e := d.Estimate(); float64(e) < 0.8*float64(n) || float64(e) > 1.2*float64(n) {
			t.Errorf("%d keys: estimate %d", n, e)
		}
	}
	// Keys whose hashes share their high bits (one partition's, under the partitioner's
	// multiply-shift) are estimated as well.
	var a, b DistinctSketch
	for i := range 50_000 {
		h := rng.Uint64() >> 3
		if i%2 == 0 {
			a.Add(h)
		} else {
			b.Add(h | 1<<62)
		}
	}
	if e := a.Estimate(); e < 20_000 || e > 30_000 {
		t.Errorf("25000 keys sharing their top bits: estimate %d", e)
	}
	a.Merge(&b)
	if e := a.Estimate(); e < 40_000 || e > 60_000 {
		t.Errorf("merged 50000 keys: estimate %d", e)
	}
}

// TestReaderEstimatesDistinctKeys: three map outputs each holding the same keys (each
// key three times per output) sketch every row; a reader of one partition, and of a range
// of two, estimates the distinct keys it will read within 20%, where its rows are nine
// times as many; a shuffle without key partitioning gives no estimate.
func TestReaderEstimatesDistinctKeys(t *testing.T) {
	e := newEnv(t)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	const keys, parts = 30_000, 4
	p := NewHashPartitioner([]int{0}, parts)
	for m := range 3 {
		var recs []arrow.RecordBatch
		for range 3 {
			bld := array.NewRecordBuilder(e.mem, schema)
			for k := range keys {
				bld.Field(0).(*array.Int64Builder).Append(int64(k * 7))
			}
			recs = append(recs, bld.NewRecordBatch())
			bld.Release()
		}
		writeAndCommit(t, e.svc.NewWriter(1, m, 0, p, schema, e.mem), recs)
	}
	for _, rng := range []Range{{Start: 0, End: 1}, {Start: 1, End: 3}} {
		r := e.svc.RangeReader(1, rng)
		want := 0
		for k := range keys {
			h := make([]int32, 1)
			bld := array.NewInt64Builder(e.mem)
			bld.Append(int64(k * 7))
			arr := bld.NewArray()
			rec := array.NewRecordBatch(schema, []arrow.Array{arr}, 1)
			if err := p.Assign(rec, h); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			arr.Release()
			bld.Release()
			if int(h[0]) >= rng.Start && int(h[0]) < rng.End {
				want++
			}
		}
		got := r.DistinctKeys()
		if float64(got) < 0.8*float64(want) || float64(got) > 1.2*float64(want) || r.Rows() != int64(9*want) {
			t.Errorf("range %+v: %d distinct keys estimated over %d rows, want about %d over %d", rng, got, r.Rows(), want, 9*want)
		}
		r.Close()
	}
	rr := NewRoundRobinPartitioner(parts, 0)
	bld := array.NewRecordBuilder(e.mem, schema)
	bld.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4, 5, 6, 7, 8}, nil)
	writeAndCommit(t, e.svc.NewWriter(2, 0, 0, rr, schema, e.mem), []arrow.RecordBatch{bld.NewRecordBatch()})
	bld.Release()
	r := e.svc.RangeReader(2, Range{Start: 0, End: 1})
	if got := r.DistinctKeys(); got != 0 {
		t.Errorf("round robin: estimate %d, want none", got)
	}
	r.Close()
}
