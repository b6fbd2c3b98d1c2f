package storage

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// keys returns the k column with NULL as -1, for comparison with a plain-Go expectation.
func keys(batches []arrow.RecordBatch) []int64 {
	var out []int64
	for _, b := range batches {
		c := b.Column(0).(*array.Int64)
		for i := range c.Len() {
			if c.IsNull(i) {
				out = append(out, -1)
			} else {
				out = append(out, c.Value(i))
			}
		}
	}
	return out
}

func wantKeys(from, n int) []int64 {
	var out []int64
	for i := from; i < from+n; i++ {
		if i%5 == 0 {
			out = append(out, -1)
		} else {
			out = append(out, int64(i))
		}
	}
	return out
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

func TestBlockIDAndLevelNames(t *testing.T) {
	if got := ShuffleBlockID(3, 1, 7).String(); got != "shuffle_3_1_7" {
		t.Error(got)
	}
	if got := CacheBlockID(5, 2).String(); got != "cache_5_2" {
		t.Error(got)
	}
	names := map[Level]string{None: "NONE", MemoryOnly: "MEMORY_ONLY", MemoryAndDisk: "MEMORY_AND_DISK",
		DiskOnly: "DISK_ONLY", MemoryOnlySer: "MEMORY_ONLY_SER", MemoryAndDiskSer: "MEMORY_AND_DISK_SER"}
	for l, want := range names {
		if l.String() != want {
			t.Errorf("%d: %s", l, l)
		}
	}
	if !MemoryAndDisk.UseDisk() || !MemoryAndDisk.UseMemory() || MemoryOnly.UseDisk() || DiskOnly.UseMemory() ||
		!MemoryOnlySer.Serialized() || None.UseMemory() {
		t.Error("level flags")
	}
}
