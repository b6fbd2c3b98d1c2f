package windiff

import (
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// int64Table builds a batch of nullable int64 columns named names from rows, where
// a nil entry is NULL.
func int64Table(mem memory.Allocator, names []string, rows [][]*int64) arrow.RecordBatch {
	fields := make([]arrow.Field, len(names))
	for k, n := range names {
		fields[k] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, r := range rows {
		for c, v := range r {
			if v == nil {
				b.Field(c).AppendNull()
			} else {
				b.Field(c).(*array.Int64Builder).Append(*v)
			}
		}
	}
	return b.NewRecordBatch()
}

// JoinTables generates the join test's three tables from seed:
//
//   - events (ev_id, k, ts, amt): n rows, k in 0..49, ts in 0..9,999 (many equal
//     times), each of k, ts and amt NULL one time in 20;
//   - windows (w_id, k, lo, hi, cap): n/100 intervals [lo, hi] of up to 300 (some
//     overlapping, some empty: hi < lo), k in 0..59 (keys without events), lo NULL one
//     time in 20, cap NULL one time in 5;
//   - quotes (q_id, k, ts, px): n/10 (at most 10,000) rows whose times are all different (so an as-of
//     match is never a tie), k in 0..49, each of k and ts NULL one time in 20.
func JoinTables(mem memory.Allocator, n int, seed uint64) (events, windows, quotes arrow.RecordBatch) {
	r := rand.New(rand.NewPCG(seed, 3))
	opt := func(v int64, nullOneIn int) *int64 {
		if r.IntN(nullOneIn) == 0 {
			return nil
		}
		return &v
	}
	id := func(k int) *int64 { v := int64(k); return &v }
	ev := make([][]*int64, n)
	for k := range ev {
		ev[k] = []*int64{id(k), opt(r.Int64N(50), 20), opt(r.Int64N(10_000), 20), opt(r.Int64N(1000), 20)}
	}
	win := make([][]*int64, n/100)
	for k := range win {
		lo := r.Int64N(10_000)
		win[k] = []*int64{id(k), opt(r.Int64N(60), 20), opt(lo, 20), id(int(lo + r.Int64N(310) - 10)), opt(r.Int64N(1000), 5)}
	}
	times := r.Perm(10_000) // distinct quote times, n/10 <= 10,000 of them
	qt := make([][]*int64, n/10)
	for k := range qt {
		qt[k] = []*int64{id(k), opt(r.Int64N(50), 20), opt(int64(times[k]), 20), id(r.IntN(100))}
	}
	events = int64Table(mem, []string{"ev_id", "k", "ts", "amt"}, ev)
	windows = int64Table(mem, []string{"w_id", "k", "lo", "hi", "cap"}, win)
	quotes = int64Table(mem, []string{"q_id", "k", "ts", "px"}, qt)
	return events, windows, quotes
}
