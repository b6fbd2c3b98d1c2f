package dataset

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// subRow is a row of the subquery tests' views: o (ok, cust, price) and l (lok, qty, flag).
type subO struct {
	ok    int64
	cust  *int64
	price *float64
}

type subL struct {
	lok, qty *int64
	flag     *string
}

// subFixture is a session with views o and l over generated rows with NULLs (flag is
// dictionary-encoded when dict), and l2, an l without NULL lok.
type subFixture struct {
	s     *Session
	os    []subO
	ls    []subL
	views map[string]*Dataset
}

func newSubFixture(t *testing.T, cfg Config, dict bool) *subFixture {
	t.Helper()
	return newSubFixtureN(t, cfg, dict, 200, 500)
}

// newSubFixtureN is newSubFixture with no rows of o and nl of l, lok and cust drawn
// from ranges that grow with them.
func newSubFixtureN(t *testing.T, cfg Config, dict bool, no, nl int) *subFixture {
	t.Helper()
	mem := memtest.Checked()
	cfg.Allocator = mem
	if cfg.BatchRows == 0 {
		cfg.BatchRows = 16
	}
	cfg.SpillDir = t.TempDir()
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	rng := rand.New(rand.NewPCG(7, 11))
	f := &subFixture{s: s, views: map[string]*Dataset{}}
	maybe := func(v int64) *int64 {
		if rng.IntN(8) == 0 {
			return nil
		}
		return &v
	}
	for i := range no {
		o := subO{ok: int64(i), cust: maybe(rng.Int64N(int64(no / 5)))}
		if rng.IntN(9) > 0 {
			p := float64(rng.IntN(1000)) / 10
			o.price = &p
		}
		f.os = append(f.os, o)
	}
	for range nl {
		l := subL{lok: maybe(rng.Int64N(int64(no + no/4))), qty: maybe(rng.Int64N(int64(no / 4)))}
		if rng.IntN(7) > 0 {
			fl := string(rune('a' + rng.IntN(4)))
			l.flag = &fl
		}
		f.ls = append(f.ls, l)
	}
	f.view(t, mem, "o", f.oBatches(mem))
	lb := f.lBatches(mem, dict)
	f.view(t, mem, "l", lb)
	return f
}

func (f *subFixture) view(t *testing.T, mem memory.Allocator, name string, recs []arrow.RecordBatch) {
	t.Helper()
	d := f.s.FromPartitions(recs[0].Schema(), recs[:len(recs)/2], recs[len(recs)/2:])
	for _, r := range recs {
		r.Release()
	}
	f.views[name] = d
	if err := d.CreateOrReplaceTempView(name); err != nil {
		t.Fatal(err)
	}
}

func (f *subFixture) oBatches(mem memory.Allocator) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "ok", Type: arrow.PrimitiveTypes.Int64},
		{Name: "cust", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	var out []arrow.RecordBatch
	step := max(50, len(f.os)/16)
	for lo := 0; lo < len(f.os); lo += step {
		b := array.NewRecordBuilder(mem, schema)
		for _, o := range f.os[lo:min(lo+step, len(f.os))] {
			b.Field(0).(*array.Int64Builder).Append(o.ok)
			appendInt(b.Field(1).(*array.Int64Builder), o.cust)
			if o.price == nil {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float64Builder).Append(*o.price)
			}
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

func (f *subFixture) lBatches(mem memory.Allocator, dict bool) []arrow.RecordBatch {
	var flagType arrow.DataType = arrow.BinaryTypes.String
	if dict {
		flagType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "lok", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "flag", Type: flagType, Nullable: true}}, nil)
	var out []arrow.RecordBatch
	step := max(100, len(f.ls)/16)
	for lo := 0; lo < len(f.ls); lo += step {
		b := array.NewRecordBuilder(mem, schema)
		for _, l := range f.ls[lo:min(lo+step, len(f.ls))] {
			appendInt(b.Field(0).(*array.Int64Builder), l.lok)
			appendInt(b.Field(1).(*array.Int64Builder), l.qty)
			switch fb := b.Field(2).(type) {
			case *array.StringBuilder:
				if l.flag == nil {
					fb.AppendNull()
				} else {
					fb.Append(*l.flag)
				}
			case *array.BinaryDictionaryBuilder:
				if l.flag == nil {
					fb.AppendNull()
				} else if err := fb.AppendString(*l.flag); err != nil {
					panic(err)
				}
			}
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

func appendInt(b *array.Int64Builder, v *int64) {
	if v == nil {
		b.AppendNull()
		return
	}
	b.Append(*v)
}

// oks runs q and returns its first column, the o rows' ok, sorted.
func oks(t *testing.T, d *Dataset) []int64 {
	t.Helper()
	var out []int64
	for _, r := range collectRows(t, d) {
		out = append(out, r[0].(int64))
	}
	slices.Sort(out)
	return out
}

// want lists the ok of the o rows where keep holds, sorted.
func (f *subFixture) want(keep func(o subO) bool) []int64 {
	out := []int64{}
	for _, o := range f.os {
		if keep(o) {
			out = append(out, o.ok)
		}
	}
	return out
}

func eqInt(a, b *int64) bool { return a != nil && b != nil && *a == *b }

// subCase is a query over o and l and the ok of the rows it must return.
type subCase struct {
	name, q string
	want    []int64
}

// subqueryCases are the forms checked against a plain-Go computation.
func subqueryCases(f *subFixture) []subCase {
	return append(predicateCases(f), scalarCases(f)...)
}

// predicateCases are the IN and EXISTS forms.
func predicateCases(f *subFixture) []subCase {
	flagIs := func(l subL, v string) bool { return l.flag != nil && *l.flag == v }
	inQty := func(o subO, keep func(subL) bool) (found, sawNull bool) {
		for _, l := range f.ls {
			if !keep(l) {
				continue
			}
			if l.qty == nil || o.cust == nil {
				sawNull = true
			} else if *l.qty == *o.cust {
				found = true
			}
		}
		return found, sawNull
	}
	anyL := func(keep func(subL) bool) bool { return slices.ContainsFunc(f.ls, keep) }
	return []subCase{
		{"in", "SELECT ok FROM o WHERE cust IN (SELECT qty FROM l WHERE flag = 'a')", f.want(func(o subO) bool {
			found, _ := inQty(o, func(l subL) bool { return flagIs(l, "a") })
			return found
		})},
		{"not-in-with-null", "SELECT ok FROM o WHERE cust NOT IN (SELECT qty FROM l)", f.want(func(o subO) bool {
			found, sawNull := inQty(o, func(subL) bool { return true })
			return !found && !sawNull
		})},
		{"not-in", "SELECT ok FROM o WHERE cust NOT IN (SELECT qty FROM l WHERE qty IS NOT NULL AND flag = 'b')", f.want(func(o subO) bool {
			keep := func(l subL) bool { return l.qty != nil && flagIs(l, "b") }
			found, sawNull := inQty(o, keep)
			return !found && (!sawNull || !anyL(keep))
		})},
		{"not-in-empty", "SELECT ok FROM o WHERE cust NOT IN (SELECT qty FROM l WHERE qty > 1000)", f.want(func(subO) bool { return true })},
		{"exists", "SELECT ok FROM o WHERE EXISTS (SELECT * FROM l WHERE lok = ok AND qty > 20 LIMIT 1)", f.want(func(o subO) bool {
			return anyL(func(l subL) bool { return eqInt(l.lok, &o.ok) && l.qty != nil && *l.qty > 20 })
		})},
		{"not-exists-residual", "SELECT ok FROM o WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.lok = o.ok AND l.qty > o.cust)", f.want(func(o subO) bool {
			return !anyL(func(l subL) bool { return eqInt(l.lok, &o.ok) && l.qty != nil && o.cust != nil && *l.qty > *o.cust })
		})},
		{"exists-empty", "SELECT ok FROM o WHERE EXISTS (SELECT * FROM l WHERE qty > 1000)", f.want(func(subO) bool { return false })},
		{"not-exists-empty", "SELECT ok FROM o WHERE NOT EXISTS (SELECT * FROM l WHERE qty > 1000)", f.want(func(subO) bool { return true })},
		{"having-in", "SELECT cust FROM o GROUP BY cust HAVING cust IN (SELECT qty FROM l WHERE flag = 'a') AND count(*) > 5", func() []int64 {
			n := map[int64]int{}
			for _, o := range f.os {
				if found, _ := inQty(o, func(l subL) bool { return flagIs(l, "a") }); found {
					n[*o.cust]++
				}
			}
			out := []int64{}
			for c, k := range n {
				if k > 5 {
					out = append(out, c)
				}
			}
			slices.Sort(out)
			return out
		}()},
		{"correlated-in", "SELECT ok FROM o WHERE cust IN (SELECT qty FROM l WHERE lok = ok)", f.want(func(o subO) bool {
			found, _ := inQty(o, func(l subL) bool { return eqInt(l.lok, &o.ok) })
			return found
		})},
		{"correlated-not-in", "SELECT ok FROM o WHERE cust NOT IN (SELECT qty FROM l WHERE lok = ok)", f.want(func(o subO) bool {
			keep := func(l subL) bool { return eqInt(l.lok, &o.ok) }
			found, sawNull := inQty(o, keep)
			return !found && (!sawNull || !anyL(keep))
		})},
	}
}

// scalarCases are the scalar subquery forms.
func scalarCases(f *subFixture) []subCase {
	var sum float64
	var n int
	for _, o := range f.os {
		if o.price != nil {
			sum, n = sum+*o.price, n+1
		}
	}
	avg := sum / float64(n)
	perLok := func(o subO) (cnt int64, qsum int64, qn int64) {
		for _, l := range f.ls {
			if eqInt(l.lok, &o.ok) {
				cnt++
				if l.qty != nil {
					qsum, qn = qsum+*l.qty, qn+1
				}
			}
		}
		return
	}
	return []subCase{
		{"scalar", "SELECT ok FROM o WHERE price > (SELECT avg(price) FROM o)", f.want(func(o subO) bool {
			return o.price != nil && *o.price > avg
		})},
		{"correlated-scalar", "SELECT ok FROM o WHERE cust < (SELECT 0.5 * avg(qty) FROM l WHERE lok = ok)", f.want(func(o subO) bool {
			_, s, n := perLok(o)
			return o.cust != nil && n > 0 && float64(*o.cust) < 0.5*float64(s)/float64(n)
		})},
		{"count-bug", "SELECT ok FROM o WHERE (SELECT count(*) FROM l WHERE l.lok = o.ok) < 2", f.want(func(o subO) bool {
			c, _, _ := perLok(o)
			return c < 2
		})},
		{"having", "SELECT cust FROM o WHERE cust IS NOT NULL GROUP BY cust HAVING sum(price) > (SELECT sum(price) * 0.02 FROM o)", func() []int64 {
			sums := map[int64]float64{}
			for _, o := range f.os {
				if o.cust != nil && o.price != nil {
					sums[*o.cust] += *o.price
				}
			}
			out := []int64{}
			for c, s := range sums {
				if s > sum*0.02 {
					out = append(out, c)
				}
			}
			slices.Sort(out)
			return out
		}()},
	}
}

// TestSQLSubqueriesMatchPlainGo runs every subquery form against a plain-Go computation
// over rows with NULLs, with plain and dictionary strings, and with a memory limit that
// makes the joins and aggregates spill.
func TestSQLSubqueriesMatchPlainGo(t *testing.T) {
	for _, v := range []struct {
		name string
		cfg  Config
		dict bool
	}{
		{"plain", Config{ShufflePartitions: 3}, false},
		{"dict-no-broadcast", Config{ShufflePartitions: 2, BroadcastThreshold: -1}, true},
		{"spill", Config{ShufflePartitions: 2, MemoryLimit: 64 << 10, BatchRows: 4}, false},
	} {
		t.Run(v.name, func(t *testing.T) {
			f := newSubFixture(t, v.cfg, v.dict)
			for _, c := range subqueryCases(f) {
				t.Run(c.name, func(t *testing.T) {
					d := mustSQL(t, f.s, c.q)
					t.Logf("%d rows", len(c.want))
					if got := oks(t, d); !slices.Equal(got, c.want) {
						t.Errorf("%s\n got %v\nwant %v\n%s", c.q, got, c.want, d.Explain())
					}
				})
			}
		})
	}
}

// TestSQLSubqueriesMatchDataFrame: each form gives the rows of the dataset calls it
// stands for, and its plan has the joins and aggregates, no per-row evaluation.
func TestSQLSubqueriesMatchDataFrame(t *testing.T) {
	f := newSubFixture(t, Config{ShufflePartitions: 2}, true)
	o, l := f.views["o"], f.views["l"]
	cases := []struct {
		name, q string
		df      func() *Dataset
		explain []string
	}{
		{"in", "SELECT ok FROM o WHERE cust IN (SELECT qty FROM l WHERE flag = 'a')", func() *Dataset {
			return o.Filter(Col("cust").IsInDataset(l.Filter(Col("flag").Eq(Lit("a"))).Select(Col("qty")))).Select(Col("ok"))
		}, []string{"left_semi on [cust]"}},
		{"not-in", "SELECT ok FROM o WHERE NOT cust IN (SELECT qty FROM l)", func() *Dataset {
			return o.Filter(Col("cust").NotInDataset(l.Select(Col("qty")))).Select(Col("ok"))
		}, []string{"left_anti on [cust]"}},
		{"exists", "SELECT ok FROM o WHERE EXISTS (SELECT * FROM l WHERE lok = ok AND qty > 20)", func() *Dataset {
			return o.Join(l.Filter(Col("qty").Gt(Lit(20))), OnKeys([]string{"ok"}, []string{"lok"}), LeftSemi).Select(Col("ok"))
		}, []string{"left_semi on [ok] = [lok]"}},
		{"not-exists", "SELECT ok FROM o WHERE NOT EXISTS (SELECT * FROM l WHERE lok = ok AND qty > cust)", func() *Dataset {
			return o.JoinWhere(l, Col("ok").Eq(Col("lok")).And(Col("qty").Gt(Col("cust"))), LeftAnti).Select(Col("ok"))
		}, []string{"left_anti on [ok] = [lok] cond="}},
		{"scalar", "SELECT ok FROM o WHERE price > (SELECT avg(price) FROM o)", func() *Dataset {
			return o.CrossJoin(Broadcast(o.GroupBy().Agg(Mean("price").As("m")))).Filter(Col("price").Gt(Col("m"))).Select(Col("ok"))
		}, []string{"BroadcastNestedLoopJoin inner"}},
		{"correlated-scalar", "SELECT ok FROM o WHERE cust < (SELECT 0.5 * avg(qty) FROM l WHERE lok = ok)", func() *Dataset {
			per := l.GroupBy("lok").Agg(Mean("qty").As("m"))
			return o.Join(per, OnKeys([]string{"ok"}, []string{"lok"}), LeftOuter).Filter(Col("cust").Lt(Lit(0.5).Mul(Col("m")))).Select(Col("ok"))
		}, []string{"left on [ok] = [__sq1_k0]", "keys=[lok]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := mustSQL(t, f.s, c.q)
			if got, want := oks(t, d), oks(t, c.df()); !slices.Equal(got, want) {
				t.Errorf("%s\n got %v\nwant %v", c.q, got, want)
			}
			plan := d.Explain()
			for _, w := range c.explain {
				if !strings.Contains(plan, w) {
					t.Errorf("%s: Explain lacks %q:\n%s", c.q, w, plan)
				}
			}
			if _, phys, _ := strings.Cut(plan, "== Physical Plan =="); strings.Contains(phys, "subquery") {
				t.Errorf("%s: a subquery is left in the plan:\n%s", c.q, plan)
			}
		})
	}
}

// TestSQLSubqueryInSelectList: a scalar subquery of the select list, correlated or not.
func TestSQLSubqueryInSelectList(t *testing.T) {
	f := newSubFixture(t, Config{ShufflePartitions: 2}, false)
	d := mustSQL(t, f.s, "SELECT ok, (SELECT count(*) FROM l WHERE lok = ok) AS n, (SELECT max(qty) FROM l) FROM o")
	var maxQty int64
	for _, l := range f.ls {
		if l.qty != nil {
			maxQty = max(maxQty, *l.qty)
		}
	}
	rows := collectRows(t, d)
	if len(rows) != len(f.os) {
		t.Fatalf("%d rows, want %d", len(rows), len(f.os))
	}
	for _, r := range rows {
		var n int64
		for _, l := range f.ls {
			if eqInt(l.lok, new(r[0].(int64))) {
				n++
			}
		}
		if r[1] != n || r[2] != maxQty {
			t.Fatalf("row %v: want n=%d, max=%d", r, n, maxQty)
		}
	}
	sch, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fl := range sch.Fields() {
		names = append(names, fl.Name)
	}
	if !slices.Equal(names, []string{"ok", "n", "scalarsubquery()"}) {
		t.Errorf("columns %v", names)
	}
}

// TestSQLSubqueryErrors: the position of the subquery, and what is not supported.
func TestSQLSubqueryErrors(t *testing.T) {
	f := newSubFixture(t, Config{}, false)
	cases := []struct{ q, want string }{
		{"SELECT ok FROM o WHERE price > (SELECT avg(price), max(price) FROM o)", "line 1:32: a scalar subquery must return one column, it returns 2 (avg(price), max(price))"},
		{"SELECT ok FROM o WHERE cust IN (SELECT lok, qty FROM l)", "line 1:33: IN (subquery) must select exactly one column, it selects 2"},
		{"SELECT ok FROM o WHERE price > (SELECT max(qty) FROM l WHERE lok > ok)", "line 1:32: a scalar subquery correlated by anything but equalities ((lok > ok)) is not supported"},
		{"SELECT ok FROM o WHERE price > (SELECT qty FROM l WHERE lok = ok)", "line 1:32: a scalar subquery correlated without an aggregate"},
		{"SELECT ok FROM o WHERE ok > 3 OR EXISTS (SELECT * FROM l WHERE lok = ok)", "line 1:34: EXISTS (subquery) inside OR, NOT or another expression"},
		{"SELECT ok FROM o WHERE EXISTS (SELECT lok FROM l WHERE lok = ok GROUP BY lok)", "line 1:24: EXISTS (subquery) correlated with GROUP BY or HAVING is not supported"},
		{"SELECT cust, count(*) FROM o GROUP BY cust HAVING count(*) > (SELECT count(*) FROM l WHERE lok = cust)", "correlated in HAVING is not supported"},
		{"SELECT cust, (SELECT max(qty) FROM l) FROM o GROUP BY cust", "in the SELECT list of an aggregation is not supported"},
		{"SELECT ok FROM o WHERE price > (SELECT max(nope) FROM l)", "line 1:44: unknown column nope"},
		{"SELECT ok FROM o JOIN l ON lok = ok AND qty > (SELECT 1 FROM l)", "line 1:47: a scalar subquery in a join condition is not supported"},
		{"SELECT ok FROM o WHERE EXISTS (SELECT * FROM (SELECT * FROM l WHERE lok = ok) x)", "line 1:75: unknown column ok"},
		{"SELECT ok FROM o WHERE cust IN (SELECT cust FROM o, o p)", "column cust is ambiguous"},
		{"SELECT ok FROM o WHERE cust IN (SELECT qty FROM l WHERE lok = ok LIMIT 1)", "line 1:33: IN (subquery) correlated with LIMIT is not supported"},
		{"SELECT ok FROM o WHERE EXISTS (SELECT * FROM l WHERE lok = ok AND EXISTS (SELECT * FROM l l2 WHERE l2.qty = o.cust))",
			"line 1:67: EXISTS (subquery) correlated with a query two or more levels out (o.cust) is not supported"},
	}
	for _, c := range cases {
		_, err := f.s.SQL(c.q)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SQL(%q): got %v, want an error containing %q", c.q, err, c.want)
		}
	}
}

// TestSQLSubquerySpills runs the decorrelated joins and aggregates over data several
// times a tight memory budget (shuffled, not broadcast): the rows are those of an ample
// budget, and the operators spilled.
func TestSQLSubquerySpills(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	queries := []string{
		"SELECT ok, cust FROM o WHERE (SELECT count(*) FROM l WHERE l.lok = o.ok) < 3 AND cust < (SELECT max(qty) FROM l WHERE lok = ok)",
		"SELECT ok FROM o WHERE EXISTS (SELECT * FROM l WHERE lok = ok AND qty > cust)",
		"SELECT ok FROM o WHERE cust NOT IN (SELECT qty * 2 FROM l WHERE qty IS NOT NULL)",
	}
	ample := newSubFixtureN(t, Config{ShufflePartitions: 4, BatchRows: 1024, BroadcastThreshold: -1}, false, 20000, 100000)
	budget := max(int64(256<<10), outOfCoreMinBudget)
	tight := newSubFixtureN(t, Config{ShufflePartitions: 4, BatchRows: 1024, BroadcastThreshold: -1, MemoryLimit: budget}, false, 20000, 100000)
	spilled := int64(0)
	for _, q := range queries {
		want := cells(collectRows(t, mustSQL(t, ample.s, q)))
		got := cells(collectRows(t, mustSQL(t, tight.s, q)))
		// A wait that ran out Config.TaskWait is a stall (a task waited for memory that a
		// stage-long holder, the broadcast build side, would never release).
		if ms := tight.s.MemoryStats(); ms.WaitTimeouts != 0 {
			t.Errorf("%s: %d memory waits ran out their TaskWait (%d waits in all)", q, ms.WaitTimeouts, ms.WaitCount)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows under a %d-byte budget, %d with an ample one", q, len(got), budget, len(want))
		}
		if len(want) == 0 {
			t.Errorf("%s: no rows", q)
		}
		job := tight.s.LastJob()
		spilled += job.Totals().SpillCount
		t.Logf("%s: %d rows; spilled %d bytes in %d spills; peak execution %d of %d", q, len(got),
			job.Totals().SpilledBytes, job.Totals().SpillCount, job.Memory.PeakExecution, budget)
	}
	if spilled == 0 {
		t.Errorf("nothing spilled under a %d-byte budget", budget)
	}
}
