package hashagg

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

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
