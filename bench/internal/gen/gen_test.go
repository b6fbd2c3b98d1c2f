package gen

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestGroupBySpec(t *testing.T) {
	const n, k = 20_000, 100
	g, err := NewGroupBy(n, k, 7)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := NewGroupBy(n, k, 7)
	g3, _ := NewGroupBy(n, k, 8)
	if !slices.Equal(g.V3, g2.V3) || !slices.Equal(g.ID3, g2.ID3) {
		t.Error("same seed, different data")
	}
	if slices.Equal(g.V3, g3.V3) {
		t.Error("different seeds, same data")
	}
	if g.Levels12[0] != "id001" || g.Levels12[99] != "id100" || g.Levels3[0] != "id0000000001" || len(g.Levels3) != n/k {
		t.Errorf("levels: %q %q %q (%d)", g.Levels12[0], g.Levels12[99], g.Levels3[0], len(g.Levels3))
	}
	in := func(name string, v, lo, hi int64) {
		if v < lo || v > hi {
			t.Fatalf("%s = %d, want [%d, %d]", name, v, lo, hi)
		}
	}
	for i := 0; i < n; i++ {
		in("id1", int64(g.ID1[i]), 0, k-1)
		in("id3", int64(g.ID3[i]), 0, n/k-1)
		in("id4", g.ID4[i], 1, k)
		in("id6", g.ID6[i], 1, n/k)
		in("v1", g.V1[i], 1, 5)
		in("v2", g.V2[i], 1, 15)
		if v := g.V3[i]; v < 0 || v > 100 || math.Abs(v*1e6-math.Round(v*1e6)) > 1e-6 {
			t.Fatalf("v3 = %v", v)
		}
	}
}

func TestGroupByBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	g, _ := NewGroupBy(10_001, 10, 1)
	for _, l := range []Layout{{Dictionary: true}, {}, {Dictionary: true, SharedDictionary: true}} {
		dict := l.Dictionary
		l.Partitions, l.ChunkRows = 3, 1000
		schema, parts := g.Batches(mem, l)
		if len(parts) != 3 || Rows(parts) != 10_001 || schema.NumFields() != 9 {
			t.Fatalf("dict %v: %d partitions, %d rows", dict, len(parts), Rows(parts))
		}
		row := 0
		for _, p := range parts {
			dicts := map[*memory.Buffer]bool{}
			for _, b := range p {
				if dict {
					dicts[b.Column(2).(*array.Dictionary).Dictionary().Data().Buffers()[2]] = true
				}
				if b.NumRows() > 1000 {
					t.Fatalf("batch of %d rows", b.NumRows())
				}
				for i := 0; i < int(b.NumRows()); i++ {
					var id3 string
					if dict {
						d := b.Column(2).(*array.Dictionary)
						id3 = d.Dictionary().(*array.String).Value(d.GetValueIndex(i))
					} else {
						id3 = b.Column(2).(*array.String).Value(i)
					}
					if want := g.Levels3[g.ID3[row]]; id3 != want {
						t.Fatalf("dict %v row %d: id3 %q, want %q", dict, row, id3, want)
					}
					if v := b.Column(8).(*array.Float64).Value(i); v != g.V3[row] {
						t.Fatalf("row %d: v3 %v, want %v", row, v, g.V3[row])
					}
					row++
				}
			}
			if l.SharedDictionary && len(dicts) != 1 {
				t.Errorf("shared dictionary: %d dictionaries of id3 in one partition", len(dicts))
			}
		}
		Release(parts)
	}
}

func TestJoinKeys(t *testing.T) {
	j, err := NewJoin(100_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	if j.Small.Rows != 1 || j.Medium.Rows != 100 || len(j.Big.ID3) != 100_000 {
		t.Fatalf("sizes: small %d, medium %d, big %d", j.Small.Rows, j.Medium.Rows, len(j.Big.ID3))
	}
	unique := func(name string, s []int64) map[int64]bool {
		m := make(map[int64]bool, len(s))
		for _, v := range s {
			if m[v] {
				t.Fatalf("%s: %d repeated", name, v)
			}
			m[v] = true
		}
		return m
	}
	x3, big3 := unique("x.id3", j.X.ID3), unique("big.id3", j.Big.ID3)
	unique("medium.id2", j.Medium.ID2)
	both := 0
	for v := range x3 {
		if big3[v] {
			both++
		}
	}
	if both != 90_000 {
		t.Errorf("x and big share %d id3 keys, want 90%% of 100000", both)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema, parts := j.Batches(&j.Medium, mem, Layout{Partitions: 2, ChunkRows: 30, Dictionary: true})
	defer Release(parts)
	if got := fmt.Sprint(schema.Fields()[2].Name, schema.Fields()[2].Type, schema.Fields()[3].Name, " ", schema.NumFields()); got != "id4dictionary<values=utf8, indices=int32, ordered=false>id5 5" {
		t.Errorf("medium schema: %s", got)
	}
	b := parts[0][0]
	d := b.Column(2).(*array.Dictionary)
	if got, want := d.Dictionary().(*array.String).Value(d.GetValueIndex(0)), fmt.Sprintf("id%d", j.Medium.ID1[0]); got != want {
		t.Errorf("id4 %q, want %q", got, want)
	}
}

// With SharedDictionary, a join table's dictionary columns have one dictionary per
// partition, and every row still reads its own key's string.
func TestJoinBatchesSharedDictionary(t *testing.T) {
	j, err := NewJoin(10_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, shared := range []bool{false, true} {
		_, parts := j.Batches(&j.X, mem, Layout{Partitions: 3, ChunkRows: 700, Dictionary: true, SharedDictionary: shared})
		row := 0
		for p, batches := range parts {
			dicts := map[*memory.Buffer]bool{}
			for _, b := range batches {
				for i := 0; i < int(b.NumRows()); i++ {
					for c, keys := range [][]int64{j.X.ID1, j.X.ID2} {
						d := b.Column(3 + c).(*array.Dictionary)
						dicts[d.Dictionary().Data().Buffers()[2]] = true
						if got, want := d.Dictionary().(*array.String).Value(d.GetValueIndex(i)), fmt.Sprintf("id%d", keys[row]); got != want {
							t.Fatalf("shared %v row %d id%d: %q, want %q", shared, row, 4+c, got, want)
						}
					}
					row++
				}
			}
			if shared && len(dicts) != 2 {
				t.Errorf("partition %d: %d dictionaries of id4 and id5, want one each", p, len(dicts))
			}
		}
		if row != j.X.Rows {
			t.Errorf("shared %v: %d rows, want %d", shared, row, j.X.Rows)
		}
		Release(parts)
	}
}

func TestZipf(t *testing.T) {
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := NewZipf(rand.New(rand.NewPCG(1, 1)), bad, 10); err == nil {
			t.Errorf("s = %v accepted", bad)
		}
	}
	const n, draws = 1000, 200_000
	for _, s := range []float64{0, 0.5, 1, 1.5} {
		z, err := NewZipf(rand.New(rand.NewPCG(1, 2)), s, n)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, n+1)
		for i := 0; i < draws; i++ {
			v := z.Next()
			if v < 1 || v > n {
				t.Fatalf("s=%v: draw %d out of [1, %d]", s, v, n)
			}
			counts[v]++
		}
		for _, k := range []int{1, 2, 10, 500} {
			p := 1 / math.Pow(float64(k), s)
			var total float64
			for i := 1; i <= n; i++ {
				total += 1 / math.Pow(float64(i), s)
			}
			p /= total
			if math.Abs(z.Prob(k)-p) > 1e-12 {
				t.Errorf("s=%v: Prob(%d) = %v, want %v", s, k, z.Prob(k), p)
			}
			got := float64(counts[k]) / draws
			if sd := math.Sqrt(p * (1 - p) / draws); math.Abs(got-p) > 5*sd+1e-9 {
				t.Errorf("s=%v: frequency of %d is %.5f, want %.5f ± %.5f", s, k, got, p, 5*sd)
			}
		}
	}
}

// TestGroupByWriteCSVMatchesBatches checks the direct CSV writer against the generic one
// over the table's Arrow batches: byte for byte.
func TestGroupByWriteCSVMatchesBatches(t *testing.T) {
	g, err := NewGroupBy(20_003, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	direct, generic := filepath.Join(dir, "direct.csv"), filepath.Join(dir, "generic.csv")
	if err := g.WriteCSV(direct); err != nil {
		t.Fatal(err)
	}
	schema, parts := g.Batches(memory.DefaultAllocator, Layout{Partitions: 3, ChunkRows: 4096})
	err = WriteCSV(generic, schema, parts)
	Release(parts)
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(direct)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(generic)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Fatalf("direct CSV (%d bytes) differs from the batches' CSV (%d bytes)", len(a), len(b))
	}
}
