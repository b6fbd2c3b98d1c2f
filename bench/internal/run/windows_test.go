package run

import (
	"context"
	"strings"
	"testing"
)

// TestWindowsSection runs the windows section small in both engines: each engine's
// answers must match the exact ones computed in Go.
func TestWindowsSection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs DuckDB")
	}
	o := &Options{N: 100_000, Seed: 1, Parts: 3, Runs: 1, Threads: 2, DuckDB: true, TmpDir: t.TempDir()}
	res, err := RunWindows(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Questions) != 5 {
		t.Fatalf("%d questions, want 5", len(res.Questions))
	}
	if len(res.Notes) != 6 {
		t.Errorf("notes %q, want DuckDB's from-Parquet time of each question", res.Notes)
	}
	for _, n := range res.Notes[1:] {
		t.Log(n)
		if strings.Contains(n, "error") || strings.Contains(n, "MISMATCH") {
			t.Errorf("DuckDB from Parquet: %s", n)
		}
	}
	for _, q := range res.Questions {
		t.Logf("%s: kindling %v, DuckDB %v, %s", q.Q.Name, q.Kindling.Time, q.Duck.Time, q.Status)
		if q.Status != "ok" {
			t.Errorf("%s: %s", q.Q.Name, q.Status)
		}
	}
}

// TestWindowExact checks the exact reference on a table small enough to reason about.
func TestWindowExact(t *testing.T) {
	d := &windowData{N: 4, Keys: 2, Groups: 2,
		K: []int64{0, 1, 0, 0}, T: []int64{2, 0, 3, 1}, V: []int64{5, 7, 1, 2},
		G: []int64{0, 0, 1, 1}, X: []int64{0, 0, 0, 0},
		TS: []int64{5, 10, 15}, ID: []int64{0, 1, 2}, Lo: []int64{0, 10, 100}, Hi: []int64{10, 15, 200}}
	want := d.exact()
	// w1: key 0's latest row is t=3 (v=1), key 1's t=0 (v=7).
	if a := want["w1"]; a.Rows != 2 || a.Sums["v"] != 8 || a.Sums["t"] != 3 {
		t.Errorf("w1 = %+v", a)
	}
	// w2: in t order: key1 7 → 7; key0 2 → 2; key0 5 → 7; key0 1 → 8: 24.
	if a := want["w2"]; a.Sums["rs"] != 24 || a.Sums["n"] != 4 {
		t.Errorf("w2 = %+v", a)
	}
	// w3: range 0 holds 5, 10; range 1 holds 10, 15; range 2 none (dropped by the inner join).
	if a := want["w3"]; a.Rows != 2 || a.Sums["n"] != 4 {
		t.Errorf("w3 = %+v", a)
	}
	if a := want["w4"]; a.Rows != 2 || a.Sums["n"] != 2 {
		t.Errorf("w4 = %+v", a)
	}
	// w5: in t order: key1 rn 1 × 7; key0 rn 1 × 2, rn 2 × 5, rn 3 × 1: 7 + 2 + 10 + 3 = 22.
	if a := want["w5"]; a.Sums["s"] != 22 || a.Sums["n"] != 4 {
		t.Errorf("w5 = %+v", a)
	}
	if err := matchTol(Answer{Rows: 2, Sums: map[string]float64{"n": 102}}, Answer{Rows: 2, Sums: map[string]float64{"n": 100}}, 0.03); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	if err := matchTol(Answer{Rows: 2, Sums: map[string]float64{"n": 110}}, Answer{Rows: 2, Sums: map[string]float64{"n": 100}}, 0.03); err == nil {
		t.Error("outside tolerance passed")
	}
}

// TestFromParquet checks that every table reference of the questions' SQL is rewritten.
func TestFromParquet(t *testing.T) {
	f := windowFiles{W: "/d/w", Events: "/d/events", Ranges: "/d/ranges"}
	for _, q := range windowQuestions(nil) {
		sql := fromParquet(q.Q.SQL, f)
		for _, name := range []string{"FROM w", "JOIN ranges", "FROM events"} {
			if strings.Contains(sql+" ", name+" ") || strings.Contains(sql, name+")") {
				t.Errorf("%s: %q left in %s", q.Q.Name, name, sql)
			}
		}
		if !strings.Contains(sql, "read_parquet('/d/") {
			t.Errorf("%s: no read_parquet in %s", q.Q.Name, sql)
		}
	}
}
