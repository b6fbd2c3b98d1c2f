package run

import (
	"slices"
	"time"
)

// sweepPoint is one point of a sweep: run measures it once; the best run lands in best.
type sweepPoint struct {
	run   func() Measure
	best  Measure
	runs  int
	total time.Duration
}

// measureInterleaved measures every point in rounds, each round running each unfinished
// point once, and keeps each point's fastest run (its CPU the least seen). A point is done
// after runs runs once its runs add up to bestOfMinTotal, or after bestOfMaxRuns; a
// failed run ends it with that run's error.
//
// Rounds rather than one point's runs back to back: a shared machine drifts by a third
// over a minute, and a sweep compares its default with the best of all its points, so
// every point must see the same quiet and busy spells. Every other round runs the points
// in reverse order: a run leaves the heap and the pool in a state the next run pays for,
// and in a fixed order that cost would fall on the same point every round (two points
// alternating: always on the second).
func measureInterleaved(runs int, points []*sweepPoint) {
	for round := 0; ; round++ {
		ran := false
		order := slices.Clone(points)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, p := range order {
			if p.best.Err != nil || p.runs >= max(1, runs) && (p.total >= bestOfMinTotal || p.runs >= bestOfMaxRuns) {
				continue
			}
			ran = true
			m := p.run()
			p.runs++
			p.total += m.Time
			switch {
			case m.Err != nil:
				p.best = m
			case p.runs == 1 || m.Time < p.best.Time:
				if p.runs > 1 {
					m.CPU = min(m.CPU, p.best.CPU)
				}
				p.best = m
			default:
				p.best.CPU = min(p.best.CPU, m.CPU)
			}
		}
		if !ran {
			return
		}
	}
}

// bestOf measures one point as measureInterleaved does.
func bestOf(runs int, f func() Measure) Measure {
	p := &sweepPoint{run: f}
	measureInterleaved(runs, []*sweepPoint{p})
	return p.best
}

const (
	bestOfMinTotal = 3 * time.Second
	bestOfMaxRuns  = 15
)
