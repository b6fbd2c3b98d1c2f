package tpch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

const (
	batchRows = 1 << 16 // rows per record batch
	fileRows  = 1 << 20 // rows per Parquet file
)

// sink collects one table's rows into record batches and writes every fileRows rows
// as one Parquet file of the table's directory, through kindling's writer.
type sink struct {
	ctx    context.Context
	sess   *dataset.Session
	dir    string // the table's directory
	schema *arrow.Schema
	b      *array.RecordBuilder
	rows   int // rows in b
	batch  []arrow.RecordBatch
	nbatch int // rows in batch
	files  int
	total  int64
	// limit stops the table after that many generator rows (0: no limit).
	limit, seen int64
	stopped     bool
}

func newSink(ctx context.Context, sess *dataset.Session, dir, table string) *sink {
	s := schemas[table]
	return &sink{ctx: ctx, sess: sess, dir: filepath.Join(dir, table), schema: s, b: array.NewRecordBuilder(memory.DefaultAllocator, s)}
}

func (s *sink) i(col int, v int64)  { s.b.Field(col).(*array.Int64Builder).Append(v) }
func (s *sink) s(col int, v string) { s.b.Field(col).(*array.StringBuilder).Append(v) }

// m appends a DECIMAL(15,2) from its value in hundredths.
func (s *sink) m(col int, hundredths int64) {
	s.b.Field(col).(*array.Decimal128Builder).Append(decimal128.FromI64(hundredths))
}

// d appends a date written yyyy-mm-dd.
func (s *sink) d(col int, v string) error {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return fmt.Errorf("tpch: %s: date %q: %w", s.dir, v, err)
	}
	s.b.Field(col).(*array.Date32Builder).Append(arrow.Date32FromTime(t))
	return nil
}

// endRow counts a finished row and cuts batches and files.
func (s *sink) endRow() error {
	s.rows++
	if s.rows < batchRows {
		return nil
	}
	return s.cut()
}

func (s *sink) cut() error {
	if err := s.ctx.Err(); err != nil {
		return err // stops dbgen, which calls the loaders
	}
	if s.rows > 0 {
		s.batch = append(s.batch, s.b.NewRecordBatch())
		s.nbatch += s.rows
		s.total += int64(s.rows)
		s.rows = 0
	}
	if s.nbatch >= fileRows {
		return s.writeFile()
	}
	return nil
}

// writeFile writes the collected batches as one Parquet file named part-NNNNN.parquet.
func (s *sink) writeFile() error {
	if len(s.batch) == 0 {
		return nil
	}
	defer func() {
		for _, r := range s.batch {
			r.Release()
		}
		s.batch, s.nbatch = s.batch[:0], 0
	}()
	tmp := filepath.Join(s.dir, fmt.Sprintf(".tmp-%05d", s.files))
	// The in-memory dataset retains the batches until released: without Release a
	// generation would hold every table it wrote (17 GiB at SF 10).
	d := s.sess.FromPartitions(s.schema, s.batch)
	err := d.WriteParquet(s.ctx, tmp)
	d.Release()
	if err != nil {
		return fmt.Errorf("tpch: writing %s: %w", s.dir, err)
	}
	parts, err := filepath.Glob(filepath.Join(tmp, "*.parquet"))
	if err != nil || len(parts) != 1 {
		return fmt.Errorf("tpch: writing %s: want one part file in %s, found %d (%v)", s.dir, tmp, len(parts), err)
	}
	if err := os.Rename(parts[0], filepath.Join(s.dir, fmt.Sprintf("part-%05d.parquet", s.files))); err != nil {
		return err
	}
	s.files++
	return os.RemoveAll(tmp)
}

// close writes what is left and frees the builder.
func (s *sink) close() error {
	defer s.b.Release()
	if err := s.cut(); err != nil {
		return err
	}
	return s.writeFile()
}

// Flush is dbgen's end-of-table call; close does the work.
func (s *sink) Flush() error { return nil }

// errLimit stops dbgen when a table has its share of rows (scale factors below 1).
var errLimit = fmt.Errorf("tpch: row limit reached")

// more counts one generator row against the limit.
func (s *sink) more() bool {
	if s.limit > 0 && s.seen >= s.limit {
		s.stopped = true
		return false
	}
	s.seen++
	return true
}
