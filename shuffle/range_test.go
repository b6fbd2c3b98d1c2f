package shuffle

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// keysBatch builds a batch with an id column followed by the key columns of ks.
func keysBatch(t testing.TB, mem memory.Allocator, rng *rand.Rand, ks *kerneltest.KeySet, firstID int) arrow.RecordBatch {
	t.Helper()
	n := len(ks.Cells[0])
	ids := make([]kerneltest.Cell, n)
	for i := range ids {
		ids[i].I = int64(firstID + i)
	}
	fields := []arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}
	cols := []arrow.Array{kerneltest.BuildArray(t, mem, arrow.PrimitiveTypes.Int64, ids)}
	for c, arr := range ks.Arrays(t, mem, rng, 0) {
		fields = append(fields, arrow.Field{Name: string(rune('a' + c)), Type: ks.Types[c], Nullable: true})
		cols = append(cols, arr)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	kerneltest.ReleaseArrays(cols)
	return rec
}

// concatKeySets appends the rows of parts into one key set.
func concatKeySets(parts []*kerneltest.KeySet) *kerneltest.KeySet {
	out := &kerneltest.KeySet{Types: parts[0].Types, Orders: parts[0].Orders, Cells: make([][]kerneltest.Cell, len(parts[0].Types))}
	for _, p := range parts {
		for c := range p.Cells {
			out.Cells[c] = append(out.Cells[c], p.Cells[c]...)
		}
	}
	return out
}

// TestRangePartitionerOrdersPartitions samples, picks bounds and partitions random
// multi-key rows, then checks the partitions against the plain-Go order.
func TestRangePartitionerOrdersPartitions(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := range 20 {
		layout := kerneltest.RandomKeySet(rng, 1+iter%2)
		if iter < 2 { // dictionary bounds are decoded in the partitioner's copy
			layout.Types[0] = DictType
		}
		var parts []*kerneltest.KeySet
		var recs []arrow.RecordBatch
		res := NewReservoir([]int{1, 2}[:len(layout.Types)], 200, uint64(iter))
		id := 0
		for b := range 6 {
			n := []int{0, 1, 150, 400, 37, 1000}[b]
			ks := layout.Fill(rng, n)
			parts = append(parts, ks)
			rec := keysBatch(t, mem, rng, ks, id)
			id += n
			res.Add(rec)
			recs = append(recs, rec)
		}
		sample, err := res.Result(mem)
		if err != nil {
			t.Fatal(err)
		}
		if sample.NumRows() != 200 {
			t.Fatalf("sample has %d rows, want 200", sample.NumRows())
		}
		res.Release()
		nparts := 1 + iter%6
		bounds, err := RangeBounds([]arrow.RecordBatch{sample, nil}, layout.Orders, nparts, mem)
		sample.Release()
		if err != nil {
			t.Fatal(err)
		}
		keyCols := []int{1, 2}[:len(layout.Types)]
		p := NewRangePartitioner(keyCols, layout.Orders, bounds)
		bc, err := kernel.NewRowComparator(bounds.Columns(), layout.Orders)
		if err != nil {
			t.Fatal(err)
		}
		if p.NumPartitions() != nparts || bc.Len() >= nparts {
			t.Fatalf("%d partitions and %d bounds, asked for %d partitions", p.NumPartitions(), bc.Len(), nparts)
		}
		for k := 1; k < bc.Len(); k++ {
			if bc.Compare(k-1, k) >= 0 {
				t.Fatalf("bounds %d and %d not strictly increasing", k-1, k)
			}
		}
		all := concatKeySets(parts)
		var assigned []int32
		for _, rec := range recs {
			out := make([]int32, rec.NumRows())
			if err := p.Assign(rec, out); err != nil {
				t.Fatal(err)
			}
			// Every row is at or below its partition's bound and above the previous one.
			var kcols []arrow.Array
			for _, k := range keyCols {
				kcols = append(kcols, rec.Column(k))
			}
			rc, err := kernel.NewRowComparator(kcols, layout.Orders)
			if err != nil {
				t.Fatal(err)
			}
			for i, part := range out {
				if int(part) < bc.Len() && rc.CompareWith(i, bc, int(part)) > 0 {
					t.Fatalf("row %d above the bound of its partition %d", i, part)
				}
				if part > 0 && rc.CompareWith(i, bc, int(part)-1) <= 0 {
					t.Fatalf("row %d not above the bound of partition %d", i, part-1)
				}
			}
			assigned = append(assigned, out...)
			rec.Release()
		}
		// Independently: by the plain-Go order, the last row of partition p sorts no later
		// than the first row of partition p+1.
		rows := make([]int, len(assigned))
		for i := range rows {
			rows[i] = i
		}
		slices.SortStableFunc(rows, func(a, b int) int { return all.Oracle(a, all, b) })
		for k := 1; k < len(rows); k++ {
			a, b := rows[k-1], rows[k]
			if assigned[a] > assigned[b] {
				t.Fatalf("iter %d: row %d (partition %d) sorts before row %d (partition %d)", iter, a, assigned[a], b, assigned[b])
			}
			if assigned[a] != assigned[b] && all.Oracle(a, all, b) == 0 {
				t.Fatalf("iter %d: equal rows %d and %d in partitions %d and %d", iter, a, b, assigned[a], assigned[b])
			}
		}
		bounds.Release()
	}
}

func int64Batch(t testing.TB, mem memory.Allocator, vals []int64) arrow.RecordBatch {
	t.Helper()
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	arr := b.NewArray()
	defer arr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{arr}, int64(len(vals)))
}

func TestRangePartitionerBalanced(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 8))
	const nparts, batches, rowsPer = 8, 20, 5000
	res := NewReservoir([]int{0}, 20*nparts*10, 42)
	var recs []arrow.RecordBatch
	for range batches {
		vals := make([]int64, rowsPer)
		for i := range vals {
			vals[i] = rng.Int64()
		}
		rec := int64Batch(t, mem, vals)
		res.Add(rec)
		recs = append(recs, rec)
	}
	if res.Seen() != batches*rowsPer {
		t.Fatalf("Seen = %d", res.Seen())
	}
	sample, err := res.Result(mem)
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	bounds, err := RangeBounds([]arrow.RecordBatch{sample}, []kernel.SortOrder{{}}, nparts, mem)
	sample.Release()
	if err != nil {
		t.Fatal(err)
	}
	p := NewRangePartitioner([]int{0}, []kernel.SortOrder{{}}, bounds)
	bounds.Release() // the partitioner holds its own copy
	if p.NumPartitions() != nparts {
		t.Fatalf("%d partitions, want %d", p.NumPartitions(), nparts)
	}
	counts := make([]int, nparts)
	for _, rec := range recs {
		out := make([]int32, rec.NumRows())
		if err := p.Assign(rec, out); err != nil {
			t.Fatal(err)
		}
		for _, x := range out {
			counts[x]++
		}
		rec.Release()
	}
	want := batches * rowsPer / nparts
	for i, c := range counts {
		if c < want/2 || c > want*3/2 {
			t.Errorf("partition %d has %d rows, want about %d (counts %v)", i, c, want, counts)
		}
	}
}

func TestRangeBoundsDuplicatesAndEmpty(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	read := func(rec arrow.RecordBatch) []int64 {
		return slices.Clone(rec.Column(0).(*array.Int64).Int64Values())
	}
	a := int64Batch(t, mem, []int64{2, 1, 2, 1})
	b := int64Batch(t, mem, []int64{1, 2, 2, 1})
	defer a.Release()
	defer b.Release()
	got, err := RangeBounds([]arrow.RecordBatch{a, b}, []kernel.SortOrder{{}}, 4, mem)
	if err != nil {
		t.Fatal(err)
	}
	if v := read(got); !slices.Equal(v, []int64{1, 2}) {
		t.Errorf("bounds = %v, want [1 2]", v)
	}
	got.Release()
	got, err = RangeBounds([]arrow.RecordBatch{a, b}, []kernel.SortOrder{{Descending: true}}, 2, mem)
	if err != nil {
		t.Fatal(err)
	}
	if v := read(got); !slices.Equal(v, []int64{2}) {
		t.Errorf("descending bounds = %v, want [2]", v)
	}
	got.Release()
	for _, n := range []int{0, 1} {
		got, err = RangeBounds([]arrow.RecordBatch{a}, []kernel.SortOrder{{}}, n, mem)
		if err != nil || got.NumRows() != 0 {
			t.Errorf("n=%d: %v, %d bounds", n, err, got.NumRows())
		}
		got.Release()
	}

	// All-equal samples give one bound; the partitioner still spans the 4 partitions.
	same := int64Batch(t, mem, []int64{5, 5, 5, 5, 5})
	got, err = RangeBounds([]arrow.RecordBatch{same}, []kernel.SortOrder{{}}, 4, mem)
	same.Release()
	if err != nil {
		t.Fatal(err)
	}
	if v := read(got); !slices.Equal(v, []int64{5}) {
		t.Errorf("equal samples: bounds = %v, want [5]", v)
	}
	p4 := NewRangePartitioner([]int{0}, []kernel.SortOrder{{}}, got)
	got.Release()
	c := int64Batch(t, mem, []int64{5, 6, 1})
	defer c.Release()
	out4 := make([]int32, 3)
	if err := p4.Assign(c, out4); err != nil || p4.NumPartitions() != 4 || !slices.Equal(out4, []int32{0, 1, 0}) {
		t.Errorf("one bound of 4 partitions: %d partitions, assign %v, %v", p4.NumPartitions(), out4, err)
	}
	// Bounds built by hand (no recorded count) give bounds+1 partitions.
	hand := int64Batch(t, mem, []int64{1, 5})
	if n := NewRangePartitioner([]int{0}, []kernel.SortOrder{{}}, hand).NumPartitions(); n != 3 {
		t.Errorf("hand-made bounds: %d partitions, want 3", n)
	}
	hand.Release()

	// No sample rows: zero bounds of the key schema, every row to partition 0.
	empty := int64Batch(t, mem, nil)
	got, err = RangeBounds([]arrow.RecordBatch{empty, empty}, []kernel.SortOrder{{}}, 8, mem)
	empty.Release()
	if err != nil {
		t.Fatal(err)
	}
	if got.NumRows() != 0 || got.NumCols() != 1 || got.Schema().Field(0).Type.ID() != arrow.INT64 {
		t.Fatalf("no samples: got %d rows, schema %s", got.NumRows(), got.Schema())
	}
	p := NewRangePartitioner([]int{0}, []kernel.SortOrder{{}}, got)
	got.Release()
	if p.NumPartitions() != 8 {
		t.Errorf("no bounds: %d partitions, want the 8 asked for", p.NumPartitions())
	}
	out := make([]int32, 4)
	if err := p.Assign(a, out); err != nil || !slices.Equal(out, []int32{0, 0, 0, 0}) {
		t.Errorf("no bounds: assign %v, %v", out, err)
	}

	if _, err := RangeBounds(nil, []kernel.SortOrder{{}}, 3, mem); err == nil {
		t.Error("no sample batches: no error")
	}
}

func TestRangePartitionerErrors(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	bounds := int64Batch(t, mem, []int64{10})
	defer bounds.Release()
	rec := int64Batch(t, mem, []int64{1, 20})
	defer rec.Release()
	out := make([]int32, 2)
	for name, p := range map[string]Partitioner{
		"column out of range": NewRangePartitioner([]int{3}, []kernel.SortOrder{{}}, bounds),
		"too many keys":       NewRangePartitioner([]int{0, 0}, []kernel.SortOrder{{}, {}}, bounds),
		"orders mismatch":     NewRangePartitioner([]int{0}, nil, bounds),
	} {
		if err := p.Assign(rec, out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"a", "b"}, nil)
	sa := sb.NewArray()
	sb.Release()
	srec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{sa}, 2)
	sa.Release()
	defer srec.Release()
	p := NewRangePartitioner([]int{0}, []kernel.SortOrder{{}}, bounds)
	if err := p.Assign(srec, out); err == nil {
		t.Error("string batch against int64 bounds: no error")
	}
	if err := p.Assign(rec, out[:1]); err == nil {
		t.Error("short output: no error")
	}
	if err := p.Assign(rec, out); err != nil || !slices.Equal(out, []int32{0, 1}) {
		t.Errorf("assign = %v, %v", out, err)
	}
	if _, err := kernel.Gather(rec, []int32{2}, mem); err == nil {
		t.Error("Gather out of range: no error")
	}
}

func TestReservoir(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	mk := func(first, n int) arrow.RecordBatch {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(first + i)
		}
		return int64Batch(t, mem, v)
	}
	// Before any Add: nil; a reservoir larger than the input keeps every row in order.
	r := NewReservoir([]int{0}, 100, 1)
	if got, err := r.Result(mem); got != nil || err != nil {
		t.Fatalf("empty reservoir: %v, %v", got, err)
	}
	for _, n := range []int{0, 3, 1, 10} {
		rec := mk(int(r.Seen()), n)
		r.Add(rec)
		rec.Release()
	}
	got, err := r.Result(mem)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	if v := got.Column(0).(*array.Int64).Int64Values(); !slices.Equal(v, want) {
		t.Errorf("small input sample = %v", v)
	}
	got.Release()
	r.Release()

	// Uniformity: over many seeds, every tenth of the input gets its share of the sample,
	// and no value is sampled twice.
	const total, size = 10000, 200
	hist := make([]int, 10)
	for seed := range 30 {
		r := NewReservoir([]int{0}, size, uint64(seed))
		for first := 0; first < total; first += 250 {
			rec := mk(first, 250)
			r.Add(rec)
			rec.Release()
			if r.rows > 2*size+1024+250 {
				t.Fatalf("reservoir holds %d rows for a sample of %d", r.rows, size)
			}
		}
		got, err := r.Result(mem)
		if err != nil {
			t.Fatal(err)
		}
		vals := slices.Clone(got.Column(0).(*array.Int64).Int64Values())
		got.Release()
		r.Release()
		if len(vals) != size {
			t.Fatalf("sample of %d rows", len(vals))
		}
		slices.Sort(vals)
		if len(slices.Compact(vals)) != size {
			t.Fatal("a row sampled twice")
		}
		for _, v := range vals {
			hist[v*10/total]++
		}
	}
	for i, h := range hist {
		if w := 30 * size / 10; h < w*8/10 || h > w*12/10 {
			t.Errorf("decile %d sampled %d times, want about %d (%v)", i, h, w, hist)
		}
	}

	// A schema change is an error reported by Result.
	r = NewReservoir([]int{0}, 10, 1)
	rec := mk(0, 3)
	r.Add(rec)
	rec.Release()
	sb := array.NewStringBuilder(mem)
	sb.Append("x")
	sa := sb.NewArray()
	sb.Release()
	srec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{sa}, 1)
	sa.Release()
	r.Add(srec)
	srec.Release()
	if _, err := r.Result(mem); err == nil {
		t.Error("schema change: no error")
	}
	r.Release()
	r = NewReservoir([]int{4}, 10, 1)
	rec = mk(0, 3)
	r.Add(rec)
	rec.Release()
	if _, err := r.Result(mem); err == nil {
		t.Error("key column out of range: no error")
	}
	r.Release()
}
