package dataset

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
)

// maxOpenPartitionFiles bounds the files one task keeps open at once in a partitioned
// write: each open Parquet file buffers a row group. A task that meets more partitions
// closes its least recently written file and starts a new one (part-00003.c001) if that
// partition comes back.
var maxOpenPartitionFiles = 32 // a variable so that tests can make it small

// partitionedFiles is a task's files of a partitioned write, one per partition
// directory its rows fall in.
type partitionedFiles struct {
	task     *fileTask
	splitter *datasource.PartitionSplitter
	open     map[string]*partFile
	seq      map[string]int // files started per directory
	paths    []string       // every file started, for Abort
	clock    int64
}

type partFile struct {
	w       batchWriter
	lastUse int64
}

func (p *partitionedFiles) consume(ctx context.Context, rec arrow.RecordBatch) error {
	sink := p.task.sink
	cols := make([]arrow.Array, len(sink.dataCols))
	for i, c := range sink.dataCols {
		cols[i] = rec.Column(c)
	}
	data := array.NewRecordBatch(sink.fileSchema, cols, rec.NumRows())
	defer data.Release()
	for _, g := range p.splitter.Split(rec) {
		part := data
		if g.Rows != nil {
			var err error
			if part, err = takeRows(ctx, data, g.Rows, p.task.mem); err != nil {
				return fmt.Errorf("dataset: partition %s: %w", g.Dir, err)
			}
		}
		err := p.write(g.Dir, part)
		if g.Rows != nil {
			part.Release()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *partitionedFiles) write(dir string, rec arrow.RecordBatch) error {
	p.clock++
	f := p.open[dir]
	if f == nil {
		if len(p.open) >= maxOpenPartitionFiles {
			if err := p.closeLeastRecent(); err != nil {
				return err
			}
		}
		if p.seq == nil {
			p.seq = map[string]int{}
		}
		sink := p.task.sink
		path := sink.names.Path(p.task.partition, dir, p.seq[dir], sink.ext())
		p.seq[dir]++
		if err := sink.fs.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("dataset: %w", err)
		}
		p.paths = append(p.paths, path)
		w, err := sink.newWriter(path, p.task.mem)
		if err != nil {
			return err
		}
		f = &partFile{w: w}
		p.open[dir] = f
	}
	f.lastUse = p.clock
	return f.w.Write(rec)
}

func (p *partitionedFiles) closeLeastRecent() error {
	var oldest string
	for dir, f := range p.open {
		if oldest == "" || f.lastUse < p.open[oldest].lastUse {
			oldest = dir
		}
	}
	f := p.open[oldest]
	delete(p.open, oldest)
	if err := f.w.Close(); err != nil {
		return err
	}
	p.task.sink.files.Add(1)
	return nil
}

func (p *partitionedFiles) commit() error {
	for len(p.open) > 0 {
		if err := p.closeLeastRecent(); err != nil {
			return err
		}
	}
	return nil
}

func (p *partitionedFiles) abort() {
	for dir, f := range p.open {
		f.w.Close()
		delete(p.open, dir)
	}
	for _, path := range p.paths {
		p.task.sink.fs.Remove(path)
	}
}

// takeRows gathers rows idx (ascending) of rec into a new batch allocated from mem.
func takeRows(ctx context.Context, rec arrow.RecordBatch, idx []int32, mem memory.Allocator) (arrow.RecordBatch, error) {
	b := array.NewInt32Builder(mem)
	b.AppendValues(idx, nil)
	indices := b.NewArray()
	b.Release()
	defer indices.Release()
	out, err := compute.Take(compute.WithAllocator(ctx, mem), *compute.DefaultTakeOptions(),
		compute.NewDatumWithoutOwning(rec), compute.NewDatumWithoutOwning(indices))
	if err != nil {
		return nil, err
	}
	defer out.Release()
	rd, ok := out.(*compute.RecordDatum)
	if !ok {
		return nil, fmt.Errorf("take returned %s, not a record batch", out)
	}
	rd.Value.Retain()
	return rd.Value, nil
}
