package dataset

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestDateIntervalLiteralsFold: date ± interval over literals is folded by the optimizer
// into a date literal (so a scan can prune with it), and the folded value equals what
// the evaluator computes for the same date held in a column: month ends, leap days,
// negative intervals, subtraction and a time part counted in whole days.
func TestDateIntervalLiteralsFold(t *testing.T) {
	s, err := NewSession(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dates := []string{"1992-01-31", "1992-02-29", "1993-07-01", "1996-12-31", "2000-02-28", "2000-03-31", "1970-01-01", "1969-12-31", "0001-01-31", "9999-11-30"}
	b := array.NewDate32Builder(memory.DefaultAllocator)
	for _, d := range dates {
		tm, err := time.Parse(time.DateOnly, d)
		if err != nil {
			t.Fatal(err)
		}
		b.Append(arrow.Date32FromTime(tm))
	}
	col := b.NewArray()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Date32}}, nil), []arrow.Array{col}, int64(len(dates)))
	col.Release()
	b.Release()
	defer rec.Release()
	if err := s.FromRecords(rec).CreateOrReplaceTempView("dates"); err != nil {
		t.Fatal(err)
	}
	for _, iv := range []string{"+ INTERVAL '1' MONTH", "- INTERVAL '1' MONTH", "+ INTERVAL '13' MONTH", "+ INTERVAL '-25' MONTH",
		"+ INTERVAL '3' MONTH", "- INTERVAL '90' DAY", "+ INTERVAL '1' YEAR", "+ INTERVAL '1 month 40 days'"} {
		evaluated := collectRows(t, mustSQL(t, s, "SELECT CAST(d "+iv+" AS string) FROM dates"))
		for i, d := range dates {
			q := mustSQL(t, s, fmt.Sprintf("SELECT CAST(DATE '%s' %s AS string) FROM dates LIMIT 1", d, iv))
			// Years 1 and 9999 border results outside the folded range, which the
			// evaluator computes instead.
			if ex := q.Explain(); !strings.HasPrefix(d, "0001") && !strings.HasPrefix(d, "9999") && strings.Contains(ex[strings.Index(ex, "== Optimized Plan =="):], "interval") {
				t.Errorf("DATE '%s' %s is not folded:\n%s", d, iv, ex)
			}
			got := collectRows(t, q)
			if len(got) != 1 || got[0][0] != evaluated[i][0] {
				t.Errorf("DATE '%s' %s: folded %v, evaluated %v", d, iv, got, evaluated[i])
			}
		}
	}
}
