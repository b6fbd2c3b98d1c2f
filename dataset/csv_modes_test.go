package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// Count reads one column of a CSV scan: it must still agree with Collect and the mode when
// another column holds a bad value, invalid UTF-8 or an unterminated quote.
func TestCSVCountAgreesWithRowsAndMode(t *testing.T) {
	leakcheck.Check(t)
	mem := memtest.Checked()
	s, err := NewSession(Config{Allocator: mem, BatchRows: 512, MaxPartitionBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("Session.Close: %v", err)
		}
		mem.AssertSize(t, 0)
	}()

	// Independent expectations, counted while writing: lines are rows, good or bad.
	const n = 20_000
	var sb strings.Builder
	sb.WriteString("id,v,s\n")
	bad := 0
	for i := range n {
		switch i {
		case 5_000:
			fmt.Fprintf(&sb, "%d,12x,a\n", i) // a value that is no int64
			bad++
		case 9_000:
			fmt.Fprintf(&sb, "%d,1,\"open\n", i) // a quote that never closes
			bad++
		case 15_000:
			fmt.Fprintf(&sb, "%d,2,b\xffc\n", i) // invalid UTF-8
			bad++
		default:
			fmt.Fprintf(&sb, "%d,%d,s%d\n", i, i%7, i%3)
		}
	}
	p := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, c := range []struct {
		mode ParseMode
		rows int64
	}{{Permissive, n}, {DropMalformed, n - int64(bad)}} {
		d := s.ReadCSVWith(CSVOptions{Mode: c.mode}, p)
		cnt, err := d.Count(ctx)
		if err != nil || cnt != c.rows {
			t.Errorf("%v: Count = %d, %v; want %d", c.mode, cnt, err, c.rows)
		}
		if m := s.LastJob().Stages[0].Totals().MalformedRows; c.mode == DropMalformed && m != int64(bad) {
			t.Errorf("%v: Count's job counted %d malformed rows, want %d", c.mode, m, bad)
		}
		recs, err := d.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		for _, r := range recs {
			got += r.NumRows()
		}
		releaseAll(recs)
		if got != c.rows {
			t.Errorf("%v: Collect gave %d rows, want %d", c.mode, got, c.rows)
		}
	}
	// Partitions run at once: any of the bad lines may be the one reported.
	cnt, err := s.ReadCSV(p).Count(ctx)
	if err == nil || !regexp.MustCompile(`c\.csv:(5002|9002|15002):`).MatchString(err.Error()) {
		t.Errorf("fail fast Count = %d, %v; want an error at a bad line of c.csv", cnt, err)
	}
}
