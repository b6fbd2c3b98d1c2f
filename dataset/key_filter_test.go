package dataset

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestAdaptiveKeyFilter: a shuffled join of a small filtered side, written first, with a
// large side: the large side's map stage keeps only the rows whose keys the small side
// has, for every join kind that drops the large side's unmatched rows. The results equal
// the join without adaptive execution and a plain-Go join; NULL keys, dictionary string
// keys, and a budget small enough to spill are covered; a join that keeps the large
// side's unmatched rows is not filtered.
func TestAdaptiveKeyFilter(t *testing.T) {
	type tc struct {
		kind     JoinKind
		key      string
		filtered bool
		budget   int64
	}
	cases := []tc{{Inner, "k", true, 0}, {LeftOuter, "k", true, 0}, {LeftSemi, "k", true, 0}, {LeftAnti, "k", true, 0},
		{Inner, "d", true, 0}, {RightOuter, "k", false, 0}, {FullOuter, "k", false, 0}, {Inner, "k", true, 256 << 10}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/budget=%d", c.kind, c.key, c.budget), func(t *testing.T) {
			var plain []string
			comparable := c.kind != RightOuter && c.kind != FullOuter
			run := func(disable bool) ([]string, *JobMetrics) {
				s, mem := newCacheSession(t, Config{ShufflePartitions: 8, DisableAdaptive: disable, BroadcastThreshold: -1,
					MemoryLimit: c.budget, BatchRows: 512})
				s.env.Adaptive.MinPartitions = 2
				big := aqeData(s, mem, 40000, 5000, false, 1)
				small := aqeData(s, mem, 2000, 5000, false, 2).Filter(Col("k").Lt(Lit(int64(250)))).
					Select(Col(c.key), Col("id").As("sid"))
				if c.key == "d" {
					small = aqeData(s, mem, 2000, 5000, false, 2).Filter(Col("k").Lt(Lit(int64(3)))).
						Select(Col("d"), Col("id").As("sid"))
				}
				if plain == nil && comparable {
					plain = plainKeyJoin(t, collectRows(t, small), collectRows(t, big.SelectColumns(c.key, "id")), c.kind)
				}
				return aqeCells(t, small.Join(big.SelectColumns(c.key, "id"), On(c.key), c.kind), false), s.LastJob()
			}
			want, _ := run(true)
			got, jm := run(false)
			t.Logf("%s", jm)
			if !slices.Equal(got, want) {
				t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
			}
			if comparable && !slices.Equal(got, plain) {
				t.Fatalf("adaptive: %d rows, plain Go: %d rows\n%s", len(got), len(plain), firstDiff(got, plain))
			}
			if has := strings.Contains(jm.String(), "output filtered by the keys ["+c.key+"]"); has != c.filtered {
				t.Errorf("filtered by keys: %v, want %v\n%s", has, c.filtered, jm)
			}
		})
	}
}

// plainKeyJoin joins rows (key, sid) with rows (key, id) in plain Go and renders the
// result as aqeCells does: NULL keys never match.
func plainKeyJoin(t *testing.T, small, big [][]any, kind JoinKind) []string {
	t.Helper()
	byKey := map[any][][]any{}
	for _, r := range big {
		if r[0] != nil {
			byKey[r[0]] = append(byKey[r[0]], r)
		}
	}
	var out [][]any
	for _, s := range small {
		var m [][]any
		if s[0] != nil {
			m = byKey[s[0]]
		}
		switch kind {
		case Inner, LeftOuter:
			for _, b := range m {
				out = append(out, []any{s[0], s[1], b[1]})
			}
			if len(m) == 0 && kind == LeftOuter {
				out = append(out, []any{s[0], s[1], nil})
			}
		case LeftSemi, LeftAnti:
			if (len(m) > 0) == (kind == LeftSemi) {
				out = append(out, s)
			}
		default:
			return nil // compared with the run without adaptive execution only
		}
	}
	cs := cells(out)
	slices.Sort(cs)
	return cs
}

// TestAdaptiveKeyFilterBelowAggregate: the large side is aggregated by the join key
// before the join; the key filter goes below the partial aggregate, so that only the
// groups the join keeps are aggregated. Results equal the join without adaptive
// execution and a plain-Go sum per key.
func TestAdaptiveKeyFilterBelowAggregate(t *testing.T) {
	for _, kind := range []JoinKind{Inner, LeftOuter} {
		t.Run(kind.String(), func(t *testing.T) {
			var plain []string
			run := func(disable bool) ([]string, *JobMetrics) {
				s, mem := newCacheSession(t, Config{ShufflePartitions: 8, DisableAdaptive: disable, BroadcastThreshold: -1, BatchRows: 512})
				s.env.Adaptive.MinPartitions = 2
				big := aqeData(s, mem, 40000, 5000, false, 1)
				small := aqeData(s, mem, 2000, 5000, false, 2).Filter(Col("k").Lt(Lit(int64(250)))).Select(Col("k"), Col("id").As("sid"))
				if plain == nil {
					plain = plainSumJoin(collectRows(t, small), collectRows(t, big.SelectColumns("k", "id")), kind)
				}
				agg := big.GroupBy("k").Agg(Sum("id").As("total"))
				return aqeCells(t, small.Join(agg, On("k"), kind), false), s.LastJob()
			}
			want, _ := run(true)
			got, jm := run(false)
			t.Logf("%s", jm)
			if !slices.Equal(got, want) {
				t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
			}
			if !slices.Equal(got, plain) {
				t.Fatalf("adaptive: %d rows, plain Go: %d rows\n%s", len(got), len(plain), firstDiff(got, plain))
			}
			if !strings.Contains(jm.String(), "output filtered by the keys [k]") {
				t.Errorf("not filtered by keys\n%s", jm)
			}
		})
	}
}

// plainSumJoin joins rows (k, sid) with the sum of id per k of rows (k, id), rendered as
// aqeCells does.
func plainSumJoin(small, big [][]any, kind JoinKind) []string {
	sums := map[int64]int64{}
	for _, r := range big {
		if r[0] != nil {
			sums[r[0].(int64)] += r[1].(int64)
		}
	}
	var out [][]any
	for _, r := range small {
		if r[0] != nil {
			if total, ok := sums[r[0].(int64)]; ok {
				out = append(out, []any{r[0], r[1], total})
				continue
			}
		}
		if kind == LeftOuter {
			out = append(out, []any{r[0], r[1], nil})
		}
	}
	cs := cells(out)
	slices.Sort(cs)
	return cs
}

// TestAdaptiveKeyFilterSmallSideFirst: the large side is the join's left input, whose
// stage the plan lists first; the small filtered side's stage runs first instead, so
// that its keys filter the large side. Results equal the join without adaptive
// execution (and, for the inner join, the plain-Go pair count).
func TestAdaptiveKeyFilterSmallSideFirst(t *testing.T) {
	for _, kind := range []JoinKind{Inner, LeftSemi, RightOuter} {
		t.Run(kind.String(), func(t *testing.T) {
			pairs := 0
			run := func(disable bool) ([]string, *JobMetrics) {
				s, mem := newCacheSession(t, Config{ShufflePartitions: 8, DisableAdaptive: disable, BroadcastThreshold: -1, BatchRows: 512})
				s.env.Adaptive.MinPartitions = 2
				big := aqeData(s, mem, 40000, 5000, false, 1).SelectColumns("k", "id")
				small := aqeData(s, mem, 2000, 5000, false, 2).Filter(Col("k").Lt(Lit(int64(250)))).Select(Col("k"), Col("id").As("sid"))
				if pairs == 0 {
					pairs = len(plainKeyJoin(t, collectRows(t, small), collectRows(t, big), Inner))
				}
				return aqeCells(t, big.Join(small, On("k"), kind), false), s.LastJob()
			}
			want, _ := run(true)
			got, jm := run(false)
			t.Logf("%s", jm)
			if !slices.Equal(got, want) {
				t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
			}
			if kind == Inner && len(got) != pairs {
				t.Errorf("%d rows, plain Go: %d", len(got), pairs)
			}
			if !strings.Contains(jm.String(), "output filtered by the keys [k]") {
				t.Errorf("not filtered by keys\n%s", jm)
			}
		})
	}
}

// TestAdaptiveKeyFilterSmallSubtreeFirst: the small side is itself a shuffled join of two
// filtered inputs, so its stage cannot run before theirs; those stages and it run ahead
// of the large side's (TPC-H's Q5: lineitem joined with one year's orders of one
// region's customers), and its keys filter the large side. Results equal the join
// without adaptive execution and the plain-Go pair count.
func TestAdaptiveKeyFilterSmallSubtreeFirst(t *testing.T) {
	pairs := 0
	run := func(disable bool) ([]string, *JobMetrics) {
		s, mem := newCacheSession(t, Config{ShufflePartitions: 8, DisableAdaptive: disable, BroadcastThreshold: -1, BatchRows: 512})
		s.env.Adaptive.MinPartitions = 2
		big := aqeData(s, mem, 40000, 5000, false, 1).SelectColumns("k", "id")
		// The small side's own join is on another key (s), so its stage writes a
		// shuffle of its own, by k, after the two it reads.
		left := aqeData(s, mem, 2000, 5000, false, 2).Filter(Col("k").Lt(Lit(int64(400)))).Select(Col("k"), Col("id").As("sid"), Col("s"))
		right := aqeData(s, mem, 2000, 5000, false, 3).Filter(Col("k").Lt(Lit(int64(10)))).Select(Col("s").As("rs")).Distinct()
		small := left.Join(right, OnKeys([]string{"s"}, []string{"rs"}), Inner).SelectColumns("k", "sid")
		if pairs == 0 {
			pairs = len(plainKeyJoin(t, collectRows(t, small), collectRows(t, big), Inner))
		}
		return aqeCells(t, big.Join(small, On("k"), Inner), false), s.LastJob()
	}
	want, _ := run(true)
	got, jm := run(false)
	if !slices.Equal(got, want) {
		t.Fatalf("adaptive: %d rows, without: %d rows\n%s", len(got), len(want), firstDiff(got, want))
	}
	if len(got) != pairs {
		t.Errorf("%d rows, plain Go: %d", len(got), pairs)
	}
	if !strings.Contains(jm.String(), "output filtered by the keys [k]") {
		t.Errorf("the large side was not filtered by the small side's keys\n%s", jm)
	}
}
