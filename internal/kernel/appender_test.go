package kernel_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// cellText is a plain-Go rendering of row i of arr: "NULL" for a NULL (a dictionary row
// whose index or entry is NULL alike), else its value.
func cellText(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return "NULL"
	}
	if d, ok := arr.(*array.Dictionary); ok {
		ix := d.GetValueIndex(i)
		if d.Dictionary().IsNull(ix) {
			return "NULL"
		}
		return "v:" + d.Dictionary().ValueStr(ix)
	}
	return "v:" + arr.ValueStr(i)
}

// appendCheck appends random rows of random sources to a, finishing now and then, and
// compares every finished array with the rows it should hold.
func appendCheck(t *testing.T, rng *rand.Rand, a *kernel.Appender, sources []arrow.Array, rounds int) {
	t.Helper()
	var want []string
	finish := func() {
		got, err := a.Finish()
		if err != nil {
			t.Fatal(err)
		}
		defer got.Release()
		if got.Len() != len(want) {
			t.Fatalf("%d rows, want %d", got.Len(), len(want))
		}
		nulls := 0
		for i := range want {
			if c := cellText(got, i); c != want[i] {
				t.Fatalf("row %d: %q, want %q", i, c, want[i])
			}
			if got.IsNull(i) {
				nulls++
			}
		}
		if got.NullN() != nulls && got.DataType().ID() != arrow.NULL { // every row of the NULL type is NULL
			t.Fatalf("null count %d, want %d", got.NullN(), nulls)
		}
		if a.Len() != 0 || a.Bytes() != 0 {
			t.Fatalf("appender not empty after Finish: %d rows, %d bytes", a.Len(), a.Bytes())
		}
		for _, b := range got.Data().Buffers() {
			if b != nil && b.Cap() >= 2*b.Len() && b.Cap() > 256 {
				t.Fatalf("buffer of %d bytes holds %d", b.Cap(), b.Len())
			}
		}
		want = want[:0]
	}
	for r := range rounds {
		src := sources[rng.IntN(len(sources))]
		k := rng.IntN(3 * src.Len() / 2)
		if rng.IntN(5) == 0 {
			k = 0
		}
		idx := make([]int32, k)
		for j := range idx {
			idx[j] = int32(rng.IntN(src.Len()))
			want = append(want, cellText(src, int(idx[j])))
		}
		if rng.IntN(3) == 0 {
			a.Reserve(a.Len() + k + rng.IntN(100))
		}
		if err := a.Append(src, idx); err != nil {
			t.Fatal(err)
		}
		if a.Len() != len(want) {
			t.Fatalf("Len %d, want %d", a.Len(), len(want))
		}
		if r%7 == 6 {
			finish()
		}
	}
	finish()
}

// TestAppenderMatchesRows appends random rows of several arrays of each type (NULLs,
// slices with offsets, ties, strings with empty values) and compares every finished
// array row by row with the sources.
func TestAppenderMatchesRows(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	types := append([]arrow.DataType{arrow.BinaryTypes.Binary, arrow.Null, &arrow.Decimal128Type{Precision: 20, Scale: 2},
		&arrow.FixedSizeBinaryType{ByteWidth: 3}, arrow.ListOf(arrow.PrimitiveTypes.Float64),
		arrow.LargeListOf(arrow.BinaryTypes.String), arrow.ListOf(kerneltest.DictType),
		arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int64))}, kerneltest.SortTypes...)
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			var sources []arrow.Array
			for s := range 4 {
				n := []int{300, 1, 0, 50}[s]
				arr := genArray(t, mem, rng, dt, n+7)
				sl := array.NewSlice(arr, 7, int64(n+7)) // an offset into the buffers
				arr.Release()
				if sl.Len() > 0 {
					sources = append(sources, sl)
				} else {
					sl.Release()
				}
			}
			defer kerneltest.ReleaseArrays(sources)
			a, ok := kernel.NewAppender(dt, mem)
			if !ok {
				t.Fatalf("no appender for %s", dt)
			}
			defer a.Release()
			appendCheck(t, rng, a, sources, 40)
		})
	}
	if _, ok := kernel.NewAppender(arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64})), mem); ok {
		t.Fatal("an appender for lists of structs")
	}
}

// genArray builds n random values of dt, about one in six NULL.
func genArray(t *testing.T, mem memory.Allocator, rng *rand.Rand, dt arrow.DataType, n int) arrow.Array {
	switch dt := dt.(type) {
	case arrow.ListLikeType:
		return genList(t, mem, rng, dt, n)
	case *arrow.NullType:
		return array.NewNull(n)
	case *arrow.BinaryType:
		b := array.NewBinaryBuilder(mem, dt)
		defer b.Release()
		for range n {
			if rng.IntN(6) == 0 {
				b.AppendNull()
			} else {
				b.Append([]byte(strings.Repeat("\x00b", rng.IntN(14)))) // short and long values
			}
		}
		return b.NewArray()
	case *arrow.Decimal128Type:
		b := array.NewDecimal128Builder(mem, dt)
		defer b.Release()
		for range n {
			if rng.IntN(6) == 0 {
				b.AppendNull()
			} else {
				b.Append(decimal128.New(int64(rng.IntN(3)-1), rng.Uint64()))
			}
		}
		return b.NewArray()
	case *arrow.FixedSizeBinaryType:
		b := array.NewFixedSizeBinaryBuilder(mem, dt)
		defer b.Release()
		for range n {
			if rng.IntN(6) == 0 {
				b.AppendNull()
			} else {
				b.Append([]byte(fmt.Sprintf("%03d", rng.IntN(1000))))
			}
		}
		return b.NewArray()
	}
	return kerneltest.BuildArray(t, mem, dt, kerneltest.GenCells(rng, dt, n))
}

// TestAppenderDictionaries appends rows of dictionary arrays that share a dictionary,
// extend it (a prefix of it as their dictionary), or bring their own (with NULL entries
// and values in common), and one whose dictionary is too long to memoize: the rows keep
// their values, and the shared dictionary is kept as it is while nothing else comes.
func TestAppenderDictionaries(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	s := kerneltest.Strp
	a := kerneltest.DictPiece(t, mem, []*string{s("x"), s("y"), nil, s("z"), s("")}, []int32{0, 1, 2, 3, -1, 4, 0})
	defer a.Release()
	prefixDict := array.NewSlice(a.Dictionary(), 0, 2)
	prefixIdx := kerneltest.BuildArray(t, mem, arrow.PrimitiveTypes.Int32, []kerneltest.Cell{{I: 1}, {Null: true}, {I: 0}})
	prefix := array.NewDictionaryArray(kerneltest.DictType, prefixIdx, prefixDict)
	prefixDict.Release()
	prefixIdx.Release()
	defer prefix.Release()
	b := kerneltest.DictPiece(t, mem, []*string{s("z"), s("w"), nil, s("x")}, []int32{0, 1, 2, 3, -1})
	defer b.Release()
	var big []*string
	var bigIdx []int32
	for i := range 20000 {
		big = append(big, s(fmt.Sprint("v", i%15000)))
		bigIdx = append(bigIdx, int32(i))
	}
	c := kerneltest.DictPiece(t, mem, big, bigIdx)
	defer c.Release()

	ap, _ := kernel.NewAppender(kerneltest.DictType, mem)
	defer ap.Release()
	// Shared: the prefix and the whole dictionary alike; the result keeps a's dictionary.
	for _, src := range []arrow.Array{prefix, a, prefix} {
		if err := ap.Append(src, []int32{2, 0, 1}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ap.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if d := got.(*array.Dictionary).Dictionary(); d.Data() != a.Dictionary().Data() {
		t.Fatalf("shared dictionary copied: %v", d)
	}
	got.Release()
	rng := rand.New(rand.NewPCG(7, 8))
	appendCheck(t, rng, ap, []arrow.Array{a, prefix, b}, 60)
	appendCheck(t, rng, ap, []arrow.Array{a, c, b}, 30)
}

// genList builds n random lists of dt: about one in six NULL, one in six empty, the rest
// of up to 5 random elements (NULLs among them); a NULL row spans elements too.
func genList(t *testing.T, mem memory.Allocator, rng *rand.Rand, dt arrow.ListLikeType, n int) arrow.Array {
	lens := make([]int, n)
	total := 0
	for i := range lens {
		if rng.IntN(6) > 0 {
			lens[i] = rng.IntN(6)
		}
		total += lens[i]
	}
	elems := genArray(t, mem, rng, dt.Elem(), total)
	defer elems.Release()
	large := dt.ID() == arrow.LARGE_LIST
	offs := memory.NewResizableBuffer(mem)
	defer offs.Release()
	w := 4
	if large {
		w = 8
	}
	offs.Resize((n + 1) * w)
	valid := memory.NewResizableBuffer(mem)
	defer valid.Release()
	valid.Resize(int(bitutil.BytesForBits(int64(n))))
	pos, nulls := 0, 0
	for i := 0; i <= n; i++ {
		if large {
			kernel.View[int64](offs.Bytes())[i] = int64(pos)
		} else {
			kernel.View[int32](offs.Bytes())[i] = int32(pos)
		}
		if i == n {
			break
		}
		pos += lens[i]
		null := rng.IntN(6) == 0
		bitutil.SetBitTo(valid.Bytes(), i, !null)
		if null {
			nulls++
		}
	}
	data := array.NewData(dt, n, []*memory.Buffer{valid, offs}, []arrow.ArrayData{elems.Data()}, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// TestAppenderLongListsAndFit appends list rows longer than the appender's index scratch
// (handed to the element appender in pieces), across Finish, and checks ListElemsFit
// against the room Reserve and the appends leave.
func TestAppenderLongListsAndFit(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	vb := lb.ValueBuilder().(*array.Int64Builder)
	lens := []int{40000, 3, 0, 70001, 5}
	for r, n := range lens {
		if n == 0 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for j := range n {
			vb.Append(int64(r*1_000_000 + j))
		}
	}
	arr := lb.NewArray()
	lb.Release()
	defer arr.Release()
	a, ok := kernel.NewAppender(arr.DataType(), mem)
	if !ok {
		t.Fatal("no appender for a list")
	}
	defer a.Release()
	for round := range 2 { // the second round after a Finish
		if !a.ListElemsFit(arr, []int32{2}) || a.ListElemsFit(arr, []int32{0}) {
			t.Fatalf("round %d: an empty appender fits a NULL row, not 40000 elements", round)
		}
		if err := a.Append(arr, []int32{4, 0, 1}); err != nil {
			t.Fatal(err)
		}
		if err := a.Append(arr, []int32{2, 3}); err != nil {
			t.Fatal(err)
		}
		if a.ListElemsFit(arr, []int32{1}) && a.Bytes() < 8*(40000+3+70001+5+3) {
			t.Fatalf("round %d: 3 more elements fit %d bytes of room", round, a.Bytes())
		}
		out, err := a.Finish()
		if err != nil {
			t.Fatal(err)
		}
		for i, src := range []int{4, 0, 1, 2, 3} {
			if got, want := cellText(out, i), cellText(arr, src); got != want {
				t.Fatalf("round %d row %d: %.60s…, want %.60s…", round, i, got, want)
			}
		}
		out.Release()
	}
}
