package run

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestMeasureInterleavedRunsPointsInRounds(t *testing.T) {
	var order []int
	times := [][]time.Duration{
		{3 * time.Second, 1 * time.Second, 2 * time.Second},
		{2 * time.Second, 2 * time.Second, 2 * time.Second},
	}
	points := make([]*sweepPoint, len(times))
	for i := range points {
		k := 0
		points[i] = &sweepPoint{run: func() Measure {
			order = append(order, i)
			m := Measure{Time: times[i][k], CPU: time.Duration(10-k) * time.Second}
			k++
			return m
		}}
	}
	measureInterleaved(2, points)
	// Two runs each (both past bestOfMinTotal after two), one point after the other, the
	// second round in reverse.
	if want := []int{0, 1, 1, 0}; !slices.Equal(order, want) {
		t.Fatalf("ran %v, want %v", order, want)
	}
	if p := points[0]; p.best.Time != time.Second || p.best.CPU != 9*time.Second || p.runs != 2 {
		t.Errorf("point 0: best %v CPU %v after %d runs, want 1s, 9s after 2", p.best.Time, p.best.CPU, p.runs)
	}
	if p := points[1]; p.best.Time != 2*time.Second || p.best.CPU != 9*time.Second {
		t.Errorf("point 1: best %v CPU %v, want 2s and the least CPU seen, 9s", p.best.Time, p.best.CPU)
	}
}

func TestMeasureInterleavedShortPointsRunUntilTheTotal(t *testing.T) {
	short, failing := 0, 0
	points := []*sweepPoint{
		{run: func() Measure { short++; return Measure{Time: time.Second} }},
		{run: func() Measure { failing++; return Measure{Err: errors.New("boom")} }},
	}
	measureInterleaved(1, points)
	if want := int(bestOfMinTotal / time.Second); short != want {
		t.Errorf("a 1 s point ran %d times, want %d (until %v)", short, want, bestOfMinTotal)
	}
	if failing != 1 || points[1].best.Err == nil {
		t.Errorf("a failing point ran %d times (err %v), want once with its error", failing, points[1].best.Err)
	}
	fast := 0
	p := &sweepPoint{run: func() Measure { fast++; return Measure{Time: time.Millisecond} }}
	measureInterleaved(1, []*sweepPoint{p})
	if fast != bestOfMaxRuns {
		t.Errorf("a 1 ms point ran %d times, want at most %d", fast, bestOfMaxRuns)
	}
}
