package datasource

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// DefaultRowGroupRows bounds the rows of a Parquet row group the writer produces (Polars'
// default): a large output gets several row groups per core, and a reader splits a file
// only between row groups. TPC-H SF1 lineitem (6M rows) is 23 row groups of about 9 MB.
const DefaultRowGroupRows = 1 << 18

// ParquetFileWriter writes record batches to a Parquet file, zstd-compressed with
// dictionary encoding on, storing the Arrow schema so that dictionary columns and
// timestamp units read back as written.
type ParquetFileWriter struct {
	path  string
	f     io.WriteCloser
	fw    *pqarrow.FileWriter
	alloc *writerAllocator
}

// NewParquetFileWriter creates path and prepares to write batches of schema.
func NewParquetFileWriter(path string, schema *arrow.Schema, mem memory.Allocator) (*ParquetFileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	w, err := NewParquetWriter(f, path, schema, mem)
	if err != nil {
		os.Remove(path)
	}
	return w, err
}

// NewParquetWriter prepares to write batches of schema to f, a new file named path (for
// errors); Close closes f. On error f is closed.
func NewParquetWriter(f io.WriteCloser, path string, schema *arrow.Schema, mem memory.Allocator) (*ParquetFileWriter, error) {
	return NewParquetWriterWith(f, path, schema, mem, ParquetWriteOptions{})
}

// ParquetWriteOptions tune the Parquet files a writer produces.
type ParquetWriteOptions struct {
	// RowGroupRows bounds a row group's rows; 0 means DefaultRowGroupRows. Smaller row
	// groups let readers split a file into more tasks and skip more by statistics.
	RowGroupRows int
	// Compression is the codec: zstd (the default, for ""), snappy, gzip, brotli,
	// lz4 (LZ4_RAW) or none.
	Compression string
}

// ParquetCodec returns the Parquet codec named name (see ParquetWriteOptions.Compression).
func ParquetCodec(name string) (compress.Compression, error) {
	switch strings.ToLower(name) {
	case "", "zstd":
		return compress.Codecs.Zstd, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "brotli":
		return compress.Codecs.Brotli, nil
	case "lz4", "lz4_raw":
		return compress.Codecs.Lz4Raw, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return 0, fmt.Errorf("datasource: unknown Parquet compression %q (want zstd, snappy, gzip, brotli, lz4 or none)", name)
}

// NewParquetWriterWith is NewParquetWriter with options.
func NewParquetWriterWith(f io.WriteCloser, path string, schema *arrow.Schema, mem memory.Allocator, opts ParquetWriteOptions) (*ParquetFileWriter, error) {
	codec, err := ParquetCodec(opts.Compression)
	if err != nil {
		f.Close()
		return nil, err
	}
	rowGroup := opts.RowGroupRows
	if rowGroup <= 0 {
		rowGroup = DefaultRowGroupRows
	}
	alloc := newWriterAllocator(mem)
	props := parquet.NewWriterProperties(
		parquet.WithCompression(codec),
		parquet.WithDictionaryDefault(true),
		parquet.WithMaxRowGroupLength(int64(rowGroup)),
		parquet.WithAllocator(alloc),
	)
	aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(alloc))
	fw, err := pqarrow.NewFileWriter(schema, f, props, aprops)
	if err != nil {
		alloc.releaseAll()
		f.Close()
		return nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	return &ParquetFileWriter{path: path, f: f, fw: fw, alloc: alloc}, nil
}

// Write appends rec to the current row group (a row group closes at DefaultRowGroupRows).
// After a failed write the writer is abandoned: its buffers are freed and its file
// closed, and Close does nothing more.
func (w *ParquetFileWriter) Write(rec arrow.RecordBatch) error {
	if w.fw == nil {
		return fmt.Errorf("datasource: %s: write after a failure or Close", w.path)
	}
	if err := w.fw.WriteBuffered(rec); err != nil {
		w.abandon()
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}

// abandon drops a writer that failed: what arrow-go's writer still holds is freed, since
// nothing will ever flush it.
func (w *ParquetFileWriter) abandon() {
	w.fw = nil
	w.alloc.releaseAll()
	w.f.Close()
}

// FlushRowGroup ends the current row group; the next Write starts a new one.
func (w *ParquetFileWriter) FlushRowGroup() error {
	if err := w.fw.NewBufferedRowGroupChecked(); err != nil {
		w.abandon()
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}

// Close writes the footer and closes the file. It is idempotent.
func (w *ParquetFileWriter) Close() error {
	if w.fw == nil {
		return nil
	}
	err := w.fw.Close() // also closes the file
	w.fw = nil
	if err != nil {
		w.alloc.releaseAll()
		w.f.Close()
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}

// IPCFileWriter writes record batches to an Arrow IPC file (zstd-compressed buffers).
//
// The IPC file format allows one dictionary per field for the whole file, while each batch
// kindling produces carries its own; so dictionary-encoded columns are written decoded, as
// their value type (the file's schema says so).
type IPCFileWriter struct {
	path   string
	f      io.WriteCloser
	w      *ipc.FileWriter
	mem    memory.Allocator
	schema *arrow.Schema // the file's schema: dictionaries decoded
	decode bool
}

// NewIPCFileWriter creates path and prepares to write batches of schema.
func NewIPCFileWriter(path string, schema *arrow.Schema, mem memory.Allocator) (*IPCFileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	w, err := NewIPCWriter(f, path, schema, mem)
	if err != nil {
		os.Remove(path)
	}
	return w, err
}

// NewIPCWriter prepares to write batches of schema to f, a new file named path (for
// errors), as an Arrow IPC file; Close closes f. On error f is closed.
func NewIPCWriter(f io.WriteCloser, path string, schema *arrow.Schema, mem memory.Allocator) (*IPCFileWriter, error) {
	fields := slices.Clone(schema.Fields())
	decode := false
	for i := range fields {
		if dt, ok := fields[i].Type.(*arrow.DictionaryType); ok {
			fields[i].Type = dt.ValueType
			decode = true
		}
	}
	md := schema.Metadata()
	fileSchema := arrow.NewSchema(fields, &md)
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(fileSchema), ipc.WithAllocator(mem), ipc.WithZstd())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("datasource: %s: %w", path, err)
	}
	return &IPCFileWriter{path: path, f: f, w: w, mem: mem, schema: fileSchema, decode: decode}, nil
}

// Write appends rec as one record batch.
func (w *IPCFileWriter) Write(rec arrow.RecordBatch) error {
	if w.decode {
		cols := make([]arrow.Array, rec.NumCols())
		defer func() {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
		}()
		ctx := compute.WithAllocator(context.Background(), w.mem)
		for i, c := range rec.Columns() {
			if d, ok := c.(*array.Dictionary); ok {
				plain, err := compute.TakeArray(ctx, d.Dictionary(), d.Indices())
				if err != nil {
					return fmt.Errorf("datasource: %s: decoding column %q: %w", w.path, rec.ColumnName(i), err)
				}
				cols[i] = plain
			} else {
				c.Retain()
				cols[i] = c
			}
		}
		rec = array.NewRecordBatch(w.schema, cols, rec.NumRows())
		defer rec.Release()
	}
	if err := w.w.Write(rec); err != nil {
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}

// Close writes the footer and closes the file. It is idempotent.
func (w *IPCFileWriter) Close() error {
	if w.w == nil {
		return nil
	}
	err := w.w.Close()
	w.w = nil
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}

// CSVWriteOptions configure NewCSVFileWriter. The zero value writes comma-separated
// values without a header, with NULL as an empty field.
type CSVWriteOptions struct {
	// Delimiter separates fields; 0 means ','.
	Delimiter rune
	// Header writes the column names first.
	Header bool
	// NullValue is the text written for NULL.
	NullValue string
}

// CSVFileWriter writes record batches as CSV text that OpenCSV reads back: dates as
// 2006-01-02, timestamps as 2006-01-02 15:04:05[.fraction] (UTC, as stored), floats in
// the shortest form that round-trips, dictionary columns as their values.
type CSVFileWriter struct {
	path   string
	f      io.WriteCloser
	bw     *bufio.Writer
	cw     *csv.Writer
	schema *arrow.Schema
	null   string
	rec    []string
	buf    []byte
}

// NewCSVFileWriter creates path and, if asked, writes the header line.
func NewCSVFileWriter(path string, schema *arrow.Schema, opts CSVWriteOptions) (*CSVFileWriter, error) {
	if err := csvCheckSchema(schema); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	w, err := NewCSVWriter(f, path, schema, opts)
	if err != nil {
		os.Remove(path)
	}
	return w, err
}

func csvCheckSchema(schema *arrow.Schema) error {
	for _, f := range schema.Fields() {
		if !csvWritable(f.Type) {
			return fmt.Errorf("datasource: column %q: cannot write type %s as CSV", f.Name, f.Type)
		}
	}
	return nil
}

// NewCSVWriter prepares to write batches of schema to f, a new file named path (for
// errors), as CSV text, writing the header line if asked; Close closes f. On error f is
// closed.
func NewCSVWriter(f io.WriteCloser, path string, schema *arrow.Schema, opts CSVWriteOptions) (*CSVFileWriter, error) {
	if err := csvCheckSchema(schema); err != nil {
		f.Close()
		return nil, err
	}
	w := &CSVFileWriter{path: path, f: f, bw: bufio.NewWriterSize(f, 256<<10), schema: schema, null: opts.NullValue}
	w.cw = csv.NewWriter(w.bw)
	if opts.Delimiter != 0 {
		w.cw.Comma = opts.Delimiter
	}
	w.rec = make([]string, schema.NumFields())
	if opts.Header {
		if err := w.cw.Write(fieldNames(schema)); err != nil {
			f.Close()
			return nil, fmt.Errorf("datasource: %s: %w", path, err)
		}
	}
	return w, nil
}

func csvWritable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.STRING, arrow.LARGE_STRING, arrow.DATE32, arrow.TIMESTAMP:
		return true
	case arrow.DICTIONARY:
		return csvWritable(t.(*arrow.DictionaryType).ValueType)
	}
	return false
}

// Write appends the rows of rec.
func (w *CSVFileWriter) Write(rec arrow.RecordBatch) error {
	if w.cw == nil {
		return errors.New("datasource: CSV writer is closed")
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("datasource: %s: batch schema %v does not match the writer's %v", w.path, rec.Schema(), w.schema)
	}
	n := int(rec.NumRows())
	cols := rec.Columns()
	for row := range n {
		for c, col := range cols {
			w.rec[c] = w.format(col, row)
		}
		if err := w.cw.Write(w.rec); err != nil {
			return fmt.Errorf("datasource: %s: %w", w.path, err)
		}
	}
	return nil
}

// format renders one value. The column type switch is per value, but each branch is a
// typed access with no boxing.
func (w *CSVFileWriter) format(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return w.null
	}
	b := w.buf[:0]
	switch a := col.(type) {
	case *array.Int64:
		b = strconv.AppendInt(b, a.Value(i), 10)
	case *array.Int32:
		b = strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int16:
		b = strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int8:
		b = strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Uint64:
		b = strconv.AppendUint(b, a.Value(i), 10)
	case *array.Uint32:
		b = strconv.AppendUint(b, uint64(a.Value(i)), 10)
	case *array.Uint16:
		b = strconv.AppendUint(b, uint64(a.Value(i)), 10)
	case *array.Uint8:
		b = strconv.AppendUint(b, uint64(a.Value(i)), 10)
	case *array.Float64:
		b = appendFloat(b, a.Value(i), 64)
	case *array.Float32:
		b = appendFloat(b, float64(a.Value(i)), 32)
	case *array.Boolean:
		b = strconv.AppendBool(b, a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Date32:
		b = a.Value(i).ToTime().AppendFormat(b, dateLayout)
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		b = a.Value(i).ToTime(unit).UTC().AppendFormat(b, "2006-01-02 15:04:05.999999999")
	case *array.Dictionary:
		return w.format(a.Dictionary(), a.GetValueIndex(i))
	default:
		return col.ValueStr(i)
	}
	w.buf = b
	return string(b)
}

func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, bits)
	if !slices.ContainsFunc(b[start:], func(c byte) bool { return c == '.' || c == 'e' }) {
		// 72.0, not 72, as Spark and DuckDB write it: a reader inferring types then
		// reads the column back as a float column, not an integer one.
		b = append(b, ".0"...)
	}
	return b
}

// Close flushes and closes the file. It is idempotent.
func (w *CSVFileWriter) Close() error {
	if w.cw == nil {
		return nil
	}
	w.cw.Flush()
	err := w.cw.Error()
	w.cw = nil
	if err == nil {
		err = w.bw.Flush()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("datasource: %s: %w", w.path, err)
	}
	return nil
}
