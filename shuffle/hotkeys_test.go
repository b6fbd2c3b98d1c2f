package shuffle

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// keyBatches builds batches of (customer int64, name string) rows where customer 7 holds
// hotShare of the rows and the rest spread over distinct customers.
func keyBatches(mem memory.Allocator, rng *rand.Rand, batches, rows int, hotShare float64) ([]arrow.RecordBatch, *arrow.Schema, int) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "customer", Type: arrow.PrimitiveTypes.Int64}, {Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	var out []arrow.RecordBatch
	hot := 0
	for b := range batches {
		bld := array.NewRecordBuilder(mem, schema)
		for i := range rows {
			c := int64(1000 + b*rows + i)
			if rng.Float64() < hotShare {
				c = 7
				hot++
			}
			bld.Field(0).(*array.Int64Builder).Append(c)
			bld.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("c%d", c))
		}
		out = append(out, bld.NewRecordBatch())
		bld.Release()
	}
	return out, schema, hot
}

// writeAndCommit writes recs through w (writeAll), releases them and commits w.
func writeAndCommit(t *testing.T, w *Writer, recs []arrow.RecordBatch) MapStatus {
	t.Helper()
	writeAll(t, w, recs)
	for _, r := range recs {
		r.Release()
	}
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestWriterSketchNamesTheHeavyHitter: a map output's hot keys name the key behind a
// quarter of the rows with about its row count, by its values, in its partition; and
// Stats adds the map outputs' estimates up.
func TestWriterSketchNamesTheHeavyHitter(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(3, 4))
	p := NewHashPartitioner([]int{0, 1}, 8)
	totalHot := 0
	for m := range 2 {
		recs, schema, hot := keyBatches(e.mem, rng, 20, 1000, 0.25)
		totalHot += hot
		st := writeAndCommit(t, e.svc.NewWriter(1, m, 0, p, schema, e.mem), recs)
		if len(st.HotKeys) == 0 || st.HotKeys[0].Key != "customer=7, name=c7" {
			t.Fatalf("map %d: hot keys %+v, want customer=7, name=c7 first", m, st.HotKeys)
		}
		k := st.HotKeys[0]
		if k.Rows < int64(hot)*8/10 || k.Rows > int64(hot)*12/10+k.ErrRows {
			t.Errorf("map %d: estimated %d rows (error up to %d) for a key of %d", m, k.Rows, k.ErrRows, hot)
		}
		if st.Rows[k.Partition] < int64(hot) {
			t.Errorf("map %d: the key's partition %d has %d rows, fewer than the key's %d", m, k.Partition, st.Rows[k.Partition], hot)
		}
		for _, other := range st.HotKeys[1:] {
			if other.Rows > int64(hot)/10 {
				t.Errorf("map %d: a unique key estimated at %d rows: %+v", m, other.Rows, other)
			}
		}
	}
	all := e.svc.Stats(1).HotKeys
	if len(all) == 0 || all[0].Key != "customer=7, name=c7" || all[0].Rows < int64(totalHot)*8/10 || all[0].Rows > int64(totalHot)*12/10+all[0].ErrRows {
		t.Fatalf("Stats hot keys %+v, want customer=7 with about %d rows", all, totalHot)
	}
	e.svc.Remove(1)
}

// TestWriterSketchOfUniformKeysNamesNone: with every key distinct, no key is estimated
// at more than a sliver of the rows.
func TestWriterSketchOfUniformKeysNamesNone(t *testing.T) {
	e := newEnv(t)
	recs, schema, _ := keyBatches(e.mem, rand.New(rand.NewPCG(5, 6)), 20, 1000, 0)
	st := writeAndCommit(t, e.svc.NewWriter(1, 0, 0, NewHashPartitioner([]int{0}, 8), schema, e.mem), recs)
	for _, k := range st.HotKeys {
		if k.Rows-k.ErrRows > 2*sketchStride {
			t.Errorf("a unique key counted %d rows (error %d): %+v", k.Rows, k.ErrRows, k)
		}
	}
	e.svc.Remove(1)
}
