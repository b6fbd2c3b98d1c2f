package dataset

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// linCSV writes a CSV file into dir and returns its path.
func linCSV(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// linRevenue is the test's job: orders with a positive amount, joined to their
// customers, revenue and distinct customers per country.
func linRevenue(t *testing.T, s *Session) (d *Dataset, orders, customers string) {
	t.Helper()
	dir := t.TempDir()
	orders = linCSV(t, dir, "orders.csv", "order_id,customer_id,amount\n10,1,12.5\n11,1,7.5\n12,2,30\n13,3,-1\n")
	customers = linCSV(t, dir, "customers.csv",
		"id,name,email,country\n1,Ada,ada@example.com,UK\n2,Grace,grace@example.org,US\n3,Linus,linus@example.net,FI\n")
	d = s.ReadCSV(orders).Filter(Col("amount").Gt(Lit(0))).
		Join(s.ReadCSV(customers).Rename("id", "customer_id"), On("customer_id"), Inner).
		GroupBy("country").
		Agg(Sum("amount").As("revenue"), CountDistinct("customer_id").As("customers")).
		WithColumn("avg_per_customer", Col("revenue").Div(Col("customers")))
	return d, orders, customers
}

// linExpected is the hand-written event of linRevenue written to out, less its time
// and run ID.
func linExpected(t *testing.T, eventType, orders, customers, out string) map[string]any {
	t.Helper()
	const facets = "https://openlineage.io/spec/facets/"
	const producer = `"_producer": "https://github.com/kindling-data/kindling"`
	schema := func(fields string) string {
		return fmt.Sprintf(`"schema": {%s, "_schemaURL": "%s1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet", "fields": [%s]}`,
			producer, facets, fields)
	}
	field := func(ds, name, typ, subtype string) string {
		return fmt.Sprintf(`{"namespace": "file", "name": %q, "field": %q, "transformations": [{"type": %q, "subtype": %q, "masking": false}]}`,
			ds, name, typ, subtype)
	}
	text := fmt.Sprintf(`{
	"eventType": %q,
	"run": {"facets": {"processing_engine": {%s,
		"_schemaURL": "%s1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet", "name": "kindling"}}},
	"job": {"namespace": "kindling", "name": "etl.revenue", "facets": {"jobType": {%s,
		"_schemaURL": "%s2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
		"processingType": "BATCH", "integration": "KINDLING", "jobType": "JOB"}}},
	"inputs": [
		{"namespace": "file", "name": %q, "facets": {%s}},
		{"namespace": "file", "name": %q, "facets": {%s}}
	],
	"outputs": [{"namespace": "file", "name": %q, "facets": {%s,
		"columnLineage": {%s, "_schemaURL": "%s1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
			"fields": {
				"country": {"inputFields": [%s]},
				"revenue": {"inputFields": [%s]},
				"customers": {"inputFields": [%s]},
				"avg_per_customer": {"inputFields": [%s, %s]}
			},
			"dataset": [%s, %s, %s, %s]}}}],
	"producer": "https://github.com/kindling-data/kindling",
	"schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
}`, eventType, producer, facets, producer, facets,
		orders, schema(`{"name": "order_id", "type": "int64"}, {"name": "customer_id", "type": "int64"}, {"name": "amount", "type": "float64"}`),
		customers, schema(`{"name": "id", "type": "int64"}, {"name": "name", "type": "utf8"}, {"name": "email", "type": "utf8"}, {"name": "country", "type": "utf8"}`),
		out, schema(`{"name": "country", "type": "utf8"}, {"name": "revenue", "type": "float64"}, {"name": "customers", "type": "int64"}, {"name": "avg_per_customer", "type": "float64"}`),
		producer, facets,
		field(customers, "country", "DIRECT", "IDENTITY"),
		field(orders, "amount", "DIRECT", "AGGREGATION"),
		field(orders, "customer_id", "DIRECT", "AGGREGATION"),
		field(orders, "amount", "DIRECT", "AGGREGATION"), field(orders, "customer_id", "DIRECT", "AGGREGATION"),
		field(customers, "country", "INDIRECT", "GROUP_BY"), field(customers, "id", "INDIRECT", "JOIN"),
		field(orders, "amount", "INDIRECT", "FILTER"), field(orders, "customer_id", "INDIRECT", "JOIN"))
	var want map[string]any
	if err := json.Unmarshal([]byte(text), &want); err != nil {
		t.Fatalf("expected event: %v\n%s", err, text)
	}
	return want
}

// linParse turns an event into generic JSON without the fields that change from run to
// run (its time, run ID, engine version), after checking they are there.
func linParse(t *testing.T, ev any) map[string]any {
	t.Helper()
	var raw []byte
	switch ev := ev.(type) {
	case []byte:
		raw = ev
	default:
		var err error
		if raw, err = json.Marshal(ev); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if _, ok := m["eventTime"].(string); !ok {
		t.Errorf("event has no eventTime: %s", raw)
	}
	delete(m, "eventTime")
	run := m["run"].(map[string]any)
	id, _ := run["runId"].(string)
	if len(id) != 36 || id[14] != '7' {
		t.Errorf("runId %q is not a UUIDv7", id)
	}
	delete(run, "runId")
	engine := run["facets"].(map[string]any)["processing_engine"].(map[string]any)
	if v, _ := engine["version"].(string); v == "" {
		t.Errorf("processing_engine has no version: %s", raw)
	}
	delete(engine, "version")
	return m
}

func linDiff(t *testing.T, got, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("event differs\ngot:\n%s\nwant:\n%s", g, w)
	}
}

func linSession(t *testing.T, cfg Config) *Session {
	t.Helper()
	cfg.Parallelism, cfg.ShufflePartitions = 2, 2
	if cfg.Lineage.Job == "" {
		cfg.Lineage.Job = "etl"
	}
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLineageOfJoinAndAggregate(t *testing.T) {
	s := linSession(t, Config{})
	d, orders, customers := linRevenue(t, s)
	out := filepath.Join(t.TempDir(), "revenue")
	ev, err := d.Lineage(out)
	if err != nil {
		t.Fatal(err)
	}
	linDiff(t, linParse(t, ev), linExpected(t, "OTHER", orders, customers, out))
}

// linEvents reads an NDJSON lineage file.
func linEvents(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// linWriteFacet checks and removes the kindling_write facet of a write's event.
func linWriteFacet(t *testing.T, ev map[string]any, action string, wantJob bool) {
	t.Helper()
	facets := ev["run"].(map[string]any)["facets"].(map[string]any)
	w, ok := facets["kindling_write"].(map[string]any)
	if !ok {
		t.Fatalf("no kindling_write facet in %v", facets)
	}
	if w["action"] != action || w["format"] != "csv" || !strings.HasPrefix(w["callSite"].(string), action+"@lineage_test.go:") {
		t.Errorf("kindling_write = %v", w)
	}
	if id, _ := w["jobId"].(float64); wantJob != (id > 0) {
		t.Errorf("kindling_write jobId = %v, want one: %v", w["jobId"], wantJob)
	}
	delete(facets, "kindling_write")
}

// linDirFiles sums the sizes of the data files under dir.
func linDirFiles(t *testing.T, dir string) (n, size int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			return err
		}
		info, err := e.Info()
		n, size = n+1, size+info.Size()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, size
}

// TestLineageWriteFile needs write() to call startLineage and finish.
func TestLineageWriteFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lineage.ndjson")
	s := linSession(t, Config{Lineage: LineageConfig{File: file}})
	d, orders, customers := linRevenue(t, s)
	out := filepath.Join(t.TempDir(), "revenue")
	if err := d.WriteCSV(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	lines := linEvents(t, file)
	if len(lines) != 2 {
		t.Fatalf("lineage file has %d lines, want START and COMPLETE:\n%s", len(lines), lines)
	}
	start := linParse(t, lines[0])
	linWriteFacet(t, start, "writeCSV", false)
	linDiff(t, start, linExpected(t, "START", orders, customers, out))

	done := linParse(t, lines[1])
	linWriteFacet(t, done, "writeCSV", true)
	output := done["outputs"].([]any)[0].(map[string]any)
	stats := output["outputFacets"].(map[string]any)["outputStatistics"].(map[string]any)
	files, size := linDirFiles(t, out)
	if stats["rowCount"] != 2.0 || stats["size"] != float64(size) || stats["fileCount"] != float64(files) || files == 0 {
		t.Errorf("outputStatistics = %v, want 2 rows, %d bytes in %d files", stats, size, files)
	}
	delete(output, "outputFacets")
	linDiff(t, done, linExpected(t, "COMPLETE", orders, customers, out))
}

// TestLineageWriteFails needs write() to call startLineage and finish.
func TestLineageWriteFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lineage.ndjson")
	s := linSession(t, Config{Lineage: LineageConfig{File: file}})
	d, _, _ := linRevenue(t, s)
	out := filepath.Join(t.TempDir(), "revenue")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	werr := d.WriteCSV(context.Background(), out) // the directory exists: an error
	if werr == nil {
		t.Fatal("writing over an existing directory succeeded")
	}
	lines := linEvents(t, file)
	if len(lines) != 2 {
		t.Fatalf("lineage file has %d lines, want START and FAIL:\n%s", len(lines), lines)
	}
	var start, fail LineageEvent
	if err := errors.Join(json.Unmarshal(lines[0], &start), json.Unmarshal(lines[1], &fail)); err != nil {
		t.Fatal(err)
	}
	if start.EventType != "START" || fail.EventType != "FAIL" || start.Run.RunID != fail.Run.RunID {
		t.Errorf("events %s (run %s), %s (run %s): want START then FAIL of one run", start.EventType, start.Run.RunID, fail.EventType, fail.Run.RunID)
	}
	if e := fail.Run.Facets.ErrorMessage; e == nil || e.Message != werr.Error() || e.ProgrammingLanguage != "go" {
		t.Errorf("FAIL errorMessage = %+v, want %q", e, werr)
	}
	if fail.Outputs[0].OutputFacets != nil {
		t.Errorf("FAIL has output statistics %+v", fail.Outputs[0].OutputFacets.OutputStatistics)
	}
}

// TestLineageAppendCountsItsFiles needs write() to call startLineage and finish.
func TestLineageAppendCountsItsFiles(t *testing.T) {
	var mu sync.Mutex
	var events []*LineageEvent
	s := linSession(t, Config{Listeners: []Listener{ListenerFunc(func(e Event) {
		if le, ok := e.(*LineageEvent); ok {
			mu.Lock()
			events = append(events, le)
			mu.Unlock()
		}
	})}})
	d, _, _ := linRevenue(t, s)
	out := filepath.Join(t.TempDir(), "revenue")
	for range 2 {
		if err := d.WriteCSV(context.Background(), out, WriteMode(ModeAppend)); err != nil {
			t.Fatal(err)
		}
	}
	all, size := linDirFiles(t, out)
	s.Close() // delivers the events
	if len(events) != 4 {
		t.Fatalf("%d events, want START and COMPLETE of each write", len(events))
	}
	var files, bytes int64
	for i, ev := range events {
		want := [...]string{"START", "COMPLETE"}[i%2]
		if ev.EventType != want {
			t.Errorf("event %d is %s, want %s", i, ev.EventType, want)
		}
		if st := ev.Outputs[0].OutputFacets; want == "COMPLETE" {
			files, bytes = files+st.OutputStatistics.FileCount, bytes+st.OutputStatistics.Size
			if st.OutputStatistics.RowCount != 2 {
				t.Errorf("write %d: rowCount %d, want 2", i/2, st.OutputStatistics.RowCount)
			}
		}
	}
	if files != all || bytes != size {
		t.Errorf("the appends counted %d files of %d bytes, the table holds %d of %d", files, bytes, all, size)
	}
}

// TestLineageRunEvents drives the hook as write() does, without a write.
func TestLineageRunEvents(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lineage.ndjson")
	var got []string
	s := linSession(t, Config{Lineage: LineageConfig{File: file}, Listeners: []Listener{ListenerFunc(func(e Event) {
		if le, ok := e.(*LineageEvent); ok {
			got = append(got, le.EventType)
		}
	})}})
	d, _, _ := linRevenue(t, s)
	out := filepath.Join(t.TempDir(), "revenue")
	r := d.startLineage("writeCSV", out, "csv", "")
	r.finish(errors.New("the disk is on fire"))
	r = d.startLineage("writeCSV", out, "csv", "")
	r.finish(nil)
	s.Close()
	if want := []string{"START", "FAIL", "START", "COMPLETE"}; !reflect.DeepEqual(got, want) {
		t.Errorf("listener got %v, want %v", got, want)
	}
	lines := linEvents(t, file)
	if len(lines) != 4 {
		t.Fatalf("file has %d lines, want 4", len(lines))
	}
	var fail LineageEvent
	if err := json.Unmarshal(lines[1], &fail); err != nil {
		t.Fatal(err)
	}
	if fail.EventType != "FAIL" || fail.Run.Facets.ErrorMessage.Message != "the disk is on fire" {
		t.Errorf("second line: %s", lines[1])
	}
}

func TestLineageOffWithoutListenersOrFile(t *testing.T) {
	s := linSession(t, Config{})
	d, _, _ := linRevenue(t, s)
	if r := d.startLineage("writeCSV", t.TempDir(), "csv", ""); r != nil {
		t.Errorf("startLineage built a run for a session with nowhere to send it")
	}
	var r *lineageRun
	r.finish(nil) // a nil run is a no-op
}

// linColumns renders an event's column lineage as "out <- dataset:field SUBTYPE[ masked]".
func linColumns(ev *LineageEvent) []string {
	var out []string
	cl := ev.Outputs[0].Facets.ColumnLineage
	for _, f := range ev.Outputs[0].Facets.Schema.Fields {
		for _, in := range cl.Fields[f.Name].InputFields {
			tr := in.Transformations[0]
			s := fmt.Sprintf("%s <- %s:%s %s", f.Name, filepath.Base(in.Name), in.Field, tr.Subtype)
			if tr.Masking {
				s += " masked"
			}
			out = append(out, s)
		}
		if len(cl.Fields[f.Name].InputFields) == 0 {
			out = append(out, f.Name+" <- nothing")
		}
	}
	for _, in := range cl.Dataset {
		for _, tr := range in.Transformations {
			out = append(out, fmt.Sprintf("indirect %s:%s %s", filepath.Base(in.Name), in.Field, tr.Subtype))
		}
	}
	return out
}

func TestLineageColumnKinds(t *testing.T) {
	s := linSession(t, Config{})
	dir := t.TempDir()
	people := linCSV(t, dir, "people.csv", "id,email,phone,city\n1,a@x.org,555-0101,Oslo\n2,b@y.org,555-0102,Rome\n")
	visits := linCSV(t, dir, "visits.csv", "id,day,city\n1,3,Oslo\n2,4,Rome\n")
	key, err := NewPseudonymKey([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	p := s.ReadCSV(people)
	d := p.Pseudonymize(key, "email").
		Select(Col("id"), Col("email"), Sha2(Concat(Col("phone"), Col("email")), 256).As("both"),
			Concat(Col("phone"), Sha2(Col("phone"), 256)).As("leaky"), Lit(1).As("one")).
		Join(s.ReadCSV(visits), On("id"), LeftOuter).
		Union(p.Join(s.ReadCSV(visits), On("id"), Inner).Select(Col("id"), Col("email"), Col("email").As("both"),
			Col("phone").As("leaky"), Lit(2).As("one"), Col("day"), Col("city_right").As("city"))).
		OrderBy(Asc("day"))
	ev, err := d.Lineage(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"id <- people.csv:id IDENTITY",
		// The union's second input copies email raw: a masked path does not hide it.
		"email <- people.csv:email TRANSFORMATION",
		"both <- people.csv:email TRANSFORMATION",
		"both <- people.csv:phone TRANSFORMATION masked",
		"leaky <- people.csv:phone TRANSFORMATION", // concatenated raw beside its hash
		"one <- nothing",
		"day <- visits.csv:day IDENTITY",
		"city <- visits.csv:city IDENTITY",
		"indirect people.csv:id JOIN",
		"indirect visits.csv:day SORT",
		"indirect visits.csv:id JOIN",
	}
	if got := linColumns(ev); !reflect.DeepEqual(got, want) {
		t.Errorf("column lineage:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(ev.Inputs) != 2 || ev.Inputs[0].Name != people || ev.Inputs[1].Name != visits {
		t.Errorf("inputs %+v, want people.csv then visits.csv", ev.Inputs)
	}
}

func TestLineageMaskedAndMemory(t *testing.T) {
	s := linSession(t, Config{})
	key, _ := NewPseudonymKey([]byte(strings.Repeat("k", 32)))
	d, err := s.SQL("SELECT 'ada@example.com' AS email, 36 AS age")
	if err != nil {
		t.Fatal(err)
	}
	d = d.Pseudonymize(key, "email").WithColumn("h", Sha2(Col("email"), 256))
	ev, err := d.Lineage("out")
	if err != nil {
		t.Fatal(err)
	}
	if q := ev.Job.Facets.SQL; q == nil || q.Query != "SELECT 'ada@example.com' AS email, 36 AS age" {
		t.Errorf("sql facet %+v", q)
	}
	if abs, _ := filepath.Abs("out"); ev.Outputs[0].Name != abs || ev.Job.Name != "etl.out" {
		t.Errorf("output %q, job %q: want the absolute path and etl.out", ev.Outputs[0].Name, ev.Job.Name)
	}
	for _, in := range ev.Inputs {
		if in.Namespace != "memory" {
			t.Errorf("input %s:%s, want the memory namespace", in.Namespace, in.Name)
		}
	}
	for _, col := range []string{"email", "h"} {
		for _, f := range ev.Outputs[0].Facets.ColumnLineage.Fields[col].InputFields {
			if !f.Transformations[0].Masking {
				t.Errorf("%s from %s is not masked", col, f.Field)
			}
		}
	}
}

func TestLineageThroughExpectations(t *testing.T) {
	s := linSession(t, Config{})
	d, _, _ := linRevenue(t, s)
	checked := d.Expect(Warn, NullRatioAtMost("countries known", "country", 0),
		PassRatioAtLeast("positive revenue", Col("revenue").Gt(Lit(0)), 1))
	plain, err := d.Lineage("out")
	if err != nil {
		t.Fatal(err)
	}
	gated, err := checked.Lineage("out")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := linColumns(plain), linColumns(gated); !reflect.DeepEqual(a, b) {
		t.Errorf("expectations changed the column lineage:\n%s\nwant:\n%s", strings.Join(b, "\n"), strings.Join(a, "\n"))
	}
}
