package plan

// Size guesses over logical plans, for a front end that orders a chain of inner joins
// (the SQL binder's comma joins): see join_stats.go for the guesses themselves.

// GuessRows guesses the rows n outputs: a persisted dataset's stored bytes or a scan's
// estimated input bytes over a guessed row width, scaled by the selectivity guess of
// each filter above it. ok is false when the input's size is unknown or n holds an
// operator the guess does not follow (a join, an aggregate).
func GuessRows(n Node) (rows float64, ok bool) {
	sel := 1.0
	for {
		switch x := n.(type) {
		case *Filter:
			sel *= selectivity(x.Cond)
			n = x.Input
			continue
		case *Project, *Limit, *Sort, *Broadcast, *Coalesce, *Repartition:
			n = x.Children()[0]
			continue
		case *Cache:
			if x.Status != nil && x.Status.Active() {
				if b := cachedBytes(x.Status); b >= 0 {
					return float64(b) / guessWidth(x) * sel, true
				}
			}
			n = x.Input
			continue
		case *Scan:
			b, ok := scanBytes(x)
			return b / guessWidth(x) * sel, ok
		}
		return 0, false
	}
}

// scanBytes is the estimated input of a scan of every column of its source (the size a
// scan's partitions report), or false when a partition cannot tell.
func scanBytes(s *Scan) (float64, bool) {
	if s.Source == nil {
		return 0, false
	}
	parts, err := s.Source.Partitions(ScanRequest{})
	if err != nil {
		return 0, false
	}
	total := 0.0
	for _, p := range parts {
		b := p.EstimatedBytes()
		if b < 0 {
			return 0, false
		}
		total += float64(b)
	}
	return total, true
}

// GuessSelectivity guesses the share of rows a condition keeps (an equality with a
// literal a tenth, a comparison a third, anything else half; AND multiplies).
func GuessSelectivity(cond Expr) float64 { return selectivity(cond) }

// guessWidth is rowWidth of n's schema, found in its source when n is not analyzed yet
// (a front end guesses before analysis).
func guessWidth(n Node) float64 {
	for n != nil {
		if s := n.Schema(); s != nil {
			return rowWidth(s)
		}
		if sc, ok := n.(*Scan); ok && sc.Source != nil {
			if s, err := sc.Source.Schema(); err == nil && s != nil {
				return rowWidth(s)
			}
			break
		}
		c := n.Children()
		if len(c) != 1 {
			break
		}
		n = c[0]
	}
	return 16
}
