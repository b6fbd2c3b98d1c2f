package dataset

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/storage"
)

// newBudgetSession is a session on a checked allocator whose Close and zero-byte check
// run at the end of the test.
func newBudgetSession(t *testing.T, cfg Config) fixtureSession {
	t.Helper()
	mem := memtest.Checked()
	return fixtureSession{s: checkedSession(t, mem, cfg), mem: mem}
}

// TestFinalAggregateSpillsUnderTightBudget groups 400 000 distinct string keys under a
// 6 MiB budget. The final aggregate sizes its tables from the shuffle's row count when it
// opens; that room must be given back when the first batch is refused, so the aggregate
// spills and finishes as the sort and the join do at this budget, instead of failing with
// its whole reservation held for 0 groups.
func TestFinalAggregateSpillsUnderTightBudget(t *testing.T) {
	leakcheck.Check(t)
	fs := newBudgetSession(t, Config{MemoryLimit: 6 << 20, SpillDir: t.TempDir()})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	const parts, batches, rows = 4, 10, 10_000
	var data [][]arrow.RecordBatch
	for p := range parts {
		var bs []arrow.RecordBatch
		for b := range batches {
			bld := array.NewRecordBuilder(fs.mem, schema)
			for i := range rows {
				k := (p*batches+b)*rows + i
				bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("key-%08d", k))
				bld.Field(1).(*array.Int64Builder).Append(int64(k))
			}
			bs = append(bs, bld.NewRecordBatch())
			bld.Release()
		}
		data = append(data, bs)
	}
	d := fs.s.FromPartitions(schema, data...)
	for _, p := range data {
		releaseAll(p)
	}
	start := time.Now()
	recs, err := d.GroupBy("s").Agg(Count(), Sum("v"), Max("s"), Mean("v")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(recs)
	t.Logf("job %v", time.Since(start))
	// Every key is its own group: count 1, sum and mean its v, max its key.
	seen := make([]bool, parts*batches*rows)
	for _, r := range recs {
		key, n, sum := r.Column(0).(*array.String), r.Column(1).(*array.Int64), r.Column(2).(*array.Int64)
		mx, mean := r.Column(3).(*array.String), r.Column(4).(*array.Float64)
		for i := range int(r.NumRows()) {
			k, err := strconv.Atoi(strings.TrimPrefix(key.Value(i), "key-"))
			if err != nil || k < 0 || k >= len(seen) || seen[k] {
				t.Fatalf("unexpected or repeated group %q", key.Value(i))
			}
			seen[k] = true
			if n.Value(i) != 1 || sum.Value(i) != int64(k) || mx.Value(i) != key.Value(i) || mean.Value(i) != float64(k) {
				t.Fatalf("group %q: count %d sum %d max %q mean %v", key.Value(i), n.Value(i), sum.Value(i), mx.Value(i), mean.Value(i))
			}
		}
	}
	for k, ok := range seen {
		if !ok {
			t.Fatalf("group key-%08d missing", k)
		}
	}
	job := fs.s.LastJob()
	if job.Totals().SpillCount == 0 {
		t.Fatalf("no spill under a 6 MiB budget:\n%s", job)
	}
	if peak := job.Memory.PeakExecution; peak > 6<<20 {
		t.Fatalf("peak execution %d over the budget", peak)
	}
}

// sweepData is a join → group-by → sort workload: orders (k, v, s) joined with customers
// (k, name) on k. Every customer key is unique; names repeat, so the group-by merges
// several customers. want is its answer computed in Go, in the query's order.
type sweepData struct {
	orders, customers *Dataset
	want              []sweepRow
	bytes             int64
}

type sweepRow struct {
	name   string
	n, sum int64
}

const (
	sweepOrders    = 48_000
	sweepCustomers = 12_000
	sweepNames     = 2_000
)

func newSweepData(t *testing.T, fs fixtureSession) *sweepData {
	t.Helper()
	oSchema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String},
	}, nil)
	cSchema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
	}, nil)
	d := &sweepData{}
	nameOf := func(c int) string { return fmt.Sprintf("customer-name-%05d", (c*7919)%sweepNames) }
	groups := map[string]*sweepRow{}
	pad := strings.Repeat("x", 24) // wide rows: a sort run's batch of BatchRows is large
	var oParts, cParts [][]arrow.RecordBatch
	const parts = 4
	for p := range parts {
		bld := array.NewRecordBuilder(fs.mem, oSchema)
		for i := p; i < sweepOrders; i += parts {
			k := int64((i * 31) % (sweepCustomers + sweepCustomers/10)) // some orders match no customer
			v := int64(i%1000 - 300)
			bld.Field(0).(*array.Int64Builder).Append(k)
			bld.Field(1).(*array.Int64Builder).Append(v)
			bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("order-%07d-%s", i, pad))
			if k < sweepCustomers {
				name := nameOf(int(k))
				g := groups[name]
				if g == nil {
					g = &sweepRow{name: name}
					groups[name] = g
				}
				g.n++
				g.sum += v
			}
		}
		rec := bld.NewRecordBatch()
		bld.Release()
		d.bytes += storage.BlockBytes([]arrow.RecordBatch{rec})
		oParts = append(oParts, []arrow.RecordBatch{rec})
		cb := array.NewRecordBuilder(fs.mem, cSchema)
		for c := p; c < sweepCustomers; c += parts {
			cb.Field(0).(*array.Int64Builder).Append(int64(c))
			cb.Field(1).(*array.StringBuilder).Append(nameOf(c))
		}
		crec := cb.NewRecordBatch()
		cb.Release()
		d.bytes += storage.BlockBytes([]arrow.RecordBatch{crec})
		cParts = append(cParts, []arrow.RecordBatch{crec})
	}
	d.orders = fs.s.FromPartitions(oSchema, oParts...)
	d.customers = fs.s.FromPartitions(cSchema, cParts...)
	for p := range parts {
		releaseAll(oParts[p])
		releaseAll(cParts[p])
	}
	for _, g := range groups {
		d.want = append(d.want, *g)
	}
	slices.SortFunc(d.want, func(a, b sweepRow) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return d
}

func (d *sweepData) query() *Dataset {
	return d.orders.Join(d.customers, On("k"), Inner).
		GroupBy("name").Agg(Count().As("n"), Sum("v").As("sv")).
		OrderBy(Desc("n"), Asc("name"))
}

// check compares recs with the answer, in order.
func (d *sweepData) check(recs []arrow.RecordBatch) error {
	i := 0
	for _, r := range recs {
		name, n, sum := r.Column(0).(*array.String), r.Column(1).(*array.Int64), r.Column(2).(*array.Int64)
		for j := range int(r.NumRows()) {
			if i >= len(d.want) {
				return fmt.Errorf("more than the %d rows expected", len(d.want))
			}
			if w := d.want[i]; name.Value(j) != w.name || n.Value(j) != w.n || sum.Value(j) != w.sum {
				return fmt.Errorf("row %d: (%q, %d, %d), want %+v", i, name.Value(j), n.Value(j), sum.Value(j), w)
			}
			i++
		}
	}
	if i != len(d.want) {
		return fmt.Errorf("%d rows, want %d", i, len(d.want))
	}
	return nil
}

// TestBudgetSweep runs join → group-by → sort (collected, and counted, which puts a
// partial count after the sort in the same task) and a sort of wide rows over a range of
// budgets and batch sizes. Every run must give the answer an unbounded run gives: a
// smaller budget may only make the job spill more. Before, the outcome depended on the
// budget non-monotonically and on BatchRows: a partial aggregate that could not fold one
// default-sized batch failed, a consumer's 1 MiB of reservation slack starved the other
// consumers of its task, and a sort's runs written in BatchRows batches could not be
// merged two at a time under a few MiB.
func TestBudgetSweep(t *testing.T) {
	leakcheck.Check(t)
	for _, batchRows := range []int{0, 1024} {
		for _, mib := range []int64{1, 2, 3, 4, 5, 6, 8} {
			t.Run(fmt.Sprintf("batch=%d/budget=%dMiB", batchRows, mib), func(t *testing.T) {
				fs := newBudgetSession(t, Config{MemoryLimit: mib << 20, BatchRows: batchRows, BroadcastThreshold: -1, SpillDir: t.TempDir()})
				d := newSweepData(t, fs)
				var spills int64
				recs, err := d.query().Collect(t.Context())
				if err != nil {
					t.Fatalf("join, group-by, sort of %d bytes: %v", d.bytes, err)
				}
				err = d.check(recs)
				releaseAll(recs)
				if err != nil {
					t.Fatal(err)
				}
				spills += fs.s.LastJob().Totals().SpillCount
				n, err := d.query().Count(t.Context())
				if err != nil || n != int64(len(d.want)) {
					t.Fatalf("Count = %d, %v; want %d", n, err, len(d.want))
				}
				spills += fs.s.LastJob().Totals().SpillCount
				recs, err = d.orders.OrderBy(Asc("s")).Collect(t.Context())
				if err != nil {
					t.Fatalf("sort: %v", err)
				}
				rows, prev := 0, ""
				for _, r := range recs {
					s := r.Column(2).(*array.String)
					for i := range s.Len() {
						if v := s.Value(i); v <= prev {
							err = fmt.Errorf("sort: row %d %q after %q", rows, v, prev)
						} else {
							prev = v
						}
						rows++
					}
				}
				releaseAll(recs)
				if err == nil && rows != sweepOrders {
					err = fmt.Errorf("sort: %d rows, want %d", rows, sweepOrders)
				}
				if err != nil {
					t.Fatal(err)
				}
				spills += fs.s.LastJob().Totals().SpillCount
				if mib <= 2 && spills == 0 {
					t.Errorf("no spill at %d MiB for %d bytes of data", mib, d.bytes)
				}
			})
		}
	}
}
