package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type customer struct {
	id      int64
	name    string
	country *string
	updated int64
}

type change struct {
	customer
	op  string
	seq int64
}

var customerSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String},
	{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "updated", Type: arrow.PrimitiveTypes.Int64},
}, nil)

var changeSchema = arrow.NewSchema(append(slices.Clone(customerSchema.Fields()),
	arrow.Field{Name: "op", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "seq", Type: arrow.PrimitiveTypes.Int64}), nil)

func customersBatch(mem memory.Allocator, rows []customer, changes []change) arrow.RecordBatch {
	schema := customerSchema
	if changes != nil {
		schema = changeSchema
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	add := func(c customer) {
		b.Field(0).(*array.Int64Builder).Append(c.id)
		b.Field(1).(*array.StringBuilder).Append(c.name)
		appendStr(b.Field(2).(*array.StringBuilder), c.country)
		b.Field(3).(*array.Int64Builder).Append(c.updated)
	}
	for _, c := range rows {
		add(c)
	}
	for _, c := range changes {
		add(c.customer)
		b.Field(4).(*array.StringBuilder).Append(c.op)
		b.Field(5).(*array.Int64Builder).Append(c.seq)
	}
	return b.NewRecordBatch()
}

// applyChanges is the reference: each key's change of the largest seq, applied.
func applyChanges(table map[int64]customer, changes []change) (ins, upd, del int64) {
	latest := map[int64]change{}
	for _, c := range changes {
		if l, ok := latest[c.id]; !ok || c.seq > l.seq {
			latest[c.id] = c
		}
	}
	for id, c := range latest {
		_, had := table[id]
		switch {
		case c.op == "D" && had:
			delete(table, id)
			del++
		case c.op == "D":
		case had:
			table[id] = c.customer
			upd++
		default:
			table[id] = c.customer
			ins++
		}
	}
	return ins, upd, del
}

func customerRows(table map[int64]customer) [][]any {
	var out [][]any
	for _, c := range table {
		out = append(out, []any{c.id, c.name, c.updated, val(c.country)})
	}
	return out
}

func TestMergeIntoPartitionedTable(t *testing.T) {
	f := newFixture(t, []int{0}, Config{})
	rng := rand.New(rand.NewPCG(7, 7))
	countries := []*string{ptr("de"), ptr("fr"), ptr("us"), ptr("xx"), nil}
	table := map[int64]customer{}
	var initial []customer
	for id := range int64(300) {
		c := customer{id: id, name: fmt.Sprintf("c%d", id), country: countries[rng.IntN(len(countries))], updated: 1}
		if id < 5 {
			c.country = ptr("xx") // a small partition that the changes empty
		} else if c.country != nil && *c.country == "xx" {
			c.country = ptr("de")
		}
		table[id] = c
		initial = append(initial, c)
	}
	dir := filepath.Join(t.TempDir(), "customers")
	rec := customersBatch(f.mem, initial, nil)
	if err := f.s.FromRecords(rec).WriteParquet(t.Context(), dir, PartitionedBy("country")); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	usFiles := filesIn(t, filepath.Join(dir, "country=us"))

	// The feed: updates (some moving country), deletes, inserts, several changes per key,
	// never touching "us"; every "xx" row deleted.
	var changes []change
	seq := int64(0)
	for range 400 {
		seq++
		id := int64(rng.IntN(400))
		if c, ok := table[id]; ok && c.country != nil && *c.country == "us" {
			continue
		}
		op := []string{"I", "U", "D"}[rng.IntN(3)]
		country := countries[rng.IntN(len(countries))]
		if country != nil && (*country == "us" || *country == "xx") {
			country = ptr("fr")
		}
		changes = append(changes, change{customer{id, fmt.Sprintf("n%d", seq), country, seq}, op, seq})
	}
	for id := range int64(5) {
		seq++
		changes = append(changes, change{customer{id, "gone", ptr("xx"), seq}, "D", seq})
	}
	want := map[int64]customer{}
	for k, v := range table {
		want[k] = v
	}
	ins, upd, del := applyChanges(want, changes)

	crec := customersBatch(f.mem, nil, changes)
	feed := f.s.FromRecords(crec)
	crec.Release()
	res, err := feed.MergeInto(t.Context(), dir, MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != ins || res.Updated != upd || res.Deleted != del || res.TableRewritten {
		t.Fatalf("result %+v, want inserted %d updated %d deleted %d, not rewritten", res, ins, upd, del)
	}
	assertSameRows(t, collectRows(t, f.s.ReadParquet(dir)), customerRows(want))
	if after := filesIn(t, filepath.Join(dir, "country=us")); !mapsEqual(usFiles, after) {
		t.Fatalf("the merge rewrote country=us, which no change touched")
	}
	if _, err := os.Stat(filepath.Join(dir, "country=xx")); !os.IsNotExist(err) {
		t.Fatalf("the emptied partition country=xx is still there: %v", err)
	}
	// The same feed again changes nothing but updates in place.
	res, err = feed.MergeInto(t.Context(), dir, MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 0 || res.Deleted != 0 {
		t.Fatalf("replaying the feed: %+v, want no insert or delete", res)
	}
	assertSameRows(t, collectRows(t, f.s.ReadParquet(dir)), customerRows(want))
}

func TestMergeIntoNewAndUnpartitioned(t *testing.T) {
	f := newFixture(t, []int{0}, Config{})
	changes := []change{
		{customer{1, "a", ptr("de"), 1}, "I", 1},
		{customer{1, "a2", ptr("fr"), 2}, "U", 2},
		{customer{2, "b", nil, 3}, "I", 3},
		{customer{3, "c", ptr("de"), 4}, "I", 4},
		{customer{3, "c", ptr("de"), 5}, "D", 5},
	}
	crec := customersBatch(f.mem, nil, changes)
	feed := f.s.FromRecords(crec)
	crec.Release()
	dir := filepath.Join(t.TempDir(), "flat")
	res, err := feed.MergeInto(t.Context(), dir, MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 2 || !res.TableRewritten {
		t.Fatalf("creating: %+v", res)
	}
	got := collectRows(t, f.s.ReadParquet(dir).Select(Col("id"), Col("name"), Col("country"), Col("updated")))
	assertSameRows(t, got, [][]any{{int64(1), "a2", "fr", int64(2)}, {int64(2), "b", nil, int64(3)}})

	more := []change{{customer{2, "b2", ptr("us"), 6}, "U", 6}, {customer{1, "", nil, 7}, "D", 7}, {customer{9, "z", nil, 8}, "", 8}}
	crec = customersBatch(f.mem, nil, more)
	feed = f.s.FromRecords(crec)
	crec.Release()
	res, err = feed.MergeInto(t.Context(), dir, MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 1 || res.Updated != 1 || res.Deleted != 1 || !res.TableRewritten {
		t.Fatalf("merging into a flat table: %+v", res)
	}
	got = collectRows(t, f.s.ReadParquet(dir).Select(Col("id"), Col("name"), Col("country"), Col("updated")))
	assertSameRows(t, got, [][]any{{int64(2), "b2", "us", int64(6)}, {int64(9), "z", nil, int64(8)}})

	_, err = feed.MergeInto(t.Context(), dir, MergeSpec{Keys: []string{"nope"}, OrderBy: "seq"})
	if err == nil || !strings.Contains(err.Error(), `no column "nope"`) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestIncrementalLoadFiles(t *testing.T) {
	f := newFixture(t, []int{0}, Config{})
	raw := t.TempDir()
	target := filepath.Join(t.TempDir(), "facts")
	writeCSV := func(name string, from, to int) {
		var b strings.Builder
		b.WriteString("id,amount\n")
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "%d,%d.5\n", i, i)
		}
		if err := os.WriteFile(filepath.Join(raw, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(fail bool) ([]string, error) {
		load, err := f.s.IncrementalLoad(target, "raw")
		if err != nil {
			t.Fatal(err)
		}
		files, err := load.NewFiles(raw)
		if err != nil || len(files) == 0 {
			return files, err
		}
		d := f.s.ReadCSV(files...)
		if fail {
			d = d.MapBatches("fail", nil, func(context.Context, arrow.RecordBatch, memory.Allocator) (arrow.RecordBatch, error) {
				return nil, fmt.Errorf("injected")
			})
		}
		return files, d.WriteParquet(t.Context(), target, WriteMode(ModeAppend), CommitLoad(load))
	}
	writeCSV("day1.csv", 0, 100)
	if files, err := run(false); err != nil || len(files) != 1 {
		t.Fatalf("day 1: %v, %v", files, err)
	}
	writeCSV("day2.csv", 100, 150)
	if _, err := run(true); err == nil {
		t.Fatal("the failing run succeeded")
	}
	// The failed run committed nothing, state included: day 2 is new again.
	files, err := run(false)
	if err != nil || len(files) != 1 || filepath.Base(files[0]) != "day2.csv" {
		t.Fatalf("day 2 after a failure: %v, %v", files, err)
	}
	if files, err := run(false); err != nil || len(files) != 0 {
		t.Fatalf("a run with nothing new: %v, %v", files, err)
	}
	n, err := f.s.ReadParquet(target).Count(t.Context())
	if err != nil || n != 150 {
		t.Fatalf("target has %d rows (%v), want 150", n, err)
	}
	load, _ := f.s.IncrementalLoad(target, "raw")
	if load.Runs() != 2 || len(load.LoadedFiles()) != 2 {
		t.Fatalf("state: %d runs, files %v", load.Runs(), load.LoadedFiles())
	}
	// A cursor commits with the data, and only then.
	load.SetCursor("snapshot", "42")
	if _, ok := load.Cursor("snapshot"); ok {
		t.Fatal("an uncommitted cursor is visible")
	}
	empty := f.s.ReadParquet(target).Limit(0)
	if err := empty.WriteParquet(t.Context(), target, WriteMode(ModeAppend), CommitLoad(load)); err != nil {
		t.Fatal(err)
	}
	again, _ := f.s.IncrementalLoad(target, "raw")
	if v, ok := again.Cursor("snapshot"); !ok || v != "42" || len(again.LoadedFiles()) != 2 {
		t.Fatalf("cursor after commit: %q, %v; files %v", v, ok, again.LoadedFiles())
	}
}

func TestIncrementalLoadWatermark(t *testing.T) {
	f := newFixture(t, []int{0}, Config{})
	target := filepath.Join(t.TempDir(), "facts")
	source := func(n int64) *Dataset {
		schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: arrow.PrimitiveTypes.Int64}}, nil)
		b := array.NewInt64Builder(f.mem)
		for i := range n {
			b.Append(i * 10)
		}
		arr := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{arr}, n)
		arr.Release()
		defer rec.Release()
		return f.s.FromRecords(rec)
	}
	for _, c := range []struct{ rows, wantNew int64 }{{50, 50}, {80, 30}, {80, 0}} {
		load, err := f.s.IncrementalLoad(target, "events")
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := load.Since(t.Context(), source(c.rows), "ts")
		if err != nil {
			t.Fatal(err)
		}
		n, err := fresh.Count(t.Context())
		if err != nil || n != c.wantNew {
			t.Fatalf("source of %d rows: %d new (%v), want %d", c.rows, n, err, c.wantNew)
		}
		if err := fresh.WriteParquet(t.Context(), target, WriteMode(ModeAppend), CommitLoad(load)); err != nil {
			t.Fatal(err)
		}
		if w, ok := load.Watermark(); !ok || w.Int != (c.rows-1)*10 {
			t.Fatalf("watermark after %d rows: %+v", c.rows, w)
		}
	}
	n, err := f.s.ReadParquet(target).Count(t.Context())
	if err != nil || n != 80 {
		t.Fatalf("target has %d rows (%v), want 80", n, err)
	}
}

func TestMergeIntoDuplicateAndNullKeys(t *testing.T) {
	f := newFixture(t, []int{0}, Config{})
	dir := filepath.Join(t.TempDir(), "t")
	// The table holds key 1 twice (a table built elsewhere need not have unique keys).
	rec := customersBatch(f.mem, []customer{{1, "a", ptr("de"), 1}, {1, "a-dup", ptr("fr"), 1}, {2, "b", ptr("de"), 1}}, nil)
	if err := f.s.FromRecords(rec).WriteParquet(t.Context(), dir, PartitionedBy("country")); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	changes := []change{
		{customer{1, "a2", ptr("de"), 5}, "U", 5},
		{customer{3, "c", ptr("fr"), 6}, "I", 6},
	}
	crec := customersBatch(f.mem, nil, changes)
	feed := f.s.FromRecords(crec)
	crec.Release()
	res, err := feed.MergeInto(t.Context(), dir, MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil {
		t.Fatal(err)
	}
	// Both rows of key 1 are replaced by its one latest version; key 3 is new.
	if res.Updated != 2 || res.Inserted != 1 || res.Deleted != 0 {
		t.Fatalf("result %+v, want 2 rows updated, 1 key inserted", res)
	}
	got := collectRows(t, f.s.ReadParquet(dir))
	assertSameRows(t, got, [][]any{{int64(1), "a2", int64(5), "de"}, {int64(2), "b", int64(1), "de"}, {int64(3), "c", int64(6), "fr"}})
}
