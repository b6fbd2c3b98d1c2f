package shuffle

import (
	"cmp"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// HotKey is a partitioning key that a map output's sample saw often: its key values as
// text ("customer_id=42"), the reduce partition it goes to, and an estimate of its rows.
type HotKey struct {
	Key       string
	Hash      uint64
	Partition int
	// Rows estimates the key's rows: its count in the sample times the sampling stride,
	// an overestimate by at most ErrRows.
	Rows, ErrRows int64
}

const (
	// sketchStride: one row in sketchStride feeds the sketch, which keeps the cost per row
	// of a map task near a nanosecond; a key holding a few percent of the rows is still
	// seen thousands of times in a partition worth naming.
	sketchStride = 16
	// sketchSize is the counters of a SpaceSaving sketch: every key holding more than
	// 1/sketchSize of the sampled rows is among them.
	sketchSize = 16
	// sketchNameAfter is how many sightings since it entered the sketch a key needs
	// before its values are written out as text: a high-cardinality key churns through
	// the counters, and formatting each newcomer would cost more than the sketch.
	sketchNameAfter = 2
)

// keySketch is a SpaceSaving heavy-hitter summary (Metwally et al.) of a map task's
// partitioning keys, fed with a stride sample of its rows.
type keySketch struct {
	counters []sketchCounter
	names    []string // the key columns' names
	phase    int      // the sample's offset into the next batch
}

type sketchCounter struct {
	hash       uint64
	count, err int64
	part       int32
	key        string
}

func newKeySketch(schema *arrow.Schema, keys []int) *keySketch {
	names := make([]string, len(keys))
	for i, k := range keys {
		if k >= 0 && k < schema.NumFields() {
			names[i] = schema.Field(k).Name
		}
	}
	return &keySketch{names: names}
}

// add feeds the sample of a batch: the rows' key hashes, partitions and key columns.
func (s *keySketch) add(hashes []uint64, parts []int32, cols []arrow.Array) {
	i := s.phase
	for ; i < len(hashes); i += sketchStride {
		s.offer(hashes[i], parts[i], cols, i)
	}
	s.phase = i - len(hashes)
}

func (s *keySketch) offer(h uint64, part int32, cols []arrow.Array, row int) {
	for k := range s.counters {
		c := &s.counters[k]
		if c.hash == h {
			c.count++
			if c.key == "" && c.count-c.err >= sketchNameAfter {
				c.key = s.format(cols, row)
			}
			return
		}
	}
	if len(s.counters) < sketchSize {
		s.counters = append(s.counters, sketchCounter{hash: h, count: 1, part: part})
		return
	}
	low := 0
	for k := range s.counters {
		if s.counters[k].count < s.counters[low].count {
			low = k
		}
	}
	c := &s.counters[low]
	*c = sketchCounter{hash: h, count: c.count + 1, err: c.count, part: part}
}

// format writes row's key values as "name=value, name=value".
func (s *keySketch) format(cols []arrow.Array, row int) string {
	var b strings.Builder
	for i, col := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.names[i])
		b.WriteByte('=')
		if col.IsNull(row) {
			b.WriteString("NULL")
		} else {
			b.WriteString(col.ValueStr(row))
		}
	}
	return b.String()
}

// top returns the named keys, most rows first.
func (s *keySketch) top() []HotKey {
	var out []HotKey
	for _, c := range s.counters {
		if c.key == "" {
			continue
		}
		out = append(out, HotKey{Key: c.key, Hash: c.hash, Partition: int(c.part), Rows: c.count * sketchStride, ErrRows: c.err * sketchStride})
	}
	sortHotKeys(out)
	return out
}

func sortHotKeys(keys []HotKey) {
	slices.SortFunc(keys, func(a, b HotKey) int {
		return cmp.Or(cmp.Compare(b.Rows, a.Rows), strings.Compare(a.Key, b.Key))
	})
}

// mergeHotKeys adds up the map outputs' hot keys by key and returns the at most n with
// the most rows.
func mergeHotKeys(outputs [][]HotKey, n int) []HotKey {
	byHash := map[uint64]*HotKey{}
	for _, keys := range outputs {
		for _, k := range keys {
			if m := byHash[k.Hash]; m != nil {
				m.Rows += k.Rows
				m.ErrRows += k.ErrRows
			} else {
				k := k
				byHash[k.Hash] = &k
			}
		}
	}
	out := make([]HotKey, 0, len(byHash))
	for _, k := range byHash {
		out = append(out, *k)
	}
	sortHotKeys(out)
	return out[:min(n, len(out))]
}
