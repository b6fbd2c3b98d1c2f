package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilterNeverTrueReadsNothing: a filter whose condition folds to false or NULL
// replaces its input with an empty source (Spark's PropagateEmptyRelation): the job
// reads no file, yet every action keeps its shape (Count is 0, a global aggregate still
// gives its one row).
func TestFilterNeverTrueReadsNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(p, []byte("region,amount\neast,10\nwest,20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(Config{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	orders := s.ReadCSV(p)
	// The control: a filter that may be true reads the file.
	if n, err := orders.Filter(Col("amount").Gt(Lit(int64(15)))).Count(t.Context()); err != nil || n != 1 {
		t.Fatalf("control count = %d, %v; want 1", n, err)
	}
	if in := s.LastJob().Totals().BytesIn; in == 0 {
		t.Fatal("the control job read no bytes: BytesIn does not count CSV input")
	}
	for _, cond := range []Expr{Lit(false), Lit(int64(1)).Gt(Lit(int64(2))), Col("amount").Gt(Lit(nil)), Lit(false).And(Col("amount").Gt(Lit(int64(0))))} {
		ds := orders.Filter(cond)
		if plan := ds.Explain(); !strings.Contains(plan, "Scan empty[filter") || strings.Contains(plan, "Stage 1 (1 task) → result\n  Filter") {
			t.Errorf("Filter(%s): the plan does not replace the scan:\n%s", cond, plan)
		}
		n, err := ds.Count(t.Context())
		if err != nil || n != 0 {
			t.Fatalf("Filter(%s).Count = %d, %v; want 0", cond, n, err)
		}
		if in := s.LastJob().Totals().BytesIn; in != 0 {
			t.Errorf("Filter(%s): the job read %d bytes, want none", cond, in)
		}
		recs, err := ds.GroupBy().Agg(Count().As("n"), Sum("amount").As("total")).Collect(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].NumRows() != 1 || recs[0].Column(0).ValueStr(0) != "0" || !recs[0].Column(1).IsNull(0) {
			t.Errorf("Filter(%s): a global aggregate gives %v, want one row (0, NULL)", cond, recs)
		}
		releaseAll(recs)
	}
}
