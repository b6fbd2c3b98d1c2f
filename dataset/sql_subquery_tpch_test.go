package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// tpchTable is a small hand-built view: columns of int64, float64 or string, rows of
// those Go values or nil.
type tpchTable struct {
	cols []string
	rows [][]any
}

func (tb *tpchTable) col(name string) int { return slices.Index(tb.cols, name) }

func (tb *tpchTable) view(t *testing.T, s *Session, mem memory.Allocator, name string) {
	t.Helper()
	fields := make([]arrow.Field, len(tb.cols))
	for c, n := range tb.cols {
		var typ arrow.DataType = arrow.PrimitiveTypes.Int64
		for _, r := range tb.rows {
			switch r[c].(type) {
			case float64:
				typ = arrow.PrimitiveTypes.Float64
			case string:
				typ = arrow.BinaryTypes.String
			}
		}
		fields[c] = arrow.Field{Name: n, Type: typ, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	var parts [][]arrow.RecordBatch
	for lo := 0; lo < len(tb.rows); lo += 37 {
		b := array.NewRecordBuilder(mem, schema)
		for _, r := range tb.rows[lo:min(lo+37, len(tb.rows))] {
			for c, v := range r {
				switch fb := b.Field(c).(type) {
				case *array.Int64Builder:
					if v == nil {
						fb.AppendNull()
					} else {
						fb.Append(v.(int64))
					}
				case *array.Float64Builder:
					if v == nil {
						fb.AppendNull()
					} else {
						fb.Append(v.(float64))
					}
				case *array.StringBuilder:
					if v == nil {
						fb.AppendNull()
					} else {
						fb.Append(v.(string))
					}
				}
			}
		}
		parts = append(parts, []arrow.RecordBatch{b.NewRecordBatch()})
		b.Release()
	}
	d := s.FromPartitions(schema, parts...)
	for _, p := range parts {
		p[0].Release()
	}
	if err := d.CreateOrReplaceTempView(name); err != nil {
		t.Fatal(err)
	}
}

// tpchViews builds orders, lineitem, part, supplier, partsupp and customer with a few
// NULLs, as views of a new session.
func tpchViews(t *testing.T, cfg Config) (*Session, map[string]*tpchTable) {
	t.Helper()
	mem := memtest.Checked()
	cfg.Allocator = mem
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
	rng := rand.New(rand.NewPCG(3, 5))
	null := func(v any) any {
		if rng.IntN(10) == 0 {
			return nil
		}
		return v
	}
	tabs := map[string]*tpchTable{
		"orders":   {cols: []string{"o_orderkey", "o_custkey", "o_orderdate", "o_orderpriority", "o_orderstatus"}},
		"lineitem": {cols: []string{"l_orderkey", "l_partkey", "l_suppkey", "l_quantity", "l_extendedprice", "l_commitdate", "l_receiptdate", "l_shipdate"}},
		"part":     {cols: []string{"p_partkey", "p_brand", "p_name", "p_size"}},
		"supplier": {cols: []string{"s_suppkey", "s_name"}},
		"partsupp": {cols: []string{"ps_partkey", "ps_suppkey", "ps_supplycost", "ps_availqty"}},
		"customer": {cols: []string{"c_custkey", "c_phone", "c_acctbal"}},
	}
	for i := range int64(80) {
		tabs["orders"].rows = append(tabs["orders"].rows, []any{i, rng.Int64N(50), rng.Int64N(60),
			fmt.Sprintf("%d-P", 1+rng.IntN(4)), []string{"F", "O"}[rng.IntN(2)]})
	}
	for range 400 {
		tabs["lineitem"].rows = append(tabs["lineitem"].rows, []any{rng.Int64N(90), rng.Int64N(30), rng.Int64N(12),
			null(float64(1 + rng.IntN(50))), float64(rng.IntN(10000)) / 10, rng.Int64N(60), rng.Int64N(60), rng.Int64N(60)})
	}
	for i := range int64(30) {
		tabs["part"].rows = append(tabs["part"].rows, []any{i, fmt.Sprintf("B%d", rng.IntN(3)),
			[]string{"forest green", "forest blue", "ivory"}[rng.IntN(3)], rng.Int64N(3) * 5})
	}
	for i := range int64(12) {
		tabs["supplier"].rows = append(tabs["supplier"].rows, []any{i, fmt.Sprintf("S%02d", i)})
	}
	for p := range int64(30) {
		for _, sp := range rng.Perm(12)[:3] {
			tabs["partsupp"].rows = append(tabs["partsupp"].rows, []any{p, int64(sp), null(float64(rng.IntN(100))), rng.Int64N(40)})
		}
	}
	for i := range int64(60) {
		tabs["customer"].rows = append(tabs["customer"].rows, []any{i, fmt.Sprintf("%d-555", 10+rng.IntN(30)), null(float64(rng.IntN(2000)-300) / 10)})
	}
	for name, tb := range tabs {
		tb.view(t, s, mem, name)
	}
	return s, tabs
}

// get returns row r's column name of tb.
func (tb *tpchTable) get(r []any, name string) any { return r[tb.col(name)] }

// cells formats rows as sorted strings, floats to three decimals.
func cells(rows [][]any) []string {
	out := []string{}
	for _, r := range rows {
		parts := make([]string, len(r))
		for i, v := range r {
			if f, ok := v.(float64); ok {
				parts[i] = fmt.Sprintf("%.3f", f)
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	slices.Sort(out)
	return out
}

// groupCount counts keys, returning key|count rows.
func groupCount(keys []any) [][]any {
	n := map[any]int64{}
	for _, k := range keys {
		n[k]++
	}
	var out [][]any
	for k, c := range n {
		out = append(out, []any{k, c})
	}
	return out
}

func lt(a, b any) bool { return a != nil && b != nil && toF(a) < toF(b) }

func toF(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}

// tpchCase is a query and its plain-Go answer.
type tpchCase struct {
	name, q string
	want    [][]any
}

// tpchDB holds the views' rows.
type tpchDB struct{ o, l, p, su, ps, c *tpchTable }

// tpchCases are TPC-H's subquery forms (Q2, Q4, Q15, Q17, Q20, Q21, Q22) over the small
// views, each with its plain-Go answer.
func tpchCases(tabs map[string]*tpchTable) []tpchCase {
	db := tpchDB{tabs["orders"], tabs["lineitem"], tabs["part"], tabs["supplier"], tabs["partsupp"], tabs["customer"]}
	return []tpchCase{db.q4(), db.q17(), db.q22(), db.q21(), db.q20(), db.q2(), db.q15()}
}

func (db tpchDB) q4() tpchCase {
	var q4 []any
	for _, or := range db.o.rows {
		d := db.o.get(or, "o_orderdate").(int64)
		if d < 10 || d >= 40 {
			continue
		}
		if slices.ContainsFunc(db.l.rows, func(lr []any) bool {
			return db.l.get(lr, "l_orderkey") == db.o.get(or, "o_orderkey") && lt(db.l.get(lr, "l_commitdate"), db.l.get(lr, "l_receiptdate"))
		}) {
			q4 = append(q4, db.o.get(or, "o_orderpriority"))
		}
	}
	return tpchCase{"q4", `SELECT o_orderpriority, count(*) AS order_count FROM orders
		WHERE o_orderdate >= 10 AND o_orderdate < 40
		  AND EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
		GROUP BY o_orderpriority ORDER BY o_orderpriority`, groupCount(q4)}
}

func (db tpchDB) q17() tpchCase {

	avgQty := func(part any) any {
		var s float64
		var n int
		for _, lr := range db.l.rows {
			if db.l.get(lr, "l_partkey") == part && db.l.get(lr, "l_quantity") != nil {
				s, n = s+db.l.get(lr, "l_quantity").(float64), n+1
			}
		}
		if n == 0 {
			return nil
		}
		return s / float64(n)
	}
	var q17 any
	for _, lr := range db.l.rows {
		for _, pr := range db.p.rows {
			if db.p.get(pr, "p_partkey") != db.l.get(lr, "l_partkey") || db.p.get(pr, "p_brand") != "B1" {
				continue
			}
			if a := avgQty(db.p.get(pr, "p_partkey")); a != nil && lt(db.l.get(lr, "l_quantity"), 0.2*a.(float64)*4) {
				if q17 == nil {
					q17 = 0.0
				}
				q17 = q17.(float64) + db.l.get(lr, "l_extendedprice").(float64)/7.0
			}
		}
	}
	return tpchCase{"q17", `SELECT sum(l_extendedprice) / 7.0 AS avg_yearly FROM lineitem, part
		WHERE p_partkey = l_partkey AND p_brand = 'B1'
		  AND l_quantity < (SELECT 0.8 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)`, [][]any{{q17}}}
}

func (db tpchDB) q22() tpchCase {

	codes := []string{"13", "17", "22", "25", "31", "33"}
	var bs float64
	var bn int
	for _, cr := range db.c.rows {
		if b := db.c.get(cr, "c_acctbal"); b != nil && b.(float64) > 0 && slices.Contains(codes, db.c.get(cr, "c_phone").(string)[:2]) {
			bs, bn = bs+b.(float64), bn+1
		}
	}
	q22 := map[string][]float64{}
	for _, cr := range db.c.rows {
		code := db.c.get(cr, "c_phone").(string)[:2]
		b := db.c.get(cr, "c_acctbal")
		if !slices.Contains(codes, code) || !lt(bs/float64(bn), b) {
			continue
		}
		if !slices.ContainsFunc(db.o.rows, func(or []any) bool { return db.o.get(or, "o_custkey") == db.c.get(cr, "c_custkey") }) {
			q22[code] = append(q22[code], b.(float64))
		}
	}
	var q22rows [][]any
	for code, bals := range q22 {
		var s float64
		for _, b := range bals {
			s += b
		}
		q22rows = append(q22rows, []any{code, int64(len(bals)), s})
	}
	return tpchCase{"q22", `SELECT cntrycode, count(*) AS numcust, sum(c_acctbal) AS totacctbal
		FROM (SELECT substring(c_phone, 1, 2) AS cntrycode, c_acctbal FROM customer
		      WHERE substring(c_phone, 1, 2) IN ('13', '17', '22', '25', '31', '33')
		        AND c_acctbal > (SELECT avg(c_acctbal) FROM customer WHERE c_acctbal > 0.00
		                         AND substring(c_phone, 1, 2) IN ('13', '17', '22', '25', '31', '33'))
		        AND NOT EXISTS (SELECT * FROM orders WHERE o_custkey = c_custkey)) AS custsale
		GROUP BY cntrycode ORDER BY cntrycode`, q22rows}
}

func (db tpchDB) q21() tpchCase {

	var q21 []any
	for _, sr := range db.su.rows {
		for _, l1 := range db.l.rows {
			if db.l.get(l1, "l_suppkey") != db.su.get(sr, "s_suppkey") || !lt(db.l.get(l1, "l_commitdate"), db.l.get(l1, "l_receiptdate")) {
				continue
			}
			for _, or := range db.o.rows {
				if db.o.get(or, "o_orderkey") != db.l.get(l1, "l_orderkey") || db.o.get(or, "o_orderstatus") != "F" {
					continue
				}
				other := func(late bool) bool {
					return slices.ContainsFunc(db.l.rows, func(l2 []any) bool {
						return db.l.get(l2, "l_orderkey") == db.l.get(l1, "l_orderkey") && db.l.get(l2, "l_suppkey") != db.l.get(l1, "l_suppkey") &&
							(!late || lt(db.l.get(l2, "l_commitdate"), db.l.get(l2, "l_receiptdate")))
					})
				}
				if other(false) && !other(true) {
					q21 = append(q21, db.su.get(sr, "s_name"))
				}
			}
		}
	}
	return tpchCase{"q21", `SELECT s_name, count(*) AS numwait FROM supplier, lineitem l1, orders
		WHERE s_suppkey = l1.l_suppkey AND o_orderkey = l1.l_orderkey AND o_orderstatus = 'F'
		  AND l1.l_receiptdate > l1.l_commitdate
		  AND EXISTS (SELECT * FROM lineitem l2 WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey)
		  AND NOT EXISTS (SELECT * FROM lineitem l3 WHERE l3.l_orderkey = l1.l_orderkey
		                  AND l3.l_suppkey <> l1.l_suppkey AND l3.l_receiptdate > l3.l_commitdate)
		GROUP BY s_name ORDER BY numwait DESC, s_name`, groupCount(q21)}
}

func (db tpchDB) q20() tpchCase {

	var q20 [][]any
	for _, sr := range db.su.rows {
		found := false
		for _, pr := range db.ps.rows {
			if db.ps.get(pr, "ps_suppkey") != db.su.get(sr, "s_suppkey") {
				continue
			}
			forest := slices.ContainsFunc(db.p.rows, func(x []any) bool {
				return db.p.get(x, "p_partkey") == db.ps.get(pr, "ps_partkey") && strings.HasPrefix(db.p.get(x, "p_name").(string), "forest")
			})
			var qs any
			for _, lr := range db.l.rows {
				sd := db.l.get(lr, "l_shipdate").(int64)
				if db.l.get(lr, "l_partkey") == db.ps.get(pr, "ps_partkey") && db.l.get(lr, "l_suppkey") == db.ps.get(pr, "ps_suppkey") && sd >= 10 && sd < 50 && db.l.get(lr, "l_quantity") != nil {
					if qs == nil {
						qs = 0.0
					}
					qs = qs.(float64) + db.l.get(lr, "l_quantity").(float64)
				}
			}
			if forest && qs != nil && lt(0.05*qs.(float64), db.ps.get(pr, "ps_availqty")) {
				found = true
			}
		}
		if found {
			q20 = append(q20, []any{db.su.get(sr, "s_name")})
		}
	}
	return tpchCase{"q20", `SELECT s_name FROM supplier
		WHERE s_suppkey IN (SELECT ps_suppkey FROM partsupp
		                    WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE 'forest%')
		                      AND ps_availqty > (SELECT 0.05 * sum(l_quantity) FROM lineitem
		                                         WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey
		                                           AND l_shipdate >= 10 AND l_shipdate < 50))
		ORDER BY s_name`, q20}
}

func (db tpchDB) q2() tpchCase {

	var q2 [][]any
	for _, pr := range db.p.rows {
		if db.p.get(pr, "p_size") != int64(10) {
			continue
		}
		var mn any
		for _, x := range db.ps.rows {
			if db.ps.get(x, "ps_partkey") == db.p.get(pr, "p_partkey") && db.ps.get(x, "ps_supplycost") != nil && (mn == nil || lt(db.ps.get(x, "ps_supplycost"), mn)) {
				mn = db.ps.get(x, "ps_supplycost")
			}
		}
		for _, x := range db.ps.rows {
			if db.ps.get(x, "ps_partkey") == db.p.get(pr, "p_partkey") && mn != nil && db.ps.get(x, "ps_supplycost") == mn {
				q2 = append(q2, []any{fmt.Sprintf("S%02d", db.ps.get(x, "ps_suppkey")), db.p.get(pr, "p_partkey"), mn})
			}
		}
	}
	return tpchCase{"q2", `SELECT s_name, p_partkey, ps_supplycost FROM part, supplier, partsupp
		WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND p_size = 10
		  AND ps_supplycost = (SELECT min(ps_supplycost) FROM partsupp, supplier
		                       WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey)
		ORDER BY p_partkey, s_name`, q2}
}

func (db tpchDB) q15() tpchCase {

	rev := map[int64]int64{}
	for _, lr := range db.l.rows {
		if sd := db.l.get(lr, "l_shipdate").(int64); sd >= 20 && sd < 30 {
			rev[db.l.get(lr, "l_suppkey").(int64)] += db.l.get(lr, "l_partkey").(int64)
		}
	}
	var best int64 = -1
	for _, v := range rev {
		best = max(best, v)
	}
	var q15 [][]any
	for k, v := range rev {
		if v == best {
			q15 = append(q15, []any{k, fmt.Sprintf("S%02d", k), v})
		}
	}
	return tpchCase{"q15", `WITH revenue AS (SELECT l_suppkey AS supplier_no, sum(l_partkey) AS total_revenue FROM lineitem
		                     WHERE l_shipdate >= 20 AND l_shipdate < 30 GROUP BY l_suppkey)
		SELECT s_suppkey, s_name, total_revenue FROM supplier, revenue
		WHERE s_suppkey = supplier_no AND total_revenue = (SELECT max(total_revenue) FROM revenue)
		ORDER BY s_suppkey`, q15}
}

// TestSQLSubqueryTPCHForms runs TPC-H's subquery forms over small views with NULLs,
// against plain Go, with and without a memory limit that makes them spill.
func TestSQLSubqueryTPCHForms(t *testing.T) {
	for _, v := range []struct {
		name string
		cfg  Config
	}{
		{"default", Config{ShufflePartitions: 3, BatchRows: 16}},
		{"spill-no-broadcast", Config{ShufflePartitions: 2, BatchRows: 4, MemoryLimit: 256 << 10, BroadcastThreshold: -1}},
	} {
		t.Run(v.name, func(t *testing.T) {
			s, tabs := tpchViews(t, v.cfg)
			for _, c := range tpchCases(tabs) {
				t.Run(c.name, func(t *testing.T) {
					d := mustSQL(t, s, c.q)
					got, want := cells(collectRows(t, d)), cells(c.want)
					if !slices.Equal(got, want) {
						t.Errorf("got  %v\nwant %v\n%s", got, want, d.Explain())
					}
					if len(want) == 0 {
						t.Errorf("an empty answer tests little")
					}
				})
			}
		})
	}
}
