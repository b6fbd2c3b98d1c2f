package hashagg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestGroupKeysDirectIndex feeds two-key batches whose domains start tiny (the direct
// tuple index), widen (its layout rebuilt) and then outgrow it (the groups moved to the
// hashed table), with NULL keys and one-byte strings, and checks against a map that
// equal tuples get one id throughout, new tuples the next id, and that the stored ids
// give every tuple back.
func TestGroupKeysDirectIndex(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	g, err := newAggGroupKeys([]arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.release()
	rng := rand.New(rand.NewPCG(7, 8))
	want := map[string]int32{}
	var tuples []string
	for b, dom := range []int{1, 3, 3, 20, 20, 200, 5, 300} {
		const rows = 700
		sb, ib := array.NewStringBuilder(mem), array.NewInt64Builder(mem)
		keys := make([]string, rows)
		for i := range rows {
			s, v := "", int64(0)
			switch x := rng.IntN(dom + 1); {
			case x == dom && b > 0:
				sb.AppendNull()
				s = "<null>"
			case x < 26 && dom < 26:
				s = string(rune('A' + x))
				sb.Append(s)
			default:
				s = fmt.Sprint("k", x)
				sb.Append(s)
			}
			if y := rng.IntN(dom + 1); y == dom && b > 1 {
				ib.AppendNull()
				keys[i] = s + "|<null>"
				continue
			} else {
				v = int64(y) * 1000
			}
			ib.Append(v)
			keys[i] = fmt.Sprint(s, "|", v)
		}
		cols := []arrow.Array{sb.NewArray(), ib.NewArray()}
		sb.Release()
		ib.Release()
		gids := make([]int32, rows)
		if err := g.assign(cols, gids); err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			id, seen := want[k]
			if !seen {
				id = int32(len(want))
				want[k] = id
				tuples = append(tuples, k)
			}
			if gids[i] != id {
				t.Fatalf("batch %d row %d key %s: group %d, want %d", b, i, k, gids[i], id)
			}
		}
		cols[0].Release()
		cols[1].Release()
		if g.n != len(want) {
			t.Fatalf("batch %d: %d groups, want %d", b, g.n, len(want))
		}
	}
	if !g.direct.off {
		t.Fatalf("the domains outgrew the direct index, but it is still on")
	}
	s, err := g.build(mem, 0, arrow.BinaryTypes.String, 0, g.n, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	v, err := g.build(mem, 1, arrow.PrimitiveTypes.Int64, 0, g.n, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	for j, k := range tuples {
		got := "<null>"
		if s.IsValid(j) {
			got = s.(*array.String).Value(j)
		}
		if v.IsValid(j) {
			got += fmt.Sprint("|", v.(*array.Int64).Value(j))
		} else {
			got += "|<null>"
		}
		if got != k {
			t.Fatalf("group %d holds %s, want %s", j, got, k)
		}
	}
}
