package iceberg_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/iceberg"
)

// mrow is a row of the merge tests' table: an event whose id may be NULL.
type mrow struct {
	null bool // id is NULL
	ev   event
}

func (r mrow) String() string {
	if r.null {
		return "null" + strings.TrimPrefix(r.ev.row(), fmt.Sprint(r.ev.id))
	}
	return r.ev.row()
}

// change is one record of a CDC feed: the row, its operation and its sequence.
type change struct {
	row mrow
	op  *string
	seq int64
}

var changeSchema = arrow.NewSchema(append(slices.Clone(eventSchema.Fields()),
	arrow.Field{Name: "op", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "seq", Type: arrow.PrimitiveTypes.Int64}), nil)

func changeRecord(cs []change) arrow.RecordBatch {
	b := array.NewRecordBuilder(alloc, changeSchema)
	defer b.Release()
	for _, c := range cs {
		appendRow(b, c.row)
		if c.op == nil {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.StringBuilder).Append(*c.op)
		}
		b.Field(5).(*array.Int64Builder).Append(c.seq)
	}
	return b.NewRecordBatch()
}

func rowRecord(rows []mrow) arrow.RecordBatch {
	b := array.NewRecordBuilder(alloc, eventSchema)
	defer b.Release()
	for _, r := range rows {
		appendRow(b, r)
	}
	return b.NewRecordBatch()
}

func appendRow(b *array.RecordBuilder, r mrow) {
	if r.null {
		b.Field(0).AppendNull()
	} else {
		b.Field(0).(*array.Int64Builder).Append(r.ev.id)
	}
	if r.ev.region == nil {
		b.Field(1).AppendNull()
	} else {
		b.Field(1).(*array.StringBuilder).Append(*r.ev.region)
	}
	b.Field(2).(*array.Float64Builder).Append(r.ev.amount)
	b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.ev.ts.UnixMicro()))
}

// renderRows renders rows with eventSchema's columns (NULL ids included), sorted.
func renderRows(recs []arrow.RecordBatch) []string {
	var out []string
	for _, rec := range recs {
		c := map[string]arrow.Array{}
		for i, f := range rec.Schema().Fields() {
			c[f.Name] = rec.Column(i)
		}
		ids := c["id"].(*array.Int64)
		for i := range int(rec.NumRows()) {
			r := mrow{null: ids.IsNull(i), ev: event{
				id:     ids.Value(i),
				amount: c["amount"].(*array.Float64).Value(i),
				ts:     c["ts"].(*array.Timestamp).Value(i).ToTime(arrow.Microsecond),
			}}
			if r.null {
				r.ev.id = 0
			}
			if reg := c["region"].(*array.String); reg.IsValid(i) {
				s := reg.Value(i)
				r.ev.region = &s
			}
			out = append(out, r.String())
		}
	}
	slices.Sort(out)
	return out
}

func renderModel(rows []mrow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.String()
	}
	slices.Sort(out)
	return out
}

// model is the table's content computed in Go: rows by id, and the rows with a NULL id.
type model struct {
	byID  map[int64]mrow
	nulls []mrow
}

func (m *model) rows() []mrow {
	out := slices.Clone(m.nulls)
	for _, r := range m.byID {
		out = append(out, r)
	}
	return out
}

// apply merges a feed into the model: each key's change with the largest seq deletes
// or upserts it; the NULL-id changes form one key whose latest upsert is inserted.
func (m *model) apply(cs []change) dataset.MergeResult {
	latest := map[string]change{}
	for _, c := range cs {
		k := fmt.Sprint(c.row.ev.id)
		if c.row.null {
			k = "null"
		}
		if l, ok := latest[k]; !ok || c.seq > l.seq {
			latest[k] = c
		}
	}
	var res dataset.MergeResult
	for _, c := range latest {
		del := c.op != nil && slices.Contains([]string{"D", "d", "delete", "DELETE"}, *c.op)
		_, held := m.byID[c.row.ev.id]
		held = held && !c.row.null
		switch {
		case del && held:
			res.Deleted++
			delete(m.byID, c.row.ev.id)
		case del:
		case c.row.null:
			res.Inserted++
			m.nulls = append(m.nulls, c.row)
		case held:
			res.Updated++
			m.byID[c.row.ev.id] = c.row
		default:
			res.Inserted++
			m.byID[c.row.ev.id] = c.row
		}
	}
	return res
}

var ops = []string{"I", "U", "D", "delete", "x"}

// randomFeed makes n changes to keys in [0, keys): several per key, with unique
// sequences in random order, random regions (a key moves between partitions), some
// NULL keys and some NULL operations (upserts).
func randomFeed(rng *rand.Rand, n, keys int, seqBase int64) []change {
	seqs := rng.Perm(n)
	out := make([]change, n)
	for i := range out {
		id := rng.IntN(keys)
		e := events(id, 1)[0]
		e.amount = float64(rng.IntN(1000)) / 4
		e.ts = epoch.Add(time.Duration(rng.IntN(24*40)) * time.Hour)
		if r := regions[rng.IntN(len(regions))]; r != "-" {
			e.region = &r
		} else {
			e.region = nil
		}
		c := change{row: mrow{null: rng.IntN(15) == 0, ev: e}, seq: seqBase + int64(seqs[i])}
		if c.row.null {
			c.row.ev.id = 0
		}
		if rng.IntN(8) != 0 {
			op := ops[rng.IntN(len(ops))]
			c.op = &op
		}
		out[i] = c
	}
	return out
}

// fileIDs maps each data file of the table to the ids it holds, read by kindling from
// the file itself.
func fileIDs(t *testing.T, f *fixture, tbl *iceberg.Table) map[string][]int64 {
	t.Helper()
	files, err := tbl.PlanFiles(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int64{}
	for _, df := range files {
		recs, err := f.s.ReadParquet(df.Path).Select(dsCol("id")).Collect(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, rec := range recs {
			a := rec.Column(0).(*array.Int64)
			for i := range a.Len() {
				if a.IsValid(i) {
					ids = append(ids, a.Value(i))
				}
			}
		}
		release(recs)
		out[df.Path] = ids
	}
	return out
}

// scanRows reads the table through iceberg-go's own record scan of a freshly loaded
// table.
func scanRows(t *testing.T, f *fixture, name string) []string {
	t.Helper()
	fresh, err := f.cat.LoadTable(f.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	_, it, err := fresh.Iceberg().Scan().ToArrowRecords(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recs []arrow.RecordBatch
	for rec, err := range it {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	defer release(recs)
	return renderRows(recs)
}

func kindlingRows(t *testing.T, f *fixture, tbl *iceberg.Table) []string {
	t.Helper()
	d, err := tbl.Read(f.ctx, f.s)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Collect(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(recs)
	return renderRows(recs)
}

var cdc = dataset.MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"}

// Random feeds merged into a table equal their application computed in Go, read back
// by iceberg-go's scan and by kindling; exactly the files holding a changed key are
// replaced, and each merge commits one snapshot.
func TestMergeRandomFeeds(t *testing.T) {
	byRegion := []iceberg.CreateTableOption{iceberg.PartitionBy(iceberg.Identity("region"))}
	for _, c := range []struct {
		name string
		opts []iceberg.CreateTableOption
		// groups, when set, bounds the candidate file groups: a group with a hit is
		// rewritten whole, so files without a changed key may be rewritten too.
		groups int
	}{
		{"unpartitioned", nil, 0},
		{"by_region", byRegion, 0},
		{"by_region_and_day", []iceberg.CreateTableOption{iceberg.PartitionBy(iceberg.Identity("region"), iceberg.Day("ts"))}, 0},
		{"by_region_in_3_groups", byRegion, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.groups > 0 {
				defer iceberg.SetMergeGroups(c.groups)()
			}
			f := newFixture(t)
			name := "db.merge_" + c.name
			tbl := f.create(t, name, c.opts...)
			m := &model{byID: map[int64]mrow{}}
			var initial []mrow
			for _, e := range events(0, 60) {
				initial = append(initial, mrow{ev: e})
			}
			initial = append(initial, mrow{null: true, ev: events(7, 1)[0]})
			for _, part := range [][]mrow{initial[:20], initial[20:40], initial[40:]} {
				rec := rowRecord(part)
				if _, err := tbl.Append(f.ctx, f.s.FromRecords(rec)); err != nil {
					t.Fatal(err)
				}
				rec.Release()
				for _, r := range part {
					if r.null {
						m.nulls = append(m.nulls, r)
					} else {
						m.byID[r.ev.id] = r
					}
				}
			}
			rng := rand.New(rand.NewPCG(uint64(len(c.name)), 42))
			for round := range 3 {
				// Early rounds touch few keys (most files stay), the last many.
				feed := randomFeed(rng, []int{6, 25, 90}[round], []int{30, 70, 90}[round], int64(round*1000))
				checkMerge(t, f, tbl, name, m, feed, c.groups == 0)
			}
		})
	}
}

// checkMerge merges feed into tbl and checks the result against the model; exact
// says that only the files holding a changed key may be replaced.
func checkMerge(t *testing.T, f *fixture, tbl *iceberg.Table, name string, m *model, feed []change, exact bool) {
	t.Helper()
	before := fileIDs(t, f, tbl)
	snaps := len(tbl.Snapshots())
	changedKeys := map[int64]bool{}
	for _, c := range feed {
		if !c.row.null {
			changedKeys[c.row.ev.id] = true
		}
	}
	want := m.apply(feed)
	rec := changeRecord(feed)
	defer rec.Release()
	got, err := tbl.Merge(f.ctx, f.s.FromRecords(rec), cdc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Inserted != want.Inserted || got.Updated != want.Updated || got.Deleted != want.Deleted {
		t.Errorf("merge of %d changes: %+v, want inserted %d, updated %d, deleted %d", len(feed), got, want.Inserted, want.Updated, want.Deleted)
	}
	if n := len(tbl.Snapshots()); n != snaps+1 {
		t.Errorf("%d snapshots after the merge, want %d", n, snaps+1)
	}
	expect := renderModel(m.rows())
	equalRows(t, "iceberg-go scan after merge", scanRows(t, f, name), expect)
	equalRows(t, "kindling read after merge", kindlingRows(t, f, tbl), expect)
	after := fileIDs(t, f, tbl)
	rewritten, kept := 0, 0
	for path, ids := range before {
		touched := slices.ContainsFunc(ids, func(id int64) bool { return changedKeys[id] })
		_, still := after[path]
		switch {
		case touched && still:
			t.Errorf("file %s holds a changed key but was kept", path)
		case !touched && !still && exact:
			t.Errorf("file %s holds no changed key but was replaced", path)
		case !still:
			rewritten++
		default:
			kept++
		}
	}
	t.Logf("%d changes: %+v; %d files rewritten, %d kept", len(feed), got, rewritten, kept)
}

// A merge casts the changes to the table's types, ignores their extra columns, and
// refuses a feed lacking a table column or spec's columns.
func TestMergeConformsAndChecks(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.merge_conform", iceberg.PartitionBy(iceberg.Identity("region")))
	f.append(t, tbl, events(0, 10))
	changes, err := f.s.SQL(`SELECT CAST(3 AS INT) AS id, 'eu' AS region, 1 AS amount,
			TIMESTAMP '2024-02-01 00:00:00' AS ts, 'U' AS op, 1 AS seq, 'x' AS extra
		UNION ALL SELECT CAST(3 AS INT), 'eu', 2 AS a, TIMESTAMP '2024-02-01 00:00:00', 'U' AS op, 2 AS s, 'y'
		UNION ALL SELECT CAST(4 AS INT), 'us', 0 AS a, TIMESTAMP '2024-02-01 00:00:00', 'delete' AS op, 3 AS s, 'z'
		UNION ALL SELECT CAST(99 AS INT), CAST(NULL AS STRING) AS r, 5 AS a, TIMESTAMP '2024-02-01 00:00:00', CAST(NULL AS STRING) AS op, 4 AS s, 'w'`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tbl.Merge(f.ctx, changes, cdc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 1 || res.Updated != 1 || res.Deleted != 1 {
		t.Errorf("result %+v, want 1 inserted, 1 updated, 1 deleted", res)
	}
	if res.PartitionsRewritten == 0 || res.TableRewritten {
		t.Errorf("result %+v: want some partitions rewritten, not the table", res)
	}
	ts := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	eu := "eu"
	want := []mrow{{ev: event{id: 3, region: &eu, amount: 2, ts: ts}}, {ev: event{id: 99, amount: 5, ts: ts}}}
	for _, e := range events(0, 10) {
		if e.id != 3 && e.id != 4 {
			want = append(want, mrow{ev: e})
		}
	}
	equalRows(t, "after a cast merge", scanRows(t, f, "db.merge_conform"), renderModel(want))

	for _, bad := range []struct {
		spec dataset.MergeSpec
		d    *dataset.Dataset
		msg  string
	}{
		{cdc, changes.Drop("amount"), `no column "amount"`},
		{dataset.MergeSpec{Keys: []string{"id"}, OrderBy: "nope"}, changes, `no column "nope"`},
		{dataset.MergeSpec{Keys: []string{"extra"}, OrderBy: "seq"}, changes, `"extra" is not a column of the table`},
		{dataset.MergeSpec{Keys: []string{"id"}}, changes, "no OrderBy"},
		{dataset.MergeSpec{Keys: []string{"id"}, OrderBy: "seq", PartitionBy: []string{"ts"}}, changes, "partitioned by [region]"},
	} {
		if _, err := tbl.Merge(f.ctx, bad.d, bad.spec); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("Merge with %+v: error %v, want one saying %s", bad.spec, err, bad.msg)
		}
	}
	if n := len(tbl.Snapshots()); n != 2 {
		t.Errorf("%d snapshots, want 2 (an append and a merge)", n)
	}
}

// A feed of deletes of absent keys commits nothing; one deleting every row leaves an
// empty table; a feed streamed once from a reader is enough; rows sharing a key are
// all replaced or deleted.
func TestMergeEdgeCases(t *testing.T) {
	f := newFixture(t)
	tbl := f.create(t, "db.merge_edge", iceberg.PartitionBy(iceberg.Bucket("id", 3)))
	all := events(0, 12)
	f.append(t, tbl, all)
	del := "D"
	var feed []change
	for i := 100; i < 105; i++ {
		feed = append(feed, change{row: mrow{ev: events(i, 1)[0]}, op: &del, seq: int64(i)})
	}
	rec := changeRecord(feed)
	defer rec.Release()
	res, err := tbl.Merge(f.ctx, f.s.FromRecords(rec), cdc)
	if err != nil || res != (dataset.MergeResult{}) {
		t.Fatalf("deletes of absent keys: %+v, %v", res, err)
	}
	if n := len(tbl.Snapshots()); n != 1 {
		t.Fatalf("deletes of absent keys committed: %d snapshots", n)
	}

	feed = feed[:0]
	for _, e := range all {
		feed = append(feed, change{row: mrow{ev: e}, op: &del, seq: 1})
	}
	rec2 := changeRecord(feed)
	rdr, err := array.NewRecordReader(changeSchema, []arrow.RecordBatch{rec2})
	rec2.Release()
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	res, err = tbl.Merge(f.ctx, f.s.FromReader(rdr), cdc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != int64(len(all)) || res.Inserted != 0 || res.Updated != 0 || !res.TableRewritten {
		t.Errorf("delete of every row: %+v", res)
	}
	if rows := scanRows(t, f, "db.merge_edge"); len(rows) != 0 {
		t.Errorf("%d rows left after deleting all", len(rows))
	}
	if n := len(tbl.Snapshots()); n != 2 {
		t.Errorf("%d snapshots, want 2", n)
	}

	// Iceberg does not keep keys unique: an upsert replaces every row of its key, and
	// the counts are of rows.
	dup := f.create(t, "db.merge_dup")
	f.append(t, dup, events(0, 3))
	f.append(t, dup, events(1, 3))
	upd := "U"
	e := events(1, 1)[0]
	e.amount = 100
	rec3 := changeRecord([]change{{row: mrow{ev: e}, op: &upd, seq: 1}, {row: mrow{ev: events(2, 1)[0]}, op: &del, seq: 1}})
	defer rec3.Release()
	res, err = dup.Merge(f.ctx, f.s.FromRecords(rec3), cdc)
	if err != nil || res.Updated != 2 || res.Deleted != 2 || res.Inserted != 0 {
		t.Errorf("merge into duplicated keys: %+v, %v", res, err)
	}
	equalRows(t, "after merging duplicated keys", scanRows(t, f, "db.merge_dup"),
		renderModel([]mrow{{ev: events(0, 1)[0]}, {ev: e}, {ev: events(3, 1)[0]}}))
}

// Merge reads only the candidate files: those of the changed keys' partitions when the
// table is partitioned by a key column, those whose key statistics admit a changed key
// otherwise. The other files are made unreadable, and the merge still succeeds.
func TestMergeReadsOnlyCandidateFiles(t *testing.T) {
	f := newFixture(t)
	byRegion := f.create(t, "db.merge_part", iceberg.PartitionBy(iceberg.Identity("region")))
	all := events(0, 40)
	f.append(t, byRegion, all)
	plain := f.create(t, "db.merge_stats")
	f.append(t, plain, events(0, 20))
	f.append(t, plain, events(100, 20))

	spoil := func(tbl *iceberg.Table, keep iceberg.Predicate) {
		t.Helper()
		files, err := tbl.PlanFiles(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := tbl.PlanFiles(f.ctx, iceberg.Where(keep))
		if err != nil {
			t.Fatal(err)
		}
		for _, df := range files {
			if slices.ContainsFunc(kept, func(k iceberg.DataFile) bool { return k.Path == df.Path }) {
				continue
			}
			// Same size, garbage content: a read fails, the manifest stays valid.
			if err := os.WriteFile(df.Path, make([]byte, df.SizeBytes), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	spoil(byRegion, iceberg.Eq("region", "eu"))
	spoil(plain, iceberg.Ge("id", 100))

	eu, upd := "eu", "U"
	var feed []change
	for _, e := range all {
		if e.region != nil && *e.region == eu {
			e.amount = -1
			feed = append(feed, change{row: mrow{ev: e}, op: &upd, seq: 1})
		}
	}
	rec := changeRecord(feed)
	defer rec.Release()
	spec := dataset.MergeSpec{Keys: []string{"region", "id"}, OrderBy: "seq", OpColumn: "op"}
	res, err := byRegion.Merge(f.ctx, f.s.FromRecords(rec), spec)
	if err != nil || res.Updated != int64(len(feed)) || res.PartitionsRewritten != 1 {
		t.Errorf("merge into the eu partition: %+v, %v", res, err)
	}

	feed = feed[:0]
	for _, e := range events(110, 15) {
		feed = append(feed, change{row: mrow{ev: e}, op: &upd, seq: 1})
	}
	rec2 := changeRecord(feed)
	defer rec2.Release()
	res, err = plain.Merge(f.ctx, f.s.FromRecords(rec2), cdc)
	if err != nil || res.Updated != 10 || res.Inserted != 5 {
		t.Errorf("merge into ids 110-124: %+v, %v", res, err)
	}
	// A timestamp key prunes by the files' bounds too.
	feed = feed[:0]
	for _, e := range events(100, 3) {
		e.amount = -2
		feed = append(feed, change{row: mrow{ev: e}, op: &upd, seq: 2})
	}
	rec3 := changeRecord(feed)
	defer rec3.Release()
	res, err = plain.Merge(f.ctx, f.s.FromRecords(rec3), dataset.MergeSpec{Keys: []string{"ts"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil || res.Updated != 3 || res.Inserted != 0 {
		t.Errorf("merge keyed by ts: %+v, %v", res, err)
	}
}
