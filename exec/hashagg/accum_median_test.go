package hashagg

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestAggMedianLog feeds the median's pair log raw values (with NULLs) and list states in
// batches, reads states and results part way (grouping the log) and adds more after, and
// compares every group's median and state with the values kept per group by a map.
func TestAggMedianLog(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(3, 4))
	const groups = 300
	want := map[int32][]float64{}
	m := &aggMedianAcc{}
	defer m.release()
	listType := arrow.ListOf(arrow.PrimitiveTypes.Float64)
	check := func(stage string) {
		// States first, in two batches: before the first result they come straight from
		// the log (nothing grouped yet), after it from the grouped values.
		const cut = 120
		st0, err := m.states(mem, []arrow.DataType{listType}, 0, cut)
		if err != nil {
			t.Fatal(err)
		}
		defer st0[0].Release()
		st1, err := m.states(mem, []arrow.DataType{listType}, cut, groups)
		if err != nil {
			t.Fatal(err)
		}
		defer st1[0].Release()
		res, err := m.result(mem, arrow.PrimitiveTypes.Float64, 0, groups)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Release()
		got := res.(*array.Float64)
		for g := int32(0); g < groups; g++ {
			l, row := st0[0].(*array.List), int(g)
			if g >= cut {
				l, row = st1[0].(*array.List), int(g)-cut
			}
			v := slices.Clone(want[g])
			if len(v) == 0 {
				if got.IsValid(int(g)) || l.IsValid(row) {
					t.Fatalf("%s: group %d has no values but a median %v", stage, g, got.Value(int(g)))
				}
				continue
			}
			if med := aggMedian(slices.Clone(v)); got.Value(int(g)) != med {
				t.Fatalf("%s: group %d median %v, want %v", stage, g, got.Value(int(g)), med)
			}
			lo, hi := l.ValueOffsets(row)
			state := slices.Clone(l.ListValues().(*array.Float64).Float64Values()[lo:hi])
			slices.Sort(state)
			slices.Sort(v)
			if !slices.Equal(state, v) {
				t.Fatalf("%s: group %d state %v, want %v", stage, g, state, v)
			}
		}
	}
	for round := range 3 {
		for range 20 {
			n := r.IntN(3000)
			b := array.NewFloat64Builder(mem)
			gids := make([]int32, n)
			for i := range gids {
				gids[i] = int32(r.IntN(groups - 50*round)) // later rounds leave the last groups out
				if r.IntN(10) == 0 {
					b.AppendNull()
					continue
				}
				x := float64(r.IntN(50))
				b.Append(x)
				want[gids[i]] = append(want[gids[i]], x)
			}
			arr := b.NewArray()
			b.Release()
			m.grow(groups)
			if err := m.update(arr, gids); err != nil {
				t.Fatal(err)
			}
			arr.Release()
		}
		// A list state merged in: one list per group, some NULL.
		lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
		vb := lb.ValueBuilder().(*array.Float64Builder)
		gids := make([]int32, groups)
		for g := range gids {
			gids[g] = int32(g)
			if g%7 == 0 {
				lb.AppendNull()
				continue
			}
			lb.Append(true)
			for range g % 5 {
				x := float64(r.IntN(50))
				vb.Append(x)
				want[int32(g)] = append(want[int32(g)], x)
			}
		}
		la := lb.NewArray()
		lb.Release()
		// Merged as a slice (an offset into the offsets) past the first groups, then the
		// first groups from the whole array: retained runs either way.
		sl := array.NewSlice(la, 10, groups)
		if err := m.merge([]arrow.Array{sl}, gids[10:]); err != nil {
			t.Fatal(err)
		}
		sl.Release()
		head := array.NewSlice(la, 0, 10)
		if err := m.merge([]arrow.Array{head}, gids[:10]); err != nil {
			t.Fatal(err)
		}
		head.Release()
		la.Release()
		// A state with NULL elements (skipped) is logged value by value.
		nb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
		nvb := nb.ValueBuilder().(*array.Float64Builder)
		for g := range groups {
			nb.Append(true)
			nvb.AppendNull()
			if g%3 == 0 {
				x := float64(r.IntN(50))
				nvb.Append(x)
				want[int32(g)] = append(want[int32(g)], x)
			}
		}
		na := nb.NewArray()
		nb.Release()
		if err := m.merge([]arrow.Array{na}, gids); err != nil {
			t.Fatal(err)
		}
		na.Release()
		check("round " + string(rune('0'+round)))
	}
}

// medianStates builds list states of the given groups' values (nil: a NULL list).
func medianStates(t *testing.T, mem memory.Allocator, lists [][]float64) arrow.Array {
	t.Helper()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float64)
	defer lb.Release()
	vb := lb.ValueBuilder().(*array.Float64Builder)
	for _, l := range lists {
		if l == nil {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		vb.AppendValues(l, nil)
	}
	return lb.NewArray()
}

// TestAggMedianResultFromRuns merges list states only, as a final aggregation after a
// shuffle does, and checks that the medians and percentiles are read from the retained
// runs without grouping the values into a second copy (nothing grouped, the scratch no
// larger than the largest group), against the values kept per group by a map.
func TestAggMedianResultFromRuns(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 6))
	const groups = 200
	want := map[int][]float64{}
	med := &aggMedianAcc{}
	defer med.release()
	pct := &aggPercentileAcc{fractions: []float64{0.25, 0.9}}
	defer pct.release()
	most := 0
	for range 6 { // six map outputs, each a list per group in a shuffled group order
		order := r.Perm(groups)
		lists := make([][]float64, groups)
		gids := make([]int32, groups)
		for i, g := range order {
			gids[i] = int32(g)
			if r.IntN(9) == 0 {
				continue // a NULL state: the group had no value in that map task
			}
			for range r.IntN(40) {
				lists[i] = append(lists[i], float64(r.IntN(1000))/8)
			}
			want[g] = append(want[g], lists[i]...)
			most = max(most, len(want[g]))
			if lists[i] == nil {
				lists[i] = []float64{} // an empty list: a group with only NULL values
			}
		}
		st := medianStates(t, mem, lists)
		for _, acc := range []*aggMedianAcc{med, &pct.aggMedianAcc} {
			acc.grow(groups)
			if err := acc.merge([]arrow.Array{st}, gids); err != nil {
				t.Fatal(err)
			}
		}
		st.Release()
	}
	const cut = 70 // two result batches
	for _, b := range [][2]int{{0, cut}, {cut, groups}} {
		res, err := med.result(mem, arrow.PrimitiveTypes.Float64, b[0], b[1])
		if err != nil {
			t.Fatal(err)
		}
		got := res.(*array.Float64)
		pres, err := pct.result(mem, arrow.ListOf(arrow.PrimitiveTypes.Float64), b[0], b[1])
		if err != nil {
			t.Fatal(err)
		}
		pl := pres.(*array.List)
		for i := range b[1] - b[0] {
			g := b[0] + i
			v := slices.Clone(want[g])
			if len(v) == 0 {
				if got.IsValid(i) || pl.IsValid(i) {
					t.Fatalf("group %d has no values but a median %v", g, got.Value(i))
				}
				continue
			}
			if m := aggMedian(slices.Clone(v)); !got.IsValid(i) || got.Value(i) != m {
				t.Fatalf("group %d median %v, want %v", g, got.Value(i), m)
			}
			slices.Sort(v)
			lo, _ := pl.ValueOffsets(i)
			ps := pl.ListValues().(*array.Float64)
			for j, f := range pct.fractions {
				if p := aggInterpolate(v, f); ps.Value(int(lo)+j) != p {
					t.Fatalf("group %d percentile %v: %v, want %v", g, f, ps.Value(int(lo)+j), p)
				}
			}
		}
		res.Release()
		pres.Release()
	}
	for _, acc := range []*aggMedianAcc{med, &pct.aggMedianAcc} {
		if acc.grouped != nil || acc.offs != nil {
			t.Fatalf("the result grouped %d values into a copy; want them read from the runs", len(acc.grouped))
		}
		if cap(acc.sel) != most {
			t.Fatalf("scratch holds %d values, want the largest group's %d", cap(acc.sel), most)
		}
	}
}

// TestAggMedianStatesFromLogBatches emits a partial table's states in two batches whose
// first holds more than a quarter of the groups but the second less: both are built
// straight from the log, with no grouped copy of the values, and hold every group's
// values.
func TestAggMedianStatesFromLogBatches(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 8))
	const groups, cut = 1000, 819 // the second batch is under a quarter of the table
	want := map[int32][]float64{}
	m := &aggMedianAcc{}
	defer m.release()
	for range 10 {
		b := array.NewFloat64Builder(mem)
		gids := make([]int32, 5000)
		for i := range gids {
			gids[i] = int32(r.IntN(groups))
			x := float64(r.IntN(100))
			b.Append(x)
			want[gids[i]] = append(want[gids[i]], x)
		}
		arr := b.NewArray()
		b.Release()
		m.grow(groups)
		if err := m.update(arr, gids); err != nil {
			t.Fatal(err)
		}
		arr.Release()
	}
	listType := arrow.ListOf(arrow.PrimitiveTypes.Float64)
	for _, bt := range [][2]int{{0, cut}, {cut, groups}} {
		st, err := m.states(mem, []arrow.DataType{listType}, bt[0], bt[1])
		if err != nil {
			t.Fatal(err)
		}
		l := st[0].(*array.List)
		for i := range bt[1] - bt[0] {
			g := int32(bt[0] + i)
			lo, hi := l.ValueOffsets(i)
			got := slices.Clone(l.ListValues().(*array.Float64).Float64Values()[lo:hi])
			v := slices.Clone(want[g])
			slices.Sort(got)
			slices.Sort(v)
			if !slices.Equal(got, v) {
				t.Fatalf("group %d state %v, want %v", g, got, v)
			}
		}
		st[0].Release()
		if m.grouped != nil || m.offs != nil {
			t.Fatalf("batch %v grouped the log into a copy of %d values; want states from the log", bt, len(m.grouped))
		}
	}
}
