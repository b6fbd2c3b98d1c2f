package storage

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// PutAll stores several shuffle blocks as Put would each, taking over every batch even
// on error. The blocks memory refuses go to disk together, as the sections of one spill
// file per schema: a shuffle writer short of memory stages a piece of every reduce
// partition at once, and a file per piece made file creation most of the cost of
// spilling at tight budgets (db-benchmark's q3 at a tenth of its input as budget: 400
// files for 174 MiB).
func (b *BlockManager) PutAll(ids []BlockID, batches [][]arrow.RecordBatch) error {
	if len(ids) != len(batches) {
		for _, bs := range batches {
			releaseAll(bs)
		}
		return fmt.Errorf("storage: put of %d blocks with %d lists of batches", len(ids), len(batches))
	}
	var errs []error
	var refused []*block
	var refusedBatches [][]arrow.RecordBatch
	for i, id := range ids {
		nb, err := newBlock(id, MemoryAndDisk, batches[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loc, err := b.putMemory(nb, batches[i], nil, nb.size, id.Kind != ShuffleBlock)
		switch {
		case err != nil:
			errs = append(errs, err)
		case loc == NotStored:
			refused, refusedBatches = append(refused, nb), append(refusedBatches, batches[i])
		}
	}
	for len(refused) > 0 {
		// The refused blocks of the first one's schema share a file.
		var group, rest []*block
		var groupBatches, restBatches [][]arrow.RecordBatch
		for i, nb := range refused {
			if sameSchema(nb.schema, refused[0].schema) {
				group, groupBatches = append(group, nb), append(groupBatches, refusedBatches[i])
			} else {
				rest, restBatches = append(rest, nb), append(restBatches, refusedBatches[i])
			}
		}
		errs = append(errs, b.putDisk(group, groupBatches)...)
		refused, refusedBatches = rest, restBatches
	}
	return errors.Join(errs...)
}

// sameSchema reports whether a and b are equal schemas, or both nil (blocks of no batches).
func sameSchema(a, b *arrow.Schema) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}

// putDisk writes blocks of one schema to disk, a lone block in a file of its own, several
// as the sections of one file, and stores them; it releases the batches.
func (b *BlockManager) putDisk(blocks []*block, batches [][]arrow.RecordBatch) []error {
	defer func() {
		for _, bs := range batches {
			releaseAll(bs)
		}
	}()
	var files []*SpillFile
	var err error
	switch {
	case blocks[0].schema == nil: // blocks of no batches need no file
		files = make([]*SpillFile, len(blocks))
	case b.spill == nil:
		err = fmt.Errorf("storage: write %v to disk: the block manager has no spill directory", blocks[0].id)
	case len(blocks) == 1:
		var f *SpillFile
		if f, err = b.writeBlock(blocks[0].id, blocks[0].schema, batches[0], nil); err == nil {
			files = []*SpillFile{f}
		}
	default:
		files, err = b.writeSectionFile("staged-"+blocks[0].id.String(), blocks[0].schema, batches)
		if err != nil {
			err = fmt.Errorf("storage: write %v and %d more blocks to disk: %w", blocks[0].id, len(blocks)-1, err)
		}
	}
	if err != nil {
		return []error{err}
	}
	var errs []error
	for i, nb := range blocks {
		if _, err := b.addDiskBlock(nb, files[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
