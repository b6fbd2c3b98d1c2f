package dataset

import (
	"sync/atomic"
	"testing"
)

// A partition persisted on disk is read back with only the columns a query uses: the job
// reads (and decompresses) a fraction of the bytes the persist wrote, and its rows match
// a plain-Go filter; a count reads no column at all, and the whole table every one.
func TestDiskCacheReadsOnlyItsColumns(t *testing.T) {
	rows := wideRows(4, 5000)
	var want [][]any
	for _, part := range rows {
		for _, r := range part {
			if r.g != nil && *r.g > 40 {
				want = append(want, []any{r.id, strOrNil(r.k)})
			}
		}
	}
	for _, tc := range []struct {
		name  string
		level StorageLevel
		limit int64
	}{{"disk-only", DiskOnly, 0}, {"memory-and-disk-tight", MemoryAndDisk, 1 << 18}} {
		t.Run(tc.name, func(t *testing.T) {
			s, mem := newCacheSession(t, Config{MemoryLimit: tc.limit, BatchRows: 1000})
			var calls atomic.Int64
			cached := wideDataset(s, mem, rows, &calls).Persist(tc.level)
			if n := countRows(t, cached); n != 4*5000 {
				t.Fatalf("count %d", n)
			}
			written := s.LastJob().Blocks.DiskBytesWritten
			if written == 0 {
				t.Fatal("nothing was written to disk")
			}
			calls.Store(0)
			q := cached.Filter(Col("g").Gt(Lit(int64(40)))).Select(Col("id"), Col("k"))
			assertSameRows(t, collectRows(t, q), want)
			job := s.LastJob()
			if calls.Load() != 0 || job.Totals().CacheDiskHits == 0 {
				t.Fatalf("%d recomputations, %d disk hits: want every partition read from disk", calls.Load(), job.Totals().CacheDiskHits)
			}
			t.Logf("wrote %d bytes, the query read %d", written, job.Blocks.DiskBytesRead)
			if read := job.Blocks.DiskBytesRead; read == 0 || read*2 > written {
				t.Errorf("a query of 3 of 9 columns read %d bytes of the %d written", read, written)
			}
			if n := countRows(t, cached); n != 4*5000 {
				t.Fatalf("second count %d", n)
			}
			if n := len(collectRows(t, cached)); n != 4*5000 || calls.Load() != 0 {
				t.Fatalf("whole read: %d rows, %d recomputations", n, calls.Load())
			}
		})
	}
}
