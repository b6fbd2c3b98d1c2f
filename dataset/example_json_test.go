package dataset_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// writeText writes a file of an example.
func writeText(path, text string) {
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		log.Fatal(err)
	}
}

func ExampleSession_ReadJSON() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	// Event logs, one JSON object per line: members come and go, objects nest.
	writeText(filepath.Join(dir, "events.json"), `{"user": "ann", "ms": 120, "device": {"os": "ios", "version": 17}, "tags": ["new"]}
{"user": "bob", "ms": 80.5, "tags": []}
{"user": "ann", "ms": 95, "device": {"os": "android"}, "tags": ["beta", "new"]}
`)
	s := newSession()
	defer s.Close()
	events := s.ReadJSON(filepath.Join(dir, "*.json"))
	schema, err := events.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Printf("%s: %s\n", f.Name, f.Type)
	}
	show(events.Select(
		dataset.Col("user"),
		dataset.Col("ms"),
		dataset.Col("device").Field("os").As("os"),
		dataset.Size(dataset.Col("tags")).As("tags")))
	// Output:
	// user: utf8
	// ms: float64
	// device: struct<os: utf8 nullable, version: int64 nullable>
	// tags: list<item: utf8, nullable>
	// +------+------+---------+------+
	// | user |   ms |      os | tags |
	// +------+------+---------+------+
	// |  ann |  120 |     ios |    1 |
	// |  bob | 80.5 |    null |    0 |
	// |  ann |   95 | android |    2 |
	// +------+------+---------+------+
	// (3 rows)
}

func ExampleSession_ReadJSONWith() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	// A feed with a bad line: a price that is text, and a line cut short.
	path := filepath.Join(dir, "prices.json")
	writeText(path, `{"sku": "A1", "price": 9.5, "day": "2024-03-01"}
{"sku": "B2", "price": "n/a", "day": "2024-03-01"}
{"sku": "C3", "price": 12, "day": "2024-03-02"}
{"sku": "D4", "pri
`)
	s := newSession()
	defer s.Close()
	// A given schema reads day as a date; DropMalformed drops the bad lines and
	// counts them.
	opts := dataset.JSONOptions{
		Schema: arrow.NewSchema([]arrow.Field{
			{Name: "sku", Type: arrow.BinaryTypes.String},
			{Name: "price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		}, nil),
		Mode: dataset.DropMalformed,
	}
	show(s.ReadJSONWith(opts, path))
	fmt.Println("malformed lines:", s.LastJob().Stages[0].Totals().MalformedRows)

	// FailFast, the default, names the file, line and column of the first bad value.
	opts.Mode = dataset.FailFast
	_, err := s.ReadJSONWith(opts, path).Count(context.Background())
	_, where, _ := strings.Cut(fmt.Sprint(err), dir)
	fmt.Println(where)
	// Output:
	// +-----+-------+------------+
	// | sku | price |        day |
	// +-----+-------+------------+
	// |  A1 |   9.5 | 2024-03-01 |
	// |  C3 |    12 | 2024-03-02 |
	// +-----+-------+------------+
	// (2 rows)
	// malformed lines: 2
	// /prices.json:2:24: column "price": cannot read "n/a" as float64
}

func ExampleDataset_WriteJSON() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	s := newSession()
	defer s.Close()
	out := filepath.Join(dir, "west")
	west := orders(s, 2).Filter(dataset.Col("region").Eq(dataset.Lit("west")))
	if err := west.WriteJSON(context.Background(), out); err != nil {
		log.Fatal(err)
	}

	// One object per line; as Spark writes JSON, a NULL (the second order's qty) is
	// left out, dates are 2006-01-02 and floats keep a fraction.
	parts, err := filepath.Glob(filepath.Join(out, "*.json"))
	if err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			log.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))

	// Read back, the dates are strings unless a schema says otherwise.
	n, err := s.ReadJSON(out).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows read back:", n)
	// Output:
	// {"region":"west","day":"2024-01-01","amount":80.0,"qty":1}
	// {"region":"west","day":"2024-01-02","amount":310.0}
	// {"region":"west","day":"2024-01-03","amount":80.0,"qty":2}
	// rows read back: 3
}
