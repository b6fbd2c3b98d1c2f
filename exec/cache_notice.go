package exec

import (
	"fmt"

	kmemory "github.com/kindling-data/kindling/memory"
)

// CacheNotices is implemented by a plan.CacheStatus that wants to know why a partition of
// its dataset was not stored, so that the user can be told (Spark's "Not enough space to
// cache ... in memory!" warning), and when a later job stored it after all.
type CacheNotices interface {
	// NotCached reports that the partition was computed but not stored, and why.
	NotCached(partition int, reason string)
	// Cached reports that the partition was stored.
	Cached(partition int)
}

// notCached counts a partition the cache could not store and tells the dataset why.
func (c *CacheOp) notCached(reason string) {
	c.counter.putFailed++
	if n, ok := c.node.Status.(CacheNotices); ok {
		n.NotCached(c.partition, reason)
	}
}

// cached tells the dataset that the partition is stored.
func (c *CacheOp) cached() {
	if n, ok := c.node.Status.(CacheNotices); ok {
		n.Cached(c.partition)
	}
}

// tooLargeReason says why unrolling a MEMORY_ONLY partition stopped.
func tooLargeReason(unrolled, free int64) string {
	return fmt.Sprintf("not enough memory: %s computed so far, more than the %s execution leaves free (the level may not use disk)",
		kmemory.FormatBytes(unrolled), kmemory.FormatBytes(free))
}

// notStoredReason says why the block manager did not store a computed partition.
func notStoredReason(bytes int64, err error) string {
	if err != nil {
		return fmt.Sprintf("the store failed: %v", err)
	}
	return fmt.Sprintf("not enough storage memory for its %s (other datasets' blocks evicted as far as allowed; the level may not use disk)",
		kmemory.FormatBytes(bytes))
}
