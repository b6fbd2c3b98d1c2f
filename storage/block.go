package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// ErrClosed is returned by a put on a closed block manager.
var ErrClosed = errors.New("storage: store closed")

// BlockKind says what a block holds.
type BlockKind uint8

const (
	// ShuffleBlock is the output of one map task for one reduce partition. Shuffle blocks are
	// never dropped: without them the reduce side must rerun the map stage.
	ShuffleBlock BlockKind = iota + 1
	// CacheBlock is one cached partition of a persisted dataset.
	CacheBlock
)

// String returns "shuffle" or "cache".
func (k BlockKind) String() string {
	switch k {
	case ShuffleBlock:
		return "shuffle"
	case CacheBlock:
		return "cache"
	default:
		return fmt.Sprintf("BlockKind(%d)", uint8(k))
	}
}

// BlockID names a block. Shuffle blocks use ShuffleID, MapID and ReduceID; cache blocks use
// DatasetID and Partition. Unused fields stay zero so that IDs compare equal by value.
type BlockID struct {
	Kind                       BlockKind
	ShuffleID, MapID, ReduceID int
	DatasetID, Partition       int
	// Piece, when positive, names one of the pieces a shuffle writer under memory pressure
	// stored before its map output was committed (unique per shuffle service).
	Piece int
}

// ShuffleBlockID returns the ID of map task mapID's output for reduce partition reduceID.
func ShuffleBlockID(shuffleID, mapID, reduceID int) BlockID {
	return BlockID{Kind: ShuffleBlock, ShuffleID: shuffleID, MapID: mapID, ReduceID: reduceID}
}

// CacheBlockID returns the ID of a cached partition.
func CacheBlockID(datasetID, partition int) BlockID {
	return BlockID{Kind: CacheBlock, DatasetID: datasetID, Partition: partition}
}

// String renders the ID as Spark does: "shuffle_3_1_7" (shuffle, map, reduce) or
// "cache_5_2" (dataset, partition).
func (id BlockID) String() string {
	switch id.Kind {
	case ShuffleBlock:
		if id.Piece > 0 {
			return fmt.Sprintf("shuffle_%d_%d_%d_piece%d", id.ShuffleID, id.MapID, id.ReduceID, id.Piece)
		}
		return fmt.Sprintf("shuffle_%d_%d_%d", id.ShuffleID, id.MapID, id.ReduceID)
	case CacheBlock:
		return fmt.Sprintf("cache_%d_%d", id.DatasetID, id.Partition)
	default:
		return fmt.Sprintf("block(%v)_%d_%d_%d_%d_%d", id.Kind, id.ShuffleID, id.MapID, id.ReduceID, id.DatasetID, id.Partition)
	}
}

// Store holds blocks of record batches. Implementations are safe for concurrent use.
//
// Ownership: Put takes over the caller's reference to every batch it is given, even when it
// returns an error; the store Releases them when the block is removed, replaced or the store
// is closed. Get returns batches the caller owns: the store Retains each one before returning
// it, and the caller must Release each exactly once. Removing a block while a reader holds
// batches from Get is safe: the reader's references keep the buffers alive.
type Store interface {
	// Put stores batches under id, replacing (and releasing) any block already there.
	Put(id BlockID, batches []arrow.RecordBatch) error
	// PutAll stores several blocks as Put would each, taking over every batch even on
	// error; the blocks it cannot keep in memory may share a file on disk.
	PutAll(ids []BlockID, batches [][]arrow.RecordBatch) error
	// Get returns the batches of id, Retained for the caller, and whether the block exists.
	Get(id BlockID) ([]arrow.RecordBatch, bool)
	// Read is Get that tells a block that is held but cannot be read back (a corrupt or
	// unreadable file: the error names it) from a missing one (false, nil).
	Read(ctx context.Context, id BlockID) ([]arrow.RecordBatch, bool, error)
	// Remove drops the block id, if present, and frees its memory.
	Remove(id BlockID)
	// RemoveIf drops every block for which pred returns true. pred must not call the store.
	RemoveIf(pred func(BlockID) bool)
	// Bytes returns the bytes of all blocks held.
	Bytes() int64
	// Close drops every block. It is idempotent; Put after Close fails.
	Close() error
}

// Level is a storage level: where a cached partition lives and in which form. Names and
// meanings follow Spark's StorageLevel (without replication, which a single process lacks).
type Level uint8

const (
	// None means not persisted.
	None Level = iota
	// MemoryOnly keeps batches in memory; an evicted or non-fitting partition is dropped and
	// recomputed from lineage on the next read.
	MemoryOnly
	// MemoryAndDisk keeps batches in memory and writes them to disk when evicted or when they
	// do not fit. Shuffle blocks behave as MemoryAndDisk.
	MemoryAndDisk
	// DiskOnly always writes the partition to disk.
	DiskOnly
	// MemoryOnlySer keeps compressed Arrow IPC bytes in memory; dropped when evicted.
	MemoryOnlySer
	// MemoryAndDiskSer keeps compressed Arrow IPC bytes in memory, spilled to disk when evicted.
	MemoryAndDiskSer
)

// String returns Spark's name for the level, for example "MEMORY_AND_DISK".
func (l Level) String() string {
	switch l {
	case None:
		return "NONE"
	case MemoryOnly:
		return "MEMORY_ONLY"
	case MemoryAndDisk:
		return "MEMORY_AND_DISK"
	case DiskOnly:
		return "DISK_ONLY"
	case MemoryOnlySer:
		return "MEMORY_ONLY_SER"
	case MemoryAndDiskSer:
		return "MEMORY_AND_DISK_SER"
	default:
		return fmt.Sprintf("Level(%d)", uint8(l))
	}
}

// UseMemory reports whether the level keeps data in memory.
func (l Level) UseMemory() bool {
	return l == MemoryOnly || l == MemoryAndDisk || l == MemoryOnlySer || l == MemoryAndDiskSer
}

// UseDisk reports whether the level writes data to disk (always, or when evicted).
func (l Level) UseDisk() bool { return l == MemoryAndDisk || l == DiskOnly || l == MemoryAndDiskSer }

// Serialized reports whether in-memory data is kept as compressed IPC bytes.
func (l Level) Serialized() bool { return l == MemoryOnlySer || l == MemoryAndDiskSer }
