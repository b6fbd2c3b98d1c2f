package shuffle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// cell is a plain-Go copy of one key value for the oracle comparator.
type cell struct {
	null bool
	i    int64
	u    uint64
	f    float64
	s    string
	b    bool
}

// sortTypes are the key types the tests cover; each has a generator and an oracle.
var sortTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Int32,
	arrow.PrimitiveTypes.Int8,
	arrow.PrimitiveTypes.Uint8,
	arrow.PrimitiveTypes.Uint64,
	arrow.PrimitiveTypes.Float64,
	arrow.PrimitiveTypes.Float32,
	arrow.FixedWidthTypes.Date32,
	arrow.FixedWidthTypes.Timestamp_us,
	arrow.FixedWidthTypes.Boolean,
	arrow.BinaryTypes.String,
	arrow.BinaryTypes.LargeString,
	dictType,
}

var sortFloats = []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0x7ff8000000000abc),
	1.5, -2.25, math.Inf(1), math.Inf(-1), 3, -1e300}

// genCells returns n random cells for dt, about one in six NULL, with many ties.
func genCells(rng *rand.Rand, dt arrow.DataType, n int) []cell {
	out := make([]cell, n)
	for r := range out {
		if rng.IntN(6) == 0 {
			out[r].null = true
			continue
		}
		c := &out[r]
		switch dt.ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			c.i = int64(rng.IntN(21)-10) * (1 << 40)
			if rng.IntN(10) == 0 {
				c.i = []int64{math.MinInt64, math.MaxInt64}[rng.IntN(2)]
			}
		case arrow.INT32, arrow.DATE32:
			c.i = int64(rng.IntN(41) - 20)
		case arrow.INT8:
			c.i = int64(rng.IntN(256) - 128)
		case arrow.UINT8:
			c.u = uint64(rng.IntN(256))
		case arrow.UINT64:
			c.u = uint64(rng.IntN(10)) << 60
		case arrow.FLOAT64, arrow.FLOAT32:
			c.f = sortFloats[rng.IntN(len(sortFloats))]
			if dt.ID() == arrow.FLOAT32 {
				c.f = float64(float32(c.f))
			}
		case arrow.BOOL:
			c.b = rng.IntN(2) == 0
		default: // strings: shared prefixes, the empty string, non-ASCII bytes
			c.s = strings.Repeat("ab", rng.IntN(3)) + []string{"", "a", "b", "\xff", "é", "abc"}[rng.IntN(6)]
		}
	}
	return out
}

// buildArray builds an arrow array of dt from cells.
func buildArray(t testing.TB, mem memory.Allocator, dt arrow.DataType, cells []cell) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, c := range cells {
		if c.null {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.Int64Builder:
			bb.Append(c.i)
		case *array.Int32Builder:
			bb.Append(int32(c.i))
		case *array.Int8Builder:
			bb.Append(int8(c.i))
		case *array.Uint8Builder:
			bb.Append(uint8(c.u))
		case *array.Uint64Builder:
			bb.Append(c.u)
		case *array.Float64Builder:
			bb.Append(c.f)
		case *array.Float32Builder:
			bb.Append(float32(c.f))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(c.i))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(c.i))
		case *array.BooleanBuilder:
			bb.Append(c.b)
		case *array.StringBuilder:
			bb.Append(c.s)
		case *array.LargeStringBuilder:
			bb.Append(c.s)
		case *array.BinaryDictionaryBuilder:
			if err := bb.AppendString(c.s); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("no builder for %s", dt)
		}
	}
	return b.NewArray()
}

// oracleFloat orders floats independently of the code under test: NaN in a class above all
// numbers, -0 folded into 0.
func oracleFloat(a, b float64) int {
	ka, kb := 0, 0
	if math.IsNaN(a) {
		ka = 1
	}
	if math.IsNaN(b) {
		kb = 1
	}
	if ka != kb {
		return ka - kb
	}
	if ka == 1 {
		return 0
	}
	if a == 0 {
		a = 0
	}
	if b == 0 {
		b = 0
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// oracleCell compares two cells of one type by the order o.
func oracleCell(dt arrow.DataType, a, b cell, o SortOrder) int {
	if a.null || b.null {
		switch {
		case a.null && b.null:
			return 0
		case a.null == o.NullsFirst:
			return -1
		default:
			return 1
		}
	}
	var r int
	switch dt.ID() {
	case arrow.UINT8, arrow.UINT64:
		switch {
		case a.u < b.u:
			r = -1
		case a.u > b.u:
			r = 1
		}
	case arrow.FLOAT64, arrow.FLOAT32:
		r = oracleFloat(a.f, b.f)
	case arrow.BOOL:
		switch {
		case !a.b && b.b:
			r = -1
		case a.b && !b.b:
			r = 1
		}
	case arrow.STRING, arrow.LARGE_STRING, arrow.DICTIONARY:
		r = strings.Compare(a.s, b.s)
	default:
		switch {
		case a.i < b.i:
			r = -1
		case a.i > b.i:
			r = 1
		}
	}
	if o.Descending {
		r = -r
	}
	return r
}

// keySet is a random multi-key layout with its plain-Go rows.
type keySet struct {
	types  []arrow.DataType
	orders []SortOrder
	cells  [][]cell // [key][row]
}

func (k *keySet) oracle(i int, other *keySet, j int) int {
	for c, dt := range k.types {
		if r := oracleCell(dt, k.cells[c][i], other.cells[c][j], k.orders[c]); r != 0 {
			return r
		}
	}
	return 0
}

func randomKeySet(rng *rand.Rand, nkeys int) *keySet {
	k := &keySet{}
	for range nkeys {
		k.types = append(k.types, sortTypes[rng.IntN(len(sortTypes))])
		k.orders = append(k.orders, SortOrder{Descending: rng.IntN(2) == 0, NullsFirst: rng.IntN(2) == 0})
	}
	return k
}

func (k *keySet) fill(rng *rand.Rand, n int) *keySet {
	out := &keySet{types: k.types, orders: k.orders}
	for _, dt := range k.types {
		out.cells = append(out.cells, genCells(rng, dt, n))
	}
	return out
}

// arrays builds the key arrays; with pad > 0 they are slices at offset pad of longer
// arrays, to exercise array offsets.
func (k *keySet) arrays(t testing.TB, mem memory.Allocator, rng *rand.Rand, pad int) []arrow.Array {
	var cols []arrow.Array
	for c, dt := range k.types {
		cells := k.cells[c]
		if pad > 0 {
			cells = append(append(genCells(rng, dt, pad), cells...), genCells(rng, dt, pad)...)
		}
		arr := buildArray(t, mem, dt, cells)
		if pad > 0 {
			s := array.NewSlice(arr, int64(pad), int64(pad+len(k.cells[c])))
			arr.Release()
			arr = s
		}
		cols = append(cols, arr)
	}
	return cols
}

func releaseArrays(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}

func TestRowComparatorAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		layout := randomKeySet(rng, 1+iter%3)
		if iter < len(sortTypes) { // every type alone at least once, both directions
			layout.types = []arrow.DataType{sortTypes[iter]}
			layout.orders = []SortOrder{{Descending: iter%2 == 0, NullsFirst: iter%4 < 2}}
		}
		n := []int{0, 1, 7, 60}[rng.IntN(4)]
		a := layout.fill(rng, n)
		b := layout.fill(rng, 1+rng.IntN(20))
		aCols := a.arrays(t, mem, rng, rng.IntN(2)*3)
		bCols := b.arrays(t, mem, rng, rng.IntN(2)*5)
		ca, err := NewRowComparator(aCols, layout.orders)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := NewRowComparator(bCols, layout.orders)
		if err != nil {
			t.Fatal(err)
		}
		if err := ca.Compatible(cb); err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("iter %d types %v orders %v", iter, layout.types, layout.orders)
		for i := range n {
			for j := range n {
				if got, want := sign(ca.Compare(i, j)), a.oracle(i, a, j); got != want {
					t.Fatalf("%s: Compare(%d, %d) = %d, want %d (%v vs %v)", what, i, j, got, want, rowCells(a, i), rowCells(a, j))
				}
			}
			for j := range cb.Len() {
				if got, want := sign(ca.CompareWith(i, cb, j)), a.oracle(i, b, j); got != want {
					t.Fatalf("%s: CompareWith(%d, %d) = %d, want %d (%v vs %v)", what, i, j, got, want, rowCells(a, i), rowCells(b, j))
				}
			}
		}
		releaseArrays(aCols)
		releaseArrays(bCols)
	}
}

func rowCells(k *keySet, i int) []cell {
	var out []cell
	for c := range k.cells {
		out = append(out, k.cells[c][i])
	}
	return out
}

// TestRowComparatorDictionary checks that a dictionary column orders by value whatever its
// dictionary's order, including a dictionary with repeated and NULL values and the
// branch that ranks rows rather than the dictionary (a dictionary larger than the column).
func TestRowComparatorDictionary(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dictVals := []cell{{s: "zeta"}, {s: "alpha"}, {null: true}, {s: "alpha"}, {s: "beta"}, {s: "al"}, {s: ""}}
	for _, rows := range [][]int32{{0, 1, 2, 3, 4, 5, 6, 1, 3}, {4, 3}} {
		dict := buildArray(t, mem, arrow.BinaryTypes.String, dictVals)
		ib := array.NewInt32Builder(mem)
		ib.AppendValues(rows, nil)
		ib.AppendNull()
		ind := ib.NewArray()
		ib.Release()
		arr := array.NewDictionaryArray(dictType, ind, dict)
		ind.Release()
		dict.Release()
		cells := make([]cell, len(rows)+1)
		for i, r := range rows {
			cells[i] = dictVals[r]
		}
		cells[len(rows)] = cell{null: true}
		for _, o := range []SortOrder{{}, {Descending: true}, {NullsFirst: true}, {Descending: true, NullsFirst: true}} {
			c, err := NewRowComparator([]arrow.Array{arr}, []SortOrder{o})
			if err != nil {
				t.Fatal(err)
			}
			plain := buildArray(t, mem, arrow.BinaryTypes.String, cells)
			cp, err := NewRowComparator([]arrow.Array{plain}, []SortOrder{o})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Compatible(cp); err != nil {
				t.Fatalf("dictionary and plain strings should be compatible: %v", err)
			}
			for i := range cells {
				for j := range cells {
					want := oracleCell(dictType, cells[i], cells[j], o)
					if got := sign(c.Compare(i, j)); got != want {
						t.Fatalf("rows %v order %+v: Compare(%d, %d) = %d, want %d", rows, o, i, j, got, want)
					}
					if got := sign(c.CompareWith(i, cp, j)); got != want {
						t.Fatalf("rows %v order %+v: CompareWith plain (%d, %d) = %d, want %d", rows, o, i, j, got, want)
					}
				}
			}
			plain.Release()
		}
		arr.Release()
	}
}

func TestRowComparatorErrors(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ints := buildArray(t, mem, arrow.PrimitiveTypes.Int64, []cell{{i: 1}, {i: 2}})
	defer ints.Release()
	short := buildArray(t, mem, arrow.PrimitiveTypes.Int64, []cell{{i: 1}})
	defer short.Release()
	strs := buildArray(t, mem, arrow.BinaryTypes.String, []cell{{s: "a"}, {s: "b"}})
	defer strs.Release()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	lb.AppendNull()
	list := lb.NewArray()
	lb.Release()
	defer list.Release()

	if _, err := NewRowComparator([]arrow.Array{ints}, nil); err == nil {
		t.Error("orders/columns mismatch: no error")
	}
	if _, err := NewRowComparator([]arrow.Array{ints, short}, make([]SortOrder, 2)); err == nil {
		t.Error("columns of different lengths: no error")
	}
	if _, err := NewRowComparator([]arrow.Array{list}, make([]SortOrder, 1)); err == nil || !strings.Contains(err.Error(), "cannot sort") {
		t.Errorf("list column: err = %v", err)
	}
	ci, _ := NewRowComparator([]arrow.Array{ints}, make([]SortOrder, 1))
	cs, _ := NewRowComparator([]arrow.Array{strs}, make([]SortOrder, 1))
	if err := ci.Compatible(cs); err == nil {
		t.Error("int64 vs string: Compatible returned nil")
	}
	c0, err := NewRowComparator(nil, nil)
	if err != nil || c0.Len() != 0 {
		t.Errorf("no columns: %v, len %d", err, c0.Len())
	}
}

func BenchmarkRowComparatorInt64(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 1 << 16
	bld := array.NewInt64Builder(memory.DefaultAllocator)
	for range n {
		bld.Append(rng.Int64())
	}
	arr := bld.NewArray()
	defer arr.Release()
	c, err := NewRowComparator([]arrow.Array{arr}, make([]SortOrder, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		_ = SortIndices(c)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestSortIndicesAgainstOracle checks SortIndices (the radix path for one fixed-width or
// dictionary key, the comparison path otherwise) against a stable plain-Go sort.
func TestSortIndicesAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := range 4 * len(sortTypes) {
		layout := randomKeySet(rng, 1)
		layout.types[0] = sortTypes[iter%len(sortTypes)]
		layout.orders[0] = SortOrder{Descending: iter%2 == 0, NullsFirst: (iter/2)%2 == 0}
		if iter >= 3*len(sortTypes) {
			layout = randomKeySet(rng, 2)
		}
		n := []int{0, 1, 100, 1000}[iter%4]
		if iter >= len(sortTypes) {
			n = 1000
		}
		ks := layout.fill(rng, n)
		cols := ks.arrays(t, mem, rng, rng.IntN(2)*9)
		c, err := NewRowComparator(cols, layout.orders)
		if err != nil {
			t.Fatal(err)
		}
		got := SortIndices(c)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return ks.oracle(int(a), ks, int(b)) })
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d types %v orders %v n %d: SortIndices differs from the stable oracle sort", iter, layout.types, layout.orders, n)
		}
		releaseArrays(cols)
	}
}
